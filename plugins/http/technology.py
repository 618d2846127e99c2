"""The ``http`` technology: web-scanner findings, their snippet (the masked exchange) and their SARIF members.

It owns a finding when a reader filled ``Finding.details`` with the HTTP shape (``exchange.py``), when a SARIF
result carries ``webRequest``/``webResponse``, or when its location is an http(s) URL (and every finding under
``--tech http``). ``render`` is the one layout, used by ``snippet`` (filter, eval) and ``example`` (training):

    http <smell>
    scanner: ZAP | check: <the scanner's check name> (<id>)
    url: https://shop.example/login
    param: ... | evidence: ... | attack: ...
    request:
    GET /login HTTP/1.1
    Host: shop.example
    response:
    HTTP/1.1 200 OK
    Content-Type: text/html
    body:
    <the body cut to BODY_BUDGET characters around the evidence, or the head of the document>

Every secret is masked (``masking.py``) before anything is rendered, so neither a model nor the SARIF out
sees one. The structured parts (status, content type, headers, cookies ...) go to ``Snippet.data`` for
backends that read them (``features.py``).
"""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from iacfilter.findings import Finding, NoSnippet, Snippet
from iacfilter.hookspecs import hookimpl
from iacfilter.registry import Technology
from iacfilter.rules import rules_files_in

from .exchange import TECH, body_text, details as make_details, header
from .masking import mask_details
from .policy import evaluate, site_context
from .smells import load as load_matcher, rule_words

BODY_BUDGET = 700  # characters of the response body in the snippet text (a couple of hundred tokens)
REQUEST_BODY_BUDGET = 200
HEADER_VALUE_BUDGET = 300
MAX_HEADERS = 30
FIELD_BUDGET = 300  # evidence, attack, check ...
DATA_BODY_CHARS = 64 * 1024  # what Snippet.data keeps of the (masked) body for feature extraction
SARIF_BODY_CHARS = 16 * 1024  # what a converted SARIF result keeps of each body
DETAIL_KEYS = ("scanner", "check", "request", "response")
HTTP_URL = re.compile(r"^https?://", re.I)
REQUEST_LINE = re.compile(r"^(?P<method>[A-Z][A-Z0-9_-]*)\s+(?P<target>\S+)(?:\s+(?P<protocol>[A-Z]+)/(?P<version>\S+))?")
STATUS_LINE = re.compile(r"^(?P<protocol>[A-Z]+)/(?P<version>\S+)\s+(?P<status>\d{3})(?:\s+(?P<reason>.*))?$")
HTML_START = re.compile(r"^\s*(?:<!doctype\s+html|<html|<head|<body|<\?xml[^>]*>\s*<(?:!doctype\s+)?(?:html|svg))", re.I)
SPACES = re.compile(r"[ \t\r\f\v]+")
BLANK_LINES = re.compile(r"\n\s*\n+")


def is_http_details(details: Any) -> bool:
    return isinstance(details, dict) and all(k in details for k in DETAIL_KEYS)


# --- SARIF input: details from a result's webRequest / webResponse ----------------------------------------

def _sarif_body(body: Any) -> tuple[str, str]:
    if not isinstance(body, dict):
        return "", ""
    if isinstance(body.get("text"), str):
        return body_text(body["text"])
    if isinstance(body.get("binary"), str):
        try:
            return body_text(base64.b64decode(body["binary"], validate=True))
        except (binascii.Error, ValueError):
            return "", "body.binary is not valid base64; not shown"
    return "", ""


def _sarif_headers(headers: Any) -> list[list[str]]:
    if not isinstance(headers, dict):
        return []
    return [[str(k), v] for k, val in headers.items() for v in str(val).split("\n")]


