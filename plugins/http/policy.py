"""POLICY.md as code: one small function per rule, judging the evidence in the exchange.

One implementation for the data generator's labeller (``datagen``) and the scorer (``features.py`` adds the
verdict of ``evaluate`` to what its model weighs, as a prior it learns on top of).

``judge(smell, finding, subject)`` reads only the exchange (URL scheme, status, content type, headers,
cookies, body, the submitted request, the scanner's payload) and the *subject* of the finding (which header,
cookie flag or form it is about) -- never the scanner's wording, stated reason or severity. Where a report
keeps no response (Wapiti's cookie and certificate findings), what the scanner observed stands in for it: the
cookie it names, its one-line observation about the certificate. It returns a
``Verdict`` (label, the rule that decided it, a reason key and the evidence the analysis cites), or None where
POLICY.md does not decide the case (the generator never emits those).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from urllib.parse import SplitResult, parse_qs, urlsplit

from .exchange import header

HSTS_MIN_AGE = 15552000
HTML_TYPES = ("text/html", "application/xhtml+xml", "image/svg+xml")
CSRF_COOKIES = {"_xsrf", "csrftoken", "xsrf-token", "_csrf", "csrf_token", "csrf", "x-csrf-token"}
SESSION_NAMES = {"phpsessid", "jsessionid", "asp.net_sessionid", "sessionid", "connect.sid", "dokuwiki",
                 "laravel_session", "ci_session", "grafana_session", "sid", "pmaauth-1", "i_like_gitea",
                 "phpmyadmin"}
SESSION_PARTS = re.compile(r"(^|[_.\-])(session|sess|sessid|sid|auth|token|jwt|logged_in|remember)([_.\-]|$)|session|"
                           r"^S?SESS[0-9a-f]+$", re.I)
AUTH_COOKIE_NAMES = re.compile(r"^DW[0-9a-f]{32}$")  # DokuWiki's authentication (remember-me) cookie: DW + md5
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
TOKEN_FIELD = re.compile(r"csrf|xsrf|token|nonce|sectok|form_key|authenticity|requestverification|crumb", re.I)
SCANNER_FILLERS = {"default"}  # what Wapiti submits in a field the served form left empty
NON_STATE_FIELDS = {"q", "query", "search", "s", "sort", "order", "filter", "page", "lang", "category", "do",
                    "id", "tag", "per_page", "dir"}
SENSITIVE_PATH = re.compile(r"[/=:](login|userlogin|userrights|manager|manage|privileges|actuator/env|signin|"
                            r"sign-in|logon|account|accounts|profile|admin|administrator|"
                            r"wp-admin|wp-login\.php|server-status|settings|users?|me|session|oauth|auth|"
                            r"checkout|api-keys|tokens?|preferences|password)(/|\.|\?|&|$)", re.I)
SENSITIVE_JSON = re.compile(r'"(email|e-mail|phone|ssn|address|password|password_hash|access_token|'
                            r'refresh_token|api_key|apikey|secret|token|iban|birthdate|dob)"\s*:', re.I)
VERSION = re.compile(r"/v?\d|\bv?\d+\.\d+|\s\d+\b")
INTERNALS = re.compile(
    r"Traceback \(most recent call last\)|\bat [\w$.]+\([\w$]+\.(java|kt|scala):\d+\)|Exception in thread|"
    r"Stack trace:|stack trace|\bat [\w.<>$]+ \((/|[A-Za-z]:\\)[^)]*\)|node_modules/|File \"[^\"]+\.py\", line \d+|"
    r"\.php on line \d+|\.php:\d+|SQLSTATE\[|ORA-\d{5}|You have an error in your SQL syntax|syntax error at or near|"
    r"\.rb:\d+:in|Werkzeug Debugger|DEBUG = True|Whoops! There was an error|System\.[A-Za-z.]+Exception|"
    r"Microsoft OLE DB|[A-Z]:\\\\?(inetpub|Users|Program Files)|/(var/www|usr/src/app|home/\w+|srv|opt)/[\w./-]+\.\w+",
)
SOURCE_LIKE = re.compile(
    r"^\s*<\?php|<\?php\s|<%@|^\s*#!/|^\s*(import|from) [\w.]+( import|$)|CREATE TABLE|INSERT INTO|-- MySQL dump|"
    r"-- PostgreSQL database dump|^\s*\[(mysqld|database|client|production|default)\]|"
    r"(DB_PASSWORD|DB_HOST|SECRET_KEY|AWS_SECRET_ACCESS_KEY|APP_KEY)\s*[=:]|define\(\s*'DB_|<configuration>|"
    r"^\s*(spring\.datasource|datasource)\.", re.M)
BINARY_TYPES = ("application/zip", "application/x-zip-compressed", "application/gzip", "application/x-gzip",
                "application/x-tar", "application/x-7z-compressed", "application/x-rar-compressed",
                "application/octet-stream", "application/x-sql", "application/sql", "application/x-sqlite3",
                "application/vnd.sqlite3", "application/x-bzip2", "application/x-trash")


@dataclass(frozen=True)
class Verdict:
    label: str            # "TP" or "FP"
    rule: str             # the POLICY.md rule that decided it
    reason: str           # what about the evidence decided it (a key for the analysis writer)
    facts: dict = field(default_factory=dict)  # the evidence the analysis cites
    basis: str = "exchange"  # what decided: the exchange, or (no exchange) the evidence, url, parameter ...


# ---------------------------------------------------------------- reading the exchange

def _urlsplit(url: str) -> SplitResult:
    """``urlsplit``, or an empty URL for one it cannot parse (``http://[::1/x``): a malformed URL decides nothing."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises on a port that is no number
        return parts
    except ValueError:
        return SplitResult("", "", "", "", "")


def resp_headers(f: dict) -> list:
    return (f.get("response") or {}).get("headers") or []


def req_headers(f: dict) -> list:
    return (f.get("request") or {}).get("headers") or []


def scheme(f: dict) -> str:
    return _urlsplit(f.get("url") or "").scheme.lower()


def host(f: dict) -> str:
    return (_urlsplit(f.get("url") or "").hostname or "").lower()


def status(f: dict) -> int | None:
    return (f.get("response") or {}).get("status")


def body(f: dict) -> str:
    return (f.get("response") or {}).get("body") or ""


def body_empty(f: dict) -> bool:
    r = f.get("response") or {}
    return not (r.get("body") or "").strip() and not r.get("body_note")


def content_type(f: dict) -> str:
    return (header(resp_headers(f), "Content-Type") or "").split(";")[0].strip().lower()


def is_html(f: dict) -> bool:
    code = status(f) or 0
    if 300 <= code < 400 or body_empty(f):
        return False
    ctype = content_type(f)
    if ctype:
        return ctype in HTML_TYPES
    return bool(re.match(r"\s*(<!doctype html|<html)", body(f), re.I))


def method(f: dict) -> str:
    line = (f.get("request") or {}).get("line") or ""
    return (line.split(" ", 1)[0] or f.get("method") or "GET").upper()


def cookies_set(f: dict) -> list[tuple[str, str, dict]]:
    """(name, value, {attribute-lowercase: value}) for every Set-Cookie of the response."""
    out = []
    for k, v in resp_headers(f):
        if k.lower() != "set-cookie":
            continue
        parts = [p.strip() for p in v.split(";")]
        name, _, value = parts[0].partition("=")
        attrs = {}
        for p in parts[1:]:
            a, _, av = p.partition("=")
            attrs[a.strip().lower()] = av.strip()
        out.append((name.strip(), value.strip(), attrs))
    return out


def is_session_cookie(name: str) -> bool:
    low = name.lower()
    if low in CSRF_COOKIES:
        return False
    return low in SESSION_NAMES or bool(SESSION_PARTS.search(name)) or bool(AUTH_COOKIE_NAMES.match(name))


def serves_https(f: dict) -> bool:
    """The host serves HTTPS: an https URL, a redirect/link to https on this host, or (site context) another
    finding of the same run showed it (``f["site"]["https_hosts"]``; cookies are not separated by port)."""
    if scheme(f) == "https":
        return True
    if host(f) and host(f) in ((f.get("site") or {}).get("https_hosts") or ()):
        return True
    h = re.escape(host(f))
    loc = header(resp_headers(f), "Location") or ""
    return bool(re.match(rf"https://{h}(:\d+)?(/|$)", loc, re.I)
                or re.search(rf"https://{h}(:\d+)?[/\"']", body(f), re.I))


def csp_header(f: dict) -> str | None:
    return header(resp_headers(f), "Content-Security-Policy")


def csp_directives(value: str) -> dict[str, list[str]]:
    out = {}
    for part in value.split(";"):
        tokens = part.split()
        if tokens and tokens[0].lower() not in out:
            out[tokens[0].lower()] = tokens[1:]
    return out


def csp_weakness(value: str | None) -> str:
    """Why a CSP does not restrict scripts ('' when it does)."""
    if value is None:
        return "missing"
    d = csp_directives(value)
    name = "script-src" if "script-src" in d else "default-src" if "default-src" in d else None
    if name is None:
        return "no-script-directive"
    sources = [s.lower() for s in d[name]]
    if "'unsafe-inline'" in sources and not any(s.startswith(("'nonce-", "'sha256-", "'sha384-", "'sha512-"))
                                                for s in sources):
        return "unsafe-inline"
    if "*" in sources:
        return "wildcard"
    if "data:" in sources:
        return "data"
    return ""


def sensitive(f: dict) -> str:
    """Why the response is sensitive under POLICY.md ('' when it is public content)."""
    parts = _urlsplit(f.get("url") or "")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    for name, _, attrs in cookies_set(f):
        if is_session_cookie(name) and attrs.get("max-age") != "0":
            return f"it sets the session cookie {name}"
    if SENSITIVE_PATH.search(path):
        return f"{path} is a login, account or admin resource"
    if re.search(r"(^|&)(pass|password|passwd|pwd)=", (f.get("request") or {}).get("body") or "", re.I):
        return "the request submits a password (a login)"
    text = body(f)
    if re.search(r"<input[^>]+type=[\"']?password", text, re.I):
        return "the page carries a password field"
    if "json" in content_type(f) and SENSITIVE_JSON.search(text):
        return "the JSON carries personal data or tokens"
    if len(set(EMAIL.findall(text[:65536]))) >= 3:
        return "the response lists people's e-mail addresses (personal data)"
    return ""


def not_html_because(f: dict) -> str:
    """Why a response is not HTML, in words."""
    code = status(f) or 0
    if code == 304:
        return "a 304 Not Modified response without a body"
    if 300 <= code < 400:
        return f"a {code} redirect"
    if body_empty(f):
        return f"a {code} response with an empty body"
    ctype = content_type(f)
    return f"a {ctype} response" if ctype else "a response without Content-Type that is not an HTML document"


def _v(label: str, rule: str, reason: str, **facts) -> Verdict:
    return Verdict(label, rule, reason, facts)


# ---------------------------------------------------------------- the rules, one function each

def rule_hsts(f: dict, subject: dict) -> Verdict:
    value = header(resp_headers(f), "Strict-Transport-Security")
    if scheme(f) != "https":
        return _v("FP", "hsts", "plain-http", value=value)
    if value is None:
        return _v("TP", "hsts", "missing")
    m = re.search(r"max-age\s*=\s*\"?(\d+)", value, re.I)
    age = int(m.group(1)) if m else None
    if age is None or age < HSTS_MIN_AGE:
        return _v("TP", "hsts", "too-short", value=value, age=age)
    return _v("FP", "hsts", "sufficient", value=value, age=age)


def rule_csp(f: dict, subject: dict) -> Verdict:
    if not is_html(f):
        return _v("FP", "csp", "not-html", what=not_html_because(f), status=status(f))
    value = csp_header(f)
    weakness = csp_weakness(value)
    if weakness:
        return _v("TP", "csp", weakness, value=value, ctype=content_type(f))
    return _v("FP", "csp", "sound", value=value, ctype=content_type(f))


def rule_optional_header(f: dict, subject: dict) -> Verdict:
    name = subject["header"]
    present = header(resp_headers(f), name)
    if present is not None:
        return rule_header_value(f, subject)
    if not is_html(f):
        return _v("FP", "optional-headers", "not-html", header=name, what=not_html_because(f), status=status(f))
    csp = csp_header(f)
    if name.lower() == "x-frame-options":
        if csp is not None and "frame-ancestors" in csp_directives(csp):
            return _v("FP", "optional-headers", "frame-ancestors", header=name, value=csp)
        return _v("TP", "optional-headers", "no-frame-ancestors", header=name, value=csp)
    if csp is not None and not csp_weakness(csp):
        return _v("FP", "optional-headers", "sound-csp", header=name, value=csp)
    return _v("TP", "optional-headers", "no-sound-csp", header=name, value=csp,
              weakness=csp_weakness(csp))


def rule_header_value(f: dict, subject: dict) -> Verdict:
    name = subject["header"]
    return _v("FP", "header-value", "present", header=name, value=header(resp_headers(f), name))


def rule_obsolete_header(f: dict, subject: dict) -> Verdict:
    name = subject["header"]
    value = header(resp_headers(f), name)
    rule = "x-xss-protection" if name.lower() == "x-xss-protection" else "pragma-expires"
    return _v("FP", rule, "absent" if value is None else "present", header=name, value=value)


def rule_caching(f: dict, subject: dict) -> Verdict:
    cc = header(resp_headers(f), "Cache-Control")
    storable = cc is None or not re.search(r"\b(no-store|private)\b", cc, re.I)
    why = sensitive(f)
    if storable and why:
        return _v("TP", "caching", "sensitive-storable", cache_control=cc, why=why)
    if not storable:
        return _v("FP", "caching", "not-storable", cache_control=cc, why=why)
    return _v("FP", "caching", "public", cache_control=cc, path=_urlsplit(f.get("url") or "").path)


def rule_banner(f: dict, subject: dict) -> Verdict | None:
    name = subject["header"]
    value = header(resp_headers(f), name)
    if value is None:
        return None
    if VERSION.search(value):
        return _v("TP", "banner", "version", header=name, value=value)
    return _v("FP", "banner", "product-only", header=name, value=value)


def rule_cors(f: dict, subject: dict) -> Verdict | None:
    acao = header(resp_headers(f), "Access-Control-Allow-Origin")
    if acao is None:
        return None
    creds = (header(resp_headers(f), "Access-Control-Allow-Credentials") or "").strip().lower() == "true"
    origin = header(req_headers(f), "Origin")
    why = sensitive(f)
    if acao.strip() == "*":
        if why:
            return _v("TP", "cors", "wildcard-sensitive", value=acao, why=why)
        return _v("FP", "cors", "wildcard-public", value=acao)
    if origin and acao.strip() == origin.strip():
        if creds:
            return _v("TP", "cors", "reflected-credentials", value=acao, origin=origin)
        return None
    return _v("FP", "cors", "fixed-origin", value=acao, origin=origin, credentials=creds)


def rule_cookies(f: dict, subject: dict) -> Verdict | None:
    name, flag = subject["cookie"], subject["flag"]
    found = [c for c in cookies_set(f) if c[0] == name]
    if not found:  # the scanner names a cookie this response does not set (or no response is kept): its claim
        if name in (f.get("evidence") or "") + (f.get("param") or "") + (f.get("check_id") or ""):
            return _cookie_claim(f, name, flag)
        return None
    _, _, attrs = found[0]
    raw = next(v for k, v in resp_headers(f) if k.lower() == "set-cookie" and v.split("=", 1)[0].strip() == name)
    facts = dict(cookie=name, flag=flag, set_cookie=raw)
    if not is_session_cookie(name):
        return _v("FP", "cookies", "not-session", **facts)
    key = flag.lower()
    if key == "samesite":
        value = attrs.get("samesite")
        if value is None:
            return _v("TP", "cookies", "samesite-missing", **facts)
        if value.lower() in ("lax", "strict"):
            return _v("FP", "cookies", "flag-present", value=value, **facts)
        return None
    if key in attrs:
        return _v("FP", "cookies", "flag-present", **facts)
    if key == "secure" and not serves_https(f):
        return _v("FP", "cookies", "http-only-host", **facts)
    return _v("TP", "cookies", f"{key}-missing", https=serves_https(f), **facts)


def _cookie_claim(f: dict, name: str, flag: str) -> Verdict:
    """A report that names the cookie and the missing flag but carries no response (Wapiti): the claim stands
    unless the name or the transport decides otherwise."""
    facts = dict(cookie=name, flag=flag, set_cookie=f"not in the report; the scanner names {name}")
    if not is_session_cookie(name):
        return _v("FP", "cookies", "not-session", **facts)
    key = flag.lower()
    if key == "secure" and not serves_https(f):
        return _v("FP", "cookies", "http-only-host", **facts)
    return _v("TP", "cookies", "claim-session", https=serves_https(f), **facts)


def rule_plain_http(f: dict, subject: dict) -> Verdict | None:
    if scheme(f) != "http":
        return None
    code = status(f) or 0
    loc = header(resp_headers(f), "Location") or ""
    cookies = [c[0] for c in cookies_set(f)]
    if 300 <= code < 400:
        if loc.lower().startswith("https://"):
            return _v("FP", "plain-http", "redirects", status=code, location=loc)
        if cookies:
            return _v("TP", "plain-http", "sets-cookies", status=code, cookies=cookies)
        return None
    if cookies:
        return _v("TP", "plain-http", "sets-cookies", status=code, cookies=cookies)
    if is_html(f):
        return _v("TP", "plain-http", "serves", status=code, ctype=content_type(f))
    return None


def _cert_fields(evidence: str) -> dict:
    return {k.strip().lower(): v.strip() for k, _, v in
            (part.partition("=") for part in evidence.split(";")) if v}


def _name_matches(name: str, hostname: str) -> bool:
    name = name.lower()
    if name.startswith("*."):
        return hostname.endswith(name[1:]) and hostname.count(".") == name.count(".")
    return name == hostname


def rule_certificate(f: dict, subject: dict) -> Verdict | None:
    if scheme(f) != "https":
        return None
    cert = _cert_fields(f.get("evidence") or "")
    if not {"subject", "issuer", "notafter"} <= set(cert):
        return _certificate_observation(f)
    hostname = host(f)
    names = [n.strip() for n in (cert.get("san") or cert["subject"].removeprefix("CN=")).split(",")]
    date = header(resp_headers(f), "Date")
    now = parsedate_to_datetime(date).replace(tzinfo=None) if date else None
    not_after = datetime.strptime(cert["notafter"], "%Y-%m-%d")
    facts = dict(subject=cert["subject"], issuer=cert["issuer"], not_after=cert["notafter"], host=hostname)
    if cert["subject"] == cert["issuer"]:
        return _v("TP", "certificate", "self-signed", **facts)
    if now is not None and not_after < now:
        return _v("TP", "certificate", "expired", **facts)
    if not any(_name_matches(n.removeprefix("CN="), hostname) for n in names):
        return _v("TP", "certificate", "name-mismatch", names=", ".join(names), **facts)
    return _v("FP", "certificate", "valid", **facts)


def reflected_input(f: dict) -> str:
    """The scanner's payload: its ``attack``, else the value of the finding's parameter in the request."""
    if f.get("attack"):
        return f["attack"]
    line = (f.get("request") or {}).get("line") or ""
    target = line.split(" ")[1] if line.count(" ") >= 2 else f.get("url") or ""
    values = parse_qs(_urlsplit(target).query, keep_blank_values=True).get(f.get("param") or "", [])
    return values[0] if values else ""


CERT_INVALID = [(re.compile(r"self[- ]signed", re.I), "self-signed"),
                (re.compile(r"certificate has expired", re.I), "expired"),
                (re.compile(r"hostname doesn't match", re.I), "name-mismatch"),
                (re.compile(r"hsts-invalid-cert|certificate chain is invalid|invalid certificate", re.I), "invalid-chain")]
CERT_VALID = re.compile(r"extended validation|ocsp must-staple|certificate expires in", re.I)


def _certificate_observation(f: dict) -> Verdict | None:
    """A scanner's one-line observation about the certificate (Wapiti's ssl module)."""
    evidence = " ".join(x for x in (f.get("evidence"), f.get("check_id")) if x)  # Observatory: the result id
    facts = dict(observation=evidence, host=host(f))
    for pattern, reason in CERT_INVALID:
        if pattern.search(evidence):
            return _v("TP", "certificate", f"observed-{reason}", **facts)
    if CERT_VALID.search(evidence):
        return _v("FP", "certificate", "observed-valid", **facts)
    return None


def rule_xss(f: dict, subject: dict) -> Verdict | None:
    attack = reflected_input(f)
    if not attack:
        return None
    nosniff = (header(resp_headers(f), "X-Content-Type-Options") or "").lower() == "nosniff"
    if content_type(f) == "application/json" and nosniff:
        return _v("FP", "xss", "json-nosniff", attack=attack, param=f.get("param"))
    if not is_html(f):
        return None
    if attack in body(f):
        return _v("TP", "xss", "unencoded", attack=attack, param=f.get("param"), ctype=content_type(f))
    return _v("FP", "xss", "encoded", attack=attack, param=f.get("param"), ctype=content_type(f))


FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.I | re.S)
ATTR = re.compile(r"([\w:-]+)\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+)")
INPUT = re.compile(r"<(input|textarea|select|button)\b([^>]*)>", re.I)


