"""The values that travel through the filter: Finding -> Snippet -> Verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Finding:
    """One scanner result, normalised. ``raw`` keeps the original record for the writer."""

    tool: str  # the scanner, e.g. "GLITCH"
    rule: str  # the scanner's own rule id, e.g. "sec_hard_secr"
    path: str  # the flagged file as the scanner reported it
    line: int | None  # 1-based, or None for file-level findings
    message: str = ""
    code: str = ""  # the flagged code as the scanner reported it ("" if none)
    origin: str = ""  # the input file this finding was read from
    raw: dict[str, Any] = field(default_factory=dict)
    tech: str | None = None  # set by the technology plugin that owns the finding
    smell: str | None = None  # canonical smell name from the rules map, if the rule is known
    # How the smell was found when no rules map lists the rule (a technology inferred it from the rule's words),
    # or why none was: a reviewer reads it in the verdict's reason.
    smell_note: str = ""
    # What a reader extracted for the technology that will own the finding (e.g. an HTTP exchange). The core
    # never looks inside; the reader and the technology plugin agree on its shape.
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Snippet:
    """What a model reads. ``text`` is the rendered input; the other fields are its parts.

    Source-line technologies fill ``line``/``before``/``after``; others leave them empty and put their
    structured parts in ``data`` (backends that understand a technology may read them; ``text`` is for all).
    """

    smell: str
    tech: str
    line: str = ""  # the flagged line, stripped
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    text: str = ""
    data: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


class NoSnippet(Exception):
    """Raised by a technology when a finding carries nothing a model could read; the message says why.

    The finding is kept (verdict ``no-source``), never dropped.
    """


# The name under which a scorer's optional ``explain(snippet)`` gives its intercept (the logit before any
# feature), so that the contributions it gives add up to the logit of its score.
INTERCEPT = "(intercept)"


@dataclass(frozen=True)
class Score:
    """What a scorer may return instead of a bare probability: p(true positive) and the text that led to it."""

    p: float
    rationale: str | None = None
    note: str | None = None  # e.g. "analysis truncated at the budget"


# Verdicts: one set of names, written as they are here in the SARIF (properties.iacfilter.verdict), the run
# summary, --format table/json/html and the docs. Only FILTERED removes a finding from what a user sees; every
# other verdict keeps it, and "reported" counts them all.
KEPT = "kept"  # scored at or above the threshold
FILTERED = "filtered"  # scored below the threshold: likely a false positive
NOT_SCORED = "not-scored"  # no installed model covers this smell / technology
NO_SOURCE = "no-source"  # nothing to read: the flagged file could not (or must not) be read, no exchange, ...
UNSCORED = "unscored"  # a model covers it, but scoring failed or could not decide
VERDICTS = (KEPT, FILTERED, NOT_SCORED, NO_SOURCE, UNSCORED)
MEANINGS = {
    KEPT: "scored at or above the threshold",
    FILTERED: "scored below the threshold (likely a false positive)",
    NOT_SCORED: "kept: no installed model covers its smell or technology",
    NO_SOURCE: "kept: nothing to read (source missing or outside the root, no HTTP exchange)",
    UNSCORED: "kept: the model could not score it",
}


@dataclass(frozen=True)
class Verdict:
    """The decision on one finding, with the reason a reviewer reads."""

    verdict: str
    reason: str
    score: float | None = None
    threshold: float | None = None
    model: str | None = None
    rationale: str | None = None  # a scorer's written analysis, where it gives one

    @property
    def filtered(self) -> bool:
        return self.verdict == FILTERED
