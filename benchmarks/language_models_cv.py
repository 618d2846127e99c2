"""Grouped cross-validation of a frozen language-model base plus a linear head on labelled findings, beside
fixed champions on the same rows, printed as JSON.

Rows: ``--data`` (labelled JSONL with a group key), or ``--corpus datasets/http-real``: every finding of its
reports that carries an exchange to learn from (labels from ``labels.jsonl``, group = app), all true positives
and ``--fp`` false positives drawn with ``--seed``.
Features: the dual-head's own (``LM.forward``: the masked mean of the last hidden state over the prompt, budget 0),
computed once per row through transformers and checkpointed by row id to ``--features`` (an .npz; a stopped
run resumes, a changed finding is recomputed).
Head: logistic regression (class-balanced, standardised features) trained on every group but one and scored on
the held-out group (leave-one-group-out: no application in two folds); out-of-fold probabilities are pooled and
classified at 0.5 (nothing tuned on the held-out rows). The same CV on a one-hot of the rule alone (smell,
scanner check) says what the rule name decides without the model. ``--champion`` (repeatable): a shipped or built
champion scored on the same rows at its frozen threshold, for comparison (not retrained). ``--head-of DIR``: a
frozen-base dual-head champion of the same base, budget 0 and prompt length, applied to the cached features (what
its scorer computes, without a second pass through the base).

    OMP_NUM_THREADS=2 python benchmarks/language_models_cv.py --corpus datasets/http-real --fp 107 --seed 0 \\
        --base base:gemma3-270m --features build/real-gemma.npz --champion http-default --champion dual-head-http
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

from iacfilter_training.metrics import decisions


def rates(labels, predicted) -> dict:
    m = decisions(labels, [int(bool(p)) for p in predicted])
    c = m["confusion"]
    return {"precision": round(m["precision"], 4), "recall": round(m["recall"], 4), "f1": round(m["f1"], 4),
            "tp": c["tp"], "fp": c["fp"], "fn": c["fn"], "n": m["n"]}


def features(examples, base: str, max_prompt: int, batch: int, cache: Path, log, cpu_dtype: str = "float32"
             ) -> "np.ndarray":
    import numpy as np
    import torch

    from iacfilter_plugins.dualhead.model import load_base

    def key(e) -> str:  # the row's id and the text the model reads: a changed finding is recomputed
        import hashlib

        return f"{e.row.get('id')}:{hashlib.sha256(e.snippet.text.encode()).hexdigest()[:16]}:{max_prompt}:{cpu_dtype}"

    stored_by_key: dict[str, np.ndarray] = {}
    if cache.is_file():
        stored = np.load(cache)
        stored_by_key = dict(zip(stored["key"].tolist(), stored["x"]))
    keys = [key(e) for e in examples]
    done = {i: stored_by_key[k] for i, k in enumerate(keys) if k in stored_by_key}
    todo = [i for i in range(len(examples)) if i not in done]
    if todo:
        lm = load_base(base, cpu_dtype=cpu_dtype)
        lm.max_prompt = max_prompt
        lm.use_bos("auto")
        started = time.perf_counter()
        for start in range(0, len(todo), batch):
            idx = todo[start : start + batch]
            prompts = [lm.prompt_ids(examples[i].snippet.text, 0) for i in idx]
            with torch.inference_mode():
                x, _ = lm.forward(prompts, [[] for _ in idx])
            for j, i in enumerate(idx):
                done[i] = x[j].numpy()
            stored_by_key.update({keys[i]: done[i] for i in idx})
            names = sorted(stored_by_key)
            np.savez(cache, key=np.array(names), x=np.stack([stored_by_key[k] for k in names]))
            log(f"features {len(done)}/{len(examples)} ({(time.perf_counter() - started) / (start + len(idx)):.2f} "
                f"s/finding)")
    return np.stack([done[i] for i in range(len(examples))])


def grouped_cv(x, labels, groups) -> list[float]:
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    y = np.array(labels)
    out = np.zeros(len(y))
    for group in sorted(set(groups)):
        test = np.array([g == group for g in groups])
        if len(set(y[~test])) < 2:
            out[test] = float(y[~test].mean())
            continue
        head = make_pipeline(StandardScaler(), LogisticRegression(class_weight="balanced", C=0.1, max_iter=2000))
        head.fit(x[~test], y[~test])
        out[test] = head.predict_proba(x[test])[:, 1]
    return out.tolist()


def corpus_rows(corpus: Path, fp: int, seed: int, log) -> list[dict]:
    import random
    from collections import Counter, defaultdict

    from iacfilter.inputs import read_scanner_output
    from iacfilter_plugins.http.technology import example, finding_details

    labels = [json.loads(line) for line in (corpus / "labels.jsonl").read_text().splitlines()]
    by_report = defaultdict(list)
    for record in labels:
        by_report[record["report"]].append(record)
    rows, skipped = [], Counter()
    for report, records in sorted(by_report.items()):
        records.sort(key=lambda r: int(r["id"].rsplit("/", 1)[1]))
        try:
            findings = read_scanner_output(str(corpus / report))[0].findings
        except Exception as exc:  # a report no installed reader takes
            skipped[f"{records[0]['scanner']}: {type(exc).__name__}"] += len(records)
            continue
        for finding, record in zip(findings, records):
            row = {"tech": "http", "smell": record["smell"], "label": record["label"], "id": record["id"],
                   "app": record["app"], "scanner": record["scanner"], "finding": finding_details(finding)}
            try:
                example(row)
            except ValueError:
                skipped[f"{record['scanner']}: no exchange in the report"] += 1
                continue
            rows.append(row)
    log(f"corpus: {len(rows)} findings with an exchange; left out: {dict(skipped)}")
    positives = [r for r in rows if r["label"] == "TP"]
    negatives = [r for r in rows if r["label"] == "FP"]
    chosen = positives + random.Random(seed).sample(negatives, min(fp, len(negatives)))
    return sorted(chosen, key=lambda r: r["id"])


def rule_features(examples):
    import numpy as np

    keys = [(e.row.get("smell"), (e.row.get("finding") or {}).get("check_id"), (e.row.get("finding") or {}).get("check"))
            for e in examples]
    vocab = sorted({f"{i}:{k}" for key in keys for i, k in enumerate(key)})
    index = {v: j for j, v in enumerate(vocab)}
    x = np.zeros((len(keys), len(vocab)))
    for row, key in enumerate(keys):
        for i, k in enumerate(key):
            x[row, index[f"{i}:{k}"]] = 1.0
    return x


def head_scores(directory: Path, x) -> tuple[list[float], float]:
    import torch
    from safetensors.torch import load_file

    from iacfilter.champion import load_champion
    from iacfilter_plugins.dualhead.model import build_head

    champion = load_champion(directory)
    config = json.loads((directory / "dualhead.json").read_text())
    tensors = load_file(str(directory / "head.safetensors"))
    mean, std = tensors.pop("norm.mean"), tensors.pop("norm.std")
    head = build_head(mean.shape[0], config["head"]["hidden"], config["head"]["dropout"])
    head.load_state_dict({k.removeprefix("mlp."): v for k, v in tensors.items()})
    head.eval()
    with torch.inference_mode():
        p = torch.sigmoid(head((torch.tensor(x, dtype=torch.float32) - mean) / std).squeeze(-1)).tolist()
    return p, champion.threshold


def champion_scores(name: str, examples) -> tuple[list[float], float, float]:
    from iacfilter_plugins.dualhead.variants import champion_scores as scores_of

    model, scores, seconds = scores_of(name, examples, batch_size=16)
    return scores, model.threshold, len(examples) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="labelled JSONL rows with a group key")
    parser.add_argument("--corpus", default=None, help="a real-scanner corpus directory (labels.jsonl + reports)")
    parser.add_argument("--fp", type=int, default=107, help="false positives drawn from --corpus")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--group", default="app")
    parser.add_argument("--base", default=None, help="base for the frozen features (e.g. base:gemma3-270m)")
    parser.add_argument("--features", default=None, help=".npz checkpoint of the features")
    parser.add_argument("--max-prompt", type=int, default=128)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cpu-dtype", default="float32", choices=("float32", "bfloat16"),
                        help="the base's weights on the CPU (bfloat16: what a champion with cpu_dtype bfloat16 reads)")
    parser.add_argument("--champion", action="append", default=[])
    parser.add_argument("--head-of", action="append", default=[], help="frozen-base dual-head champion directory")
    args = parser.parse_args()

    import torch

    from iacfilter.dataset import load_dataset

    torch.set_num_threads(args.threads)
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    if args.corpus:
        rows = corpus_rows(Path(args.corpus), args.fp, args.seed, log)
        chosen = Path(args.features or "features.npz").with_suffix(".rows.jsonl")
        chosen.write_text("".join(json.dumps(r) + "\n" for r in rows))
        examples = load_dataset(chosen)
        args.data = f"{args.corpus} (all TP, {args.fp} FP drawn with seed {args.seed})"
    elif args.data:
        examples = load_dataset(args.data)
    else:
        parser.error("--data or --corpus")
    groups = [str(e.row.get(args.group)) for e in examples]
    labels = [int(e.label) for e in examples]
    result = {"data": args.data, "rows": len(examples), "groups": len(set(groups)), "positives": sum(labels),
              "keep_all": rates(labels, [1] * len(labels)), "results": []}
    for name in args.champion:
        scores, threshold, speed = champion_scores(name, examples)
        result["results"].append({"model": name, "how": "fixed champion at its frozen threshold",
                                  "threshold": threshold, "findings_per_s": round(speed, 2),
                                  "unscored_kept": sum(1 for s in scores if s != s),
                                  **rates(labels, [not s < threshold for s in scores])})  # unscored: kept
        log(json.dumps(result["results"][-1]))
    if args.base:
        started = time.perf_counter()
        x = features(examples, args.base, args.max_prompt, args.batch, Path(args.features or "features.npz"), log,
                     args.cpu_dtype)
        seconds = time.perf_counter() - started
        for directory in args.head_of:
            p, threshold = head_scores(Path(directory), x)
            result["results"].append({"model": directory, "how": "fixed champion (its head on these features) at its "
                                      "frozen threshold", "threshold": threshold,
                                      **rates(labels, [s >= threshold for s in p])})
        probabilities = grouped_cv(x, labels, groups)
        result["results"].append({"model": f"{args.base} frozen + logistic head", "how": "leave-one-group-out CV",
                                  "threshold": 0.5, "feature_seconds_this_run": round(seconds, 1),
                                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                                  **rates(labels, [p >= 0.5 for p in probabilities])})
    probabilities = grouped_cv(rule_features(examples), labels, groups)
    result["results"].append({"model": "rule name only (smell, check) + logistic head", "how": "leave-one-group-out CV",
                              "threshold": 0.5, **rates(labels, [p >= 0.5 for p in probabilities])})
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
