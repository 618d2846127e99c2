"""Reader for SARIF 2.1.0 from any tool. Runs and results are kept verbatim; the writer only annotates them.

A log is accepted whole or refused: ``iacfilter.validate`` checks it against the official schema first.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlparse

from iacfilter.findings import Finding
from iacfilter.hookspecs import hookimpl
from iacfilter.registry import Reader, ScanRun
from iacfilter.rules import rules_files_in
from iacfilter.validate import check_sarif, load_json


def sniff(head: str) -> float:
    start = head.lstrip()
    if not start.startswith("{"):
        return 0.0
    if re.search(r'"\$schema"\s*:\s*"[^"]*sarif', start[:4096]) or re.search(r'"version"\s*:\s*"2\.1\.0"', start):
        return 1.0
    return 0.2  # some JSON object: claim it, so a broken SARIF file gets a JSON error, not "unrecognised"


def uri_to_path(uri: str) -> str:
    """The path a location's URI names: a file: URI's path, a relative reference decoded; any other URI as given
    (the source root treats a URL as "no source" and never opens it)."""
    try:
        parsed = urlparse(uri)
    except ValueError:  # e.g. "http://[::1": not a URI at all; confinement turns it down
        return uri
    if parsed.scheme == "file":
        return unquote(parsed.path)
    if parsed.scheme and len(parsed.scheme) > 1:  # some other scheme: keep as given, confinement rejects it
        return uri
    return unquote(uri)


def _rule_id(result: dict, run: dict) -> str:
    if "ruleId" in result:
        return result["ruleId"]
    rule = result.get("rule", {})
    if "id" in rule:
        return rule["id"]
    index = result.get("ruleIndex", rule.get("index", -1))
    rules = run["tool"]["driver"].get("rules", [])
    return rules[index]["id"] if 0 <= index < len(rules) else ""


def _rule_words(result: dict, run: dict, rule_id: str) -> str:
    """What the run's rule descriptor says of the result's rule: name, short and full description, tags (CWE)."""
    rules = run["tool"]["driver"].get("rules", [])
    index = result.get("ruleIndex", (result.get("rule") or {}).get("index", -1))
    descriptor = rules[index] if isinstance(index, int) and 0 <= index < len(rules) else \
        next((r for r in rules if r.get("id") == rule_id), {})
    tags = (descriptor.get("properties") or {}).get("tags") or []
    parts = [descriptor.get("name") or "", (descriptor.get("shortDescription") or {}).get("text") or "",
             ((descriptor.get("fullDescription") or {}).get("text") or "")[:300], " ".join(str(t) for t in tags)]
    return " ".join(p for p in parts if p)


def _finding(origin: str, result: dict, run: dict) -> Finding:
    """One finding from one result of a log that passed ``validate.check_sarif`` (its shape is the schema's)."""
    locations = result.get("locations") or [{}]
    location = locations[0].get("physicalLocation", {})
    uri = location.get("artifactLocation", {}).get("uri", "")
    region = location.get("region", {})
    rule = _rule_id(result, run)
    words = _rule_words(result, run, rule)
    return Finding(
        tool=run["tool"]["driver"]["name"],
        rule=rule,
        path=uri_to_path(uri),
        line=region.get("startLine"),
        message=result["message"].get("text", ""),
        code=region.get("snippet", {}).get("text", ""),
        origin=origin,
        raw=result,
        details={"rule_text": words} if words else {},  # for a technology that reads the rule's words
    )


def read(origin: str, text: str) -> list[ScanRun]:
    doc = load_json(text)
    check_sarif(doc)
    return [
        ScanRun(origin=origin, driver=run["tool"]["driver"], findings=[_finding(origin, res, run) for res in
                run.get("results") or []], sarif_run=run, input_format="SARIF 2.1.0")
        for run in doc["runs"]
    ]


@hookimpl
def register_readers(register):
    register(Reader("sarif", "SARIF 2.1.0 JSON", sniff, read))


@hookimpl
def register_rules(register):
    """Rules maps of the IaC scanners that write SARIF and are not run by iacfilter (KICS, Trivy, Semgrep)."""
    for rules in rules_files_in(Path(__file__).with_name("rules")):
        register(rules)
