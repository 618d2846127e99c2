"""The ``http-features`` scorer backend: a linear model over what POLICY.md decides HTTP findings on.

It reads the structured exchange the ``http`` technology puts in ``Snippet.data`` (already masked): scheme,
status class, content-type class (HTML incl. SVG and XHTML, JSON, image, CSS/JS, font, archive, none), empty
body, redirects; header presence and parsed values (HSTS max-age, CSP soundness, nosniff, Cache-Control,
version banners, CORS origin and credentials); cookie names (session-like, CSRF, preference) and flags;
whether the host serves HTTPS; bodies with stack traces, paths or SQL; a payload reflected unencoded; forms
with (non-empty) tokens; the method and status of method findings; the signals of a sensitive response. Every
feature is crossed with the smell (the same fact means TP for one smell and FP for another), and the words of
the check name and evidence are added as weak evidence. Features are hashed into a fixed-size vector; weights
live in ``model.safetensors`` (numpy only at run time). ``score`` returns a :class:`Score` whose rationale
names the features that weighed most.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from pathlib import Path
from typing import Any, Sequence
from urllib.parse import parse_qsl, urlsplit

import numpy as np

from iacfilter.findings import INTERCEPT, Score, Snippet
from iacfilter.hookspecs import hookimpl
from iacfilter.registry import ScorerBackend, refuse_options

VERSION = 2  # 2: the policy verdict (policy.py) as features
DATA_LIMIT = 64 * 1024
NAME = "http-features"
WORD = re.compile(r"[a-z][a-z0-9]+")
HSTS_MIN = 15552000
VERSION_NUMBER = re.compile(r"\d+\.\d+|/\d+\b|\bv?\d+\b(?!-)")
# POLICY.md's cookie kinds: session names and parts, CSRF tokens (not sessions), preferences and analytics ids.
SESSION_NAMES = {"phpsessid", "jsessionid", "asp.net_sessionid", "sessionid", "connect.sid", "dokuwiki",
                 "laravel_session", "ci_session", "sid", "phpmyadmin", "pmaauth-1", "i_like_gitea", "grafana_session",
                 "_gitlab_session", ".aspxauth", ".aspnetcore.session", "rack.session", "_session_id", "wordpress_logged_in",
                 "jupyterhub-session-id", "mediawiki_session", "kibana_session"}
SESSION_COOKIE = re.compile(r"(^|[_.-])(session|sess|sid|auth|token|jwt|logged_in|remember)([_.-]|$)|session|"
                            r"^S?SESS[0-9a-f]+$|^wordpress_|_session$", re.I)
CSRF_COOKIE = re.compile(r"csrf|xsrf", re.I)
PREFERENCE_COOKIE = re.compile(r"lang|locale|theme|pref|consent|^_ga|^_gid|^_gat|analytics|utm|^tz$|timezone|"
                               r"currency|cookie_?notice|dismiss|banner|^_hj|mode", re.I)
COOKIE_FLAGS = ("httponly", "secure", "samesite")
BANNERS = ("server", "x-powered-by", "x-aspnet-version", "x-aspnetmvc-version", "x-generator", "x-runtime", "via",
           "x-version", "x-jenkins", "x-magento-version")
# Headers a finding may be about: the one named in its check, parameter or evidence is its subject.
SUBJECT_HEADERS = ("strict-transport-security", "content-security-policy", "x-frame-options", "x-content-type-options",
                   "referrer-policy", "permissions-policy", "feature-policy", "cross-origin-resource-policy",
                   "cross-origin-embedder-policy", "cross-origin-opener-policy", "access-control-allow-methods",
                   "access-control-allow-origin", "x-xss-protection", "pragma", "expires", "cache-control", "server",
                   "x-powered-by", "x-aspnet-version", "x-aspnetmvc-version", "x-generator", "x-runtime", "via")
STACK_TRACE = re.compile(r"Traceback \(most recent call last\)|\bat [\w$.]+\([\w$]+\.java:\d+\)|Exception in thread|"
                         r"stack ?trace|File \"[^\"]+\", line \d+|\.php on line \d+|Fatal error:|Whoops|"
                         r"System\.\w+Exception|NullReferenceException|Werkzeug Debugger|DEBUG = True|"
                         r"<b>Warning</b>:|\bat [\w$.<>\[\] ]+ \([^)]*:\d+:\d+\)|node_modules/|Microsoft OLE DB", re.I)
FILE_PATH = re.compile(r"(?:/var/www|/home/\w|/usr/(?:local|lib|share|src)|/app/\w|/opt/\w|/srv/\w|/etc/\w|[A-Z]:\\\\?\w)")
SQL_TEXT = re.compile(r"SQL syntax|SQLSTATE|ORA-\d{5}|mysql_|pg_query|sqlite3?\.|syntax error at or near|"
                      r"\bSELECT\b[^;]{1,200}\bFROM\b|\bINSERT INTO\b|\bCREATE TABLE\b|ODBC", re.I)
SOURCE_CODE = re.compile(r"<\?php|^\s*(?:import|from \S+ import|def |class |function |package |#include|"
                         r"module\.exports|require\()", re.M)
CONFIG_TEXT = re.compile(r"^\s*\[[\w .-]+\]\s*$|^\s*[A-Z_]{3,}\s*=|^\s*[\w.-]+\s*[:=]\s*\S|<configuration>|"
                         r"DB_(?:PASS|USER|HOST)|password\s*[:=]", re.M | re.I)
DUMP_TEXT = re.compile(r"-- MySQL dump|PostgreSQL database dump|CREATE TABLE|INSERT INTO|BEGIN TRANSACTION", re.I)
SOFT_404 = re.compile(r"not found|page does not exist|no such (?:page|file)|404|couldn.t find", re.I)
LISTING = re.compile(r"Index of /|Directory listing|Parent Directory", re.I)
SENSITIVE_PATH = re.compile(r"login|signin|sign-in|logon|account|profile|admin|dashboard|settings|server-status|"
                            r"server-info|user|me\b|session|oauth|token|password|billing|checkout|wp-admin|manage", re.I)
SENSITIVE_BODY = re.compile(r"type=[\"']?password|name=[\"']?(?:password|passwd|pass)\b|log ?out|sign ?out|"
                            r"my account|Apache Server Status|Server Version:|administration", re.I)
JSON_SECRETS = re.compile(r"\"(?:email|e-mail|phone|ssn|address|password|token|access_token|api_key|secret|"
                          r"users?|username|first_?name|last_?name|dob|birth|salary|card)\"\s*:", re.I)
FORM = re.compile(r"<form\b([^>]*)>(.*?)(?:</form>|$)", re.I | re.S)
FIELD = re.compile(r"<(?:input|textarea|select|button)\b([^>]*)>", re.I)
ATTR = re.compile(r"([\w:-]+)\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+)")
TOKEN_NAME = re.compile(r"csrf|xsrf|token|nonce|sectok|form_key|authenticity|requestverification|crumb", re.I)
CERT_OBSERVED_BAD = re.compile(r"self[- ]signed|has expired|expired certificate|doesn.t match|does not match|mismatch|"
                               r"untrusted|not trusted|revoked|invalid certificate", re.I)
CERT_OBSERVED_GOOD = re.compile(r"extended validation|must-staple|expires in \d+", re.I)
NON_STATE_FIELDS = {"q", "query", "search", "s", "sort", "order", "filter", "page", "lang", "category", "do", "id", "tag",
                    "per_page", "dir"}
ARCHIVE_TYPES = ("application/zip", "application/x-zip", "application/gzip", "application/x-gzip", "application/x-tar",
                 "application/octet-stream", "application/x-7z-compressed", "application/x-rar", "application/sql",
                 "application/x-sql", "application/x-bzip2", "application/vnd.sqlite3", "application/x-sqlite3")


@functools.lru_cache(maxsize=1 << 16)  # feature names repeat across findings: hash each once
def _bucket(name: str, bits: int) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little") % (1 << bits)


def content_class(ctype: str, html: bool, body: str) -> str:
    if html:
        return "html"
    if not ctype:
        return "none"
    if ctype in ("text/html", "application/xhtml+xml", "image/svg+xml"):
        return "html-empty"
    if "json" in ctype:
        return "json"
    if ctype.startswith("image/"):
        return "image"
    if ctype in ("text/css",) or "javascript" in ctype or "ecmascript" in ctype:
        return "cssjs"
    if ctype.startswith("font/") or "font" in ctype:
        return "font"
    if ctype in ARCHIVE_TYPES:
        return "archive"
    if "xml" in ctype:
        return "xml"
    if ctype.startswith("text/"):
        return "text"
    return "other"


def parse_csp(value: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in re.split(r"[;,]", value or ""):
        tokens = part.strip().lower().split()
        if tokens and tokens[0] not in directives:
            directives[tokens[0]] = tokens[1:]
    return directives


def csp_flags(value: str | None) -> dict[str, bool]:
    if value is None:
        return {"csp_missing": True, "csp_present": False, "csp_sound": False, "csp_defeated": False,
                "csp_frame_ancestors": False}
    d = parse_csp(value)
    script = d.get("script-src", d.get("default-src"))
    nonce_or_hash = any(s.startswith(("'nonce-", "'sha256-", "'sha384-", "'sha512-")) for s in script or [])
    flags = {
        "csp_present": True,
        "csp_no_script_directive": script is None,
        "csp_unsafe_inline": bool(script) and "'unsafe-inline'" in script and not nonce_or_hash,
        "csp_wildcard_script": bool(script) and any(s in ("*", "data:", "http:", "https:") for s in script),
        "csp_unsafe_eval": bool(script) and "'unsafe-eval'" in script,
        "csp_nonce": nonce_or_hash,
        "csp_frame_ancestors": "frame-ancestors" in d,
        "csp_only_frame_ancestors": set(d) <= {"frame-ancestors", "report-uri", "report-to", "upgrade-insecure-requests"},
        "csp_default_src": "default-src" in d,
    }
    flags["csp_sound"] = not (flags["csp_no_script_directive"] or flags["csp_unsafe_inline"] or flags["csp_wildcard_script"])
    flags["csp_defeated"] = not flags["csp_sound"]
    return flags


def cookie_kind(name: str) -> str:
    if CSRF_COOKIE.search(name):
        return "csrf"
    if name.lower() in SESSION_NAMES or SESSION_COOKIE.search(name):
        return "session"
    if PREFERENCE_COOKIE.search(name):
        return "preference"
    return "other"


def forms(html: str) -> list[dict]:
    out = []
    for head, inner in FORM.findall(html[:DATA_LIMIT]):
        attrs = {k.lower(): v.strip("\"'") for k, v in ATTR.findall(head)}
        fields, types, hidden = {}, [], set()
        for field in FIELD.findall(inner):
            fa = {k.lower(): v.strip("\"'") for k, v in ATTR.findall(field)}
            types.append(fa.get("type", "").lower())
            if fa.get("name"):
                fields[fa["name"]] = fa.get("value", "")
                if fa.get("type", "").lower() == "hidden":
                    hidden.add(fa["name"])
        out.append({"method": attrs.get("method", "get").lower(), "action": attrs.get("action", ""), "fields": fields,
                    "types": types, "hidden": hidden})
    return out


def reflected_input(d: dict[str, Any]) -> str:
    """What the scanner sent: its attack, else the value of the finding's parameter in the request (decoded)."""
    if d.get("attack"):
        return d["attack"]
    param = d.get("param") or ""
    if not param:
        return ""
    query = urlsplit(d.get("target") or d.get("url") or "").query
    for source in (query, d.get("request_body") or ""):
        for name, value in parse_qsl(source, keep_blank_values=True):
            if name == param and value:
                return value
    return ""


