"""What the web-scanner readers share: strict JSON loading, typed field access, exchange assembly, sniffing."""

from __future__ import annotations

import re
from typing import Any

from iacfilter import validate

from ..exchange import body_text, header, parse_request, parse_response

# A SARIF log is the SARIF reader's, never ours (ZAP's own SARIF report included).
_SARIF_SCHEMA = re.compile(r'"\$schema"\s*:\s*"[^"]*sarif')
_SARIF_VERSION = re.compile(r'"version"\s*:\s*"2\.1\.0"')
_RUNS = re.compile(r'"runs"\s*:\s*\[')


def looks_like_sarif(head: str) -> bool:
    start = head[:4096]
    return bool(_SARIF_SCHEMA.search(start) or (_SARIF_VERSION.search(start) and _RUNS.search(start)))


def load_json(text: str) -> Any:
    """The parsed document (strict JSON: bounded depth, finite numbers, no lone surrogates, as every input), or
    a ValueError (``InputProblem``) saying in one line where and why it breaks."""
    return validate.load_json(text)


_KINDS = {dict: "an object", list: "an array", str: "a string"}


def expect(value: Any, kind: type, where: str) -> Any:
    """``value`` if it is a JSON object / array / string as expected, else a ValueError saying where."""
    if not isinstance(value, kind):
        got = "null" if value is None else _KINDS.get(type(value), f"a {type(value).__name__}")
        raise ValueError(f"{where} must be {_KINDS[kind]}, not {got}")
    return value


def text_field(record: dict, key: str, where: str, default: str = "") -> str:
    """A string member (numbers are accepted and turned into text); absent or null gives ``default``."""
    value = record.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f'{where}: "{key}" must be a string')
    return str(value)


def request_from(head: str | None, body: str | None = None) -> dict | None:
    """The request part of ``details`` from a raw head (request line + headers) and a separate body."""
    request = parse_request(head)
    if request is not None and body:
        request["body"] = body_text(body)[0]
    return request


def response_from(head: str | None, body: str | bytes | None = None) -> dict | None:
    """The response part of ``details`` from a raw head (status line + headers) and a separate body."""
    response = parse_response(head)
    if response is not None and body:
        text, note = body_text(body, header(response["headers"], "content-type") or "")
        response["body"], response["body_note"] = text, note
    return response


def missing_note(request: dict | None, response: dict | None, why: str) -> str:
    """The ``exchange_note`` for a finding whose request or response (or both) is missing."""
    if request is None and response is None:
        return why
    if request is None:
        return f"no request: {why}"
    if response is None:
        return f"no response: {why}"
    return ""
