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


def faithfulness(rationales: Sequence[str | None], about: Sequence[Sequence[str]], verdicts: Sequence[int],
                 labels: Sequence[int] | None = None) -> dict:
    """How far the analyses a model wrote can be trusted as explanations of its verdicts.

    ``names``: the share of analyses that name what their finding is about (any of its ``about`` words: the
    header, cookie, method, file), case-insensitively. ``concludes``: the share that state a conclusion
    (``rationale.conclusion``). ``agrees``: among those, the share whose conclusion is the verdict (1 = TP) the
    decision was made with; ``correct``: the share whose conclusion is the label, where labels are given.
    ``sentences``: the share that read as a sentence (four words or more, not starting in lower case);
    ``complete``: the share that end in a full stop (an analysis may stop mid-clause at its budget)."""
    from iacfilter_plugins.dualhead.rationale import conclusion

    if not rationales:
        raise ValueError("faithfulness needs at least one rationale")
    texts = [r or "" for r in rationales]
    stated = [(i, conclusion(t)) for i, t in enumerate(texts)]
    stated = [(i, c) for i, c in stated if c is not None]
    out = {
        "n": len(texts),
        "names": sum(any(w.lower() in t.lower() for w in words if w) for t, words in zip(texts, about)) / len(texts),
        "sentences": sum(len(t.split()) >= 4 and not t.lstrip()[:1].islower() for t in texts) / len(texts),
        "complete": sum(t.rstrip().endswith(".") for t in texts) / len(texts),
        "concludes": len(stated) / len(texts),
        "agrees": sum((c == "TP") == bool(verdicts[i]) for i, c in stated) / len(stated) if stated else None,
    }
    if labels is not None:
        out["correct"] = sum((c == "TP") == bool(labels[i]) for i, c in stated) / len(stated) if stated else None
    return out
