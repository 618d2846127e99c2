"""``iacfilter hook``: the pre-commit gate. Scans the changed files (or reads the changed scanner reports), filters
the findings, prints each one kept as ``path:line: rule message (score)`` and fails on those at or above a
severity. The technologies scanned are those of the changed files, nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Sequence

from . import plugins
from .findings import Finding, Verdict
from .rules import RulesMap

# GitHub code scanning's security-severity bands.
SEVERITIES = {"low": 0.1, "medium": 4.0, "high": 7.0, "critical": 9.0}


def hidden(path: str) -> bool:
    """A path in a hidden folder or a hidden file (.git, .github, .pre-commit-config.yaml): never scanned."""
    return any(part.startswith(".") and part not in (".", "..") for part in PurePosixPath(path).parts)


def files_by_technology(files: Sequence[str], techs: dict) -> dict[str, list[str]]:
    """The changed files each technology covers (by its suffixes); files no technology covers are left out."""
    out: dict[str, list[str]] = {}
    for name, tech in sorted(techs.items()):
        mine = [f for f in files if PurePosixPath(f).suffix in tech.suffixes and not hidden(f)
                and Path(f).is_file() and not Path(f).is_symlink()]  # GLITCH never follows symlinks
        if mine:
            out[name] = sorted(set(mine))
    return out


@dataclass(frozen=True)
class Line:
    text: str
    fails: bool


def report_lines(findings: Sequence[Finding], verdicts: Sequence[Verdict], rules: RulesMap,
                 severity: str) -> list[Line]:
    """Kept findings, in path and numeric line order; ``fails`` when at or above ``severity`` (unknown counts)."""
    floor = SEVERITIES[severity]
    out = []
    for f, v in sorted(zip(findings, verdicts), key=lambda fv: (fv[0].path, fv[0].line or 0, fv[0].rule)):
        if v.filtered:
            continue
        rule = rules.lookup(f.tool, f.rule)
        where = f"{f.path}:{f.line}" if f.line else f.path
        message = rule.short if rule else f.message
        score = f"{v.score:.2f}" if v.score is not None else v.verdict.replace("-", " ")
        level = rule.security_severity if rule else None
        out.append(Line(f"{where}: {rule.id if rule else f.rule} {message} ({score})".replace("  ", " "),
                        level is None or level >= floor))
    return out


def technologies() -> dict:
    return {name: t for name, t in plugins.technologies().items() if t.suffixes}
