"""The shape HTTP readers hand the HTTP technology in ``Finding.details``, and raw-message parsing.

Every HTTP reader fills ``Finding.details`` with one dict of this shape (JSON-serialisable, so a dataset row
can carry it verbatim under ``"finding"``)::

    {
      "scanner":  "ZAP",                       # the tool, as it names itself
      "check":    "Strict-Transport-Security Header Not Set",   # the scanner's own name for the check
      "check_id": "10035",                     # the scanner's rule / plugin / template id
      "url":      "https://shop.example/login",
      "method":   "GET",
      "param":    "",                          # the parameter or header the finding is about, if any
      "evidence": "",                          # the scanner's evidence string, if any
      "attack":   "",                          # the payload it sent, if any
      "request":  {"line": "GET /login HTTP/1.1", "headers": [["Host", "shop.example"], ...], "body": ""} | None,
      "response": {"line": "HTTP/1.1 200 OK", "status": 200, "headers": [["Content-Type", "text/html"], ...],
                   "body": "<!doctype html>...", "body_note": ""} | None,
      "exchange_note": "",                     # why there is no (or only part of an) exchange, when so
      # optional: "rule_text" (the check's description, tags, CWE: words the smell matcher reads),
      #           "other_info" (the scanner's further observation, e.g. ZAP's otherinfo),
      #           "site" (what the run shows of the host, set by the technology: {"https_hosts": [...]})
    }

``request`` / ``response`` are None when the report carries no exchange (e.g. Nuclei's ``-omit-raw``); the
finding is then kept and marked why, never dropped. Header names keep the scanner's spelling and order.
Bodies are text: a binary or oversized body is replaced by a note in ``body_note`` (see ``body_text``).

The canonical HTTP smells (the rules map's ``smell`` for web checks; the champion's coverage) are ``SMELLS``.
"""

from __future__ import annotations

import re
from typing import Any

TECH = "http"

SMELLS = (
    "hsts",                          # Strict-Transport-Security missing or too short
    "csp",                           # Content-Security-Policy missing or defeated
    "framing",                       # X-Frame-Options / frame-ancestors (clickjacking)
    "content_sniffing",              # X-Content-Type-Options
    "optional_security_header",      # Referrer-Policy, Permissions-Policy, COOP/COEP/CORP, ...
    "obsolete_header",               # X-XSS-Protection, Pragma, Expires
    "cacheable_sensitive_content",   # shared caches may store the response
    "version_banner",                # Server / X-Powered-By / other banners
    "cors",                          # Access-Control-Allow-Origin misuse
    "cookie_flags",                  # HttpOnly / Secure / SameSite
    "plain_http",                    # HTML or cookies over plain HTTP
    "certificate",                   # self-signed or invalid certificate
    "xss",                           # reflected or stored input
    "csrf",                          # state-changing form without a token
    "exposed_file",                  # backup or sensitive file found
    "server_error_disclosure",       # 5xx that discloses internals
    "http_methods",                  # TRACE / PUT / DELETE enabled
)

RULE_TEXT_CHARS = 400
MAX_BODY_CHARS = 256 * 1024  # what a reader keeps of a body; the technology cuts its snippet far shorter
_STATUS = re.compile(r"^\s*HTTP/\S+\s+(\d{3})")


def body_text(data: bytes | str | None, content_type: str = "") -> tuple[str, str]:
    """A body as text for the snippet, and a note when it is not shown as it is (binary, cut)."""
    if data is None:
        return "", ""
    if isinstance(data, bytes):
        if b"\x00" in data[:4096]:
            return "", f"binary body ({len(data)} bytes, {content_type or 'no content type'}) not shown"
        text = data.decode("utf-8", errors="replace")
    else:
        text = data
        if "\x00" in text[:4096]:
            return "", f"binary body ({len(text)} characters, {content_type or 'no content type'}) not shown"
    if len(text) > MAX_BODY_CHARS:
        return text[:MAX_BODY_CHARS], f"body cut at {MAX_BODY_CHARS} of {len(text)} characters"
    return text, ""


def parse_headers(lines: list[str]) -> list[list[str]]:
    headers = []
    for line in lines:
        if not line.strip():
            continue
        if line[:1] in " \t" and headers:  # obsolete line folding
            headers[-1][1] += " " + line.strip()
            continue
        name, sep, value = line.partition(":")
        if sep:
            headers.append([name.strip(), value.strip()])
    return headers


def _split_message(raw: str) -> tuple[list[str], str]:
    head, sep, body = raw.replace("\r\n", "\n").partition("\n\n")
    return head.split("\n"), body if sep else ""


def parse_request(raw: str | None) -> dict[str, Any] | None:
    """``GET /x HTTP/1.1\\r\\nHost: a\\r\\n\\r\\nbody`` -> the request part of ``details``; None for nothing."""
    if not raw or not raw.strip():
        return None
    lines, body = _split_message(raw.lstrip("\r\n"))
    return {"line": lines[0].strip(), "headers": parse_headers(lines[1:]), "body": body_text(body)[0]}


def parse_response(raw: str | None) -> dict[str, Any] | None:
    """``HTTP/1.1 200 OK\\r\\nContent-Type: ...\\r\\n\\r\\nbody`` -> the response part of ``details``."""
    if not raw or not raw.strip():
        return None
    lines, body = _split_message(raw.lstrip("\r\n"))
    m = _STATUS.match(lines[0])
    headers = parse_headers(lines[1:])
    text, note = body_text(body, header(headers, "content-type") or "")
    return {"line": lines[0].strip(), "status": int(m.group(1)) if m else None, "headers": headers,
            "body": text, "body_note": note}


def header(headers: list[list[str]] | None, name: str) -> str | None:
    """The first value of header ``name`` (case-insensitive), or None."""
    for k, v in headers or []:
        if k.lower() == name.lower():
            return v
    return None


def details(*, scanner: str, check: str, check_id: str = "", url: str = "", method: str = "", param: str = "",
            evidence: str = "", attack: str = "", request: dict | None = None, response: dict | None = None,
            exchange_note: str = "", rule_text: str = "", other_info: str = "") -> dict[str, Any]:
    """A ``Finding.details`` dict with every key present (the optional ``rule_text``, ``other_info`` when given)."""
    out = {"scanner": scanner, "check": check, "check_id": str(check_id), "url": url, "method": method,
           "param": param or "", "evidence": evidence or "", "attack": attack or "", "request": request,
           "response": response, "exchange_note": exchange_note}
    if rule_text:
        out["rule_text"] = " ".join(rule_text.split())[:RULE_TEXT_CHARS]
    if other_info:
        out["other_info"] = other_info[:RULE_TEXT_CHARS * 4]
    return out
