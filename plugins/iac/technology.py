"""What the Ansible, Chef and Puppet plugins share: ownership by file type, and the one snippet layout.

A snippet is the smell, the flagged line and up to ``CONTEXT_LINES`` lines either side, read from the source
file under the source root at filter time, or from a dataset row's ``content``/``context`` at training time:
the same ``render`` lays out both.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Callable, Sequence

from iacfilter.dataset import RowWarning
from iacfilter.findings import Finding, NoSnippet, Snippet
from iacfilter.validate import split_lines
from iacfilter.registry import Technology

CONTEXT_LINES = 3
MAX_LINE_CHARS = 240
# A dataset row's ``context`` comes in more than one layout (see the data README):
#   plain:   the lines as they are, only the flagged one prefixed with its number ("17: password: x");
#   header:  "# Chef file: x.rb" / "# Target line: 17" header, every line numbered ("  16: ..."), the flagged
#            one marked ">>>" (">>>  17: password: x").
HEADER = re.compile(r"^\s*#\s*(?:\w+\s+)?(?:file|target line)\s*:", re.I)
NUMBERED = re.compile(r"^\s*(?P<marked>>>>)?\s*(?P<no>\d+)\s*[:|]\s?(?P<text>.*)$")
MARKED = re.compile(r"^\s*>>>\s?(?P<text>.*)$")
URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+://")
# GitHub Actions workflows are YAML too: they belong to the github-actions technology, never to Ansible.
WORKFLOW = re.compile(r"(?:^|/)\.github/(?:workflows/[^/]+|actions/(?:[^/]+/)*action)\.ya?ml$", re.I)
# Where a scanner flags a block (checkov: a whole task), the line of the block that carries the smell. Secret
# scanners flag the secret's own line (their region ends on the next line), so secrets keep the flagged line.
ANCHORS = {
    "use_of_http": re.compile(r"http://", re.I),
    "weak_cryptography_algorithms": re.compile(r"md5|sha-?1", re.I),
    "suspicious_comment": re.compile(r"(?:#|//|/\*).*\b(?:todo|fixme|hack|xxx|bug)", re.I),
}
MAX_REGION_LINES = 40
NUMBER_SLACK = 30  # a "N:" prefix this close to the flagged line number is a line number, not the script's text


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


@dataclass(frozen=True)
class Alignment:
    before: list[str]
    after: list[str]
    problem: str | None = None  # why the flagged line could not be (or was only loosely) placed in the context


def _squash(text: str) -> str:
    return " ".join(text.split())


def align_context(content: str, context: str, line: int | None, size: int = CONTEXT_LINES) -> Alignment:
    """Place the flagged line in a dataset row's ``context`` (any layout) and take the lines either side."""
    raw = split_lines(context)
    while raw and (not raw[0].strip() or HEADER.match(raw[0])):  # the header block, never the script's own lines
        raw.pop(0)
    if not any(ln.strip() for ln in raw):
        return Alignment([], [], "no context lines")
    texts, numbers, marked = [], [], []
    for ln in raw:
        m = NUMBERED.match(ln)
        if m and (m.group("marked") or line is None or abs(int(m.group("no")) - line) <= NUMBER_SLACK):
            texts.append(m.group("text"))
            numbers.append(int(m.group("no")))
            marked.append(bool(m.group("marked")))
        else:
            mm = MARKED.match(ln)
            texts.append(mm.group("text") if mm else ln)
            numbers.append(None)
            marked.append(bool(mm))
    want = _squash(content)
    same = [i for i, t in enumerate(texts) if _squash(t) == want]
    at, problem = None, None
    candidates = (
        [i for i in range(len(texts)) if marked[i]],  # the layout says which line it is
        [i for i in same if line is not None and numbers[i] == line],  # number and text agree
        [i for i in range(len(texts)) if line is not None and numbers[i] == line],  # the number alone
    )
    for found in candidates:
        if found:
            at = found[0]
            break
    if at is None and same:
        at = same[0]
        if len(same) > 1:
            problem = f"flagged line occurs {len(same)} times in the context; took the first"
    if at is None:
        return Alignment([], [], "flagged line not found in the context")
    return Alignment(texts[max(0, at - size) : at], texts[at + 1 : at + 1 + size], problem)


def split_context(content: str, context: str, line: int | None, size: int = CONTEXT_LINES) -> tuple[list[str], list[str]]:
    """Lines before and after the flagged line in a dataset row's ``context`` field, whatever its layout."""
    a = align_context(content, context, line, size)
    return a.before, a.after


def region_end(finding: Finding) -> int | None:
    """The last line of the flagged region, where the scanner gave one (a SARIF result's ``region.endLine``)."""
    try:
        end = finding.raw["locations"][0]["physicalLocation"]["region"]["endLine"]
    except (KeyError, IndexError, TypeError):
        return None
    return end if isinstance(end, int) and finding.line is not None and end > finding.line else None


def focus(lines: Sequence[str], finding: Finding) -> int:
    """The flagged line; for a multi-line region, the first line in it that carries the finding's smell."""
    end, anchor = region_end(finding), ANCHORS.get(finding.smell or "")
    if end is None or anchor is None:
        return finding.line
    last = min(end, len(lines), finding.line + MAX_REGION_LINES)
    return next((n for n in range(finding.line, last + 1) if anchor.search(lines[n - 1])), finding.line)


def normalised(path: str) -> str:
    return path.replace("\\", "/")


def iac_technology(name: str, description: str, suffixes: tuple[str, ...],
                   claims: Callable[[str], bool] | None = None) -> Technology:
    """A line-based IaC technology: owns findings on files with ``suffixes`` (or, with ``claims``, the paths it
    accepts), builds snippets from the flagged file's lines."""

    def owns(finding: Finding) -> bool:
        if URL.match(finding.path):  # a web finding's URL is never a script, whatever it ends with
            return False
        path = normalised(finding.path)
        if claims is not None:
            return claims(path)
        return PurePosixPath(path).suffix.lower() in suffixes

    def snippet(finding: Finding, sources) -> Snippet:
        if finding.line is None or finding.line < 1:
            raise NoSnippet("file-level finding: no line to score")
        lines, why = sources.lines(finding.path)
        if lines is None:
            raise NoSnippet(why)
        if finding.line > len(lines):
            raise NoSnippet(f"line {finding.line} is past the end of the file ({len(lines)} lines)")
        return render(name, finding.smell, *window(lines, focus(lines, finding)))

    def example(row: dict) -> Snippet:
        if not isinstance(row.get("content"), str):
            raise ValueError("missing field 'content' (the flagged line)")
        line = row.get("line")
        a = align_context(row["content"], str(row.get("context") or ""), line if isinstance(line, int) else None)
        if a.problem:
            warnings.warn(RowWarning(a.problem))
        return render(name, row["smell"], row["content"], a.before, a.after)

    return Technology(name, description, owns, snippet, example, suffixes)
