"""What several real scanners would raise on a case, in their own wording and check ids.

ZAP (passive/active scan rule ids and alert names), Nuclei (template ids, ``template:matcher`` for the
security-headers template), Burp Suite (issue names with their decimal type index, as in Burp's XML export),
Wapiti 3 (module categories with its ``info`` message as evidence), drheader and Mozilla's HTTP Observatory
(test names and result ids). Each ``Check`` says which ``seen`` situations it fires on: the scanner's wording
follows what it saw, never the label.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Callable

from .cases import Case


def _hdr(case: Case, name: str) -> str:
    value = case.page.get(name)
    return f"{name}: {value}" if value is not None else ""


@dataclass(frozen=True)
class Check:
    scanner: str
    name: str
    check_id: str
    seen: tuple = ()                      # the case.seen values it fires on (empty: any)
    param: Callable | None = None         # case -> param
    evidence: Callable | None = None      # case -> evidence
    about: tuple = ()                     # the subject headers it is about (empty: any)
    when: Callable | None = None          # case -> whether this scanner would run the check there
    no_response: bool = False             # the report keeps only the request (Wapiti's cookie, CSRF, methods)

    def fits(self, case: Case) -> bool:
        if self.when is not None and not self.when(case):
            return False
        if self.about and case.subject.get("header") not in self.about:
            return False
        if self.check_id == "nginx-version" and "nginx" not in (case.page.get("Server") or ""):
            return False
        return not self.seen or case.seen in self.seen


def _original(url: str) -> str:
    """The file a backup probe was derived from (what Wapiti names after 'found for')."""
    return re.sub(r"(\.bak|\.old|\.backup|~)$", "", url)


WAPITI_CSP = {"default-src": ("'unsafe-inline'", "data:", "http:", "https:", "*", "'unsafe-eval'"),
              "script-src": ("'unsafe-inline'", "data:", "http:", "https:", "*", "'unsafe-eval'"),
              "object-src": None, "base-uri": None}


def _wapiti_csp(value: str) -> list[str]:
    """Wapiti's csp module messages for a CSP: a missing or unsafe default-src, script-src, object-src, base-uri."""
    if not value:
        return []
    directives = {}
    for part in value.split(";"):
        tokens = part.split()
        if tokens:
            directives.setdefault(tokens[0].lower(), [t.lower() for t in tokens[1:]])
    out = []
    for name, unsafe in WAPITI_CSP.items():
        if name not in directives:
            out.append(f"CSP attribute \"{name}\" is missing")
        elif unsafe is not None and any(v in unsafe for v in directives[name]):
            out.append(f"CSP \"{name}\" value is not safe")
        elif name == "object-src" and directives[name] != ["'none'"]:
            out.append(f"CSP \"{name}\" value is not safe")
        elif name == "base-uri" and not set(directives[name]) <= {"'none'", "'self'"}:
            out.append(f"CSP \"{name}\" value is not safe")
    return out


WAPITI_SSL_INFO = ["Certificate doesn't use Extended Validation", "OCSP Must-Staple extension is missing",
                   "Certificate expires in {months} months and {days} days"]


def _wapiti_ssl(case: Case) -> str:
    """Wapiti's ssl module: one finding per observation about the certificate."""
    if case.scenario == "self-signed":
        return "Self-signed certificate detected: The certificate is not signed by a trusted Certificate Authority"
    if case.scenario == "name-mismatch":
        return "Requested hostname doesn't match those in the certificate"
    not_after = case.evidence.split("notAfter=")[1].split(";")[0]
    if case.scenario == "expired":
        return f"Certificate has expired at {not_after} 00:00:00+00:00"
    n = sum(map(ord, case.page.host))
    return WAPITI_SSL_INFO[n % 3].format(months=n % 11 + 1, days=n % 27 + 1)


