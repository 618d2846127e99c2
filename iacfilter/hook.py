"""``iacfilter hook``: the pre-commit gate. Scans the changed files (or reads the changed scanner reports), filters
the findings, prints each one kept as ``path:line: rule message (score)`` and fails on those at or above a
severity. The technologies scanned are those of the changed files, nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Sequence

from . import plugins
from .findings import Finding
from .records import Decision, owner

# GitHub code scanning's security-severity bands.
SEVERITIES = {"low": 0.1, "medium": 4.0, "high": 7.0, "critical": 9.0}


def hidden(path: str) -> bool:
    """A path in a hidden folder or a hidden file (.git, .github, .pre-commit-config.yaml): never scanned."""
    return any(part.startswith(".") and part not in (".", "..") for part in PurePosixPath(path).parts)


def files_by_technology(files: Sequence[str], techs: dict) -> dict[str, list[str]]:
    """The changed files by the technology that owns them (as ``filter`` decides ownership, the first by name
    whose ``owns`` accepts the path, among those whose suffixes GLITCH scans); other files are left out."""
    out: dict[str, list[str]] = {}
    for f in sorted(set(files)):
        if hidden(f) or not Path(f).is_file() or Path(f).is_symlink():  # GLITCH never follows symlinks
            continue
        tech = owner(techs, Finding(tool="", rule="", path=f, line=None))
        if tech is not None and PurePosixPath(f).suffix in techs[tech].suffixes:
            out.setdefault(tech, []).append(f)
    return out


@dataclass(frozen=True)
class Line:
    text: str
    fails: bool


def report_lines(decisions: Sequence[Decision], severity: str) -> list[Line]:
    """Kept findings, in path and numeric line order; ``fails`` when at or above ``severity`` (unknown counts)."""
    floor = SEVERITIES[severity]
    out = []
    for d in sorted(decisions, key=lambda d: (d.finding.path, d.finding.line or 0, d.finding.rule)):
        f, v, rule = d.finding, d.verdict, d.rule
        if v.filtered:
            continue
        where = f"{f.path}:{f.line}" if f.line else f.path
        message = rule.short if rule else f.message
        score = f"{v.score:.2f}" if v.score is not None else v.verdict
        level = rule.security_severity if rule else None
        out.append(Line(f"{where}: {rule.id if rule else f.rule} {message} ({score})".replace("  ", " "),
                        level is None or level >= floor))
    return out


def technologies() -> dict:
    return {name: t for name, t in plugins.technologies().items() if t.suffixes}
