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

import copy
import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any, Sequence

from .errors import IacfilterError
from .findings import Finding, Verdict
from .registry import ScanRun
from .rules import RulesMap

KEY = "iacfilterFinding/v1"
STATES = ("new", "unchanged", "updated", "absent")


def normalise_code(code: str) -> str:
    return " ".join(code.split())


def normalise_path(path: str) -> str:
    posix = path.replace("\\", "/")
    while posix.startswith("./"):
        posix = posix[2:]
    return posix


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


def canonical_rule(finding: Finding, rules: RulesMap) -> str:
    rule = rules.lookup(finding.tool, finding.rule)
    return rule.id if rule else finding.rule


def digest(rule: str, path: str, code: str) -> str:
    return hashlib.sha256(f"{rule}\x00{normalise_path(path)}\x00{code}".encode()).hexdigest()[:32]


def fingerprints(findings: Sequence[Finding], rules: RulesMap, sources=None) -> list[str]:
    """``HASH:N`` per finding, N counting equal hashes in the order of the findings (1-based)."""
    seen: Counter = Counter()
    out = []
    for f in findings:
        h = digest(canonical_rule(f, rules), f.path, flagged_code(f, sources))
        seen[h] += 1
        out.append(f"{h}:{seen[h]}")
    return out


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
            computed = fingerprints(run.findings, rules)
            for finding, fallback in zip(run.findings, computed):
                if (finding.raw.get("baselineState") == "absent"):
                    continue  # already gone in that run
                stored = (finding.raw.get("partialFingerprints") or {}).get(KEY)
                h = (stored if isinstance(stored, str) and stored else fallback).split(":")[0]
                by_hash[h].append((finding.raw, run.driver.get("name", "")))
        return cls(path, dict(by_hash))


def _verdict_of(result: dict) -> str | None:
    return ((result.get("properties") or {}).get("iacfilter") or {}).get("verdict")


def states(prints: Sequence[str], verdicts: Sequence[Verdict], baseline: Baseline) -> tuple[list[str], list[tuple[dict, str]]]:
    """Each finding's baselineState, and the baseline's results no finding matched (absent)."""
    left = {h: list(items) for h, items in baseline.by_hash.items()}
    out = []
    for fp, verdict in zip(prints, verdicts):
        items = left.get(fp.split(":")[0])
        if not items:
            out.append("new")
            continue
        old, _ = items.pop(0)
        before = _verdict_of(old)
        out.append("updated" if before is not None and before != verdict.verdict else "unchanged")
    absent = [item for items in left.values() for item in items]
    return out, absent


def result_slots(runs: Sequence[ScanRun], verdicts: Sequence[Verdict], log: dict[str, Any], mode: str):
    """(run index, result dict or None) per finding: the writer's result for it, None where drop mode left it out."""
    slots = []
    i = 0
    for r, (run, sarif_run) in enumerate(zip(runs, log["runs"])):
        results = iter(sarif_run.get("results") or [])
        for _ in run.findings:
            slots.append((r, None if mode == "drop" and verdicts[i].filtered else next(results)))
            i += 1
        if next(results, None) is not None:
            raise AssertionError("results and findings out of step")
    return slots


def stamp(log: dict[str, Any], runs: Sequence[ScanRun], verdicts: Sequence[Verdict], prints: Sequence[str], mode: str,
          baseline: Baseline | None = None, only_new: bool = False,
          found_states: tuple[list[str], list] | None = None) -> Counter:
    """Write fingerprints (and, against a baseline, baselineState) into the log's results; return state counts.

    ``found_states`` is ``states(prints, verdicts, baseline)`` where the caller has it already."""
    slots = result_slots(runs, verdicts, log, mode)
    if baseline and found_states is None:
        found_states = states(prints, verdicts, baseline)
    counts: Counter = Counter()
    per_run: dict[int, Counter] = defaultdict(Counter)
    drop_ids: set[int] = set()
    for n, ((r, result), fp) in enumerate(zip(slots, prints)):
        state = found_states[0][n] if found_states else None
        if state:
            counts[state] += 1
            per_run[r][state] += 1
        if result is None:
            continue
        result["partialFingerprints"] = {**(result.get("partialFingerprints") or {}), KEY: fp}
        if state:
            result["baselineState"] = state
            if only_new and state != "new":
                drop_ids.add(id(result))
    if drop_ids:
        for sarif_run in log["runs"]:
            if "results" in sarif_run:
                sarif_run["results"] = [x for x in sarif_run["results"] if id(x) not in drop_ids]
    if found_states:
        absent = found_states[1]
        counts["absent"] = len(absent)
        if absent and mode != "drop" and not only_new:
            _add_absent(log, absent, per_run)
        else:
            for _, tool in absent:
                per_run[_run_for(log, tool)]["absent"] += 1
        for r, sarif_run in enumerate(log["runs"]):
            props = sarif_run.setdefault("properties", {}).setdefault("iacfilter", {})
            props["baseline"] = {"file": baseline.origin, "onlyNew": only_new,
                                 **{s: per_run[r][s] for s in STATES}}
    return counts


def _run_for(log: dict[str, Any], tool: str) -> int:
    names = [((run.get("tool") or {}).get("driver") or {}).get("name") for run in log["runs"]]
    return names.index(tool) if tool in names else 0


def _add_absent(log: dict[str, Any], absent, per_run) -> None:
    """Gone results go back into the run of the same tool, as they were, marked absent (ruleIndex dropped:
    it pointed into the old run's rules)."""
    for result, tool in absent:
        r = _run_for(log, tool)
        old = copy.deepcopy(result)
        old.pop("ruleIndex", None)
        if isinstance(old.get("rule"), dict):
            old["rule"].pop("index", None)
        old["baselineState"] = "absent"
        old["suppressions"] = list(old.get("suppressions") or [])
        log["runs"][r].setdefault("results", []).append(old)
        per_run[r]["absent"] += 1


def describe(counts: Counter) -> str:
    return ", ".join(f"{counts[s]} {s}" for s in STATES)