def _wapp(case: Case) -> str:
    """Wapiti's wapp module info: the detected application as JSON."""
    header = case.subject.get("header", "Server")
    value = case.page.get(header) or ""
    if value[:1].isdigit():   # X-AspNet-Version: 4.0.30319
        name, rest = {"X-AspNet-Version": "ASP.NET", "X-AspNetMvc-Version": "ASP.NET MVC"}.get(header, header), value
    else:
        name = re.split(r"[/ (]", value.strip())[0] or "Unknown"
        rest = value[len(name):]
    version = re.search(r"\d+(?:\.\d+)*", rest) if case.scenario == "version" else None
    categories = ["Web servers"] if case.subject.get("header") == "Server" else ["Web frameworks"]
    return json.dumps({"name": name, "versions": [version.group(0)] if version else [], "cpe": "",
                       "categories": categories, "groups": ["Servers" if categories == ["Web servers"] else
                                                            "Web development"]})


def _wapiti_cookie(case: Case) -> bool:
    """Wapiti reports a cookie it saw without the flag, from its cookie jar (no response in the report)."""
    return case.scenario in ("session-missing", "non-session", "http-only-host")


def _csp(case: Case) -> str:
    return case.page.get("Content-Security-Policy") or ""


def burp(index: int) -> str:
    return str(index)


def _sub(case: Case) -> str:
    return case.subject.get("header", "")


def _nuclei_hdr(case: Case) -> str:
    return "http-missing-security-headers:" + _sub(case).lower()


def _wapiti_missing(case: Case) -> str:
    return f"{_sub(case)} is not set"


