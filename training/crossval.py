"""Cross-validated thresholds: choose a champion's threshold on out-of-fold scores of train + val.

One validation split of 172 rows makes a threshold (and above all a recall-first one, which hangs on the few
true positives nearest the cut) a matter of that split's luck. ``cross_validate`` pools train and val, splits
them into ``folds`` grouped by script (every finding of one script falls in one fold, so no script is seen in
training and scored in the same fold; train and val share some scripts) and stratified by (technology, smell,
label) as far as the groups allow, trains the backend on all folds but one and scores the one left out. The threshold is chosen on the pooled out-of-fold scores; the per-fold metrics it
reports use, for fold k, the threshold chosen on the other folds' scores (so no fold's metrics saw its own
labels), and their mean and spread are what the candidate table of docs/benchmarks.md shows.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path
from statistics import mean, pstdev
from typing import Callable, Sequence

from iacfilter.errors import needs_extra

from . import metrics as m


def group_of(example, index: int) -> str:
    """The script a finding belongs to: the row's ``group``, else its technology and ``file``, else itself."""
    row = getattr(example, "row", None) or {}
    if row.get("group"):
        return str(row["group"])
    if row.get("file"):
        return f"{example.snippet.tech}:{row['file']}"
    return f"row:{index}"


def grouped_folds(examples: Sequence, folds: int, seed: int) -> list[list[int]]:
    """Indices of each fold: no script in two folds; (tech, smell, label) strata spread as evenly as groups allow."""
    import warnings

    from sklearn.model_selection import StratifiedGroupKFold

    strata = [f"{e.snippet.tech}|{e.snippet.smell}|{e.label}" for e in examples]
    groups = [group_of(e, i) for i, e in enumerate(examples)]
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    with warnings.catch_warnings():  # a stratum smaller than the number of folds cannot be spread over all
        warnings.simplefilter("ignore", UserWarning)
        return [sorted(test.tolist()) for _, test in splitter.split(strata, strata, groups)]


def cross_validate(backend, params: dict, examples: Sequence, *, folds: int = 5, seed: int = 0, grid=None,
                   objective: str = "recall", min_recall: float = 0.95, log: Callable[[str], None] = print,
                   subsets: dict[str, Sequence[int]] | None = None, floor_on: Sequence[str] = ()) -> dict:
    """Out-of-fold scores of ``backend`` trained with ``params``; the threshold and per-fold metrics at it.

    ``subsets`` names groups of rows (e.g. the shipped train + val, a real-repository set): for each, the
    metrics of its out-of-fold decisions, every row judged at the threshold chosen without its own fold. A
    recall-first threshold keeps ``min_recall`` of the real problems of each subset named in ``floor_on``, not
    only of the pool (an easy subset must not buy recall for a hard one)."""
    grid = grid or m.thresholds()
    parts = grouped_folds(examples, folds, seed)
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
    floors = [set((subsets or {})[name]) for name in floor_on]

    def choose(rows: list[int]) -> dict:
        """The objective's threshold on these rows; a recall floor must hold on each subset's rows among them."""
        sweep = m.threshold_sweep([labels[i] for i in rows], [scores[i] for i in rows], grid)
        if objective == "recall" and floors:
            parts = [[i for i in rows if i in f] for f in floors]
            parts = [p for p in parts if any(labels[i] for i in p)]
            for row in sweep:
                row["recall"] = min([row["recall"]] + [m.metrics([labels[i] for i in p], [scores[i] for i in p],
                                                                 row["threshold"])["recall"] for p in parts])
        return m.best_threshold(sweep, objective, min_recall)

    pooled = choose(list(range(len(examples))))
    per_fold = []
    decided = [0] * len(examples)  # each row's keep/filter at the threshold chosen without its fold
    for k, held in enumerate(parts):
        held_set = set(held)
        others = [i for i in range(len(examples)) if i not in held_set]
        t = choose(others)["threshold"]
        fold = m.metrics([labels[i] for i in held], [scores[i] for i in held], t)
        per_fold.append({"threshold": t, **{k2: v for k2, v in fold.items() if k2 != "confusion"}})
        for i in held:
            decided[i] = int(scores[i] >= t)

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
        "out_of_fold": m.decisions([labels[i] for i in range(len(examples))], decided),
        "subsets": {name: m.decisions([labels[i] for i in idx], [decided[i] for i in idx])
                    for name, idx in (subsets or {}).items()},
    }
