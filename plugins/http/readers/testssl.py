"""Reader for testssl.sh's JSON (``testssl.sh --jsonfile FILE HOST:PORT``): a flat array of checks.

Each element is ``{"id", "ip", "port", "severity", "finding"[, "cve", "cwe", "hint"]}``; ``severity`` is one of
``DEBUG INFO OK LOW MEDIUM HIGH CRITICAL WARN FATAL``. A check at ``LOW`` or above, or ``WARN``, is a finding (the
others say what is fine or merely observed); ``FATAL`` means the scan itself failed and is no finding either.
The URL is ``https://<host>:<port>/`` (``ip`` is ``name/address``). The report keeps no HTTP exchange: the
finding's words (``id``, ``finding``) are its evidence. Pretty (``--jsonfile-pretty``) output, an object with
``scanResult``, is read as well.
"""

from __future__ import annotations

import re

from iacfilter.findings import Finding
from iacfilter.hookspecs import hookimpl
from iacfilter.registry import Reader, ScanRun

from ..exchange import details
from .common import expect, load_json, looks_like_sarif, text_field

TOOL = "testssl.sh"
INFORMATION_URI = "https://testssl.sh/"
FINDING_LEVELS = {"LOW", "MEDIUM", "HIGH", "CRITICAL", "WARN"}
NO_EXCHANGE = "testssl.sh's report keeps no HTTP request or response"
_KEYS = re.compile(r'"(id|ip|port|severity|finding)"\s*:')


def sniff(head: str) -> float:
    start = head.lstrip()
    if not start.startswith(("[", "{")) or looks_like_sarif(start):
        return 0.0
    found = {m.group(1) for m in _KEYS.finditer(start[:65536])}
    if {"id", "ip", "port", "severity", "finding"} <= found:
        return 0.85
    return 0.0


def _items(doc) -> list:
    if isinstance(doc, dict):  # --jsonfile-pretty: {"scanResult": [{"ip", "port", "<section>": [checks]}]}
        out = []
        for s, scan in enumerate(expect(doc.get("scanResult") or [], list, '"scanResult"')):
            expect(scan, dict, f"scanResult[{s}]")
            for key, value in scan.items():
                if isinstance(value, list):
                    out += [dict(item, ip=scan.get("ip", ""), port=scan.get("port", "")) if isinstance(item, dict)
                            else item for item in value]
        return out
    return expect(doc, list, "the report")


def read(origin: str, text: str) -> list[ScanRun]:
    findings = []
    for i, item in enumerate(_items(load_json(text))):
        where = f"[{i}]"
        expect(item, dict, where)
        check = text_field(item, "id", where)
        if not check:
            raise ValueError(f'{where}: "id" is missing: not a testssl.sh check')
        if text_field(item, "severity", where).upper() not in FINDING_LEVELS:
            continue
        host = text_field(item, "ip", where).split("/")[0] or "localhost"
        port = text_field(item, "port", where) or "443"
        url = f"https://{host}:{port}/"
        evidence = text_field(item, "finding", where)
        findings.append(Finding(
            tool=TOOL, rule=check, path=url, line=None, message=f"{check}: {evidence}"[:500], code=evidence,
            origin=origin, raw=item,
            details=details(scanner=TOOL, check=check, check_id=check, url=url, evidence=evidence,
                            exchange_note=NO_EXCHANGE,
                            rule_text=" ".join(text_field(item, k, where) for k in ("cwe", "cve") if item.get(k))),
        ))
    return [ScanRun(origin=origin, driver={"name": TOOL, "informationUri": INFORMATION_URI}, findings=findings,
                    input_format="testssl.sh JSON")]


@hookimpl
def register_readers(register):
    register(Reader("testssl-json", "testssl.sh JSON (--jsonfile, --jsonfile-pretty)", sniff, read))