def _attrs(text: str) -> dict:
    return {k.lower(): v.strip("\"'") for k, v in ATTR.findall(text)}


def forms(html: str) -> list[dict]:
    out = []
    for head, inner in FORM.findall(html):
        a = _attrs(head)
        fields = [_attrs(attrs) for _, attrs in INPUT.findall(inner)]
        out.append({"method": a.get("method", "get").lower(), "action": a.get("action", ""),
                    "fields": [x for x in fields if x.get("name")]})
    return out


def rule_csrf(f: dict, subject: dict) -> Verdict | None:
    if method(f) in ("POST", "PUT", "DELETE", "PATCH"):
        return _csrf_endpoint(f)
    found = forms(body(f))
    action = subject.get("form_action")
    chosen = [x for x in found if action is None or x["action"] == action]
    if not chosen or not is_html(f):
        return None
    form = chosen[0]
    names = {x["name"].lower() for x in form["fields"]}
    if form["method"] != "post" or names <= NON_STATE_FIELDS:
        return _v("FP", "csrf", "no-state-change", action=form["action"], method=form["method"].upper(),
                  fields=sorted(names))
    tokens = [x for x in form["fields"] if x.get("type", "").lower() == "hidden" and TOKEN_FIELD.search(x["name"])]
    if any(x.get("value") for x in tokens):
        return _v("FP", "csrf", "token", action=form["action"], token=tokens[0]["name"])
    for name, _, attrs in cookies_set(f):
        if is_session_cookie(name) and attrs.get("samesite", "").lower() in ("lax", "strict"):
            return _v("FP", "csrf", "samesite", action=form["action"], cookie=name,
                      samesite=attrs["samesite"])
    return _v("TP", "csrf", "empty-token" if tokens else "no-token", action=form["action"],
              token=tokens[0]["name"] if tokens else None)


