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
from collections import Counter
from pathlib import Path, PurePosixPath
from typing import Any, Mapping, Sequence
from urllib.parse import quote

from . import __version__
from .findings import Finding, Verdict
from .registry import ScanRun, Technology
from .rules import Rule, RulesMap

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


def _converted_run(run: ScanRun, verdicts: Sequence[Verdict], rules: RulesMap, mode: str,
                   technologies: Mapping[str, Technology]) -> dict[str, Any]:
    descriptors: dict[str, dict] = {}
    results = []
    for finding, verdict in zip(run.findings, verdicts):
        rule = rules.lookup(finding.tool, finding.rule)
        descriptor = rule_descriptor(rule) if rule else _unknown_descriptor(finding)
        descriptors.setdefault(descriptor["id"], descriptor)
        if mode == "drop" and verdict.filtered:
            continue
        location: dict[str, Any] = {"artifactLocation": artifact_uri(finding.path)}
        if finding.line is not None:
            region: dict[str, Any] = {"startLine": finding.line}
            if finding.code:
                region["snippet"] = {"text": finding.code}
            location["region"] = region
        result = {  # partialFingerprints: baseline.stamp writes them, for converted and SARIF input alike
            "ruleId": descriptor["id"],
            "level": rule.level if rule else "note",
            "message": {"text": finding.message or (rule.short if rule else finding.rule)},
            "locations": [{"physicalLocation": location}],
        }
        extra = technologies.get(finding.tech) if finding.tech else None
        if extra is not None and extra.sarif_result is not None:
            result.update({k: v for k, v in extra.sarif_result(finding).items() if k not in result})
        results.append(_annotate(result, finding, verdict))
    ordered = sorted(descriptors)
    index = {rule_id: i for i, rule_id in enumerate(ordered)}
    for result in results:
        result["ruleIndex"] = index[result["ruleId"]]
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


def _verbatim_run(run: ScanRun, verdicts: Sequence[Verdict], mode: str) -> dict[str, Any]:
    out = copy.deepcopy(run.sarif_run)
    kept = []
    for result, finding, verdict in zip(out.get("results") or [], run.findings, verdicts):
        if mode == "drop" and verdict.filtered:
            continue
        kept.append(_annotate(result, finding, verdict))
    if "results" in out or kept:
        out["results"] = kept
    return out


def build_log(runs: Sequence[ScanRun], verdicts: Sequence[Sequence[Verdict]], rules: RulesMap, *, mode: str,
              models: Sequence[tuple[str, float]], technologies: Mapping[str, Technology] | None = None,
              options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    out_runs = []
    for index, (run, run_verdicts) in enumerate(zip(runs, verdicts)):
        sarif_run = _verbatim_run(run, run_verdicts, mode) if run.sarif_run is not None else _converted_run(run, run_verdicts, rules, mode, technologies or {})
        if "automationDetails" not in sarif_run:
            category = f"iacfilter-{run.driver['name'].lower()}-{Path(run.origin).stem}".replace(" ", "-")
            sarif_run["automationDetails"] = {"id": f"{category}/" if len(runs) == 1 else f"{category}-{index}/"}
        counts = Counter(v.verdict for v in run_verdicts)
        sarif_run["properties"] = {
            **(sarif_run.get("properties") or {}),
            "iacfilter": {"version": __version__, "mode": mode,
                          "models": [{"name": m, "threshold": _finite(t)} for m, t in models],
                          **({"options": dict(sorted(options.items()))} if options else {}),
                          "counts": dict(sorted(counts.items()))},
        }
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
