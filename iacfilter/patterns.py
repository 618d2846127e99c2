"""``--include`` / ``--exclude`` in advanced-security/filter-sarif's pattern syntax, applied before scoring.

A pattern is ``[+|-]FILE_GLOB[:RULE_GLOB]``: ``+`` (or no sign) includes, ``-`` excludes; later patterns
override earlier ones and every finding is included when no pattern matches. In globs ``/`` is the only
separator, ``*`` matches anything but ``/``, ``**`` matches any number of whole path segments and may only
stand between separators (``**/x``, ``a/**/b``, ``a/**``, ``**``); ``\\`` escapes ``+``, ``-``, ``\\`` and ``:``.
The rule glob matches the scanner's rule code or the stable rule id iacfilter reports (``sec_hard_pass`` or
``IAC-HARD-CODED-PASSWORD``); without one a pattern applies to every rule. Excluded findings are left out of
the output (as filter-sarif removes them), never scored; the patterns and the number they excluded are
recorded in each run's ``properties.iacfilter.patterns``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from .errors import IacfilterError
from .findings import Finding
from .records import Decision, normalise_path
from .rules import RulesMap


@dataclass(frozen=True)
class Pattern:
    text: str
    include: bool
    file: re.Pattern
    rule: re.Pattern


def glob_regex(glob: str, where: str) -> re.Pattern:
    """filter-sarif's glob as a regular expression over the whole string."""
    parts = glob.split("/")
    out = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part == "**":
            out.append(".*" if last else "(?:.*/)?")
            continue
        if "**" in part:
            raise IacfilterError(where, f"'**' may only stand between separators ('**/x', 'a/**'), not in {part!r}")
        out.append("[^/]*".join(re.escape(piece) for piece in part.split("*")) + ("" if last else "/"))
    return re.compile("^" + "".join(out) + "$", re.DOTALL)


def split_pattern(line: str, where: str) -> tuple[bool, str, str]:
    """(include, file glob, rule glob) of one pattern line, honouring backslash escapes."""
    include = True
    if line[:1] in "+-":
        include, line = line[0] == "+", line[1:]
    pieces, current, escaped = [], [], False
    for ch in line:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == ":" and len(pieces) < 2:
            pieces.append("".join(current))
            current = []
        else:
            current.append(ch)
    if escaped:
        raise IacfilterError(where, "pattern ends with a lone backslash")
    pieces.append("".join(current))
    if len(pieces) == 3:  # filter-sarif's optional message pattern: not supported here
        raise IacfilterError(where, "message patterns (a second ':') are not supported; escape ':' as '\\:'")
    file_glob = pieces[0]
    rule_glob = pieces[1] if len(pieces) > 1 and pieces[1] else "**"
    if not file_glob:
        raise IacfilterError(where, "empty file pattern")
    return include, file_glob, rule_glob


def parse(line: str, where: str = "pattern") -> Pattern:
    where = f"{where} {line!r}"
    include, file_glob, rule_glob = split_pattern(line, where)
    return Pattern(line, include, glob_regex(file_glob, where), glob_regex(rule_glob, where))


def read_patterns(includes: Sequence[str] = (), excludes: Sequence[str] = (), files: Sequence[str] = ()) -> list[Pattern]:
    """Patterns from pattern files (one per line; '#' comments), then --exclude (-), then --include (+): an
    include can take back what an exclude left out. For any other order, write the patterns in a file."""
    from .inputs import read_text_file

    patterns = []
    for path in files:
        for number, raw in enumerate(read_text_file(path, what="pattern").splitlines(), start=1):
            line = raw.strip()
            if line and not line.startswith("#"):
                patterns.append(parse(line, f"{path}: line {number}:"))
    patterns += [parse(p if p.startswith("-") else "-" + p.removeprefix("+"), "--exclude") for p in excludes]
    patterns += [parse(p if p.startswith("+") else "+" + p.removeprefix("-"), "--include") for p in includes]
    return patterns


def keeps(d: Decision, patterns: Sequence[Pattern]) -> bool:
    """The last pattern matching the record's path and rule (scanner code or stable id) decides; no match keeps."""
    names = [d.finding.rule] + ([d.rule.id] if d.rule else [])
    path = normalise_path(d.finding.path)
    keep = True
    for p in patterns:
        if p.file.match(path) and any(p.rule.match(n) for n in names):
            keep = p.include
    return keep


def included(finding: Finding, patterns: Sequence[Pattern], rules: RulesMap | None = None) -> bool:
    """:func:`keeps` for a finding not yet classified."""
    return keeps(Decision(finding, rules.lookup(finding.tool, finding.rule) if rules else None, None), patterns)


def apply(decisions: Sequence[Decision], patterns: Sequence[Pattern], runs: int) -> tuple[list[Decision], list[int]]:
    """The records the patterns keep, and how many each of the ``runs`` input runs lost to them."""
    kept, excluded = [], [0] * runs
    for d in decisions:
        if keeps(d, patterns):
            kept.append(d)
        else:
            excluded[d.run] += 1
    return kept, excluded