def details_from_sarif(finding: Finding) -> dict[str, Any]:
    """The HTTP details of a SARIF result (SARIF 2.1.0 §3.46 webRequest, §3.47 webResponse)."""
    result = finding.raw if isinstance(finding.raw, dict) else {}
    req, resp = result.get("webRequest"), result.get("webResponse")
    request = response = None
    url = finding.path
    method = ""
    if isinstance(req, dict):
        method = str(req.get("method") or "GET")
        target = str(req.get("target") or finding.path or "/")
        if not url:
            url = target
        version = f"{req.get('protocol') or 'HTTP'}/{req.get('version') or '1.1'}"
        body, _ = _sarif_body(req.get("body"))
        request = {"line": f"{method} {target} {version}", "headers": _sarif_headers(req.get("headers")), "body": body}
    if isinstance(resp, dict) and not resp.get("noResponseReceived"):
        status = resp.get("statusCode")
        status = status if isinstance(status, int) else None
        version = f"{resp.get('protocol') or 'HTTP'}/{resp.get('version') or '1.1'}"
        line = " ".join(str(p) for p in (version, status if status is not None else "", resp.get("reasonPhrase") or "") if p != "")
        headers = _sarif_headers(resp.get("headers"))
        body, note = _sarif_body(resp.get("body"))
        response = {"line": line, "status": status, "headers": headers, "body": body, "body_note": note}
    properties = result.get("properties") if isinstance(result.get("properties"), dict) else {}
    note = "" if request or response else "the SARIF result carries no webRequest/webResponse"
    ours = properties.get("http") if isinstance(properties.get("http"), dict) else {}  # iacfilter's own output
    ours = {k: v for k, v in ours.items() if isinstance(v, str)}
    if request is not None and ours.get("request_line"):
        request["line"] = ours["request_line"]
    if response is not None and ours.get("response_line"):
        response["line"] = ours["response_line"]
    if response is not None and ours.get("response_body_note"):
        response["body_note"] = ours["response_body_note"]
    note = ours.get("exchange_note") or note
    out = make_details(scanner=finding.tool,
                        check=ours.get("check") or finding.message.split("\n")[0][:FIELD_BUDGET] or finding.rule,
                        check_id=ours.get("check_id") or finding.rule, url=url, method=method,
                        param=ours.get("param", str(properties.get("param") or "")),
                        evidence=ours.get("evidence", finding.code),
                        attack=ours.get("attack", str(properties.get("attack") or "")),
                        request=request, response=response, exchange_note=note,
                        rule_text=ours.get("rule_text") or _given(finding).get("rule_text") or "",
                        other_info=ours.get("other_info") or "")
    return _with_site(out, finding)


def _given(finding: Finding) -> dict[str, Any]:
    return finding.details if isinstance(finding.details, dict) else {}


def _with_site(d: dict[str, Any], finding: Finding) -> dict[str, Any]:
    given = _given(finding)
    return {**d, **{k: given[k] for k in ("site", "borrowed") if given.get(k)}}


def finding_details(finding: Finding) -> dict[str, Any]:
    """The (unmasked) HTTP details of a finding, whichever way it came in."""
    if is_http_details(finding.details):
        return finding.details
    if isinstance(finding.raw, dict) and ("webRequest" in finding.raw or "webResponse" in finding.raw
                                          or isinstance((finding.raw.get("properties") or {}).get("http"), dict)):
        return details_from_sarif(finding)  # a web SARIF result (our own output keeps the rest under properties)
    return _with_site(make_details(scanner=finding.tool, check=finding.message or finding.rule, check_id=finding.rule,
                                   url=finding.path, evidence=finding.code, rule_text=_given(finding).get("rule_text") or "",
                                   exchange_note="the report carries no request or response for this finding"), finding)


# --- the one layout -----------------------------------------------------------------------------------------

def _cut(text: str, budget: int) -> str:
    text = str(text or "")
    return text if len(text) <= budget else text[:budget] + "…"


def _squeeze(text: str) -> str:
    return BLANK_LINES.sub("\n", SPACES.sub(" ", text)).strip()


def content_type(headers: list | None) -> str:
    return (header(headers, "content-type") or "").split(";")[0].strip().lower()


def is_html(response: dict | None) -> bool:
    """POLICY.md's HTML: a non-empty, non-redirect body typed text/html, xhtml or SVG, or untyped that looks it."""
    if not response or not (response.get("body") or "").strip():
        return False
    status = response.get("status")
    if isinstance(status, int) and 300 <= status < 400:
        return False
    ctype = content_type(response.get("headers"))
    if ctype:
        return ctype in ("text/html", "application/xhtml+xml", "image/svg+xml")
    return bool(HTML_START.match(response.get("body") or ""))


