"""The one way a snippet is rendered, at training time and at filter time alike.

Technology plugins choose the context window and may clean lines; the layout is shared so that a model
never sees a format it was not trained on.
"""

from __future__ import annotations

from typing import Sequence

from .findings import Snippet

MAX_LINE_CHARS = 240


def clean(line: str) -> str:
    line = line.strip()
    return line if len(line) <= MAX_LINE_CHARS else line[:MAX_LINE_CHARS] + "…"


def render_snippet(tech: str, smell: str, line: str, before: Sequence[str], after: Sequence[str]) -> Snippet:
    before_c = tuple(c for c in (clean(b) for b in before) if c)
    after_c = tuple(c for c in (clean(a) for a in after) if c)
    flagged = clean(line)
    text = "\n".join(
        [f"{tech} {smell.replace('_', ' ')}", *before_c, f">>> {flagged}", *after_c]
    )
    return Snippet(smell=smell, tech=tech, line=flagged, before=before_c, after=after_c, text=text)


def window(lines: Sequence[str], line_no: int, size: int) -> tuple[str, list[str], list[str]]:
    """The flagged line (1-based) and up to ``size`` lines either side."""
    i = line_no - 1
    return lines[i], list(lines[max(0, i - size) : i]), list(lines[i + 1 : i + 1 + size])