def _csrf_endpoint(f: dict) -> Verdict | None:
    """The finding is the state-changing request itself (Wapiti, Burp): judge what it submits."""
    request = f.get("request") or {}
    ctype = (header(request.get("headers"), "Content-Type") or "").lower()
    if "x-www-form-urlencoded" not in ctype:
        return None
    fields = parse_qs(request.get("body") or "", keep_blank_values=True)
    path = _urlsplit(f.get("url") or "").path
    names = {k.lower() for k in fields}
    if names <= NON_STATE_FIELDS:
        return _v("FP", "csrf", "request-no-state-change", action=path, method=method(f), fields=sorted(names))
    tokens = [k for k in fields if TOKEN_FIELD.search(k)]
    served = {x.get("name"): x.get("value", "") for form in forms(body(f)) for x in form["fields"]}
    real = [k for k in tokens if fields[k][0] and fields[k][0].lower() not in SCANNER_FILLERS and served.get(k, "x") != ""]
    if real:
        return _v("FP", "csrf", "request-token", action=path, token=real[0], method=method(f))
    if tokens and any(fields[k][0] for k in tokens):  # what was sent is the scanner's filler, not a served token
        return _v("TP", "csrf", "request-empty-token", action=path, token=tokens[0], method=method(f),
                  fields=sorted(names))
    for name, _, attrs in cookies_set(f):
        if is_session_cookie(name) and attrs.get("samesite", "").lower() in ("lax", "strict"):
            return _v("FP", "csrf", "request-samesite", action=path, cookie=name, samesite=attrs["samesite"],
                      method=method(f))
    if host(f) and host(f) in ((f.get("site") or {}).get("samesite_session_hosts") or ()):
        return _v("FP", "csrf", "request-samesite", action=path, cookie="(another response of this host)",
                  samesite="Lax/Strict", method=method(f))
    return _v("TP", "csrf", "request-empty-token" if tokens else "request-no-token", action=path,
              token=tokens[0] if tokens else None, method=method(f), fields=sorted(names))


