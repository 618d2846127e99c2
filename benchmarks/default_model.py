"""The bars of the embedded default (issue 3), measured here and printed as JSON.

- findings scored per second by the default scorer (batch 64), on this machine's cores;
- cold load time: a fresh process loading the default champion (hash check + weights), and the whole
  ``import iacfilter.cli`` + load, best of 5;
- peak RSS of ``iacfilter filter`` on 10,000 findings (a child process, ru_maxrss);
- validation metrics of the default, re-measured with ``iacfilter eval``;
- with --reproduce: rebuild the default from training/configs/default.yaml and compare;
- with --cv K: K-fold cross-validation on the train split with the default's configuration and its frozen
  threshold (a check that the validation figures are not luck of a 172-row split).

    python benchmarks/default_model.py [--findings 10000] [--reproduce] [--cv 5]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def child(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def cross_validate(champion_dir: Path, k: int) -> dict:
    """Stratified K-fold on train.jsonl: fit the default's configuration on K-1 folds, score the last."""
    import random
    import statistics

    import yaml

    from iacfilter import plugins
    from iacfilter.dataset import load_dataset
    from iacfilter_training.metrics import metrics

    manifest = yaml.safe_load((champion_dir / "champion.yaml").read_text())
    params, threshold = manifest["training"]["params"], manifest["threshold"]
    examples = load_dataset(SHARED / "data/glitch-findings/train.jsonl")
    rng = random.Random(0)
    folds: list[list[int]] = [[] for _ in range(k)]
    for label in (0, 1):
        idx = [i for i, e in enumerate(examples) if e.label == label]
        rng.shuffle(idx)
        for n, i in enumerate(idx):
            folds[n % k].append(i)
    backend = plugins.scorers()[manifest["backend"]]
    per_fold = []
    with tempfile.TemporaryDirectory() as tmp:
        for f, held in enumerate(folds):
            held_set = set(held)
            fit = [e for i, e in enumerate(examples) if i not in held_set]
            test = [examples[i] for i in held]
            out = Path(tmp, str(f))
            out.mkdir()
            scores = backend.train(params, fit, test, out, 1, log=lambda m: None)
            per_fold.append(metrics([e.label for e in test], scores, threshold))
    return {"folds": k, "threshold": threshold, "seed": 0,
            **{f"{key}_mean": round(statistics.mean(m[key] for m in per_fold), 4) for key in ("precision", "recall", "f1")},
            **{f"{key}_sd": round(statistics.pstdev(m[key] for m in per_fold), 4) for key in ("precision", "recall", "f1")}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--findings", type=int, default=10_000)
    ap.add_argument("--reproduce", action="store_true", help="also rebuild the default from its config")
    ap.add_argument("--cv", type=int, default=0, metavar="K", help="also K-fold cross-validate on the train split")
    args = ap.parse_args()

    from iacfilter.decide import champion_path
    from iacfilter.dataset import load_dataset
    from iacfilter.decide import load_model

    champion_dir = champion_path("features-default")
    model = load_model(champion_dir)
    val = load_dataset(SHARED / "data/glitch-findings/val.jsonl")
    snippets = [e.snippet for e in val] * (args.findings // len(val) + 1)
    snippets = snippets[: args.findings]
    t0 = time.perf_counter()
    for start in range(0, len(snippets), 64):
        model.scorer.score(snippets[start : start + 64])
    score_s = time.perf_counter() - t0

    load_times = []
    import_load_times = []
    for _ in range(5):
        out = child("import time; from iacfilter.decide import champion_path, load_model; "
                    "d = champion_path('features-default'); t = time.perf_counter(); load_model(d); print(time.perf_counter() - t)")
        load_times.append(float(out))
        t = time.perf_counter()
        child("from iacfilter.decide import load_model; load_model('features-default')")
        import_load_times.append(time.perf_counter() - t)

    rows = (SHARED / "glitch/outputs/puppet-security.csv").read_text().splitlines()
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp, "big.csv")
        csv.write_text("\n".join([rows[0], *(rows[1:][i % (len(rows) - 1)] for i in range(args.findings))]) + "\n")
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "iacfilter", "filter", str(csv), "--source-root",
                        str(SHARED / "glitch/corpus/puppet"), "-o", str(Path(tmp, "o.sarif")), "-q"], check=True)
        filter_s = time.perf_counter() - t
        rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        evaluation = json.loads(subprocess.run([sys.executable, "-m", "iacfilter", "eval", "--json",
                                                str(SHARED / "data/glitch-findings/val.jsonl")],
                                               capture_output=True, text=True, check=True).stdout)
        report = {
            "model": model.id,
            "cores": os.cpu_count(),
            "findings_scored_per_s": round(len(snippets) / score_s),
            "cold_load_s_best_of_5": round(min(load_times), 4),
            "cold_start_import_and_load_s_best_of_5": round(min(import_load_times), 3),
            "filter_10k_findings": {"findings": args.findings, "wall_s": round(filter_s, 2),
                                    "peak_rss_mb": round(rss_mb, 1), "rss_before_mb": round(before / 1024, 1)},
            "size_on_disk_mb": round(dir_size(champion_dir) / 2**20, 2),
            "val": {k: round(evaluation[k], 4) for k in ("precision", "recall", "f1", "fp_removed", "tp_kept")},
            "threshold": evaluation["threshold"],
        }
        if args.reproduce:
            t = time.perf_counter()
            out_dir = Path(tmp, "rebuilt")
            subprocess.run([sys.executable, "-m", "iacfilter", "champion", "build", "--config",
                            str(REPO / "training/configs/default.yaml"), "--run-dir", str(Path(tmp, "run")),
                            "-o", str(out_dir), "--name", "features-default", "--jobs", str(os.cpu_count() or 1)],
                           check=True, capture_output=True, cwd=REPO)
            import yaml

            rebuilt = yaml.safe_load((out_dir / "champion.yaml").read_text())
            shipped = yaml.safe_load((champion_dir / "champion.yaml").read_text())
            report["reproduce"] = {
                "wall_s": round(time.perf_counter() - t, 1),
                "same_threshold": rebuilt["threshold"] == shipped["threshold"],
                "same_val_f1": rebuilt["metrics"]["at_threshold"]["f1"] == shipped["metrics"]["at_threshold"]["f1"],
                "same_weights_sha256": rebuilt["files"] == shipped["files"],
            }
    if args.cv:
        report["cross_validation"] = cross_validate(champion_dir, args.cv)
    import yaml

    from iacfilter_training.behaviour import load_suite, run_suite

    behaviour = run_suite(load_suite(REPO / "tests" / "behaviour"), model.scorer.score, model.threshold)
    report["behaviour_suite"] = {"passed": behaviour["passed"], "n": behaviour["n"], "rate": round(behaviour["rate"], 4),
                                 **{half: round(r["rate"], 4) for half, r in behaviour["per_half"].items()}}
    cv = yaml.safe_load((champion_dir / "champion.yaml").read_text())["metrics"].get("cross_validation") or {}
    report["threshold_cross_validated"] = cv
    bars = {"f1>=0.82": report["val"]["f1"] >= 0.82, "recall>=0.85": report["val"]["recall"] >= 0.85,
            "cv_recall_mean>=0.95": (cv.get("recall") or {}).get("mean", 0) >= 0.95,
            "cv_f1_mean>=0.85": (cv.get("f1") or {}).get("mean", 0) >= 0.85,
            "behaviour>=0.95": behaviour["rate"] >= 0.95, "size<=25MB": report["size_on_disk_mb"] <= 25,
            "findings/s>=200": report["findings_scored_per_s"] >= 200, "cold_load<=1s": report["cold_load_s_best_of_5"] <= 1.0,
            "peak_rss<=500MB": report["filter_10k_findings"]["peak_rss_mb"] <= 500}
    report["bars_met"] = bars
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
