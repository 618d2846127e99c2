"""Binary metrics for a filter: what it keeps of the real problems and what it removes of the noise."""

from __future__ import annotations

from collections import defaultdict
from typing import Sequence


def confusion(labels: Sequence[int], scores: Sequence[float], threshold: float) -> dict[str, int]:
    """Kept (p >= threshold) counts as predicted TP."""
    c = {"tp": 0, "fp": 0, "tn": 0, "fn": 0}
    for y, p in zip(labels, scores):
        kept = p >= threshold
        c[("tp" if y else "fp") if kept else ("fn" if y else "tn")] += 1
    return c


def from_confusion(c: dict[str, int]) -> dict[str, float]:
    tp, fp, tn, fn = c["tp"], c["fp"], c["tn"], c["fn"]
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    n = tp + fp + tn + fn
    return {
        "precision": precision, "recall": recall, "f1": f1,
        "accuracy": (tp + tn) / n if n else 0.0,
        "fp_removed": tn / (tn + fp) if tn + fp else 0.0,  # share of FP rows filtered
        "tp_kept": recall,  # share of TP rows kept
        "n": n, "confusion": dict(c),
    }


def metrics(labels, scores, threshold: float) -> dict[str, float]:
    return from_confusion(confusion(labels, scores, threshold))


def decisions(labels: Sequence[int], kept: Sequence[int]) -> dict[str, float]:
    """Metrics of keep (1) / filter (0) decisions already made, each at its own threshold."""
    return from_confusion(confusion(labels, kept, 0.5))


def grouped(labels, scores, groups: Sequence[str], threshold: float) -> dict[str, dict]:
    by: dict[str, tuple[list, list]] = defaultdict(lambda: ([], []))
    for y, p, g in zip(labels, scores, groups):
        by[g][0].append(y)
        by[g][1].append(p)
    return {g: metrics(ys, ps, threshold) for g, (ys, ps) in sorted(by.items())}


def thresholds(start: float = 0.30, stop: float = 0.70, step: float = 0.01) -> list[float]:
    count = int(round((stop - start) / step)) + 1
    return [round(start + i * step, 6) for i in range(count)]


def threshold_sweep(labels, scores, grid: Sequence[float]) -> list[dict]:
    return [{"threshold": t, **{k: v for k, v in metrics(labels, scores, t).items() if k != "confusion"}} for t in grid]


OBJECTIVES = ("f1", "recall")


def best_threshold(sweep: list[dict], objective: str = "f1", min_recall: float = 0.95) -> dict:
    """The threshold a champion is frozen at.

    ``f1``: highest F1. ``recall`` (recall-first): the highest precision among thresholds that keep at least
    ``min_recall`` of the true positives (F1 breaks ties); when none does, the one with the highest recall.
    Ties go to the lower threshold (keep more real problems).
    """
    if objective == "f1":
        return max(sweep, key=lambda row: (round(row["f1"], 12), -row["threshold"]))
    if objective != "recall":
        raise ValueError(f"threshold objective must be one of {OBJECTIVES}, not {objective!r}")
    feasible = [row for row in sweep if row["recall"] >= min_recall - 1e-12]
    if not feasible:
        return max(sweep, key=lambda row: (round(row["recall"], 12), round(row["precision"], 12), -row["threshold"]))
    return max(feasible, key=lambda row: (round(row["precision"], 12), round(row["f1"], 12), -row["threshold"]))


def pr_curve(labels, scores) -> list[tuple[float, float, float]]:
    """(threshold, precision, recall) at every distinct score."""
    return [(t, m["precision"], m["recall"]) for t in sorted(set(scores)) for m in [metrics(labels, scores, t)]]


def best_f1(labels: Sequence[int], scores: Sequence[float]) -> float:
    """F1 at the best threshold of the pipeline's sweep (what a backend's early stopping watches)."""
    return best_threshold(threshold_sweep(labels, scores, thresholds()))["f1"]