def rule_exposed_file(f: dict, subject: dict) -> Verdict | None:
    if status(f) != 200:
        return None
    text = body(f)
    ctype = content_type(f)
    path = _urlsplit(f.get("url") or "").path
    if is_html(f) and re.match(r"\s*(<!doctype html|<html)", text, re.I):  # an HTML page, whatever it shows
        return _v("FP", "backup-file", "normal-page", ctype=ctype or "none", path=path,
                  title=(re.search(r"<title>(.*?)</title>", text, re.I | re.S) or [None, ""])[1].strip())
    m = SOURCE_LIKE.search(text)
    if m:
        return _v("TP", "backup-file", "source", ctype=ctype or "none", path=path, marker=m.group(0).strip())
    if ctype in BINARY_TYPES:
        return _v("TP", "backup-file", "binary", ctype=ctype, path=path)
    if is_html(f) or not text.strip():
        return _v("FP", "backup-file", "normal-page", ctype=ctype or "none", path=path,
                  title=(re.search(r"<title>(.*?)</title>", text, re.I | re.S) or [None, ""])[1].strip())
    return None


def rule_server_error(f: dict, subject: dict) -> Verdict | None:
    code = status(f) or 0
    if code < 500:
        return None
    m = INTERNALS.search(body(f))
    if m:
        return _v("TP", "server-error", "internals", status=code, marker=m.group(0).strip())
    return _v("FP", "server-error", "generic", status=code, empty=body_empty(f))


