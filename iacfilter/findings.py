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


@dataclass(frozen=True)
class Snippet:
    """What a model reads. ``text`` is the rendered input; the other fields are its parts."""

    smell: str
    tech: str
    line: str  # the flagged line, stripped
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    text: str = ""


# Verdicts. Only FILTERED removes a finding from what a user sees; every other verdict keeps it.
KEPT = "kept"
FILTERED = "filtered"
NOT_SCORED = "not-scored"  # the model was not trained on this smell / technology
NO_SOURCE = "no-source"  # the flagged file could not (or must not) be read
UNSCORED = "unscored"  # the scorer failed on this finding
VERDICTS = (KEPT, FILTERED, NOT_SCORED, NO_SOURCE, UNSCORED)


@dataclass(frozen=True)
class Verdict:
    """The decision on one finding, with the reason a reviewer reads."""

    verdict: str
    reason: str
    score: float | None = None
    threshold: float | None = None
    model: str | None = None

    @property
    def filtered(self) -> bool:
        return self.verdict == FILTERED
