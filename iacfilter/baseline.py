"""Baselines: which findings are new since an earlier iacfilter run, by a fingerprint that ignores line numbers.

A finding's fingerprint is a hash of its rule (the rules map's stable id where the rule is known, so GLITCH 1.x
and 2.x names agree), its file and its flagged code with whitespace collapsed: the code the scanner reported,
or else the flagged line read from the source root. Lines added or removed elsewhere, or reformatting of other
lines, leave it unchanged; editing the flagged code makes it a different finding. Equal fingerprints in one
run (the same line twice in a file) are told apart by their order, ``HASH:N`` as in GitHub's own
``primaryLocationLineHash``.

Every SARIF result gets ``partialFingerprints["iacfilterFinding/v1"]`` (SARIF input keeps its own fingerprints
and gains ours) so GitHub's matching across uploads agrees with ``--baseline``. Against a baseline each result
gets ``baselineState``: ``new`` (not in the baseline), ``unchanged`` (same fingerprint, same verdict),
``updated`` (same fingerprint, the verdict changed, e.g. a new model now keeps it), and the baseline's results
that are gone come back with ``absent`` in the annotated (audit) copy only; ``drop`` mode and ``--only-new``
never list them, since code scanning would show them as open alerts.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Sequence

from .errors import IacfilterError
from .findings import Finding
from .records import Decision, classify, normalise_path
from .rules import RulesMap

KEY = "iacfilterFinding/v1"
STATES = ("new", "unchanged", "updated", "absent")


def normalise_code(code: str) -> str:
    return " ".join(code.split())


def flagged_code(finding: Finding, sources=None) -> str:
    """The code a fingerprint is built from: the scanner's, else the flagged source line, else ``@line N``."""
    if finding.code.strip():
        return normalise_code(finding.code)
    if sources is not None and finding.line:
        try:
            lines, _ = sources.lines(finding.path)
        except IacfilterError:
            lines = None
        if lines is not None and finding.line <= len(lines) and lines[finding.line - 1].strip():
            return normalise_code(lines[finding.line - 1])
    return f"@line {finding.line}"


def digest(rule: str, path: str, code: str) -> str:
    return hashlib.sha256(f"{rule}\x00{normalise_path(path)}\x00{code}".encode()).hexdigest()[:32]


def fingerprint(decisions: Sequence[Decision], sources=None) -> None:
    """Set each record's ``HASH:N``, N counting equal hashes in the order of the records (1-based)."""
    seen: Counter = Counter()
    for d in decisions:
        h = digest(d.rule_id, d.finding.path, flagged_code(d.finding, sources))
        seen[h] += 1
        d.fingerprint = f"{h}:{seen[h]}"


@dataclass
class Baseline:
    """The results of an earlier run, by fingerprint hash (in order), with the run each came from."""

    origin: str
    by_hash: dict[str, list[tuple[dict, str]]]  # hash -> [(result, tool name)]

    @classmethod
    def read(cls, path: str, rules: RulesMap) -> "Baseline":
        from .inputs import read_scanner_output

        runs = read_scanner_output(path)
        if any(run.sarif_run is None for run in runs):
            raise IacfilterError(path, "a baseline must be SARIF (an earlier iacfilter output)")
        by_hash: dict[str, list[tuple[dict, str]]] = defaultdict(list)
        for run in runs:
            computed = classify(run.findings, rules, {})
            fingerprint(computed)
            for d in computed:
                if d.finding.raw.get("baselineState") == "absent":
                    continue  # already gone in that run
                stored = (d.finding.raw.get("partialFingerprints") or {}).get(KEY)
                h = (stored if isinstance(stored, str) and stored else d.fingerprint).split(":")[0]
                by_hash[h].append((d.finding.raw, run.driver.get("name", "")))
        return cls(path, dict(by_hash))


@dataclass
class Comparison:
    """A run against a baseline: the baseline, its results no finding matched, and whether only new results
    are reported."""

    baseline: Baseline
    absent: list[tuple[dict, str]] = field(default_factory=list)  # (result, tool name)
    only_new: bool = False

    def counts(self, decisions: Sequence[Decision]) -> Counter:
        counts = Counter(d.baseline_state for d in decisions if d.baseline_state)
        counts["absent"] = len(self.absent)
        return counts


def _verdict_of(result: dict) -> str | None:
    return ((result.get("properties") or {}).get("iacfilter") or {}).get("verdict")


def compare(decisions: Sequence[Decision], baseline: Baseline, only_new: bool = False) -> Comparison:
    """Set each record's baseline state; the baseline's results no record matched are absent."""
    left = {h: list(items) for h, items in baseline.by_hash.items()}
    for d in decisions:
        items = left.get(d.fingerprint.split(":")[0])
        if not items:
            d.baseline_state = "new"
            continue
        old, _ = items.pop(0)
        before = _verdict_of(old)
        d.baseline_state = "updated" if before is not None and before != d.verdict.verdict else "unchanged"
    return Comparison(baseline, [item for items in left.values() for item in items], only_new)


def reported(d: Decision, drop: bool, only_new: bool) -> bool:
    """Whether the output lists a record: drop mode leaves filtered findings out, ``--only-new`` those not new."""
    return not (drop and d.verdict.filtered) and not (only_new and d.baseline_state != "new")


def describe(counts: Counter) -> str:
    return ", ".join(f"{counts[s]} {s}" for s in STATES)