def rule_methods(f: dict, subject: dict) -> Verdict | None:
    verb = method(f)
    code = status(f) or 0
    if verb in ("GET", "HEAD", "OPTIONS"):
        return _v("FP", "methods", "not-exercised", method=verb, status=code or "none")
    if verb not in ("TRACE", "PUT", "DELETE", "TRACK"):
        return None
    if 200 <= code < 300:
        return _v("TP", "methods", "works", method=verb, status=code)
    if code in (403, 405) or 300 <= code < 400:
        return _v("FP", "methods", "refused", method=verb, status=code,
                  location=header(resp_headers(f), "Location"))
    return None


RULES = {
    "hsts": rule_hsts,
    "csp": rule_csp,
    "framing": rule_optional_header,
    "content_sniffing": rule_optional_header,
    "optional_security_header": rule_optional_header,
    "obsolete_header": rule_obsolete_header,
    "cacheable_sensitive_content": rule_caching,
    "version_banner": rule_banner,
    "cors": rule_cors,
    "cookie_flags": rule_cookies,
    "plain_http": rule_plain_http,
    "certificate": rule_certificate,
    "xss": rule_xss,
    "csrf": rule_csrf,
    "exposed_file": rule_exposed_file,
    "server_error_disclosure": rule_server_error,
    "http_methods": rule_methods,
}