def body_excerpt(body: str, anchors: list[str], budget: int = BODY_BUDGET) -> str:
    """``budget`` characters of ``body`` around the first anchor found in it, else its head."""
    body = _squeeze(body)
    if len(body) <= budget:
        return body
    lower = body.lower()
    for anchor in anchors:
        anchor = _squeeze(anchor or "")
        at = lower.find(anchor.lower()) if len(anchor) >= 3 else -1
        if at >= 0:
            start = max(0, min(at + len(anchor) // 2 - budget // 2, len(body) - budget))
            return ("…" if start else "") + body[start:start + budget] + ("…" if start + budget < len(body) else "")
    return body[:budget] + "…"


def _headers_text(headers: list | None) -> list[str]:
    headers = headers or []
    lines = [f"{k}: {_cut(v, HEADER_VALUE_BUDGET)}" for k, v in headers[:MAX_HEADERS]]
    if len(headers) > MAX_HEADERS:
        lines.append(f"({len(headers) - MAX_HEADERS} more headers)")
    return lines


def parse_set_cookie(value: str) -> dict[str, Any]:
    first, _, rest = value.partition(";")
    name, _, val = first.partition("=")
    attrs: dict[str, str] = {}
    for part in rest.split(";"):
        k, _, v = part.partition("=")
        if k.strip():
            attrs[k.strip().lower()] = v.strip()
    return {"name": name.strip(), "empty": not val.strip(), "httponly": "httponly" in attrs,
            "secure": "secure" in attrs, "samesite": attrs.get("samesite", "").lower() or None,
            "path": attrs.get("path"), "domain": attrs.get("domain"),
            "expires": "expires" in attrs or "max-age" in attrs}


def _header_dict(headers: list | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in headers or []:
        k = k.lower()
        out[k] = f"{out[k]}, {v}" if k in out else v
    return out


def structured(d: dict[str, Any]) -> dict[str, Any]:
    """The parts a backend reads from a (masked) exchange."""
    request, response = d.get("request") or {}, d.get("response") or {}
    url = d.get("url") or ""
    try:
        parts = urlsplit(url) if HTTP_URL.match(url) else None
    except ValueError:  # a malformed URL (``http://[::1/x``): no scheme, host or path to read
        parts = None
    m = REQUEST_LINE.match(request.get("line") or "")
    method = (m.group("method") if m else "") or d.get("method") or ""  # what was really sent
    resp_headers = response.get("headers") or []
    req_headers = request.get("headers") or []
    return {
        "scanner": d.get("scanner") or "", "check": d.get("check") or "", "check_id": d.get("check_id") or "",
        "url": url, "scheme": parts.scheme.lower() if parts else "", "host": parts.hostname or "" if parts else "",
        "path": parts.path if parts else "", "query": parts.query if parts else "",
        "method": method.upper(), "target": m.group("target") if m else "", "param": d.get("param") or "", "evidence": d.get("evidence") or "",
        "attack": d.get("attack") or "",
        "has_request": bool(d.get("request")), "has_response": bool(d.get("response")),
        "status": response.get("status"), "content_type": content_type(resp_headers), "html": is_html(response),
        "headers": _header_dict(resp_headers), "request_headers": _header_dict(req_headers),
        "cookies": [parse_set_cookie(v) for k, v in resp_headers if k.lower() == "set-cookie"],
        "request_cookies": [p.partition("=")[0].strip() for k, v in req_headers if k.lower() == "cookie"
                            for p in v.split(";") if p.strip()],
        "body": (response.get("body") or "")[:DATA_BODY_CHARS], "body_note": response.get("body_note") or "",
        "request_body": (request.get("body") or "")[:DATA_BODY_CHARS],
        "exchange_note": d.get("exchange_note") or "", "other_info": d.get("other_info") or "",
        "rule_text": d.get("rule_text") or "", "site": d.get("site") or {},
        "borrowed_from": d.get("borrowed_from") or "",
    }


def render(smell: str | None, raw_details: dict[str, Any]) -> Snippet:
    """The one layout of an HTTP snippet (masked), for training, eval and filter alike."""
    if not is_http_details(raw_details):
        raise ValueError(f"not an HTTP finding: needs the keys {', '.join(DETAIL_KEYS)} (see exchange.py)")
    d = mask_details(raw_details)
    smell = smell or "unknown"
    request, response = d.get("request"), d.get("response")
    verdict = evaluate(smell, raw_details)  # POLICY.md on the exchange (or on what the report says without one)
    if not request and not response and verdict is None:  # nothing a model could judge without guessing
        why = d.get("exchange_note") or "the report carries no request or response for this finding"
        raise NoSnippet(f"{why}; what it says without one (url, parameter, evidence) does not decide the finding")
    check = _cut(d.get("check"), FIELD_BUDGET) + (f" ({d['check_id']})" if d.get("check_id") else "")
    lines = [f"{TECH} {smell.replace('_', ' ')}", f"scanner: {d.get('scanner') or '?'} | check: {check}",
             f"url: {_cut(d.get('url'), FIELD_BUDGET)}"]
    extra = [f"{k}: {_cut(d.get(k), FIELD_BUDGET)}" for k in ("param", "evidence", "attack", "other_info") if d.get(k)]
    if extra:
        lines.append(" | ".join(extra))
    if request:
        lines += ["request:", _cut(request.get("line"), FIELD_BUDGET), *_headers_text(request.get("headers"))]
        if (request.get("body") or "").strip():
            lines.append("request body: " + _cut(_squeeze(request["body"]), REQUEST_BODY_BUDGET))
    else:
        lines.append("request: (not in the report)")
    if response:
        lines += ["response:", _cut(response.get("line"), FIELD_BUDGET), *_headers_text(response.get("headers"))]
        body = response.get("body") or ""
        if body.strip():
            anchors = [] if is_html(response) and not (d.get("evidence") or d.get("attack")) else \
                [d.get("evidence"), d.get("attack"), d.get("param")]
            lines += ["body:", body_excerpt(body, [a for a in anchors if a])]
        else:
            lines.append("body: (empty)")
        if response.get("body_note"):
            lines.append(f"note: {response['body_note']}")
    else:
        lines.append("response: (not in the report)")
    if d.get("exchange_note"):
        lines.append(f"note: {d['exchange_note']}")
    text = "\n".join(lines)
    data = structured(d)
    data["policy"] = None if verdict is None else {"label": verdict.label, "rule": verdict.rule,
                                                   "reason": verdict.reason, "basis": verdict.basis}
    return Snippet(smell=smell, tech=TECH, text=text, data=data)  # no source line: ``line`` stays empty


# --- the technology's callables ------------------------------------------------------------------------------

def owns(finding: Finding) -> bool:
    if is_http_details(finding.details):
        return True
    if isinstance(finding.raw, dict) and ("webRequest" in finding.raw or "webResponse" in finding.raw):
        return True
    return bool(HTTP_URL.match(finding.path or ""))


def snippet(finding: Finding, sources=None) -> Snippet:
    return render(finding.smell, with_borrowed(finding_details(finding)))


def example(row: dict) -> Snippet:
    d = row.get("finding")
    if not isinstance(d, dict):
        raise ValueError("missing field 'finding' (the HTTP details of the finding, see exchange.py)")
    try:
        return render(str(row.get("smell") or ""), d)
    except NoSnippet as exc:
        raise ValueError(f"the finding carries no exchange to learn from ({exc})") from None


def _sarif_message(message: dict, *, response: bool, url: str, method: str) -> dict[str, Any]:
    line = message.get("line") or ""
    out: dict[str, Any] = {}
    if response:
        m = STATUS_LINE.match(line)
        if m:
            out.update(protocol=m.group("protocol"), version=m.group("version"))
            if m.group("reason"):
                out["reasonPhrase"] = m.group("reason").strip()
        if isinstance(message.get("status"), int):
            out["statusCode"] = message["status"]
    else:
        m = REQUEST_LINE.match(line)
        if m and m.group("protocol"):
            out.update(protocol=m.group("protocol"), version=m.group("version"))
        out["method"] = (m.group("method") if m else method) or "GET"
        out["target"] = url or (m.group("target") if m else "")
    headers: dict[str, str] = {}
    for k, v in message.get("headers") or []:
        headers[k] = f"{headers[k]}\n{v}" if k in headers else v
    if headers:
        out["headers"] = headers
    body = message.get("body") or ""
    if body:
        out["body"] = {"text": body[:SARIF_BODY_CHARS]}
    notes = [n for n in (message.get("body_note"),
                         f"body cut at {SARIF_BODY_CHARS} of {len(body)} characters" if len(body) > SARIF_BODY_CHARS else "")
             if n]
    if notes:
        out["properties"] = {"iacfilter": {"body_note": "; ".join(notes)}}
    return out


def sarif_result(finding: Finding) -> dict[str, Any]:
    """``webRequest``/``webResponse`` (masked) for a converted web finding; nothing when it carries no exchange."""
    d = finding_details(finding)
    if not is_http_details(d):
        return {}
    d = mask_details(d)
    out: dict[str, Any] = {}
    if d.get("request"):
        out["webRequest"] = _sarif_message(d["request"], response=False, url=d.get("url") or "", method=d.get("method") or "")
    if d.get("response"):
        out["webResponse"] = _sarif_message(d["response"], response=True, url="", method="")
    # What webRequest/webResponse cannot hold, so that our own output gives back the snippet the model saw
    # ('explain', 'triage'): the scanner's check, its parameter, evidence and payload, the exact start lines.
    out["properties"] = {"http": {
        "check": d.get("check") or "", "check_id": d.get("check_id") or "", "param": d.get("param") or "",
        "evidence": d.get("evidence") or "", "attack": d.get("attack") or "",
        "request_line": (d.get("request") or {}).get("line") or "",
        "response_line": (d.get("response") or {}).get("line") or "",
        "response_body_note": (d.get("response") or {}).get("body_note") or "",
        "exchange_note": d.get("exchange_note") or "", "other_info": d.get("other_info") or "",
        "rule_text": d.get("rule_text") or "",
    }}
    return out


def infer_smell(finding: Finding) -> tuple[str | None, str]:
    """The canonical smell of a web finding no rules map lists, from its rule's words (``smells.py``)."""
    d = finding_details(finding)
    text = rule_words(d) or f"{finding.rule} {finding.message}"
    try:
        match = load_matcher().match(text)
    except (OSError, ValueError) as exc:  # a broken matcher scores nothing by guess: the finding stays kept
        return None, f"smell matcher unavailable: {exc}"
    if match.smell is None:
        why = "no HTTP smell" if match.guess == "other" else f"below the threshold {match.threshold:.2f}"
        return None, f"{match.note}: {why}"
    return match.smell, match.note


def _url_key(url: str) -> tuple | None:
    if not HTTP_URL.match(url or ""):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:  # a malformed URL (``http://[::1/x``) names no page another report could have seen
        return None
    return parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query


def context(findings) -> None:
    """Site context: what all web findings of one run show of each host (which serve HTTPS, which protect their
    session cookie with SameSite), handed to each finding's details; and, for a finding whose report keeps no
    response (drheader's JSON, Wapiti's cookie findings), the response another report of this run kept for the
    same URL (``borrowed``, with where it came from: the scanner's own result is never rewritten)."""
    all_details = [finding_details(f) for f in findings]
    site = site_context(all_details)
    responses: dict[tuple, tuple[int, dict, str]] = {}
    for d in all_details:
        key, response = _url_key(d.get("url") or ""), d.get("response")
        if key is None or not response or (d.get("method") or "GET").upper() not in ("GET", ""):
            continue
        rank = 2 if (response.get("body") or "").strip() else 1  # a response with its body tells more
        if rank > responses.get(key, (0,))[0]:
            responses[key] = (rank, response, d.get("scanner") or "another scanner")
    for f, d in zip(findings, all_details):
        if not isinstance(f.details, dict):
            f.details = {}
        f.details["site"] = site
        key = _url_key(d.get("url") or "")
        if not d.get("response") and key in responses:
            _, response, scanner = responses[key]
            f.details["borrowed"] = {"response": response, "from": scanner}


def with_borrowed(d: dict[str, Any]) -> dict[str, Any]:
    """The details with the response another report of the run kept for the same URL, where this one has none."""
    borrowed = d.get("borrowed")
    d = {k: v for k, v in d.items() if k != "borrowed"}
    if d.get("response") or not isinstance(borrowed, dict) or not borrowed.get("response"):
        return d
    note = f"response from {borrowed.get('from')}'s report of the same URL in this run"
    return {**d, "response": borrowed["response"], "borrowed_from": str(borrowed.get("from") or ""),
            "exchange_note": "; ".join(x for x in (d.get("exchange_note"), note) if x)}


HTTP = Technology(
    name=TECH,
    description="web-scanner findings (ZAP, Nuclei, Burp, Wapiti, web SARIF): the masked HTTP exchange",
    owns=owns,
    snippet=snippet,
    example=example,
    sarif_result=sarif_result,
    infer_smell=infer_smell,
    context=context,
)


@hookimpl
def register_technologies(register):
    register(HTTP)


@hookimpl
def register_rules(register):
    """Rules maps of the web scanners (ZAP, Nuclei, Burp, Wapiti)."""
    for rules in rules_files_in(Path(__file__).with_name("rules")):
        register(rules)
