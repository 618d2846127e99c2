"""Mask the secrets an HTTP exchange carries, keeping its structure.

A model (and a reader of the SARIF out) must still see that a cookie exists, its name and its flags, that a
request was authenticated and with which scheme, that a form carries a non-empty token; it must never see the
cookie value, the token or the password. ``mask_details`` masks a ``Finding.details`` dict (the shape in
``exchange.py``) in two passes:

1. structured places: request ``Cookie`` values and response ``Set-Cookie`` values (names and attributes
   kept), ``Authorization`` / ``Proxy-Authorization`` credentials (the scheme kept), API-key and token
   headers, secret-named parameters in URLs, query strings, form and JSON bodies (``password=``,
   ``access_token=``, ``api_key=``, ``sid=``, ``PHPSESSID=``, ``;jsessionid=`` ...), the values of password
   and token fields in HTML forms, JWT-looking strings and ``Bearer`` tokens anywhere;
2. every secret value found in pass 1 is replaced wherever else it occurs (the scanner's evidence, a body
   that echoes the session id, a Location header ...).

Masking is idempotent: the mask is never itself taken for a secret, so masking masked text changes nothing.
An empty value stays empty (an empty CSRF token protects nothing: the policy needs to see that).
"""

from __future__ import annotations

import re
from typing import Any, Iterable

MASK = "[MASKED]"
URL_MASK = "%5BMASKED%5D"  # the mask inside a URI (brackets are not allowed in a URI's path or query)
MIN_ECHO = 6  # a secret shorter than this is not chased through the rest of the exchange (too many false hits)

# Parameter / field / JSON-key names whose values are secrets (matched on the whole name, case-insensitive).
SECRET_NAME = (
    r"(?:[\w.-]*(?:passw(?:or)?d|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|"
    r"client[_-]?secret|session[_-]?id|sessid|credential|signature)[\w.-]*|pass|sid|sess|session|auth|"
    r"jsessionid|phpsessid|aspsessionid\w*|asp\.net_sessionid|cfid|cftoken|csrfmiddlewaretoken|"
    r"_token|authenticity_token|sectok|__requestverificationtoken|xsrf|_xsrf|csrf|csrf[_-]?token)"
)
_SECRET_NAME_RE = re.compile(rf"^{SECRET_NAME}$", re.I)

# Headers whose whole value is a credential (after an optional auth scheme).
AUTH_HEADERS = {"authorization", "proxy-authorization"}
SECRET_HEADER = re.compile(r"^(?:x-)?[\w-]*(?:api-?key|token|secret|session|password|passwd|auth)[\w-]*$", re.I)
NOT_SECRET_HEADERS = re.compile(r"^(?:access-control-|www-authenticate|proxy-authenticate|authentication-info|"
                                r"vary$|content-|accept|x-content-type-options|x-xss-protection)", re.I)
URL_HEADERS = {"location", "content-location", "referer", "origin", "refresh", "link"}

JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
# A credential after an auth scheme: 8+ token characters, one of them a digit or + / = (not an English word).
BEARER = re.compile(r"(?i)\b(bearer|basic|digest|negotiate|ntlm)(\s+)(?=[A-Za-z0-9._~+/=-]*[0-9+/=])"
                    r"([A-Za-z0-9._~+/=-]{8,})")
SCHEME_WORD = re.compile(r"(?i)bearer|basic|digest|negotiate|ntlm")
# name=value in query strings, form bodies, cookie-ish text and URL path parameters (;jsessionid=...).
PAIR = re.compile(rf"(?i)(?<![\w.-])({SECRET_NAME})(\s*=\s*)([^&;\s\"'<>#,?]+)")
# "name": "value" in JSON (and JS object literals).
JSON_PAIR = re.compile(rf"(?i)([\"']{SECRET_NAME}[\"']\s*:\s*[\"'])([^\"']+)([\"'])")
INPUT_TAG = re.compile(r"(?is)<input\b[^>]*>")
INPUT_NAME = re.compile(r"(?is)\bname\s*=\s*[\"']?([^\"'\s>]+)")
INPUT_TYPE_PASSWORD = re.compile(r"(?is)\btype\s*=\s*[\"']?password\b")
INPUT_VALUE = re.compile(r"(?is)(\bvalue\s*=\s*)([\"'])(.*?)(\2)")
META_CSRF = re.compile(r"(?is)(<meta\b[^>]*\bname\s*=\s*[\"']?(?:csrf[-_]?token|_token|xsrf[-_]?token)[\"']?[^>]*"
                       r"\bcontent\s*=\s*)([\"'])(.*?)(\2)")


def _masked(value: str) -> bool:
    return value in ("", MASK, URL_MASK)