def judge(smell: str, finding: dict, subject: dict | None = None) -> Verdict | None:
    """The POLICY.md label of a finding about ``subject`` (header, cookie+flag, form) of ``smell``."""
    return RULES[smell](finding, subject or {})


# ---------------------------------------------------------------- what a finding is about (its subject)

SUBJECT_HEADERS = {
    "framing": ("X-Frame-Options",),
    "content_sniffing": ("X-Content-Type-Options",),
    "optional_security_header": ("Referrer-Policy", "Permissions-Policy", "Feature-Policy",
                                 "Cross-Origin-Resource-Policy", "Cross-Origin-Embedder-Policy",
                                 "Cross-Origin-Opener-Policy", "Access-Control-Allow-Methods"),
    "obsolete_header": ("X-XSS-Protection", "Pragma", "Expires"),
    "version_banner": ("Server", "X-Powered-By", "X-AspNet-Version", "X-AspNetMvc-Version", "X-Generator",
                       "X-Runtime", "Via", "X-Version", "X-Jenkins", "X-Magento-Version"),
}
COOKIE_NAMED = re.compile(r"(?:\bcookie\s*:?\s*|Set-Cookie - )([\w.-]+)\s*$", re.I)  # "... in the cookie : sid"
COOKIE_FLAG_WORDS = (("samesite", "SameSite"), ("httponly", "HttpOnly"), ("secure", "Secure"))


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", (text or "").lower())


