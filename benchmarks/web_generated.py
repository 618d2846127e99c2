"""The web model on generated data, split by scenario template (not by site skin), printed as JSON.

The generator's own split (``split`` in the rows) holds out site *families* (skins), whose scenario templates
mostly also occur in training; here every scenario template is held out whole: grouped K-fold by ``template``
(the policy scenario: a missing CSP on a login page, a SameSite session cookie ...), the model trained on the
other templates' rows with the shipped champion's parameters and scored on the held-out template's rows at the
threshold the training folds choose (the highest keeping >= 0.97 of their TPs). Next to it: keep-all and the
policy alone (``policy.py``; these labels are what the policy code says, so it agrees with itself by
construction: that row measures the subject inference from the words, nothing more).

    python benchmarks/web_generated.py --generated data/http/data.jsonl [--folds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from iacfilter import plugins  # noqa: E402
from iacfilter_plugins.http import features  # noqa: E402
from web_real import metrics  # noqa: E402  (benchmarks/: the same table figures)

REPO = Path(__file__).resolve().parents[1]
PARAMS = {"C": 10.0, "class_weight": "balanced", "bits": 16, "words": 0.3}


def scenario(row: dict) -> tuple[str, str]:
    """The scenario template of a row, whatever the site skin: ``template`` is ``<family>/<page>/<scenario>``."""
    return row["smell"], row["template"].rsplit("/", 1)[-1]


def f1(ys, kept) -> dict:
    m = metrics(ys, kept)
    return {k: m[k] for k in ("n", "precision", "recall", "f1")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--generated", type=Path, default=REPO / "data/http/data.jsonl")
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args()
    if not args.generated.is_file():
        sys.exit(f"{args.generated}: no such file; 'iacfilter datagen http --n 6000 --seed 7 -o {args.generated}'")
    rows = [json.loads(line) for line in args.generated.read_text(encoding="utf-8").splitlines() if line.strip()]
    http = plugins.technologies()["http"]
    snippets = [http.example(r) for r in rows]
    ys = np.array([1 if r["label"] == "TP" else 0 for r in rows])
    probe = features.HttpFeatureModel(np.zeros(1 << PARAMS["bits"]), 0.0, PARAMS["bits"], PARAMS["words"])
    x = features.matrix(probe, snippets)
    templates = sorted({scenario(r) for r in rows})
    fold_of = {t: i % args.folds for i, t in enumerate(templates)}
    folds = np.array([fold_of[scenario(r)] for r in rows])
    kept = np.ones(len(rows), dtype=bool)
    for k in range(args.folds):
        train, test = np.where(folds != k)[0], np.where(folds == k)[0]
        weights, bias = features.fit(x[train], ys[train], PARAMS, seed=1)
        model = features.HttpFeatureModel(weights.astype(np.float64), float(bias[0]), PARAMS["bits"], PARAMS["words"])
        p_train = np.array(model.probabilities([snippets[i] for i in train]))
        t = max((round(t, 2) for t in np.arange(0.01, 0.91, 0.01)
                 if (p_train[ys[train] == 1] >= t).mean() >= 0.97), default=0.01)
        p_test = np.array(model.probabilities([snippets[i] for i in test]))
        kept[test] = p_test >= t
    policy = [(s.data.get("policy") or {}).get("label") != "FP" for s in snippets]
    by_smell = defaultdict(list)
    for i, r in enumerate(rows):
        by_smell[r["smell"]].append(i)
    print(json.dumps({
        "data": {"generated": str(args.generated), "rows": len(rows), "tp": int(ys.sum()),
                 "scenario_templates": len(templates), "folds": args.folds},
        "keep-all": f1(ys, [True] * len(rows)),
        "policy alone": f1(ys, policy),
        "model, templates held out": f1(ys, kept),
        "model per smell": {s: f1(ys[idx], kept[idx]) for s, idx in sorted(by_smell.items())},
    }, indent=2))


if __name__ == "__main__":
    main()
