"""SARIF 2.1.0 out: converted runs for CSV-like input, verbatim runs for SARIF input, every result annotated.

``annotate`` keeps every result: filtered ones carry an external, accepted suppression; the others an empty
list (the spec wants all or none in a run). ``drop`` leaves filtered results out, for GitHub code scanning,
which ignores suppressions.
"""

from __future__ import annotations

import copy
import gzip
import json
import math
import re
from collections import Counter, defaultdict
from pathlib import Path, PurePosixPath
from typing import Any, Mapping, Sequence
from urllib.parse import quote

from . import __version__
from .baseline import KEY, STATES, Comparison, reported
from .findings import Finding, Verdict
from .records import Decision
from .registry import ScanRun, Technology
from .rules import Rule

SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
GITHUB_MAX_RESULTS_PER_RUN = 25_000
GITHUB_MAX_GZIP_BYTES = 10 * 1024 * 1024
MODES = ("annotate", "drop")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def rule_descriptor(rule: Rule) -> dict[str, Any]:
    tags = ["security", *(f"external/cwe/{c.lower()}" for c in rule.cwe)]
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.short},
        "fullDescription": {"text": rule.help},
        "help": {"text": f"{rule.help}\n\n{', '.join(rule.cwe)}", "markdown": f"{rule.help}\n\n{_cwe_links(rule.cwe)}"},
        "defaultConfiguration": {"level": rule.level},
        "properties": {
            "tags": tags,
            "security-severity": f"{rule.security_severity:.1f}",
            "precision": "medium",
            "smell": rule.smell,
            "scanner-code": rule.code,
        },
    }


def _cwe_links(cwes: Sequence[str]) -> str:
    return ", ".join(f"[{c}](https://cwe.mitre.org/data/definitions/{c.split('-')[1]}.html)" for c in cwes)


def _unknown_descriptor(finding: Finding) -> dict[str, Any]:
    short = finding.message.split(" - ")[0] if finding.message else finding.rule
    return {"id": finding.rule, "shortDescription": {"text": short or finding.rule}}


def artifact_uri(path: str) -> dict[str, str]:
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]+://", path):  # already a URI (a web finding's URL): kept as it is
        return {"uri": path}
    posix = path.replace("\\", "/")
    if PurePosixPath(posix).is_absolute():
        return {"uri": "file://" + quote(posix)}
    return {"uri": quote(posix), "uriBaseId": "%SRCROOT%"}


def _finite(x: float | None, digits: int | None = None) -> float | None:
    """A number JSON can hold (NaN and infinities are left out), rounded when asked."""
    if x is None or not math.isfinite(x):
        return None
    return round(x, digits) if digits is not None else x


def annotation(finding: Finding, verdict: Verdict) -> dict[str, Any]:
    data = {
        "verdict": verdict.verdict,
        "reason": verdict.reason,
        "score": _finite(verdict.score, 6),
        "threshold": _finite(verdict.threshold),
        "model": verdict.model,
        "smell": finding.smell,
        "technology": finding.tech,
        "rationale": verdict.rationale,
    }
    return {k: v for k, v in data.items() if v is not None}


def suppression(verdict: Verdict) -> dict[str, Any]:
    return {
        "kind": "external",
        "status": "accepted",
        "justification": f"iacfilter: {verdict.reason} (model {verdict.model})",
        "properties": {"source": "iacfilter"},
    }


def _annotate(result: dict, finding: Finding, verdict: Verdict) -> dict:
    theirs = [s for s in result.get("suppressions") or [] if (s.get("properties") or {}).get("source") != "iacfilter"]
    result["suppressions"] = theirs + ([suppression(verdict)] if verdict.filtered else [])
    result["properties"] = {**(result.get("properties") or {}), "iacfilter": annotation(finding, verdict)}
    return result