CHECKS: dict[str, list[Check]] = {
    "hsts": [
        Check("ZAP", "Strict-Transport-Security Header Not Set", "10035", ("missing",)),
        Check("ZAP", "Strict-Transport-Security Disabled", "10035", ("zero",),
              evidence=lambda c: _hdr(c, "Strict-Transport-Security")),
        Check("ZAP", "Strict-Transport-Security Header on Plain HTTP Response", "10035", ("on-http",),
              evidence=lambda c: _hdr(c, "Strict-Transport-Security")),
        Check("Nuclei", "HTTP Missing Security Headers", "http-missing-security-headers:strict-transport-security",
              ("missing",)),
        Check("Burp Suite", "Strict transport security not enforced", burp(0x01000300), ("missing", "weak", "zero"),
              when=lambda c: c.page.scheme == "https"),
        Check("Wapiti", "HTTP Strict Transport Security (HSTS)", "http_headers", ("missing",),
              when=lambda c: c.page.scheme == "https",
              evidence=lambda c: "Strict-Transport-Security is not set"),
        Check("Mozilla HTTP Observatory", "strict-transport-security", "hsts-not-implemented", ("missing",)),
        Check("Mozilla HTTP Observatory", "strict-transport-security",
              "hsts-implemented-max-age-less-than-six-months", ("weak", "zero"),
              evidence=lambda c: _hdr(c, "Strict-Transport-Security")),
        Check("drheader", "Strict-Transport-Security", "Header not included in response", ("missing",)),
        Check("drheader", "Strict-Transport-Security", "Value does not match security policy",
              ("weak", "zero", "value", "on-http"), evidence=lambda c: _hdr(c, "Strict-Transport-Security")),
        Check("drheader", "Strict-Transport-Security", "Must-Contain directive missed", ("value", "weak"),
              evidence=lambda c: "includeSubDomains; preload"),
    ],
    "csp": [
        Check("ZAP", "Content Security Policy (CSP) Header Not Set", "10038", ("missing",)),
        Check("ZAP", "CSP: script-src unsafe-inline", "10055", ("weak", "value"), evidence=_csp,
              when=lambda c: "'unsafe-inline'" in _csp(c)),
        Check("ZAP", "CSP: Wildcard Directive", "10055", ("weak", "value"), evidence=_csp,
              when=lambda c: re.search(r"(^|\s)\*(\s|;|$)", _csp(c)) is not None),
        Check("ZAP", "CSP: style-src unsafe-inline", "10055", ("value", "weak"), evidence=_csp,
              when=lambda c: re.search(r"(style-src|default-src)[^;]*'unsafe-inline'", _csp(c)) is not None),
        Check("ZAP", "CSP: script-src unsafe-eval", "10055", ("value", "weak"), evidence=_csp,
              when=lambda c: "'unsafe-eval'" in _csp(c)),
        Check("ZAP", "CSP: Failure to Define Directive with No Fallback", "10055", ("value", "weak"), evidence=_csp,
              when=lambda c: "form-action" not in _csp(c) or "frame-ancestors" not in _csp(c)),
        Check("ZAP", "CSP: Notices", "10055", ("value",), evidence=_csp),
        Check("Nuclei", "HTTP Missing Security Headers", "http-missing-security-headers:content-security-policy",
              ("missing",)),
        Check("Wapiti", "Content Security Policy Configuration", "csp", ("missing",),
              evidence=lambda c: "CSP is not set"),
        Check("Wapiti", "Content Security Policy Configuration", "csp", ("weak", "value"),
              evidence=lambda c: _wapiti_csp(_csp(c))[0], when=lambda c: bool(_wapiti_csp(_csp(c)))),
        Check("Mozilla HTTP Observatory", "content-security-policy", "csp-not-implemented", ("missing",)),
        Check("Mozilla HTTP Observatory", "content-security-policy",
              "csp-implemented-with-unsafe-inline", ("weak", "value"), evidence=_csp,
              when=lambda c: "'unsafe-inline'" in _csp(c)),
        Check("Mozilla HTTP Observatory", "content-security-policy",
              "csp-implemented-with-unsafe-inline-in-style-src-only", ("value",), evidence=_csp,
              when=lambda c: "style-src 'self' 'unsafe-inline'" in _csp(c)),
        Check("drheader", "Content-Security-Policy", "Header not included in response", ("missing",)),
        Check("drheader", "Content-Security-Policy", "Must-Contain-One directive missed", ("value", "weak"),
              evidence=lambda c: "nonce-, strict-dynamic"),
    ],
    "framing": [
        Check("ZAP", "Missing Anti-clickjacking Header", "10020", ("missing",), param=lambda c: "x-frame-options"),
        Check("ZAP", "X-Frame-Options Header Not Set", "10020", ("missing",), param=lambda c: "X-Frame-Options"),
        Check("Nuclei", "HTTP Missing Security Headers", "http-missing-security-headers:x-frame-options", ("missing",)),
        Check("Burp Suite", "Frameable response (potential Clickjacking)", burp(0x005009A0), ("missing",)),
        Check("Wapiti", "Clickjacking Protection", "http_headers", ("missing",), evidence=_wapiti_missing),
        Check("Mozilla HTTP Observatory", "x-frame-options", "x-frame-options-not-implemented", ("missing",)),
        Check("drheader", "X-Frame-Options", "Header not included in response", ("missing",)),
        Check("drheader", "X-Frame-Options", "Value does not match security policy", ("value",),
              evidence=lambda c: _hdr(c, "X-Frame-Options")),
    ],
    "content_sniffing": [
        Check("ZAP", "X-Content-Type-Options Header Missing", "10021", ("missing",),
              param=lambda c: "x-content-type-options"),
        Check("Nuclei", "HTTP Missing Security Headers", "http-missing-security-headers:x-content-type-options",
              ("missing",)),
        Check("Wapiti", "MIME Type Confusion", "http_headers", ("missing",), evidence=_wapiti_missing),
        Check("Mozilla HTTP Observatory", "x-content-type-options", "x-content-type-options-not-implemented",
              ("missing",)),
        Check("drheader", "X-Content-Type-Options", "Header not included in response", ("missing",)),
        Check("drheader", "X-Content-Type-Options", "Value does not match security policy", ("value",),
              evidence=lambda c: _hdr(c, "X-Content-Type-Options")),
    ],
    "optional_security_header": [
        Check("ZAP", "Permissions Policy Header Not Set", "10063", ("missing",), param=lambda c: "Permissions-Policy",
              about=("Permissions-Policy",)),
        Check("ZAP", "Insufficient Site Isolation Against Spectre Vulnerability", "90004", ("missing", "value"),
              param=lambda c: _sub(c), about=("Cross-Origin-Resource-Policy", "Cross-Origin-Embedder-Policy",
                                              "Cross-Origin-Opener-Policy")),
        Check("Nuclei", "HTTP Missing Security Headers", "", ("missing",),
              about=("Referrer-Policy", "Permissions-Policy", "Cross-Origin-Resource-Policy",
                     "Cross-Origin-Embedder-Policy", "Cross-Origin-Opener-Policy")),
        Check("Mozilla HTTP Observatory", "referrer-policy", "referrer-policy-not-implemented", ("missing",),
              about=("Referrer-Policy",)),
        Check("Mozilla HTTP Observatory", "referrer-policy", "referrer-policy-unsafe", ("value",),
              about=("Referrer-Policy",), evidence=lambda c: _hdr(c, "Referrer-Policy")),
        Check("drheader", "", "Header not included in response", ("missing",)),
        Check("drheader", "", "Value does not match security policy", ("value",)),
    ],
    "obsolete_header": [
        Check("ZAP", "Web Browser XSS Protection Not Enabled", "10016", ("missing", "value"),
              param=lambda c: "X-XSS-Protection", evidence=lambda c: _hdr(c, "X-XSS-Protection"),
              about=("X-XSS-Protection",)),
        Check("drheader", "", "Header not included in response", ("missing",)),
        Check("drheader", "", "Value does not match security policy", ("value",)),
        Check("Nuclei", "HTTP Missing Security Headers", "http-missing-security-headers:x-xss-protection", ("missing",),
              about=("X-XSS-Protection",)),
        Check("Nuclei", "X-XSS-Protection Deprecated Header", "xss-deprecated-header", ("value",),
              about=("X-XSS-Protection",), evidence=lambda c: c.page.get("X-XSS-Protection") or ""),
        Check("Burp Suite", "Browser cross-site scripting filter disabled", burp(0x005009B0), ("value",),
              about=("X-XSS-Protection",), when=lambda c: (c.page.get("X-XSS-Protection") or "").startswith("0")),
    ],
    "cacheable_sensitive_content": [
        Check("ZAP", "Re-examine Cache-control Directives", "10015", param=lambda c: "cache-control",
              evidence=lambda c: c.page.get("Cache-Control") or ""),
        Check("ZAP", "Incomplete or No Cache-control Header Set", "10015", param=lambda c: "Cache-Control",
              evidence=lambda c: c.page.get("Cache-Control") or ""),
        Check("ZAP", "Storable and Cacheable Content", "10049"),
        Check("ZAP", "Storable but Non-Cacheable Content", "10049",
              evidence=lambda c: c.page.get("Cache-Control") or ""),
        Check("Burp Suite", "Cacheable HTTPS response", burp(0x00700100), when=lambda c: c.page.scheme == "https"),
        Check("drheader", "Cache-Control", "Value does not match security policy",
              evidence=lambda c: _hdr(c, "Cache-Control")),
    ],
    "version_banner": [
        Check("ZAP", "Server Leaks Version Information via \"Server\" HTTP Response Header Field", "10036",
              evidence=lambda c: c.page.get("Server") or "", about=("Server",)),
        Check("ZAP", "Server Leaks Information via \"X-Powered-By\" HTTP Response Header Field(s)", "10037",
              evidence=lambda c: _hdr(c, "X-Powered-By"), about=("X-Powered-By",)),
        Check("ZAP", "X-AspNet-Version Response Header", "10061", evidence=lambda c: _hdr(c, "X-AspNet-Version"),
              about=("X-AspNet-Version",)),
        Check("Nuclei", "Wappalyzer Technology Detection", "tech-detect"),
        Check("Nuclei", "Nginx - Version Detect", "nginx-version", about=("Server",)),
        Check("Wapiti", "Fingerprint web technology", "wapp", ("product-only",), evidence=lambda c: _wapp(c)),
        Check("Wapiti", "Fingerprint web server", "wapp", ("version",), evidence=lambda c: _wapp(c),
              about=("Server",)),
        Check("Wapiti", "Fingerprint web application framework", "wapp", ("version",), evidence=lambda c: _wapp(c),
              about=("X-Powered-By", "X-AspNet-Version", "X-AspNetMvc-Version", "X-Generator")),
        Check("drheader", "", "Header should not be returned"),
        Check("Burp Suite", "Software version numbers revealed", ""),
    ],
    "cors": [
        Check("ZAP", "Cross-Domain Misconfiguration", "10098", ("wildcard-sensitive", "wildcard-public"),
              evidence=lambda c: _hdr(c, "Access-Control-Allow-Origin")),
        Check("ZAP", "CORS Header", "40040", evidence=lambda c: _hdr(c, "Access-Control-Allow-Origin")),
        Check("ZAP", "CORS Misconfiguration", "40040", evidence=lambda c: _hdr(c, "Access-Control-Allow-Origin")),
        Check("Burp Suite", "Cross-origin resource sharing", burp(0x00200600)),
        Check("Burp Suite", "Cross-origin resource sharing: arbitrary origin trusted", burp(0x00200601),
              ("reflected-credentials",)),
        Check("Nuclei", "CORS Misconfiguration", "cors-misconfig:arbitrary-origin", ("reflected-credentials",
                                                                                   "fixed-origin")),
        Check("Nuclei", "CORS Misconfiguration", "cors-misconfig", ("wildcard-sensitive", "wildcard-public")),
        Check("Mozilla HTTP Observatory", "cross-origin-resource-sharing",
              "cross-origin-resource-sharing-implemented-with-universal-access",
              ("wildcard-sensitive", "wildcard-public")),
    ],
    "cookie_flags": [
        Check("ZAP", "Cookie No HttpOnly Flag", "10010", ("httponly",)),
        Check("ZAP", "Cookie Without Secure Flag", "10011", ("secure",)),
        Check("ZAP", "Cookie without SameSite Attribute", "10054", ("samesite",)),
        Check("Burp Suite", "Cookie without HttpOnly flag set", burp(0x00500600), ("httponly",)),
        Check("Burp Suite", "TLS cookie without secure flag set", burp(0x00500200), ("secure",),
              when=lambda c: c.page.scheme == "https"),
        Check("Nuclei", "Cookies without HttpOnly attribute - Detect", "cookies-without-httponly", ("httponly",)),
        Check("Nuclei", "Cookies without Secure attribute - Detect", "cookies-without-secure", ("secure",)),
        Check("Wapiti", "HttpOnly Flag cookie", "cookieflags", ("httponly",), no_response=True, when=_wapiti_cookie,
              evidence=lambda c: f"HttpOnly flag is not set in the cookie : {c.subject['cookie']}"),
        Check("Wapiti", "Secure Flag cookie", "cookieflags", ("secure",), no_response=True, when=_wapiti_cookie,
              evidence=lambda c: f"Secure flag is not set in the cookie : {c.subject['cookie']}"),
        Check("Mozilla HTTP Observatory", "cookies", "cookies-without-secure-flag", ("secure",)),
        Check("Mozilla HTTP Observatory", "cookies", "cookies-session-without-httponly-flag", ("httponly",)),
        Check("Mozilla HTTP Observatory", "cookies", "cookies-samesite-flag-invalid", ("samesite",)),
    ],
    "plain_http": [
        Check("ZAP", "HTTP Only Site", "10106", ("serves",)),
        Check("Burp Suite", "Unencrypted communications", burp(0x01000200)),
        Check("Mozilla HTTP Observatory", "redirection", "redirection-missing", ("serves",)),
        Check("Mozilla HTTP Observatory", "redirection", "redirection-not-needed-no-https", ("serves",)),
        Check("Nuclei", "HTTP to HTTPS Redirect Missing", "http-missing-https-redirect"),
        Check("Wapiti", "Unencrypted Channels", "https_redirect", evidence=lambda c: "No HTTPS redirection"),
    ],
    "certificate": [
        Check("Nuclei", "Self Signed SSL Certificate", "self-signed-ssl", ("self-signed",)),
        Check("Nuclei", "Expired SSL Certificate", "expired-ssl", ("expired",)),
        Check("Nuclei", "Mismatched SSL Certificate", "mismatched-ssl-certificate",
              ("name-mismatch", "valid-wildcard")),
        Check("Nuclei", "Untrusted Root Certificate", "untrusted-root-certificate", ("self-signed", "valid")),
        Check("Nuclei", "Wildcard TLS Certificate", "wildcard-tls", ("valid-wildcard",)),
        Check("Nuclei", "SSL Certificate Issuer", "ssl-issuer", ("valid", "expired", "self-signed")),
        Check("Wapiti", "TLS/SSL misconfigurations", "ssl", evidence=lambda c: _wapiti_ssl(c), no_response=True),
    ],
    "xss": [
        Check("ZAP", "Cross Site Scripting (Reflected)", "40012", param=lambda c: c.param),
        Check("ZAP", "Cross Site Scripting (Persistent)", "40014", param=lambda c: c.param),
        Check("Burp Suite", "Cross-site scripting (reflected)", burp(0x00200300), param=lambda c: c.param),
        Check("Burp Suite", "Input returned in response (reflected)", burp(0x00400c00), param=lambda c: c.param),
        Check("Wapiti", "Reflected Cross Site Scripting", "xss", param=lambda c: c.param,
              evidence=lambda c: f"XSS vulnerability found via injection in the parameter {c.param}"),
        Check("Nuclei", "Reflected Cross-Site Scripting", "reflected-xss", param=lambda c: c.param),
    ],
    "csrf": [
        Check("ZAP", "Absence of Anti-CSRF Tokens", "10202", ("form",), evidence=lambda c: c.evidence),
        Check("ZAP", "Anti-CSRF Tokens Check", "20012", ("form",), evidence=lambda c: c.evidence),
        Check("Burp Suite", "Cross-site request forgery", burp(0x00200700)),
        Check("Wapiti", "Cross Site Request Forgery", "csrf", ("request",),
              evidence=lambda c: "Lack of anti CSRF token", no_response=True),
    ],
    "exposed_file": [
        Check("ZAP", "Backup File Disclosure", "10095"),
        Check("Burp Suite", "Source code disclosure", burp(0x006000B0), when=lambda c: c.scenario == "real-source"),
        Check("ZAP", "Hidden File Found", "40035"),
        Check("ZAP", ".env Information Leak", "40034", when=lambda c: ".env" in c.page.path),
        Check("Nuclei", "Compressed Backup Files - Detect", "zip-backup-files",
              when=lambda c: c.page.path.endswith((".zip", ".gz", ".tar", ".war", ".jar"))),
        Check("Nuclei", "PHP Backup Files - Detect", "php-backup-files", when=lambda c: ".php" in c.page.path),
        Check("Nuclei", "Laravel - Sensitive Information Disclosure", "laravel-env",
              when=lambda c: ".env" in c.page.path),
        Check("Nuclei", "SQL Dump - Detect", "sql-dump", when=lambda c: ".sql" in c.page.path),
        Check("Wapiti", "Backup file", "backup",
              evidence=lambda c: f"Backup file {c.page.url} found for {_original(c.page.url)}"),
    ],
    "server_error_disclosure": [
        Check("ZAP", "Application Error Disclosure", "90022"),
        Check("ZAP", "Information Disclosure - Debug Error Messages", "10023"),
        Check("Wapiti", "Internal Server Error", "sql", evidence=lambda c: f"Received a HTTP 500 error in {c.page.url}",
              when=lambda c: c.page.status == 500),
        Check("Burp Suite", "Detailed error messages revealed", ""),
        Check("Nuclei", "Generic Error Stack Trace", "stacktraces"),
    ],
    "http_methods": [
        Check("ZAP", "Insecure HTTP Method", "90028", ("trace", "put", "delete"), param=lambda c: c.page.method),
        Check("Burp Suite", "HTTP TRACE method is enabled", burp(0x00500a00), ("trace",)),
        Check("Burp Suite", "HTTP PUT method is enabled", burp(0x00100900), ("put",)),
        Check("Nuclei", "HTTP TRACE method enabled", "http-trace", ("trace",)),
        Check("Nuclei", "PUT Method Enabled", "put-method-enabled", ("put",)),
        Check("Wapiti", "HTTP Methods", "methods", ("heuristic",), evidence=lambda c: c.evidence, no_response=True),
    ],
}


