"""Reader for drheader's own JSON report (``drheader scan single URL -o json`` / ``drheader scan bulk FILE -o json``).

``scan single`` prints a JSON array of issues; ``scan bulk`` an array of ``{"url", "report": [issues], "error"?}``,
one per target. An issue is ``{"rule", "message", "severity"}`` plus, where they apply, ``value`` (what the
response carried), ``expected``/``avoid`` (what the rule wants), ``anomalies`` and ``delimiter``. ``rule`` is the
header (``"X-Frame-Options"``), or ``"<header> - <directive>"`` / ``"Set-Cookie - <cookie name>"``.

One Finding per issue; the rule is the header, ``check_id`` drheader's whole rule string, ``param`` the directive
or cookie. drheader keeps no request or response in its report, so every Finding says so in ``exchange_note``
and carries no exchange (none is invented). ``scan single`` does not name the URL it scanned: those Findings have
an empty URL and say that too. A bulk target that failed (``error``) has no issues: nothing to read.
"""

from __future__ import annotations

import re

from iacfilter.findings import Finding
from iacfilter.hookspecs import hookimpl
from iacfilter.registry import Reader, ScanRun

from ..exchange import details
from ..masking import mask_url
from .common import expect, load_json, looks_like_sarif, text_field

TOOL = "drheader"
INFORMATION_URI = "https://github.com/Santandersecurityresearch/DrHeader"
NO_EXCHANGE = "drheader's JSON report keeps no request or response"
NO_URL = "drheader's single-target report does not name the URL it scanned"
# an issue object: "rule" then "message" (drheader writes them first, in this order)
_ISSUE = re.compile(r'\{\s*"rule"\s*:\s*"[^"]*"\s*,\s*"message"\s*:')
_TARGET = re.compile(r'\{\s*"url"\s*:\s*"[^"]*"\s*,\s*"report"\s*:')
_ERRORS = ("Must-Avoid", "Must-Contain", "should not be returned", "not included in response", "does not match")


def sniff(head: str) -> float:
    start = head.lstrip()
    if not start.startswith("[") or looks_like_sarif(start):
        return 0.0
    window = start[:8192]
    if _TARGET.search(window):
        return 0.9
    if _ISSUE.search(window) and any(e in window for e in _ERRORS):
        return 0.9
    return 0.0


def _words(value) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _finding(origin: str, issue: dict, url: str, where: str) -> Finding:
    expect(issue, dict, where)
    rule = text_field(issue, "rule", where)
    message = text_field(issue, "message", where)
    if not rule or not message:
        raise ValueError(f'{where}: an issue needs "rule" and "message": not a drheader report')
    header, _, part = (x.strip() for x in rule.partition(" - "))
    value = _words(issue.get("value"))
    wanted = _words(issue.get("expected"))
    avoid = _words(issue.get("avoid"))
    anomalies = _words(issue.get("anomalies"))
    text = f"{rule}: {message}"
    if value:
        text += f" (value: {value})"
    if wanted:
        text += f" (expected: {wanted})"
    if avoid:
        text += f" (avoid: {avoid})"
    if anomalies:
        text += f" (anomalies: {anomalies})"
    note = NO_EXCHANGE if url else f"{NO_EXCHANGE}; {NO_URL}"
    return Finding(
        tool=TOOL,
        rule=header,
        path=mask_url(url) if url else "",
        line=None,
        message=text,
        code=anomalies or value,
        origin=origin,
        raw=issue,
        details=details(scanner=TOOL, check=rule, check_id=rule, url=url, method="", param=part,
                        evidence=anomalies or value, request=None, response=None, exchange_note=note),
    )


def read(origin: str, text: str) -> list[ScanRun]:
    doc = expect(load_json(text), list, "the report")
    findings = []
    for i, entry in enumerate(doc):
        where = f"[{i}]"
        expect(entry, dict, where)
        if "report" in entry or "url" in entry:  # scan bulk: one entry per target
            url = text_field(entry, "url", where)
            if not url:
                raise ValueError(f'{where}: a bulk entry needs "url"')
            issues = expect(entry.get("report") if entry.get("report") is not None else [], list, f"{where}.report")
            for j, issue in enumerate(issues):
                findings.append(_finding(origin, issue, url, f"{where}.report[{j}]"))
        else:  # scan single: the entry is the issue
            findings.append(_finding(origin, entry, "", where))
    driver = {"name": TOOL, "informationUri": INFORMATION_URI}
    return [ScanRun(origin=origin, driver=driver, findings=findings, input_format="drheader JSON")]


@hookimpl
def register_readers(register):
    register(Reader("drheader-json", "drheader JSON report (scan single / scan bulk, -o json)", sniff, read))