def _fingerprinted(result: dict, d: Decision) -> dict:
    if d.fingerprint:
        result["partialFingerprints"] = {**(result.get("partialFingerprints") or {}), KEY: d.fingerprint}
    if d.baseline_state:
        result["baselineState"] = d.baseline_state
    return result


def _converted_run(run: ScanRun, decisions: Sequence[Decision], shown: Sequence[Decision],
                   technologies: Mapping[str, Technology]) -> dict[str, Any]:
    descriptors: dict[str, dict] = {}
    for d in decisions:  # every rule of the run is described, shown or not
        descriptor = rule_descriptor(d.rule) if d.rule else _unknown_descriptor(d.finding)
        descriptors.setdefault(descriptor["id"], descriptor)
    ordered = sorted(descriptors)
    index = {rule_id: i for i, rule_id in enumerate(ordered)}
    results = []
    for d in shown:
        finding, rule = d.finding, d.rule
        location: dict[str, Any] = {"artifactLocation": artifact_uri(finding.path)}
        if finding.line is not None:
            region: dict[str, Any] = {"startLine": finding.line}
            if finding.code:
                region["snippet"] = {"text": finding.code}
            location["region"] = region
        result = {
            "ruleId": d.rule_id,
            "level": rule.level if rule else "note",
            "message": {"text": finding.message or (rule.short if rule else finding.rule)},
            "locations": [{"physicalLocation": location}],
        }
        extra = technologies.get(d.technology) if d.technology else None
        if extra is not None and extra.sarif_result is not None:
            result.update({k: v for k, v in extra.sarif_result(finding).items() if k not in result})
        result = _annotate(result, finding, d.verdict)
        result["ruleIndex"] = index[result["ruleId"]]
        results.append(_fingerprinted(result, d))
    driver = {**run.driver, "rules": [descriptors[i] for i in ordered]}
    out = {
        "tool": {"driver": driver},
        "conversion": {
            "tool": {"driver": {"name": "iacfilter", "version": __version__}},
            "invocation": {"executionSuccessful": True},
            "analysisToolLogFiles": [{"uri": quote(run.origin.replace("\\", "/"))}],
        },
        "results": results,
    }
    if run.execution_successful is not None:
        out["invocations"] = [invocation(run)]
    return out


def invocation(run: ScanRun) -> dict[str, Any]:
    """The scanner's own run, when iacfilter ran it: did it analyse every file, and what it said of the others."""
    return {
        "executionSuccessful": run.execution_successful,
        "toolExecutionNotifications": [
            {
                "level": n.level,
                "message": {"text": n.message},
                "locations": [{"physicalLocation": {"artifactLocation": artifact_uri(n.path)}}],
            }
            for n in run.notifications
        ],
    }


def _verbatim_run(run: ScanRun, shown: Sequence[Decision]) -> dict[str, Any]:
    """The input's run as it was, its results those of the records shown (each the reader's own result); when
    iacfilter ran the scanner, its invocation (what it could not scan) is added to the run's own."""
    out = copy.deepcopy({k: v for k, v in run.sarif_run.items() if k != "results"})
    kept = [_fingerprinted(_annotate(copy.deepcopy(d.finding.raw), d.finding, d.verdict), d) for d in shown]
    if "results" in run.sarif_run or kept:
        out["results"] = kept
    if run.execution_successful is not None:
        out["invocations"] = [*(out.get("invocations") or []), invocation(run)]
    return out


def _absent_result(result: dict) -> dict:
    """A baseline's result that no finding matched, as it was, marked absent (its ruleIndex pointed into the
    old run's rules, so it goes)."""
    old = copy.deepcopy(result)
    old.pop("ruleIndex", None)
    if isinstance(old.get("rule"), dict):
        old["rule"].pop("index", None)
    old["baselineState"] = "absent"
    old["suppressions"] = list(old.get("suppressions") or [])
    return old