def request_form(d: dict[str, Any]) -> dict[str, str] | None:
    """The form fields a state-changing request submitted (urlencoded), or None."""
    if d.get("method") not in ("POST", "PUT", "DELETE", "PATCH"):
        return None
    if "x-www-form-urlencoded" not in ((d.get("request_headers") or {}).get("content-type") or "").lower():
        return None
    return dict(parse_qsl(d.get("request_body") or "", keep_blank_values=True))


def undecided(s: Snippet) -> str | None:
    """Why POLICY.md cannot decide this finding from what its report carries (the finding is then kept,
    unscored), or None. The generated training data holds only cases the policy decides, so a model must not
    guess on the others. A report without a response is judged where the policy says what stands in for it:
    the cookie a scanner names, the form data a state-changing request submitted, a method report on a plain
    GET, a scanner's observation about the certificate.
    """
    d = s.data or {}
    if d.get("policy"):  # POLICY.md decided it on what the report carries: the model judges on top of that
        return None
    h, status, smell = d.get("headers") or {}, d.get("status"), s.smell
    code = status if isinstance(status, int) else 0
    response = d.get("has_response")
    if smell == "cookie_flags":
        if response and not d.get("cookies"):
            return "the response sets no cookie"
        if not response and not (d.get("param") or d.get("evidence")):
            return "the report names no cookie and carries no response"
    elif smell == "csrf":
        if request_form(d) is None and not (response and forms(d.get("body") or "")):
            return "the report carries neither a form nor the form data of a state-changing request"
    elif smell == "http_methods":
        verb = d.get("method") or ""
        if verb in ("TRACE", "TRACK", "PUT", "DELETE"):
            if not response or not (200 <= code < 400 or code in (403, 405)):
                return f"status {code or 'none'} neither shows {verb} working nor refused"
        elif verb not in ("GET", "HEAD", "OPTIONS"):
            return f"the request used {verb or 'no'} method, not one the finding is about"
    elif smell == "certificate":
        if d.get("scheme") != "https" or not d.get("evidence"):
            return "the report carries no certificate details"
    elif not response:
        return "the report carries no response to judge the finding on"
    elif smell == "xss":
        if not reflected_input(d):
            return "the report names no payload or parameter value to look for in the response"
        if not d.get("html") and not ("json" in (d.get("content_type") or "") and
                                      (h.get("x-content-type-options") or "").lower() == "nosniff"):
            return "the response is not HTML"
    elif smell == "cors":
        if "access-control-allow-origin" not in h:
            return "the response carries no Access-Control-Allow-Origin"
    elif smell == "version_banner":
        if not any(h.get(k) for k in BANNERS) and not _has_version(d.get("evidence")):
            return "the response carries no banner"
    elif smell == "plain_http":
        if d.get("scheme") != "http":
            return "the finding is not about a plain-HTTP URL"
    elif smell == "exposed_file":
        if code != 200:
            return f"status {code or 'none'}: the file was not served"
    elif smell == "server_error_disclosure":
        if code < 500:
            return f"status {code or 'none'} is no server error"
    return None