class Masker:
    """Masks strings and remembers every secret it masked, so pass 2 can chase them elsewhere."""

    def __init__(self) -> None:
        self.secrets: set[str] = set()

    def _keep(self, value: str) -> str:
        if not _masked(value):
            self.secrets.add(value)
        return MASK if value else value

    # --- pass 1: structured places --------------------------------------------------------------------
    def text(self, text: str) -> str:
        """Free text (URLs, bodies, evidence): JWTs, bearer tokens, secret-named pairs, form fields."""
        if not text:
            return text
        if "eyJ" in text:
            text = JWT.sub(lambda m: self._keep(m.group(0)), text)
        if SCHEME_WORD.search(text):
            text = BEARER.sub(lambda m: m.group(1) + m.group(2) + self._keep(m.group(3)), text)
        if "=" in text:
            text = PAIR.sub(lambda m: m.group(1) + m.group(2) + self._keep(m.group(3)), text)
        if ":" in text:
            text = JSON_PAIR.sub(lambda m: m.group(1) + self._keep(m.group(2)) + m.group(3), text)
        if "<" in text:
            text = INPUT_TAG.sub(self._input, text)
            text = META_CSRF.sub(lambda m: m.group(1) + m.group(2) + self._keep(m.group(3)) + m.group(4), text)
        return text

    def _input(self, m: re.Match) -> str:
        tag = m.group(0)
        name = INPUT_NAME.search(tag)
        if INPUT_TYPE_PASSWORD.search(tag) or (name and _SECRET_NAME_RE.match(name.group(1))):
            tag = INPUT_VALUE.sub(lambda v: v.group(1) + v.group(2) + self._keep(v.group(3)) + v.group(4), tag)
        return tag

    def cookie_header(self, value: str) -> str:
        """``Cookie: a=1; b=2`` -> ``a=[MASKED]; b=[MASKED]``."""
        parts = []
        for part in value.split(";"):
            name, sep, val = part.partition("=")
            parts.append(f"{name}={self._keep(val.strip())}" if sep else part)
        return ";".join(parts)

    def set_cookie(self, value: str) -> str:
        """``Set-Cookie: sid=abc; Path=/; HttpOnly`` -> ``sid=[MASKED]; Path=/; HttpOnly`` (attributes kept)."""
        first, sep, attributes = value.partition(";")
        name, eq, val = first.partition("=")
        if eq:
            first = f"{name}={self._keep(val.strip())}"
        return first + sep + attributes

    def auth(self, value: str) -> str:
        """``Bearer abc`` -> ``Bearer [MASKED]``; a bare credential -> ``[MASKED]``."""
        scheme, space, cred = value.strip().partition(" ")
        if space and re.fullmatch(r"[A-Za-z][\w-]*", scheme):
            return f"{scheme} {self._keep(cred.strip())}"
        return self._keep(value.strip())

    def header(self, name: str, value: str) -> str:
        lower = name.lower()
        if lower == "cookie":
            return self.cookie_header(value)
        if lower == "set-cookie":
            return self.set_cookie(value)
        if lower in AUTH_HEADERS:
            return self.auth(value)
        if SECRET_HEADER.match(name) and not NOT_SECRET_HEADERS.match(name):
            return self._keep(value.strip())
        return self.text(value)

    def headers(self, headers: Iterable | None) -> list[list[str]] | None:
        if headers is None:
            return None
        return [[str(k), self.header(str(k), str(v))] for k, v in headers]

    # --- pass 2: the same secrets wherever else they occur --------------------------------------------
    def echo(self, text: str) -> str:
        if not text:
            return text
        for secret in sorted((s for s in self.secrets if len(s) >= MIN_ECHO), key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, MASK)
        return text


def _copy(value: Any) -> Any:
    """A deep copy of JSON-like data (dicts, lists, scalars): what ``details`` holds; faster than copy.deepcopy."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _walk(value: Any, fn) -> Any:
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, list):
        return [_walk(v, fn) for v in value]
    if isinstance(value, dict):
        return {k: _walk(v, fn) for k, v in value.items()}
    return value


def mask_details(details: dict[str, Any]) -> dict[str, Any]:
    """A masked copy of an HTTP ``Finding.details`` dict (the input is left as it is)."""
    m = Masker()
    out = _copy(details)
    for part in ("request", "response"):
        message = out.get(part)
        if isinstance(message, dict):
            message["headers"] = m.headers(message.get("headers"))
            for key in ("line", "body"):
                if isinstance(message.get(key), str):
                    message[key] = m.text(message[key])
    for key in ("url", "evidence", "attack"):
        if isinstance(out.get(key), str):
            out[key] = m.text(out[key])
    return _walk(out, m.echo) if m.secrets else out


def mask_url(url: str) -> str:
    """A URL with its session ids and tokens masked: what an HTTP reader puts in ``Finding.path`` (the SARIF
    location the core writes), so the location never shows a secret either."""
    return Masker().text(url).replace(MASK, URL_MASK)


def mask_text(text: str) -> str:
    """Mask free text on its own (a rationale, a message): pass 1 only, there is no exchange to learn from."""
    return Masker().text(text)
