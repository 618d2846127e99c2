"""Reader for Wapiti 3's JSON report (``-f json``).

The report holds ``classifications`` (one description per finding type) and three parts, ``vulnerabilities``,
``anomalies`` and ``additionals``, each mapping a category (e.g. ``"Content Security Policy Configuration"``) to
its findings. One Finding per item; the rule is the category, ``check_id`` the Wapiti module that raised it.
Each item carries ``http_request`` as raw text; with ``-dr 2`` also ``detail.response`` (status, headers,
body). Wapiti leaves that response null for some modules (cookie flags, CSRF, methods in 3.2): such a finding is
kept with ``exchange_note`` saying so.
"""

from __future__ import annotations

import re
import shlex
from http import HTTPStatus
from urllib.parse import urljoin, urlparse

from iacfilter.findings import Finding
from iacfilter.hookspecs import hookimpl
from iacfilter.registry import Reader, ScanRun

from ..exchange import body_text, details, header, parse_request
from ..masking import mask_url
from .common import expect, load_json, looks_like_sarif, missing_note, text_field

TOOL = "Wapiti"
INFORMATION_URI = "https://wapiti-scanner.github.io/"
PARTS = ("vulnerabilities", "anomalies", "additionals")
NO_DETAIL = "Wapiti wrote no response: the report was made without -dr 2"
NULL_RESPONSE = "Wapiti recorded no response for this finding (its module does not keep one)"
_KEYS = re.compile(r'"(classifications|vulnerabilities|anomalies|additionals|infos)"\s*:\s*\{')
# Wapiti writes "classifications" first: {"<category>": {"desc": ..., "sol": ..., "ref": ..., "wstg": ...}, ...}
_CLASSIFICATION = re.compile(r'^\{\s*"classifications"\s*:\s*\{\s*("[^"]*"\s*:\s*\{\s*"desc"\s*:|\})')


def sniff(head: str) -> float:
    start = head.lstrip()
    if not start.startswith("{") or looks_like_sarif(start):
        return 0.0
    if _CLASSIFICATION.match(start):
        return 0.9
    keys = {m.group(1) for m in _KEYS.finditer(start[:65536])}
    if len(keys) >= 2 and keys & {"vulnerabilities", "classifications"}:
        return 0.9
    return 0.0


def _url(item: dict, target: str, where: str) -> str:
    """The finding's full URL: the one in ``curl_command`` (it has scheme, host and query), else target + path."""
    curl = text_field(item, "curl_command", where)
    if curl:
        try:
            words = shlex.split(curl)
        except ValueError:
            words = []
        for word in words[1:]:
            if urlparse(word).scheme in ("http", "https"):
                return word
    return urljoin(target, text_field(item, "path", where))


def _response(item: dict, where: str) -> tuple[dict | None, str]:
    if "detail" not in item:
        return None, NO_DETAIL
    detail = expect(item["detail"] if item["detail"] is not None else {}, dict, f"{where}.detail")
    raw = detail.get("response")
    if raw is None:
        return None, NULL_RESPONSE
    raw = expect(raw, dict, f"{where}.detail.response")
    status = raw.get("status_code")
    if not isinstance(status, int) or isinstance(status, bool):
        raise ValueError(f"{where}.detail.response.status_code must be a number")
    headers = []
    for h, pair in enumerate(expect(raw.get("headers") or [], list, f"{where}.detail.response.headers")):
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair)):
            raise ValueError(f"{where}.detail.response.headers[{h}] must be a [name, value] pair of strings")
        headers.append([pair[0], pair[1]])
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    body, note = body_text(text_field(raw, "body", f"{where}.detail.response"), header(headers, "content-type") or "")
    line = f"HTTP/1.1 {status} {phrase}".rstrip()
    return {"line": line, "status": status, "headers": headers, "body": body, "body_note": note}, ""


def _finding(origin: str, category: str, item: dict, target: str, where: str) -> Finding:
    expect(item, dict, where)
    url = _url(item, target, where)
    info = text_field(item, "info", where)
    request = parse_request(text_field(item, "http_request", where))
    response, why = _response(item, where)
    module = text_field(item, "module", where)
    return Finding(
        tool=TOOL,
        rule=category,
        path=mask_url(url),  # the SARIF location: session ids and tokens masked
        line=None,
        message=info or category,
        code=info,  # the scanner's evidence; it also tells apart two findings of one category on one URL
        origin=origin,
        raw=item,
        details=details(scanner=TOOL, check=category, check_id=module or category, url=url,
                        method=text_field(item, "method", where), param=text_field(item, "parameter", where),
                        evidence=info, request=request, response=response,
                        exchange_note=missing_note(request, response, why or "the report has no HTTP request for it")),
    )


def read(origin: str, text: str) -> list[ScanRun]:
    doc = expect(load_json(text), dict, "the report")
    if not any(part in doc for part in PARTS):
        raise ValueError(f"none of {', '.join(PARTS)}: not a Wapiti JSON report")
    infos = expect(doc.get("infos") or {}, dict, '"infos"')
    target = text_field(infos, "target", '"infos"')
    findings = []
    for part in PARTS:
        for category, items in expect(doc.get(part) or {}, dict, f'"{part}"').items():
            for i, item in enumerate(expect(items, list, f'{part}["{category}"]')):
                findings.append(_finding(origin, category, item, target, f'{part}["{category}"][{i}]'))
    driver = {"name": TOOL, "informationUri": INFORMATION_URI}
    version = text_field(infos, "version", '"infos"')  # "Wapiti 3.2.3"
    if version:
        driver["version"] = version.removeprefix("Wapiti ").strip()
    return [ScanRun(origin=origin, driver=driver, findings=findings, input_format="Wapiti JSON")]


@hookimpl
def register_readers(register):
    register(Reader("wapiti-json", "Wapiti 3 JSON report (-f json)", sniff, read))
