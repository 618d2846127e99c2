"""Reader for the MDN HTTP Observatory CLI's JSON (``mdn-http-observatory-scan HOST[:PORT][/PATH]``).

The document is ``{"scan": {"grade", "score", "statusCode", "error", "responseHeaders", ...}, "tests": {"<test>":
{"expectation", "pass", "result", "scoreModifier", ...}}}``. Every test that did not pass is a finding: the rule
is the test's name (``content-security-policy``), ``check_id`` its result (``csp-not-implemented``), the message
says result and expectation.

The report names no URL outright; the redirection test's ``route`` starts with the URL the scan requested
(``http://host:port/path``) and ``destination`` is where it ended. The redirection finding is about that first
plain-HTTP URL; the other tests judge the final response: ``destination``, or the same URL over https where the
scan reached HTTPS on that port (the HSTS test says so by not reporting ``hsts-not-implemented-no-https``).
A scan the CLI could not make is printed as ``{"error": "..."}``: read as bad input naming that error (it holds
no test). The report keeps the final response's status and headers but no body and no request: each Finding carries those
headers, with ``body_note`` and ``exchange_note`` saying what is missing (nothing is fetched or invented).
"""

from __future__ import annotations

import re
from http import HTTPStatus
from urllib.parse import urlsplit, urlunsplit

from iacfilter.findings import Finding
from iacfilter.hookspecs import hookimpl
from iacfilter.registry import Reader, ScanRun

from ..exchange import details
from ..masking import mask_url
from .common import expect, load_json, looks_like_sarif, text_field

TOOL = "MDN HTTP Observatory"
INFORMATION_URI = "https://github.com/mdn/mdn-http-observatory"
NO_BODY = "the Observatory's report keeps the response headers only, not the body"
NO_REQUEST = "no request: the Observatory's report keeps the final response's status and headers only"
NO_RESPONSE = "the Observatory's report keeps no response for this test"
NO_HTTPS = "hsts-not-implemented-no-https"
_KEYS = re.compile(r'"(algorithmVersion|responseHeaders|testsFailed|testsQuantity|expectation|scoreModifier)"\s*:')
# what the CLI prints when it cannot scan: {"error":"Site did respond with an unexpected HTTP status code 404."}
_FAILED = re.compile(r'^\{\s*"error"\s*:\s*"(?:[^"\\]|\\.)*"\s*\}\s*$')


def sniff(head: str) -> float:
    start = head.lstrip()
    if not start.startswith("{") or looks_like_sarif(start):
        return 0.0
    keys = {m.group(1) for m in _KEYS.finditer(start[:65536])}
    if '"scan"' in start[:200] and len(keys) >= 3:
        return 0.9
    if _FAILED.match(start):
        return 0.5  # above the SARIF reader's claim on any JSON object: the error says what went wrong
    return 0.0


def _urls(tests: dict) -> tuple[str, str]:
    """(the URL the scan requested, the URL of the response its header tests judged); "" where unknown."""
    redirection = tests.get("redirection") if isinstance(tests.get("redirection"), dict) else {}
    route = redirection.get("route") if isinstance(redirection.get("route"), list) else []
    first = route[0] if route and isinstance(route[0], str) else ""
    destination = redirection.get("destination") if isinstance(redirection.get("destination"), str) else ""
    final = destination or first
    hsts = tests.get("strict-transport-security") if isinstance(tests.get("strict-transport-security"), dict) else {}
    if final.startswith("http://") and hsts.get("result") not in (None, NO_HTTPS):
        final = urlunsplit(("https",) + tuple(urlsplit(final))[1:])
    return first, final


def _response(scan: dict) -> dict | None:
    headers = expect(scan.get("responseHeaders") or {}, dict, '"scan".responseHeaders')
    status = scan.get("statusCode")
    if not headers and status is None:
        return None
    if status is not None and (not isinstance(status, int) or isinstance(status, bool)):
        raise ValueError('"scan".statusCode must be a number')
    pairs = []
    for name, value in headers.items():
        for one in value if isinstance(value, list) else [value]:
            if not isinstance(one, (str, int, float)) or isinstance(one, bool):
                raise ValueError(f'"scan".responseHeaders["{name}"] must be a string')
            pairs.append([name, str(one)])
    try:
        phrase = HTTPStatus(status).phrase if status else ""
    except ValueError:
        phrase = ""
    return {"line": f"HTTP/1.1 {status or ''} {phrase}".rstrip(), "status": status, "headers": pairs, "body": "",
            "body_note": NO_BODY}


def _finding(origin: str, name: str, test: dict, url: str, response: dict | None) -> Finding:
    where = f'"tests"["{name}"]'
    result = text_field(test, "result", where)
    expectation = text_field(test, "expectation", where)
    score = test.get("scoreModifier")
    message = f"{name}: {result or 'failed'}" + (f" (expected {expectation})" if expectation else "")
    if isinstance(score, (int, float)) and not isinstance(score, bool):
        message += f", score {score:+g}"
    evidence = ""
    if name == "redirection":
        route = test.get("route") if isinstance(test.get("route"), list) else []
        evidence = " -> ".join(str(u) for u in route)
        response = None  # the route's first response is not in the report; the headers kept are the final one's
    elif isinstance(test.get("data"), (str, int, float)) and not isinstance(test.get("data"), bool):
        evidence = str(test["data"])
    note = NO_REQUEST if response is not None else NO_RESPONSE
    return Finding(
        tool=TOOL,
        rule=name,
        path=mask_url(url) if url else "",
        line=None,
        message=message,
        code=evidence or result,
        origin=origin,
        raw=test,
        details=details(scanner=TOOL, check=name, check_id=result or name, url=url, method="GET" if url else "",
                        param="", evidence=evidence, request=None, response=response, exchange_note=note),
    )


def read(origin: str, text: str) -> list[ScanRun]:
    doc = expect(load_json(text), dict, "the report")
    if set(doc) == {"error"}:
        raise ValueError(f"the Observatory could not scan, it reports: {text_field(doc, 'error', 'the report')}")
    if "scan" not in doc or "tests" not in doc:
        raise ValueError('no "scan" and "tests": not an MDN HTTP Observatory report')
    scan = expect(doc["scan"], dict, '"scan"')
    tests = expect(doc["tests"] if doc["tests"] is not None else {}, dict, '"tests"')
    requested, final = _urls(tests)
    response = _response(scan)
    findings = []
    for name, test in tests.items():
        expect(test, dict, f'"tests"["{name}"]')
        if test.get("pass") is True:
            continue
        if test.get("pass") is not False:
            raise ValueError(f'"tests"["{name}"].pass must be true or false')
        url = requested if name == "redirection" else final
        findings.append(_finding(origin, name, test, url, response))
    driver = {"name": TOOL, "informationUri": INFORMATION_URI}
    return [ScanRun(origin=origin, driver=driver, findings=findings, input_format="MDN HTTP Observatory JSON")]


@hookimpl
def register_readers(register):
    register(Reader("observatory-json", "MDN HTTP Observatory CLI JSON (mdn-http-observatory-scan)", sniff, read))