def _words_of(f: dict) -> str:
    return " ".join(str(f.get(k) or "") for k in ("check", "check_id", "param", "rule_text"))


def _named_header(f: dict, names: tuple[str, ...]) -> str | None:
    """The header of ``names`` the finding names: its parameter first, then the most specific one in its words."""
    param = _squash(f.get("param") or "")
    for name in names:
        if param and param == _squash(name):
            return name
    text = _squash(_words_of(f) + " " + (f.get("evidence") or "")[:300])
    named = [n for n in names if _squash(n) in text]
    return max(named, key=len) if named else None


def infer_subject(smell: str, f: dict) -> dict:
    """What the finding is about (a header, a cookie and its flag, a form), read from what the scanner says and
    the exchange -- the subject ``judge`` needs, which the generator knows and a real report only names."""
    if smell in SUBJECT_HEADERS:
        names = SUBJECT_HEADERS[smell]
        name = _named_header(f, names)
        if name is None and smell == "version_banner":
            present = [(n, (header(resp_headers(f), n) or "").lower()) for n in names if header(resp_headers(f), n)]
            evidence = (f.get("evidence") or "").lower()
            try:  # a fingerprint record (Wapiti): {"name": ..., "versions": [...]}
                record = json.loads(evidence) if evidence.lstrip().startswith("{") else {}
            except ValueError:
                record = {}
            record = record if isinstance(record, dict) else {}
            wanted = [str(v) for v in record.get("versions") or [] if v] + [str(record.get("name") or "").lower()]
            wanted.append((f.get("check_id") or "").rpartition(":")[2].lower())  # tech-detect:php names PHP
            name = next((n for want in wanted if want for n, value in present if want in value), None) \
                or next((n for n, value in present if evidence and (value in evidence or evidence in value)), None) \
                or next((n for n, value in present if VERSION.search(value)), present[0][0] if present else None)
        if name is None and len(names) == 1 or name is None and smell == "obsolete_header":
            name = names[0]
        return {"header": name} if name else {}
    if smell == "cookie_flags":
        words = _squash(_words_of(f))
        flag = next((label for key, label in COOKIE_FLAG_WORDS if key in words), None)
        if flag is None:
            flag = next((label for key, label in COOKIE_FLAG_WORDS if key in _squash(f.get("evidence") or "")), None)
        names = [c[0] for c in cookies_set(f)]
        param, evidence = f.get("param") or "", f.get("evidence") or ""
        claimed = COOKIE_NAMED.search(evidence) or COOKIE_NAMED.search(f.get("check_id") or "")
        name = (param if param in names else None) or next((n for n in names if n and n in evidence), None) \
            or next((n for n in names if n and n in (f.get("check") or "")), None) \
            or (claimed.group(1) if claimed else None) or (param if param and not names else None) \
            or (names[0] if len(names) == 1 else None)
        if name is None and flag and len(names) > 1:  # unnamed: the one cookie that really lacks the flag
            lacking = [n for n, _, attrs in cookies_set(f) if flag.lower() not in attrs]
            name = lacking[0] if len(lacking) == 1 else None
        if name is None and f.get("response") is None:
            name = param or (re.findall(r"[\w.-]+", evidence.split("=")[0]) or [None])[-1]
        return {"cookie": name, "flag": flag} if name and flag else {}
    if smell == "csrf":
        evidence = f.get("evidence") or ""
        actions = [x["action"] for x in forms(body(f)) if x["action"] and x["action"] in evidence]
        return {"form_action": max(actions, key=len)} if actions else {}
    return {}


# ---------------------------------------------------------------- site context: what the run shows of each host

def site_context(findings: list[dict]) -> dict:
    """What all findings of one run (several reports together) reveal about their hosts: which serve HTTPS
    (an https URL, or a redirect or link to https on the same host, on any port), and which set their session
    cookie with ``SameSite=Lax/Strict`` (that protects a form of the host whose own finding shows no response)."""
    https = sorted({host(f) for f in findings if host(f) and serves_https({**f, "site": None})})
    samesite = sorted({host(f) for f in findings if host(f) and _samesite_session(f)})
    return {"https_hosts": https, "samesite_session_hosts": samesite}


def _samesite_session(f: dict) -> str | None:
    """The session cookie this response sets with ``SameSite=Lax/Strict`` (its name), or None."""
    return next((name for name, _, attrs in cookies_set(f)
                 if is_session_cookie(name) and attrs.get("samesite", "").lower() in ("lax", "strict")), None)


# ---------------------------------------------------------------- partial evidence: no exchange in the report

STATIC_PATH = re.compile(r"(?:\.(?:css|js|mjs|map|png|jpe?g|gif|ico|webp|bmp|woff2?|ttf|otf|eot|json|txt|xml|pdf|zip|"
                         r"gz|mp4|mp3|webm)|/robots\.txt|/sitemap\.xml|/favicon\.ico|/\.well-known/[\w.-]+)$", re.I)
HSTS_AGE = re.compile(r"max-age\s*=\s*\"?(\d+)", re.I)