def _evidence_json(evidence: str) -> dict | None:
    if not evidence.lstrip().startswith("{"):
        return None
    try:
        value = json.loads(evidence)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _evidence_product(evidence: str) -> str:
    value = _evidence_json(evidence)
    return str(value.get("name") or "") if value else ""


def _evidence_versions(evidence: str) -> list | None:
    value = _evidence_json(evidence)
    versions = value.get("versions") if value else None
    return versions if isinstance(versions, list) else None


def _expired(not_after: str | None, date: str | None) -> bool:
    from datetime import datetime
    from email.utils import parsedate_to_datetime

    try:
        now = parsedate_to_datetime(date).replace(tzinfo=None) if date else datetime.utcnow()
        return datetime.strptime((not_after or "")[:10], "%Y-%m-%d") < now
    except (TypeError, ValueError):
        return False


def _has_version(value: str | None) -> bool:
    return bool(value) and bool(re.search(r"\d", value)) and bool(VERSION_NUMBER.search(value))


def policy_flags(s: Snippet) -> tuple[dict[str, bool], dict[str, str]]:
    """Boolean facts and categorical values of one HTTP snippet (from ``Snippet.data``)."""
    d: dict[str, Any] = s.data or {}
    h: dict[str, str] = d.get("headers") or {}
    rh: dict[str, str] = d.get("request_headers") or {}
    body, ctype, status = d.get("body") or "", d.get("content_type") or "", d.get("status")
    scheme, html = d.get("scheme") or "", bool(d.get("html"))
    status_class = f"{status // 100}xx" if isinstance(status, int) else "none"
    ctype_class = content_class(ctype, html, body)
    location = h.get("location") or ""
    cats = {"scheme": scheme or "none", "status": status_class, "ctype": ctype_class,
            "method": d.get("method") or "none", "scanner": (d.get("scanner") or "").lower() or "none"}
    if isinstance(status, int) and status in (200, 204, 301, 302, 403, 404, 405, 500, 501):
        cats["status_exact"] = str(status)
    empty = not body.strip()
    f: dict[str, bool] = {
        "no_response": not d.get("has_response"), "no_request": not d.get("has_request"),
        "https": scheme == "https", "plain_http": scheme == "http", "html": html, "empty_body": empty,
        "redirect": status_class == "3xx", "redirect_to_https": location.lower().startswith("https://"),
        "error_5xx": status_class == "5xx", "status_200": status == 200,
        "method_refused": status in (403, 405, 501) or status_class == "3xx",
        "method_works": status_class == "2xx",
        "binary_note": "binary" in (d.get("body_note") or ""),
    }
    # HSTS
    hsts = h.get("strict-transport-security")
    m = re.search(r"max-age\s*=\s*\"?(\d+)", hsts or "", re.I)
    f.update({"hsts_present": hsts is not None, "hsts_ok": bool(m) and int(m.group(1)) >= HSTS_MIN,
              "hsts_short": hsts is not None and not (m and int(m.group(1)) >= HSTS_MIN)})
    # CSP and the headers a sound CSP makes optional
    f.update(csp_flags(h.get("content-security-policy")))
    f["csp_report_only"] = "content-security-policy-report-only" in h
    f["xcto_nosniff"] = (h.get("x-content-type-options") or "").strip().lower() == "nosniff"
    f["xfo_present"] = "x-frame-options" in h
    for name in ("referrer-policy", "permissions-policy", "cross-origin-opener-policy", "cross-origin-embedder-policy",
                 "cross-origin-resource-policy", "x-xss-protection", "pragma", "expires"):
        f[f"has_{name}"] = name in h
    # caching
    cc = (h.get("cache-control") or "").lower()
    f.update({"cc_present": bool(cc), "cc_no_store": "no-store" in cc, "cc_private": "private" in cc,
              "cc_shared_ok": not ("no-store" in cc or "private" in cc), "cc_public": "public" in cc or "max-age" in cc})
    # banners
    banners = {k: h.get(k) for k in BANNERS}
    f["banner_present"] = any(v for v in banners.values())
    f["banner_version"] = any(_has_version(v) for v in banners.values())
    f["server_version"] = _has_version(banners["server"])
    f["powered_by_version"] = _has_version(banners["x-powered-by"])
    f["evidence_version"] = _has_version(d.get("evidence"))
    versions = _evidence_versions(d.get("evidence") or "")
    if versions is not None:  # a fingerprint record (Wapiti): the versions it found
        f["evidence_versions_listed"] = bool(versions)
        f["evidence_versions_empty"] = not versions
    # CORS
    acao, origin = h.get("access-control-allow-origin"), rh.get("origin")
    f.update({"acao_present": acao is not None, "acao_star": (acao or "").strip() == "*",
              "acao_reflected": bool(acao and origin and acao.strip() == origin.strip()),
              "acao_null": (acao or "").strip().lower() == "null",
              "acac_true": (h.get("access-control-allow-credentials") or "").strip().lower() == "true"})
    f["cors_reflected_credentials"] = f["acao_reflected"] and f["acac_true"]
    # the subject: the header the finding names, whether the response carries it, its banner version
    about = f"{d.get('check', '')} {d.get('param', '')} {d.get('evidence', '')[:200]}".lower()
    param = (d.get("param") or "").lower()
    if param in SUBJECT_HEADERS:
        subject = param
    else:  # the most specific header named ("Server Leaks Information via X-Powered-By" is about X-Powered-By)
        subject = max((n for n in SUBJECT_HEADERS if n in about), key=len, default="none")
    product = _evidence_product(d.get("evidence") or "") or param
    if subject == "none" and product:  # a technology detection: the banner whose value names the product
        subject = next((k for k in BANNERS if product.lower() in (h.get(k) or "").lower()), "none")
    cats["subject"] = subject
    f["subject_present"] = subject in h
    f["subject_missing"] = subject != "none" and subject not in h
    f["subject_version"] = _has_version(h.get(subject)) if subject != "none" else False
    subject_flag = next((x for text in (d.get("check") or "", d.get("check_id") or "", d.get("param") or "", about)
                         for x in COOKIE_FLAGS if x in text.lower().replace("-", "").replace(" ", "")), "none")
    cats["cookie_flag"] = subject_flag
    # cookies: the one the finding is about (param / evidence), else all of them
    cookies = d.get("cookies") or []
    target = [c for c in cookies if c["name"] and (c["name"] == d.get("param") or c["name"] in (d.get("evidence") or ""))]
    target = target or cookies
    kinds = {cookie_kind(c["name"]) for c in target}
    f["sets_cookie"] = bool(cookies)
    f["sets_session_cookie"] = any(cookie_kind(c["name"]) == "session" and not c["empty"] for c in cookies)
    f["sends_session_cookie"] = any(cookie_kind(n) == "session" for n in d.get("request_cookies") or [])
    for kind in ("session", "csrf", "preference", "other"):
        f[f"cookie_{kind}"] = kind in kinds
    for flag, missing in (("httponly", lambda c: not c["httponly"]), ("secure", lambda c: not c["secure"]),
                          ("samesite", lambda c: not c["samesite"]), ("samesite_none", lambda c: c["samesite"] == "none")):
        for kind in ("session", "csrf", "preference", "other"):
            f[f"cookie_{kind}_no_{flag}"] = any(cookie_kind(c["name"]) == kind and missing(c) for c in target)
    f["session_cookie_samesite_strict_lax"] = any(cookie_kind(c["name"]) == "session" and c["samesite"] in ("lax", "strict")
                                                  for c in cookies)
    f["cookie_deleted"] = any(c["empty"] for c in target)
    if subject_flag != "none" and target:
        c = target[0]
        has = bool(c[subject_flag]) if subject_flag != "samesite" else c["samesite"] in ("lax", "strict")
        cats["subject_cookie"] = f"{cookie_kind(c['name'])}|{subject_flag}|{'set' if has else 'missing'}"
    # does the host serve HTTPS?
    host = d.get("host") or ""
    f["host_serves_https"] = (scheme == "https" or f["redirect_to_https"]
                              or (bool(host) and f"https://{host}" in (body + location + (d.get("evidence") or ""))))
    # what stands in for a missing response: the cookie the scanner names, the form data a request submitted
    if not d.get("has_response") and (d.get("param") or d.get("evidence")):
        named = d.get("param") or (re.findall(r"[\w.-]+", d.get("evidence") or "") or [""])[-1]
        cats["claimed_cookie"] = cookie_kind(named)
    submitted = request_form(d)
    if submitted is not None:
        names = {n.lower() for n in submitted}
        tokens = [v for n, v in submitted.items() if TOKEN_NAME.search(n)]
        f.update({"submitted_form": True, "submitted_token_nonempty": any(v.strip() for v in tokens),
                  "submitted_token_empty": bool(tokens) and not any(v.strip() for v in tokens),
                  "submitted_search_only": names <= NON_STATE_FIELDS})
    if CERT_OBSERVED_BAD.search(d.get("evidence") or ""):
        f["cert_observed_invalid"] = True
    if CERT_OBSERVED_GOOD.search(d.get("evidence") or ""):
        f["cert_observed_valid"] = True
    # certificate evidence (subject=...; issuer=...; notAfter=YYYY-MM-DD; san=...)
    cert = {k.strip().lower(): v.strip() for k, _, v in (p.partition("=") for p in (d.get("evidence") or "").split(";")) if v}
    if {"subject", "issuer"} <= set(cert):
        names = [n.strip().removeprefix("CN=").lower() for n in (cert.get("san") or cert["subject"]).split(",")]
        f["cert_self_signed"] = cert["subject"] == cert["issuer"]
        f["cert_name_mismatch"] = bool(host) and not any(
            n == host or (n.startswith("*.") and host.endswith(n[1:]) and host.count(".") == n.count(".")) for n in names)
        f["cert_expired"] = _expired(cert.get("notafter"), h.get("date"))
        f["cert_invalid"] = f["cert_self_signed"] or f["cert_name_mismatch"] or f["cert_expired"]
    # bodies
    f.update({"stack_trace": bool(STACK_TRACE.search(body)), "file_paths": bool(FILE_PATH.search(body)),
              "sql_text": bool(SQL_TEXT.search(body)), "source_code": bool(SOURCE_CODE.search(body[:4096])),
              "config_text": not html and bool(CONFIG_TEXT.search(body[:4096])), "dump_text": bool(DUMP_TEXT.search(body)),
              "soft_404": html and bool(SOFT_404.search(body[:4096])), "listing": bool(LISTING.search(body[:4096]))})
    f["internals"] = f["stack_trace"] or f["file_paths"] or f["sql_text"]
    # reflected input
    payload = reflected_input(d)
    special = bool(re.search(r"[<>\"']", payload))
    f["payload_in_body"] = bool(payload) and payload in body
    f["payload_unencoded"] = f["payload_in_body"] and special
    encoded = payload.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    f["payload_encoded"] = bool(payload) and special and encoded != payload and encoded in body and not f["payload_unencoded"]
    f["payload_in_script"] = f["payload_in_body"] and bool(re.search(r"<script[^>]*>[^<]*" + re.escape(payload[:40]), body, re.I))
    f["json_nosniff"] = ctype_class == "json" and f["xcto_nosniff"]
    # forms and CSRF: the form the finding is about (its action in the evidence or URL), else the first POST form
    found = forms(body)
    about = [x for x in found if x["action"] and x["action"] in (d.get("evidence") or "")]
    form = (about or [x for x in found if x["method"] == "post"] or found or [None])[0]
    if form is not None:
        names = {n.lower() for n in form["fields"]}
        tokens = [v for n, v in form["fields"].items() if n in form["hidden"] and TOKEN_NAME.search(n)]
        f.update({"form": True, "form_post": form["method"] == "post", "form_token": bool(tokens),
                  "form_token_nonempty": any(v.strip() for v in tokens),
                  "form_token_empty": bool(tokens) and not any(v.strip() for v in tokens),
                  "form_search_only": names <= NON_STATE_FIELDS,
                  "form_password": any(t == "password" for t in form["types"])})
    f["forms_several"] = len(found) > 1
    f["request_state_changing"] = (d.get("method") or "") in ("POST", "PUT", "DELETE", "PATCH")
    # sensitive response
    f["sensitive_path"] = bool(SENSITIVE_PATH.search(d.get("path") or "")) or bool(SENSITIVE_PATH.search(d.get("query") or ""))
    f["sensitive_body"] = bool(SENSITIVE_BODY.search(body[:16384]))
    f["json_personal"] = ctype_class == "json" and bool(JSON_SECRETS.search(body[:16384]))
    f["authenticated_request"] = "authorization" in rh or f["sends_session_cookie"]
    f["sensitive"] = f["sensitive_path"] or f["sensitive_body"] or f["json_personal"] or f["sets_session_cookie"]
    f["static_asset"] = ctype_class in ("image", "cssjs", "font") or bool(
        re.search(r"\.(?:css|js|png|jpe?g|gif|svg|ico|woff2?|ttf|map)$", d.get("path") or "", re.I))
    # the policy's conjunctions, as features (the model still weighs them)
    f.update({
        "https_hsts_bad": f["https"] and not f["hsts_ok"],
        "html_csp_bad": html and not f["csp_sound"],
        "html_no_frame_ancestors": html and not f["csp_frame_ancestors"],
        "html_no_nosniff_no_sound_csp": html and not f["csp_sound"] and not f["xcto_nosniff"],
        "sensitive_cacheable": f["sensitive"] and f["cc_shared_ok"],
        "public_cacheable": not f["sensitive"] and f["cc_shared_ok"],
        "cors_star_sensitive": f["acao_star"] and f["sensitive"],
        "session_no_secure_https_host": f["cookie_session_no_secure"] and f["host_serves_https"],
        "plain_http_content": f["plain_http"] and (html or f["sets_cookie"]) and not f["redirect_to_https"],
        "post_form_no_token": f.get("form_post", False) and not f.get("form_token_nonempty") and not
        f.get("form_search_only") and not f["session_cookie_samesite_strict_lax"],
        "error_with_internals": f["error_5xx"] and f["internals"],
        "file_is_real": ctype_class == "archive" or f["source_code"] or f["config_text"] or f["dump_text"],
    })
    return f, cats