def _fill(check: Check, case: Case) -> tuple[str, str]:
    """The check name and id, with the subject header written in where the scanner names it."""
    name, cid = check.name, check.check_id
    header = _sub(case)
    if check.scanner == "drheader" and not name:
        name = header
    if check.scanner == "Nuclei" and cid == "" and case.smell in ("optional_security_header",):
        cid = "http-missing-security-headers:" + header.lower()
    return name, cid


def findings_for(case: Case, rng) -> list[dict]:
    """The Finding.details dicts of every scanner check that fits the case (the caller picks among them),
    with the fields each scanner's report really carries (as the readers extract them)."""
    out = []
    for check in CHECKS[case.smell]:
        if not check.fits(case):
            continue
        name, cid = _fill(check, case)
        param = check.param(case) if check.param else (case.param or _default_param(case, check))
        evidence = check.evidence(case) if check.evidence else _default_evidence(case, check)
        attack = case.attack
        if check.scanner == "Burp Suite":      # the XML export: type, name, location "[q parameter]", exchange
            evidence, attack = "", ""
            param = case.param if case.smell == "xss" else ""
        elif check.scanner == "Nuclei":        # template-id:matcher-name, extracted-results
            cid, param, evidence = _nuclei(case, cid)
            attack = ""
        elif check.scanner == "Wapiti":        # category, module, parameter, info
            attack = ""
            param = case.param if case.smell == "xss" else ""
        finding = case.page.finding(scanner=check.scanner, check=name, check_id=cid, param=param or "",
                                    evidence=evidence or "", attack=attack)
        if check.scanner == "Wapiti":
            finding = _wapiti(finding, check.no_response)
        out.append(finding)
    return out


