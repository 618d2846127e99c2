"""What the Ansible, Chef and Puppet plugins share: ownership by file type, and the one snippet layout.

A snippet is the smell, the flagged line and up to ``CONTEXT_LINES`` lines either side, read from the source
file under the source root at filter time, or from a dataset row's ``content``/``context`` at training time:
the same ``render`` lays out both.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Sequence

from iacfilter.findings import Finding, NoSnippet, Snippet
from iacfilter.registry import Technology

CONTEXT_LINES = 3
MAX_LINE_CHARS = 240
NUMBERED = re.compile(r"^\s*(\d+):\s?(.*)$")
FILE_HEADER = re.compile(r"^#\s*\w+ file:\s")
URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+://")


def clean(line: str) -> str:
    line = line.strip()
    return line if len(line) <= MAX_LINE_CHARS else line[:MAX_LINE_CHARS] + "…"


def render(tech: str, smell: str, line: str, before: Sequence[str], after: Sequence[str]) -> Snippet:
    """The one layout: a header naming technology and smell, the context, the flagged line marked ``>>>``."""
    before_c = tuple(c for c in (clean(b) for b in before) if c)
    after_c = tuple(c for c in (clean(a) for a in after) if c)
    flagged = clean(line)
    text = "\n".join([f"{tech} {smell.replace('_', ' ')}", *before_c, f">>> {flagged}", *after_c])
    return Snippet(smell=smell, tech=tech, line=flagged, before=before_c, after=after_c, text=text)


def window(lines: Sequence[str], line_no: int, size: int = CONTEXT_LINES) -> tuple[str, list[str], list[str]]:
    """The flagged line (1-based) and up to ``size`` lines either side."""
    i = line_no - 1
    return lines[i], list(lines[max(0, i - size) : i]), list(lines[i + 1 : i + 1 + size])


def split_context(content: str, context: str, line: int | None, size: int = CONTEXT_LINES) -> tuple[list[str], list[str]]:
    """Lines before and after the flagged line in a dataset row's ``context`` field, whatever its layout."""
    lines = [ln for ln in context.splitlines() if not FILE_HEADER.match(ln)]
    at = None
    for i, ln in enumerate(lines):
        m = NUMBERED.match(ln)
        if m and (line is None or int(m.group(1)) == line) and m.group(2).strip() == content.strip():
            at = i
            break
    if at is None:
        at = next((i for i, ln in enumerate(lines) if ln.strip() == content.strip()), None)
    if at is None:
        return [], []

    def strip_number(ln: str) -> str:
        m = NUMBERED.match(ln)
        return m.group(2) if m else ln

    return ([strip_number(ln) for ln in lines[max(0, at - size) : at]],
            [strip_number(ln) for ln in lines[at + 1 : at + 1 + size]])


def iac_technology(name: str, description: str, suffixes: tuple[str, ...]) -> Technology:
    def owns(finding: Finding) -> bool:
        if URL.match(finding.path):  # a web finding's URL is never a script, whatever it ends with
            return False
        return PurePosixPath(finding.path.replace("\\", "/")).suffix.lower() in suffixes

    def snippet(finding: Finding, sources) -> Snippet:
        if finding.line is None or finding.line < 1:
            raise NoSnippet("file-level finding: no line to score")
        lines, why = sources.lines(finding.path)
        if lines is None:
            raise NoSnippet(why)
        if finding.line > len(lines):
            raise NoSnippet(f"line {finding.line} is past the end of the file ({len(lines)} lines)")
        return render(name, finding.smell, *window(lines, finding.line))

    def example(row: dict) -> Snippet:
        if not isinstance(row.get("content"), str):
            raise ValueError("missing field 'content' (the flagged line)")
        line = row.get("line")
        before, after = split_context(row["content"], str(row.get("context") or ""), line if isinstance(line, int) else None)
        return render(name, row["smell"], row["content"], before, after)

    return Technology(name, description, owns, snippet, example, suffixes)
