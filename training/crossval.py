"""Cross-validated thresholds: choose a champion's threshold on out-of-fold scores of train + val.

One validation split of 172 rows makes a threshold (and above all a recall-first one, which hangs on the few
true positives nearest the cut) a matter of that split's luck. ``cross_validate`` pools train and val, splits
them into ``folds`` stratified by (technology, smell, label), trains the backend on all folds but one and
scores the one left out. The threshold is chosen on the pooled out-of-fold scores; the per-fold metrics it
reports use, for fold k, the threshold chosen on the other folds' scores (so no fold's metrics saw its own
labels), and their mean and spread are what the README's candidate table shows.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path
from statistics import mean, pstdev
from typing import Callable, Sequence

from iacfilter.errors import needs_extra

from . import metrics as m


def stratified_folds(examples: Sequence, folds: int, seed: int) -> list[list[int]]:
    """Indices of each fold; every (tech, smell, label) stratum is spread evenly over the folds."""
    strata: dict[tuple, list[int]] = {}
    for i, e in enumerate(examples):
        strata.setdefault((e.snippet.tech, e.snippet.smell, e.label), []).append(i)
    rng = random.Random(seed)
    out: list[list[int]] = [[] for _ in range(folds)]
    offset = 0
    for key in sorted(strata):
        idx = strata[key][:]
        rng.shuffle(idx)
        for j, i in enumerate(idx):
            out[(j + offset) % folds].append(i)
        offset += len(idx)
    return [sorted(f) for f in out]


def cross_validate(backend, params: dict, examples: Sequence, *, folds: int = 5, seed: int = 0, grid=None,
                   objective: str = "recall", min_recall: float = 0.95, log: Callable[[str], None] = print) -> dict:
    """Out-of-fold scores of ``backend`` trained with ``params``; the threshold and per-fold metrics at it."""
    grid = grid or m.thresholds()
    parts = stratified_folds(examples, folds, seed)
    scores = [0.0] * len(examples)
    labels = [e.label for e in examples]
    for k, held in enumerate(parts):
        held_set = set(held)
        train = [e for i, e in enumerate(examples) if i not in held_set]
        test = [examples[i] for i in held]
        with tempfile.TemporaryDirectory(prefix="iacfilter-cv-") as tmp:
            with needs_extra(backend.extra):
                fold_scores = backend.train(dict(params), train, test, Path(tmp), seed, lambda msg: None)
        for i, p in zip(held, fold_scores):
            scores[i] = float(p)
        log(f"cross-validation: fold {k + 1}/{folds} scored ({len(test)} rows)")
    pooled = m.best_threshold(m.threshold_sweep(labels, scores, grid), objective, min_recall)
    per_fold = []
    for k, held in enumerate(parts):
        held_set = set(held)
        others = [i for i in range(len(examples)) if i not in held_set]
        t = m.best_threshold(m.threshold_sweep([labels[i] for i in others], [scores[i] for i in others], grid),
                             objective, min_recall)["threshold"]
        fold = m.metrics([labels[i] for i in held], [scores[i] for i in held], t)
        per_fold.append({"threshold": t, **{k2: v for k2, v in fold.items() if k2 != "confusion"}})

    def spread(key):
        values = [f[key] for f in per_fold]
        return {"mean": mean(values), "sd": pstdev(values)}

    return {
        "folds": folds, "seed": seed, "n": len(examples), "objective": objective,
        **({"min_recall": min_recall} if objective == "recall" else {}),
        "threshold": pooled["threshold"],
        "at_threshold": m.metrics(labels, scores, pooled["threshold"]),
        "f1": spread("f1"), "recall": spread("recall"), "precision": spread("precision"),
        "per_fold": per_fold, "scores": scores, "labels": labels,
    }
