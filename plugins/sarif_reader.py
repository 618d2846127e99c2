"""Reader for SARIF 2.1.0 from any tool. Runs and results are kept verbatim; the writer only annotates them."""

from __future__ import annotations

import json
import re
from urllib.parse import unquote, urlparse

from iacfilter.findings import Finding
from iacfilter.hookspecs import hookimpl
from iacfilter.registry import Reader, ScanRun


def sniff(head: str) -> float:
    start = head.lstrip()
    if not start.startswith("{"):
        return 0.0
    if re.search(r'"\$schema"\s*:\s*"[^"]*sarif', start[:4096]) or re.search(r'"version"\s*:\s*"2\.1\.0"', start):
        return 1.0
    return 0.2  # some JSON object: claim it, so a broken SARIF file gets a JSON error, not "unrecognised"


def uri_to_path(uri: str) -> str:
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return unquote(parsed.path)
    if parsed.scheme and len(parsed.scheme) > 1:  # some other scheme: keep as given, confinement rejects it
        return uri
    return unquote(uri)


def _rule_id(result: dict, run: dict) -> str:
    if isinstance(result.get("ruleId"), str):
        return result["ruleId"]
    rule = result.get("rule") or {}
    if isinstance(rule.get("id"), str):
        return rule["id"]
    index = result.get("ruleIndex", rule.get("index"))
    rules = ((run.get("tool") or {}).get("driver") or {}).get("rules") or []
    if isinstance(index, int) and 0 <= index < len(rules):
        return str(rules[index].get("id", ""))
    return ""


def _finding(origin: str, result: dict, run: dict, tool: str, where: str) -> Finding:
    if not isinstance(result, dict):
        raise ValueError(f"{where}: a result must be an object")
    location = ((result.get("locations") or [{}])[0] or {}).get("physicalLocation") or {}
    uri = (location.get("artifactLocation") or {}).get("uri", "")
    region = location.get("region") or {}
    line = region.get("startLine")
    message = result.get("message") or {}
    return Finding(
        tool=tool,
        rule=_rule_id(result, run),
        path=uri_to_path(uri) if isinstance(uri, str) else "",
        line=line if isinstance(line, int) and line >= 1 else None,
        message=str(message.get("text", "")) if isinstance(message, dict) else "",
        code=str((region.get("snippet") or {}).get("text", "")),
        origin=origin,
        raw=result,
    )


def read(origin: str, text: str) -> list[ScanRun]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    if not isinstance(doc, dict) or doc.get("version") != "2.1.0":
        raise ValueError('not a SARIF log (needs "version": "2.1.0")')
    runs = doc.get("runs")
    if not isinstance(runs, list):
        raise ValueError('"runs" must be an array')
    out = []
    for r, run in enumerate(runs):
        driver = ((run or {}).get("tool") or {}).get("driver") if isinstance(run, dict) else None
        if not isinstance(driver, dict) or not isinstance(driver.get("name"), str):
            raise ValueError(f"runs[{r}]: tool.driver.name is missing")
        results = run.get("results") or []
        if not isinstance(results, list):
            raise ValueError(f"runs[{r}].results must be an array")
        findings = [_finding(origin, res, run, driver["name"], f"runs[{r}].results[{i}]") for i, res in enumerate(results)]
        out.append(ScanRun(origin=origin, driver=driver, findings=findings, sarif_run=run, input_format="SARIF 2.1.0"))
    return out


@hookimpl
def register_readers(register):
    register(Reader("sarif", "SARIF 2.1.0 JSON", sniff, read))