def extract(s: Snippet, words: float = 0.3) -> dict[str, float]:
    """Named features of one snippet and their values (the same function at training and at filter time).

    Every policy feature is crossed with the smell: a fact that makes one smell a TP says nothing about another
    (uncrossed features let a reflected payload push a CSRF finding up). The check name's and evidence's words
    get the value ``words`` (weak evidence: a smaller value is regularised harder); 0 leaves them out.
    """
    smell = s.smell
    names = {f"smell={smell}": 1.0}
    if s.data:
        verdict = s.data.get("policy")  # the prior: POLICY.md's verdict (policy.py), which the model weighs
        if verdict:
            names.update({f"p=any|{verdict['label']}": 1.0, f"p={smell}|{verdict['label']}": 1.0,
                          f"p={verdict['rule']}|{verdict['reason']}|{verdict['label']}": 1.0,
                          f"p=basis|{verdict['basis']}|{verdict['label']}": 1.0})
        else:
            names[f"p={smell}|undecided"] = 1.0
        flags, cats = policy_flags(s)
        names.update({f"s{key}={smell}|{value}": 1.0 for key, value in cats.items()})
        names.update({f"sf={smell}|{flag}": 1.0 for flag, on in flags.items() if on})
    if words:
        d = s.data or {}
        text = f"{d.get('check', '')} {d.get('check_id', '')} {d.get('evidence', '')[:200]}" if d else s.text[:400]
        names.update({f"w={smell}|{w}": float(words) for w in WORD.findall(text.lower())})
    return names