WAPITI_UA = "Mozilla/5.0 (Windows NT 6.1; rv:45.0) Gecko/20100101 Firefox/45.0"


def _wapiti(finding: dict, no_response: bool) -> dict:
    """Wapiti's JSON: header names in lower case, its own User-Agent, and for some modules no response."""
    request = finding["request"]
    request["headers"] = [[k.lower(), WAPITI_UA if k.lower() == "user-agent" else v] for k, v in request["headers"]]
    if no_response:
        finding["response"] = None
        finding["exchange_note"] = "the report carries no response for this finding"
    else:
        finding["response"]["headers"] = [[k.lower(), v] for k, v in finding["response"]["headers"]]
    return finding


def _nuclei(case: Case, cid: str) -> tuple[str, str, str]:
    """(check id, param = matcher name or fuzzing parameter, evidence = extracted results) of a Nuclei event."""
    template, _, matcher = cid.partition(":")
    if template == "tech-detect":
        header = case.subject.get("header", "Server")
        value = case.page.get(header) or ""
        matcher = {"X-AspNet-Version": "asp.net", "X-AspNetMvc-Version": "asp.net-mvc"}.get(header) \
            or re.split(r"[/ (]", value.strip())[0].lower() or "unknown"
        return f"tech-detect:{matcher}", matcher, ""
    if template == "nginx-version":
        return template, "", case.page.get("Server") or ""
    if template.startswith("cookies-without"):
        return template, "", case.subject.get("cookie", "")
    if template == "reflected-xss":
        return template, case.param, ""
    if case.smell == "certificate":
        return cid, matcher, case.evidence
    return cid, matcher, ""


def _default_param(case: Case, check: Check) -> str:
    if check.scanner == "ZAP" and case.subject.get("header"):
        return case.subject["header"].lower()
    return case.subject.get("cookie", "")


def _default_evidence(case: Case, check: Check) -> str:
    if case.smell == "certificate":
        return case.evidence
    if case.smell == "cookie_flags" and check.scanner == "ZAP":
        return f"Set-Cookie: {case.subject['cookie']}"
    if case.smell == "cookie_flags":
        return next((f"Set-Cookie: {v}" for k, v in case.page.headers
                     if k.lower() == "set-cookie" and v.startswith(case.subject["cookie"] + "=")), "")
    if case.smell == "version_banner":
        return f"{case.subject['header']}: {case.page.get(case.subject['header'])}"
    if case.smell == "xss":
        return case.attack
    if case.smell == "csrf":
        return case.evidence
    if case.smell == "cors":
        return _hdr(case, "Access-Control-Allow-Origin")
    return ""
