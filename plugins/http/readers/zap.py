"""Reader for OWASP ZAP's "Traditional JSON Report" (``traditional-json``) and its "with Requests and Responses"
form (``traditional-json-plus``): ``site[] -> alerts[] -> instances[]``, one Finding per instance.

The ``-plus`` form adds ``request-header``, ``request-body``, ``response-header`` and ``response-body`` to each
instance; the plain form carries no exchange, so its findings are kept with ``exchange_note`` saying so.
The rule is the alert's ``pluginid`` (what ZAP's own SARIF report uses as ``ruleId``); ``alertRef`` (e.g.
``10020-1``) stays in the raw record.
"""

from __future__ import annotations

import re

from iacfilter.findings import Finding
from iacfilter.hookspecs import hookimpl
from iacfilter.registry import Reader, ScanRun

from ..exchange import details
from ..masking import mask_url
from .common import expect, load_json, looks_like_sarif, missing_note, request_from, response_from, text_field

TOOL = "ZAP"
INFORMATION_URI = "https://www.zaproxy.org/"
NO_EXCHANGE = "ZAP's traditional-json report carries no request or response (traditional-json-plus does)"
_TAGS = re.compile(r"<[^>]+>")


def _plain(text: str) -> str:
    """ZAP's HTML-ish description and other-info (``<p>...</p>``) as plain text."""
    return " ".join(_TAGS.sub(" ", text or "").split())


_MARKERS = re.compile(r'"@(programName|generated)"\s*:|"site"\s*:\s*\[')


def sniff(head: str) -> float:
    start = head.lstrip()
    if not start.startswith("{") or looks_like_sarif(start):
        return 0.0
    found = {m.group(1) or "site" for m in _MARKERS.finditer(start[:65536])}
    if "site" in found and ("programName" in found or "generated" in found):
        return 0.9
    return 0.6 if found else 0.0  # one marker: a ZAP report cut short still reads as one (and fails as one)


def _instance(origin: str, site: str, alert: dict, plugin: str, name: str, instance: dict, where: str) -> Finding:
    expect(instance, dict, where)
    url = text_field(instance, "uri", where)
    plus = any(k in instance for k in ("request-header", "response-header"))
    request = response = None
    if plus:
        request = request_from(text_field(instance, "request-header", where),
                               text_field(instance, "request-body", where))
        response = response_from(text_field(instance, "response-header", where),
                                  text_field(instance, "response-body", where))
        note = missing_note(request, response, "the report's instance has an empty header for it")
    else:
        note = NO_EXCHANGE
    evidence = text_field(instance, "evidence", where)
    record = {"site": site, "alert": {k: v for k, v in alert.items() if k != "instances"}, "instance": instance}
    return Finding(
        tool=TOOL,
        rule=plugin,
        path=mask_url(url),  # the SARIF location: session ids and tokens masked
        line=None,
        message=name,
        code=evidence,
        origin=origin,
        raw=record,
        details=details(scanner=TOOL, check=name, check_id=plugin, url=url,
                        method=text_field(instance, "method", where), param=text_field(instance, "param", where),
                        evidence=evidence, attack=text_field(instance, "attack", where), request=request,
                        response=response, exchange_note=note,
                        rule_text=" ".join(x for x in (_plain(text_field(alert, "desc", where)),
                                                        f"CWE-{alert['cweid']}" if str(alert.get("cweid") or "-1") not in ("-1", "0", "") else "")
                                           if x),
                        other_info=_plain(text_field(instance, "otherinfo", where) or text_field(alert, "otherinfo", where))),
    )


def read(origin: str, text: str) -> list[ScanRun]:
    doc = expect(load_json(text), dict, "the report")
    sites = doc.get("site")
    if sites is None:
        raise ValueError('no "site" array: not a ZAP traditional-json report')
    findings: list[Finding] = []
    plus = False
    for s, site in enumerate(expect(sites, list, '"site"')):
        where = f"site[{s}]"
        expect(site, dict, where)
        name = text_field(site, "@name", where)
        for a, alert in enumerate(expect(site.get("alerts") or [], list, f"{where}.alerts")):
            at = f"{where}.alerts[{a}]"
            expect(alert, dict, at)
            plugin = text_field(alert, "pluginid", at)
            if not plugin:
                raise ValueError(f"{at}.pluginid is missing")
            check = text_field(alert, "name", at) or text_field(alert, "alert", at)
            for i, instance in enumerate(expect(alert.get("instances") or [], list, f"{at}.instances")):
                finding = _instance(origin, name, alert, plugin, check, instance, f"{at}.instances[{i}]")
                plus = plus or finding.details["exchange_note"] != NO_EXCHANGE
                findings.append(finding)
    driver = {"name": text_field(doc, "@programName", "the report") or TOOL, "informationUri": INFORMATION_URI}
    version = text_field(doc, "@version", "the report")
    if version:
        driver["version"] = version
    fmt = "ZAP traditional-json-plus" if plus else "ZAP traditional-json"
    return [ScanRun(origin=origin, driver=driver, findings=findings, input_format=fmt)]


@hookimpl
def register_readers(register):
    register(Reader("zap-json", "OWASP ZAP JSON report (traditional-json, traditional-json-plus)", sniff, read))