class HttpFeatureModel:
    def __init__(self, weights: np.ndarray, bias: float, bits: int, words: float = 0.3):
        self.weights, self.bias, self.bits, self.words = weights, bias, bits, words

    def rows(self, snippets: Sequence[Snippet]) -> list[tuple[dict[str, tuple[int, float]], np.ndarray, np.ndarray]]:
        """Per snippet: its named features (column, value), and the hashed columns and values (collisions add up)."""
        out = []
        for s in snippets:
            named = {n: (_bucket(n, self.bits), v) for n, v in extract(s, self.words).items()}
            merged: dict[int, float] = {}
            for col, v in named.values():
                merged[col] = merged.get(col, 0.0) + v
            cols = np.fromiter(merged.keys(), dtype=np.int64, count=len(merged))
            out.append((named, cols, np.fromiter(merged.values(), dtype=np.float64, count=len(merged))))
        return out

    def logits(self, rows) -> np.ndarray:
        return np.array([float(self.weights[c] @ v) for _, c, v in rows], dtype=np.float64) + self.bias

    def probabilities(self, snippets: Sequence[Snippet]) -> list[float]:
        return (1.0 / (1.0 + np.exp(-self.logits(self.rows(snippets))))).tolist()

    def score(self, snippets: Sequence[Snippet]) -> list[Score]:
        """A Score per snippet; NaN (kept, unscored) with the reason where the policy cannot decide from the exchange."""
        rows = self.rows(snippets)
        out = []
        for s, (named, _, _), z in zip(snippets, rows, self.logits(rows)):
            why_not = undecided(s)
            if why_not:
                out.append(Score(float("nan"), None, f"not judged: {why_not}"))
                continue
            weighed = sorted(((float(self.weights[col]) * v, n) for n, (col, v) in named.items() if "|" in n),
                             key=lambda t: -abs(t[0]))[:4]
            why = ", ".join(f"{n.split('|', 1)[-1]} {w:+.2f}" for w, n in weighed if abs(w) > 0.05)
            verdict = (s.data or {}).get("policy")
            note = None
            if verdict and verdict["basis"] != "exchange":
                note = f"no exchange: the policy judged it {verdict['label']} on the {verdict['basis']}"
            elif (s.data or {}).get("borrowed_from"):
                note = f"judged on the response {s.data['borrowed_from']}'s report of the same URL kept in this run"
            out.append(Score(float(1.0 / (1.0 + np.exp(-z))), f"weighed most: {why}" if why else None, note))
        return out


    def explain(self, snippet: Snippet) -> list[tuple[str, float]]:
        """Each named feature of the snippet with what it added to the logit (weight × value), largest first, then
        the intercept (the bias): they sum to the logit."""
        named = {n: (_bucket(n, self.bits), v) for n, v in extract(snippet, self.words).items()}
        pairs = sorted(((n, float(self.weights[col]) * v) for n, (col, v) in named.items()), key=lambda t: -abs(t[1]))
        return pairs + [(INTERCEPT, self.bias)]