def _path(f: dict) -> str:
    return _urlsplit(f.get("url") or "").path or "/"


def _said(f: dict) -> str:
    return f"{f.get('evidence') or ''}\n{f.get('other_info') or ''}"


def judge_evidence(smell: str, f: dict, subject: dict) -> Verdict | None:
    """POLICY.md applied to what a report without the response still carries (URL, parameter, the evidence
    string, other-info); None when that cannot decide (the finding is then kept). ``basis`` names what decided."""
    evidence, path, url_scheme = f.get("evidence") or "", _path(f), scheme(f)
    static = STATIC_PATH.search(path)
    if smell == "hsts":
        if url_scheme == "http":
            return Verdict("FP", "hsts", "plain-http", {"url": f.get("url")}, "url scheme")
        m = HSTS_AGE.search(evidence)
        if url_scheme == "https" and m:
            age = int(m.group(1))
            return Verdict("TP" if age < HSTS_MIN_AGE else "FP", "hsts", "too-short" if age < HSTS_MIN_AGE else
                           "sufficient", {"value": evidence, "age": age}, "evidence")
        return None
    if smell in ("csp", "framing", "content_sniffing", "optional_security_header"):
        if static:
            return Verdict("FP", "csp" if smell == "csp" else "optional-headers", "not-html-path",
                           {"path": path}, "url path")
        if smell == "csp" and re.search(r"\b(default|script)-src\b", evidence, re.I):
            weakness = csp_weakness(evidence)
            return Verdict("TP" if weakness else "FP", "csp", weakness or "sound", {"value": evidence}, "evidence")
        return None
    if smell == "obsolete_header":
        return rule_obsolete_header(f, subject or {"header": "X-XSS-Protection"})
    if smell == "version_banner":
        value = evidence.split(":", 1)[-1].strip() if evidence else ""
        if not value:
            return None
        if VERSION.search(value):
            return Verdict("TP", "banner", "version", {"value": value}, "evidence")
        return Verdict("FP", "banner", "product-only", {"value": value}, "evidence")
    if smell == "cacheable_sensitive_content":
        if re.search(r"\b(no-store|private)\b", evidence, re.I):
            return Verdict("FP", "caching", "not-storable", {"cache_control": evidence}, "evidence")
        if static:
            return Verdict("FP", "caching", "public", {"path": path}, "url path")
        if SENSITIVE_PATH.search(path + (f"?{_urlsplit(f.get('url') or '').query}" or "")):
            return Verdict("TP", "caching", "sensitive-storable", {"path": path}, "url path")
        return None
    if smell == "cors":
        m = re.search(r"Access-Control-Allow-Origin\s*:\s*(\S+)", evidence, re.I)
        if m and m.group(1) == "*":
            if SENSITIVE_PATH.search(path):
                return Verdict("TP", "cors", "wildcard-sensitive", {"value": "*", "path": path}, "evidence and url path")
            if static:
                return Verdict("FP", "cors", "wildcard-public", {"value": "*", "path": path}, "evidence and url path")
        return None
    if smell == "xss":
        attack = reflected_input(f)
        if attack and re.search(r"[<>\"']", attack) and attack in evidence:
            return Verdict("TP", "xss", "unencoded", {"attack": attack}, "evidence")
        return None
    if smell == "server_error_disclosure":
        m = INTERNALS.search(_said(f))
        return Verdict("TP", "server-error", "internals", {"marker": m.group(0)}, "evidence") if m else None
    if smell == "exposed_file":
        m = SOURCE_LIKE.search(evidence)
        return Verdict("TP", "backup-file", "source", {"marker": m.group(0).strip()}, "evidence") if m else None
    if smell in ("cookie_flags", "certificate", "csrf", "http_methods"):  # their rules read what stands in
        verdict = RULES[smell](f, subject) if (smell != "cookie_flags" or subject.get("cookie")) else None
        basis = {"cookie_flags": "cookie named by the scanner", "certificate": "scanner's certificate observation",
                 "csrf": "submitted form data", "http_methods": "request method"}[smell]
        return Verdict(verdict.label, verdict.rule, verdict.reason, verdict.facts, basis) if verdict else None
    return None


def evaluate(smell: str, f: dict, subject: dict | None = None) -> Verdict | None:
    """POLICY.md's verdict on a finding as a reader delivered it (``exchange.py``'s shape), its subject inferred
    from its words where not given; judged on the evidence alone where the report keeps no response. None where
    the policy cannot decide."""
    if smell not in RULES:
        return None
    subject = infer_subject(smell, f) if subject is None else subject
    try:
        if f.get("response") is None:
            return judge_evidence(smell, f, subject)
        if smell in SUBJECT_HEADERS and not subject.get("header"):
            return None
        if smell == "cookie_flags" and not subject.get("cookie"):
            return None
        return judge(smell, f, subject)
    except (KeyError, ValueError, TypeError, IndexError, StopIteration):  # evidence the rule cannot read
        return None