def build_log(runs: Sequence[ScanRun], decisions: Sequence[Decision], *, mode: str,
              models: Sequence[tuple[str, float]], technologies: Mapping[str, Technology] | None = None,
              options: Mapping[str, Any] | None = None, comparison: Comparison | None = None,
              patterns: Sequence[str] = (), excluded: Sequence[int] = (), category: str | None = None) -> dict[str, Any]:
    """The SARIF log of ``runs``: each run's results are its records (``Decision.run``), annotated with their
    verdicts, fingerprints and baseline states; against a baseline its gone results come back as absent (in
    annotate mode, without --only-new); ``patterns`` and the findings each run lost to them (``excluded``) and
    the code scanning ``category`` are recorded in the runs."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    drop = mode == "drop"
    only_new = comparison.only_new if comparison else False
    by_run: dict[int, list[Decision]] = defaultdict(list)
    for d in decisions:
        by_run[d.run].append(d)
    absent: dict[int, list[dict]] = defaultdict(list)
    if comparison:
        names = [run.driver.get("name") for run in runs]
        for result, tool in comparison.absent:
            absent[names.index(tool) if tool in names else 0].append(result)
    out_runs = []
    for index, run in enumerate(runs):
        mine = by_run[index]
        shown = [d for d in mine if reported(d, drop, only_new)]
        if run.sarif_run is not None:
            sarif_run = _verbatim_run(run, shown)
        else:
            sarif_run = _converted_run(run, mine, shown, technologies or {})
        if comparison and not drop and not only_new and absent[index]:
            sarif_run.setdefault("results", []).extend(_absent_result(r) for r in absent[index])
        if category:
            sarif_run["automationDetails"] = {"id": f"{category}/" if len(runs) == 1 else f"{category}-{index}/"}
        elif "automationDetails" not in sarif_run:
            name = f"iacfilter-{run.driver['name'].lower()}-{Path(run.origin).stem}".replace(" ", "-")
            sarif_run["automationDetails"] = {"id": f"{name}/" if len(runs) == 1 else f"{name}-{index}/"}
        props = {"version": __version__, "mode": mode,
                 "models": [{"name": m, "threshold": _finite(t)} for m, t in models],
                 **({"options": dict(sorted(options.items()))} if options else {}),
                 "counts": dict(sorted(Counter(d.verdict.verdict for d in mine).items()))}
        if comparison:
            states = Counter(d.baseline_state for d in mine)
            props["baseline"] = {"file": comparison.baseline.origin, "onlyNew": only_new,
                                 **{s: states[s] for s in STATES[:-1]}, "absent": len(absent[index])}
        if patterns:
            props["patterns"] = {"patterns": list(patterns), "excluded": excluded[index] if excluded else 0}
        sarif_run["properties"] = {**(sarif_run.get("properties") or {}), "iacfilter": props}
        out_runs.append(sarif_run)
    return {"$schema": SARIF_SCHEMA_URI, "version": "2.1.0", "runs": out_runs}


def dumps(log: dict[str, Any]) -> str:
    """Strict JSON (a non-finite number raises ValueError rather than writing ``NaN``), valid UTF-8: a lone
    surrogate, which readers refuse on input, is written as its ``\\uXXXX`` escape if one ever gets here."""
    text = json.dumps(log, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def check_github_limits(log: dict[str, Any], text: str) -> list[str]:
    """Problems that would make GitHub code scanning reject the upload (empty when fine)."""
    problems = [
        f"run {i} has {len(r.get('results') or [])} results; GitHub code scanning accepts at most {GITHUB_MAX_RESULTS_PER_RUN}"
        for i, r in enumerate(log["runs"])
        if len(r.get("results") or []) > GITHUB_MAX_RESULTS_PER_RUN
    ]
    size = len(gzip.compress(text.encode("utf-8"), compresslevel=6))
    if size > GITHUB_MAX_GZIP_BYTES:
        problems.append(f"gzipped size {size / 2**20:.1f} MiB exceeds GitHub's 10 MiB upload limit")
    return problems