def load(champion, options=None) -> HttpFeatureModel:
    refuse_options(champion, options or {})
    from safetensors.numpy import load_file

    config = json.loads((champion.path / "features.json").read_text())
    if config.get("version") != VERSION or config.get("backend") != NAME:
        raise ValueError(f"features.json is not an {NAME} version {VERSION} model")
    tensors = load_file(str(champion.path / "model.safetensors"))
    weights = tensors["weights"].astype(np.float64)
    if weights.shape != (1 << config["bits"],):
        raise ValueError("weights do not match the feature size in features.json")
    return HttpFeatureModel(weights, float(tensors["bias"][0]), int(config["bits"]), float(config.get("words", 0.3)))


def matrix(model: HttpFeatureModel, snippets: Sequence[Snippet]):
    """The hashed features of ``snippets`` as a sparse matrix (rows: snippets, columns: 2**bits buckets)."""
    import scipy.sparse as sp

    rows = model.rows(snippets)
    indptr = np.cumsum([0] + [len(c) for _, c, _ in rows])
    indices = np.concatenate([c for _, c, _ in rows]) if rows else np.zeros(0, dtype=np.int64)
    values = np.concatenate([v for _, _, v in rows]) if rows else np.zeros(0)
    return sp.csr_matrix((values, indices, indptr), shape=(len(snippets), 1 << model.bits))


