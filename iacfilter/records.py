"""The record one finding travels as, from the reader to the writer.

:func:`classify` makes one :class:`Decision` per finding, once: the rule the rules map knows it by, and the
technology that owns it. Scoring fills in the verdict, the baseline step the fingerprint and baseline state,
and the SARIF writer reads nothing else. No list is kept in step with another.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

from .errors import IacfilterError
from .findings import Finding, Verdict
from .registry import Technology
from .rules import Rule, RulesMap


@dataclass(eq=False)
class Decision:
    """One finding and everything decided about it."""

    finding: Finding
    rule: Rule | None  # the rules map's entry for the scanner's rule, None when the map does not know it
    technology: str | None  # the technology plugin that owns the finding, None when none does
    run: int = 0  # index of the input run (ScanRun) the finding was read from
    verdict: Verdict | None = None  # set by decide()
    fingerprint: str = ""  # ``HASH:N``, set by baseline.fingerprint()
    baseline_state: str | None = None  # new, unchanged or updated, set by baseline.compare()

    @property
    def rule_id(self) -> str:
        """The stable rule id where the rules map knows the rule, else the scanner's own."""
        return self.rule.id if self.rule else self.finding.rule


def normalise_path(path: str) -> str:
    """A flagged path as patterns, fingerprints and ``PATH:LINE`` selectors compare it: ``/`` separators, no
    leading ``./``."""
    posix = path.replace("\\", "/")
    while posix.startswith("./"):
        posix = posix[2:]
    return posix


def technology(techs: Mapping[str, Technology], name: str) -> Technology:
    """The technology a user named (``--tech``), or a one-line error listing the known ones."""
    if name not in techs:
        raise IacfilterError(f"--tech {name}", f"no such technology (known: {', '.join(sorted(techs))})")
    return techs[name]


def owner(techs: Mapping[str, Technology], finding: Finding) -> str | None:
    """The technology that owns a finding: the first by name whose ``owns`` accepts it."""
    return next((name for name, t in sorted(techs.items()) if t.owns(finding)), None)


def classify(findings: Sequence[Finding], rules: RulesMap, techs: Mapping[str, Technology],
             forced: str | None = None, *, run: int = 0,
             recorded: Sequence[Mapping] | None = None) -> list[Decision]:
    """One record per finding: its rule and its technology (``forced`` when given, else what ``recorded`` says,
    else the owner). ``recorded`` holds, per finding, what an earlier iacfilter run wrote of it (``smell``,
    ``technology``). The finding's ``smell`` and ``tech`` are set too: technologies read them."""
    if forced is not None:
        technology(techs, forced)
    out = []
    for i, f in enumerate(findings):
        rule = rules.lookup(f.tool, f.rule)
        before = recorded[i] if recorded is not None else {}
        f.smell = before.get("smell") or (rule.smell if rule else None)
        f.tech = forced or before.get("technology") or owner(techs, f)
        tech = techs.get(f.tech) if f.tech else None
        if f.smell is None and tech is not None and tech.infer_smell is not None:  # open world: no map lists it
            f.smell, f.smell_note = tech.infer_smell(f)
        out.append(Decision(f, rule, f.tech, run))
    return out


def share_context(findings: Sequence[Finding], techs: Mapping[str, Technology]) -> None:
    """Let each technology see all findings of one run it owns (every input of one call) before any is scored."""
    for name, tech in sorted(techs.items()):
        if tech.context is not None:
            mine = [f for f in findings if f.tech == name]
            if mine:
                tech.context(mine)
