"""Speed and size of candidate champions, for the candidate table of docs/models.md.

For each champion directory: validation metrics (``iacfilter eval``), findings scored per second on the
validation snippets (batch 64, this machine's cores), cold load time in a fresh process (best of 3), and size
on disk.

    python benchmarks/candidates.py CHAMPION_DIR [CHAMPION_DIR ...] [--repeat 3]

With ``--config SWEEP.yaml`` it instead trains each candidate of a sweep config (``candidates`` over ``base``)
and prints, per candidate: the recall-first threshold and F1/recall cross-validated on train + val (5 folds,
mean and spread over folds and over ``--seeds`` fold shuffles; folds grouped by script), the out-of-fold
precision/recall/F1 of every row at the threshold chosen without its fold, overall and per dataset file (the
shipped train + val, a real-repository set), validation F1/recall at that threshold (trained on train), the
behaviour suite's pass rate (all, its held-out half, and the real problems it lost there), findings/s and size:

    python benchmarks/candidates.py --config training/configs/default_candidates.yaml --seeds 1,2,3,4,5
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"
VAL = SHARED / "data/glitch-findings/val.jsonl"

LOAD = ("import sys, time; from iacfilter.decide import load_model; t = time.perf_counter(); "
        "load_model(sys.argv[1]); print(time.perf_counter() - t)")


def measure(directory: Path, repeat: int) -> dict:
    from iacfilter.dataset import load_dataset
    from iacfilter.decide import load_model

    model = load_model(directory)
    snippets = [e.snippet for e in load_dataset(VAL)] * 4
    model.scorer.score(snippets[:8])  # warm-up
    t0 = time.perf_counter()
    for start in range(0, len(snippets), 64):
        model.scorer.score(snippets[start : start + 64])
    per_s = len(snippets) / (time.perf_counter() - t0)
    loads = [float(subprocess.run([sys.executable, "-c", LOAD, str(directory)], capture_output=True, text=True,
                                  check=True).stdout) for _ in range(repeat)]
    evaluation = json.loads(subprocess.run([sys.executable, "-m", "iacfilter", "eval", "--json", "--model",
                                            str(directory), str(VAL)], capture_output=True, text=True,
                                           check=True).stdout)
    return {
        "model": model.id, "backend": model.champion.backend, "threshold": model.threshold,
        "val_f1": round(evaluation["f1"], 4), "val_recall": round(evaluation["recall"], 4),
        "findings_per_s": round(per_s), "cold_load_s": round(min(loads), 3),
        "size_mb": round(sum(p.stat().st_size for p in directory.rglob("*") if p.is_file()) / 2**20, 1),
    }


def measure_config(config: dict, seeds: list[int], folds: int) -> dict:
    """Cross-validate, train, and run the behaviour suite for one candidate trial config."""
    import tempfile
    from statistics import mean, pstdev

    from iacfilter import plugins
    from iacfilter.dataset import load_dataset
    from iacfilter_training import metrics as m
    from iacfilter_training.behaviour import load_suite, run_suite
    from iacfilter_training.crossval import cross_validate

    backend = plugins.scorers()[config["backend"]]
    params = dict(config.get("params") or {})
    choice = dict(config.get("thresholds") or {})
    objective, min_recall = choice.pop("objective", "recall"), float(choice.pop("min_recall", 0.95))
    choice.pop("cv", None)
    grid = m.thresholds(**{"start": 0.05, "stop": 0.95, "step": 0.01, **choice})
    from iacfilter_training.trial import dataset_subsets, floor_subsets

    train_files = config["train"] if isinstance(config["train"], list) else [config["train"]]
    parts = [load_dataset(f) for f in train_files]
    train, val = [e for p in parts for e in p], load_dataset(config["val"])
    subsets = dataset_subsets(train_files, [len(p) for p in parts], len(val))
    runs = [cross_validate(backend, params, train + val, folds=folds, seed=s, grid=grid, objective=objective,
                           min_recall=min_recall, log=lambda msg: None, subsets=subsets,
                           floor_on=floor_subsets(train_files)) for s in seeds]
    f1s = [f["f1"] for r in runs for f in r["per_fold"]]
    recalls = [f["recall"] for r in runs for f in r["per_fold"]]
    threshold = sorted(r["threshold"] for r in runs)[len(runs) // 2]  # the median seed's choice
    cases = load_suite(Path(__file__).resolve().parents[1] / "tests" / "behaviour")
    with tempfile.TemporaryDirectory() as tmp:
        val_scores = backend.train(params, train, val, Path(tmp), seeds[0], lambda msg: None)

        class Champion:
            path, name, backend = Path(tmp), config.get("name", "candidate"), config["backend"]

        model = backend.load(Champion, {})
        snippets = [e.snippet for e in val] * 4
        t0 = time.perf_counter()
        for start in range(0, len(snippets), 64):
            model.score(snippets[start : start + 64])
        per_s = len(snippets) / (time.perf_counter() - t0)
        behaviour = run_suite(cases, model.score, threshold)
        size = sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file()) / 2**20
    at = m.metrics([e.label for e in val], val_scores, threshold)

    def oof(name):  # each row decided at the threshold chosen without its fold; mean over the fold shuffles
        rows = [r["subsets"][name] if name else r["out_of_fold"] for r in runs]
        return {k: round(mean(x[k] for x in rows), 3) for k in ("precision", "recall", "f1")} | {"n": rows[0]["n"]}

    held_out_tp_lost = [f["id"] for f in behaviour["failures"] if f["half"] == "held-out" and f["expect"] == "TP"]
    return {
        "name": config.get("name"), "params": params, "threshold": threshold,
        "cv_f1": f"{mean(f1s):.3f} ± {pstdev(f1s):.3f}", "cv_recall": f"{mean(recalls):.3f} ± {pstdev(recalls):.3f}",
        "cv_f1_per_seed": [round(mean(f["f1"] for f in r["per_fold"]), 3) for r in runs],
        "val_f1": round(at["f1"], 3), "val_recall": round(at["recall"], 3),
        "behaviour": f"{behaviour['passed']}/{behaviour['n']} ({behaviour['rate']:.1%})",
        "behaviour_held_out": f"{behaviour['per_half']['held-out']['rate']:.1%}",
        "behaviour_held_out_real_problems_lost": held_out_tp_lost,
        "cv_out_of_fold": {"all": oof(None), **{name: oof(name) for name in subsets}},
        "findings_per_s": round(per_s), "size_mb": round(size, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("champions", nargs="*", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--config", type=Path, help="sweep config whose candidates to cross-validate and measure")
    ap.add_argument("--seeds", default="1,2,3", help="fold shuffles for --config (comma-separated)")
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args()
    if args.config:
        import yaml

        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from iacfilter_training.sweep import _merge

        sweep = yaml.safe_load(args.config.read_text())
        seeds = [int(s) for s in args.seeds.split(",")]
        for candidate in sweep["candidates"]:
            config = _merge(sweep.get("base") or {}, candidate)
            print(json.dumps(measure_config(config, seeds, args.folds)), flush=True)
        return
    if not args.champions:
        ap.error("give CHAMPION_DIR ... or --config SWEEP.yaml")
    print(json.dumps([measure(d, args.repeat) for d in args.champions], indent=2))


if __name__ == "__main__":
    main()