def fit(x, labels, params: dict, seed: int, sample_weight=None) -> tuple[np.ndarray, np.ndarray]:
    """An L2 logistic regression (scikit-learn) on a feature matrix: (weights, bias) as float32."""
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=float(params.get("C", 1.0)), class_weight=params.get("class_weight"),
                             max_iter=int(params.get("max_iter", 5000)), random_state=seed)
    clf.fit(x, np.asarray(labels), sample_weight=sample_weight)
    return clf.coef_[0].astype(np.float32), clf.intercept_.astype(np.float32)


def save(out_dir, weights: np.ndarray, bias: np.ndarray, bits: int, words: float) -> None:
    from safetensors.numpy import save_file

    save_file({"weights": weights, "bias": bias}, str(Path(out_dir) / "model.safetensors"))
    (Path(out_dir) / "features.json").write_text(json.dumps({"version": VERSION, "backend": NAME, "bits": bits,
                                                             "words": words}, indent=2) + "\n")


def train(params: dict, train_set, val_set, out_dir, seed: int, log=print) -> list[float]:
    """Fit an L2 logistic regression (scikit-learn) on the hashed features; save weights as safetensors."""
    bits, words = int(params.get("bits", 16)), float(params.get("words", 0.3))
    probe = HttpFeatureModel(np.zeros(1 << bits), 0.0, bits, words)
    weights, bias = fit(matrix(probe, [e.snippet for e in train_set]), [e.label for e in train_set], params, seed)
    log(f"{NAME}: fitted {int((weights != 0).sum())} non-zero weights over {len(train_set)} examples")
    save(out_dir, weights, bias, bits, words)
    # Score validation with exactly what load() will read back.
    return HttpFeatureModel(weights.astype(np.float64), float(bias[0]), bits, words).probabilities(
        [e.snippet for e in val_set])


@hookimpl
def register_scorers(register):
    register(ScorerBackend(NAME, "linear model over HTTP-policy features of the exchange (numpy, CPU)", load, train,
                           extra="train"))


HTTP_DEFAULT = Path(__file__).resolve().parent / "champions" / "http-default"


@hookimpl
def register_champions(register):
    register("http-default", HTTP_DEFAULT, default=True)
    register("http-generated", HTTP_DEFAULT.parent / "http-generated")  # generated data only, for comparison
