"""Metrics of a model that writes before it decides: does it keep to its budget, and does more budget help?

``control``: the share of generations whose length (tokens the model wrote before ending its analysis on its own)
lies inside ``[low, high]``. With a budget of N the dual-head scorer generates N + 1 tokens at most, so a
generation that did not end within the budget has length N + 1 and falls outside ``[min, N]``.

``scaling``: the mean over every pair of budgets a < b of (F1(b) - F1(a)) / (b - a): the F1 gained per extra
token of budget (positive: more budget helps; 0: the budget does not matter).
"""

from __future__ import annotations

from itertools import combinations
from typing import Mapping, Sequence


def control(lengths: Sequence[int], low: int, high: int) -> float:
    if low > high:
        raise ValueError(f"control needs low <= high, not [{low}, {high}]")
    if not lengths:
        raise ValueError("control needs at least one generation")
    return sum(1 for n in lengths if low <= n <= high) / len(lengths)


def scaling(f1_by_budget: Mapping[int, float]) -> float:
    budgets = sorted(f1_by_budget)
    pairs = list(combinations(budgets, 2))
    if not pairs:
        raise ValueError("scaling needs F1 at two budgets at least")
    return sum((f1_by_budget[b] - f1_by_budget[a]) / (b - a) for a, b in pairs) / len(pairs)
