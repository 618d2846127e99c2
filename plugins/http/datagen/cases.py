"""Case builders: for each smell, scenarios that set the axes POLICY.md decides on (after random noise).

A scenario names the label it means to produce (``expect``); the label a row gets is always the one
``policy.judge`` gives on the finished exchange, and tests check that the two agree for every scenario.
``seen`` says what the scanner saw (missing header, weak value, disliked-but-sound value, ...): it picks
which scanner checks can plausibly fire (see scanners.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import quote

from .pages import Ctx, Page
from .render import SOUND_CSPS, WEAK_CSPS, csp_value, noise, render
from .sites import Family

HTML_KINDS = ["home", "login", "admin", "settings", "search", "not_found"]
SENSITIVE_KINDS = ["login", "admin", "settings", "api_users", "login_post"]
PUBLIC_KINDS = ["home", "css", "js", "png", "font", "svg", "api_public"]
NONHTML_KINDS = ["api_users", "api_public", "css", "js", "png", "font"]


@dataclass
class Case:
    smell: str
    family: str
    scenario: str
    expect: str
    page: Page
    subject: dict = field(default_factory=dict)
    seen: str = "missing"
    attack: str = ""
    param: str = ""
    evidence: str = ""

    @property
    def template(self) -> str:
        return f"{self.family}/{self.page.kind}/{self.scenario}"


def page_of(family: Family, ctx: Ctx, kind: str, scheme: str, **kw) -> Page:
    page = noise(render(family, kind, ctx, scheme, **kw), ctx)
    page.kind = kind
    return page


def _scheme(ctx: Ctx, https_share: float = 0.6) -> str:
    return "https" if ctx.rng.random() < https_share else "http"


def _empty_or_redirect(family: Family, ctx: Ctx, scheme: str) -> Page:
    """A response that is not HTML whatever its Content-Type says: a redirect or an empty body."""
    page = page_of(family, ctx, ctx.rng.choice(["home", "login"]), scheme)
    if ctx.rng.random() < 0.5:
        page.status = ctx.rng.choice([301, 302, 303])
        page.set("Location", ctx.rng.choice([family.login, "/", f"{scheme}://{page.host}{family.admin}"]))
        page.body = ctx.rng.choice(["", "<html><body>Redirecting…</body></html>"])
        page.kind = "redirect"
        if page.body:
            page.kind = "redirect-with-body"
    else:
        page.status = ctx.rng.choice([204, 200, 304])
        page.body = ""
        page.kind = "empty"
    return page


# ---------------------------------------------------------------- headers that are required

def case_hsts(family: Family, ctx: Ctx) -> Case:
    rng = ctx.rng
    scenario = rng.choice(["https-missing", "https-missing", "https-short", "http-missing", "http-present",
                           "https-sufficient"])
    kind = rng.choice(HTML_KINDS + NONHTML_KINDS + ["login_post"])
    page = page_of(family, ctx, kind, "https" if scenario.startswith("https") else "http",
                   cookie=rng.random() < 0.7)
    if scenario.endswith("missing"):
        page.set("Strict-Transport-Security", None)
        return Case("hsts", family.name, scenario, "TP" if scenario == "https-missing" else "FP", page)
    if scenario == "https-short":
        age = rng.choice([0, 300, 3600, 86400, 604800, 2592000, 7776000, 15551999])
        page.set("Strict-Transport-Security", rng.choice([f"max-age={age}", f"max-age={age}; includeSubDomains"]))
        return Case("hsts", family.name, scenario, "TP", page, seen="zero" if age == 0 else "weak")
    if scenario == "http-present":
        page.set("Strict-Transport-Security", rng.choice(["max-age=31536000", "max-age=63072000; includeSubDomains"]))
        return Case("hsts", family.name, scenario, "FP", page, seen="on-http")
    age = rng.choice([15552000, 15768000, 31536000, 63072000])
    page.set("Strict-Transport-Security", rng.choice([f"max-age={age}", f"max-age={age}; includeSubDomains"]))
    return Case("hsts", family.name, scenario, "FP", page, seen="value")


def case_csp(family: Family, ctx: Ctx) -> Case:
    rng = ctx.rng
    scenario = rng.choice(["html-missing", "html-weak", "svg-missing", "nonhtml-missing", "nonhtml-missing",
                           "empty-or-redirect", "html-sound"])
    scheme = _scheme(ctx)
    if scenario == "html-missing":
        page = page_of(family, ctx, rng.choice(HTML_KINDS), scheme)
        page.set("Content-Security-Policy", None)
        if rng.random() < 0.15:
            page.set("Content-Type", None)
            scenario = "html-no-content-type"
        return Case("csp", family.name, scenario, "TP", page)
    if scenario == "svg-missing":
        page = page_of(family, ctx, "svg", scheme)
        page.set("Content-Security-Policy", None)
        return Case("csp", family.name, scenario, "TP", page)
    if scenario == "html-weak":
        weakness = rng.choice(sorted(WEAK_CSPS))
        page = page_of(family, ctx, rng.choice(HTML_KINDS), scheme)
        page.set("Content-Security-Policy", csp_value(ctx, rng.choice(WEAK_CSPS[weakness])))
        return Case("csp", family.name, f"html-{weakness}", "TP", page, seen="weak")
    if scenario == "nonhtml-missing":
        page = page_of(family, ctx, rng.choice(NONHTML_KINDS + ["login_post"]), scheme, cookie=True)
        page.set("Content-Security-Policy", None)
        if page.kind == "api_public" and rng.random() < 0.3:
            page.set("Content-Type", None)
            scenario = "json-no-content-type"
        return Case("csp", family.name, scenario, "FP", page)
    if scenario == "empty-or-redirect":
        page = _empty_or_redirect(family, ctx, scheme)
        page.set("Content-Security-Policy", None)
        return Case("csp", family.name, scenario, "FP", page)
    page = page_of(family, ctx, rng.choice(HTML_KINDS + ["svg"]), scheme)
    page.set("Content-Security-Policy", csp_value(ctx, rng.choice(SOUND_CSPS)))
    return Case("csp", family.name, scenario, "FP", page, seen="value")


OPTIONAL = {"framing": ["X-Frame-Options"], "content_sniffing": ["X-Content-Type-Options"],
            "optional_security_header": ["Referrer-Policy", "Permissions-Policy", "Cross-Origin-Resource-Policy",
                                         "Cross-Origin-Embedder-Policy", "Cross-Origin-Opener-Policy",
                                         "Access-Control-Allow-Methods"]}
PRESENT_VALUES = {"X-Frame-Options": ["SAMEORIGIN", "DENY"], "X-Content-Type-Options": ["nosniff"],
                  "Referrer-Policy": ["same-origin", "no-referrer-when-downgrade", "origin", "strict-origin"],
                  "Permissions-Policy": ["geolocation=(), camera=()", "interest-cohort=()"],
                  "Cross-Origin-Resource-Policy": ["cross-origin", "same-site"],
                  "Cross-Origin-Embedder-Policy": ["unsafe-none", "credentialless"],
                  "Cross-Origin-Opener-Policy": ["same-origin-allow-popups", "unsafe-none"],
                  "Access-Control-Allow-Methods": ["GET, POST, OPTIONS", "GET, PUT, DELETE"]}


def case_optional(smell: str):
    def build(family: Family, ctx: Ctx) -> Case:
        rng = ctx.rng
        name = rng.choice(OPTIONAL[smell])
        subject = {"header": name}
        xfo = name == "X-Frame-Options"
        scenario = rng.choice(["html-no-csp", "html-weak-csp", "html-sound-csp", "nonhtml", "nonhtml",
                               "present"] + (["html-frame-ancestors-only", "html-sound-csp-no-fa"] if xfo else []))
        scheme = _scheme(ctx)
        if scenario == "nonhtml" and rng.random() < 0.25:
            page = _empty_or_redirect(family, ctx, scheme)
        else:
            kind = rng.choice(NONHTML_KINDS) if scenario == "nonhtml" else rng.choice(HTML_KINDS + ["svg"])
            page = page_of(family, ctx, kind, scheme)
        if scenario == "present":
            page.set(name, rng.choice(PRESENT_VALUES[name]))
            return Case(smell, family.name, scenario, "FP", page, subject, seen="value")
        page.set(name, None)
        if scenario == "html-no-csp":
            page.set("Content-Security-Policy", None)
            expect = "TP"
        elif scenario == "html-weak-csp":
            weakness = rng.choice(sorted(w for w in WEAK_CSPS if not xfo or w != "no-script-directive"))
            value = csp_value(ctx, rng.choice(WEAK_CSPS[weakness]))
            if xfo:
                value = value.replace("frame-ancestors 'self'", "").replace("frame-ancestors 'none'", "").strip("; ")
            page.set("Content-Security-Policy", value)
            expect = "TP"
        elif scenario == "html-sound-csp":
            value = csp_value(ctx, rng.choice([c for c in SOUND_CSPS if not xfo or "frame-ancestors" in c]))
            page.set("Content-Security-Policy", value)
            expect = "FP"
        elif scenario == "html-frame-ancestors-only":
            page.set("Content-Security-Policy", rng.choice(["frame-ancestors 'self'", "frame-ancestors 'none'"]))
            expect = "FP"
        elif scenario == "html-sound-csp-no-fa":
            page.set("Content-Security-Policy",
                     csp_value(ctx, rng.choice([c for c in SOUND_CSPS if "frame-ancestors" not in c])))
            expect = "TP"
        else:
            expect = "FP"
        return Case(smell, family.name, scenario, expect, page, subject)
    return build


def case_obsolete(family: Family, ctx: Ctx) -> Case:
    rng = ctx.rng
    name = rng.choice(["X-XSS-Protection", "X-XSS-Protection", "Pragma", "Expires"])
    page = page_of(family, ctx, rng.choice(HTML_KINDS + NONHTML_KINDS), _scheme(ctx))
    scenario = "missing"
    seen = "missing"
    if name == "X-XSS-Protection" and rng.random() < 0.5:
        page.set(name, rng.choice(["0", "1; mode=block", "1"]))
        scenario, seen = "present", "value"
    elif name == "Pragma" and rng.random() < 0.4:
        page.set(name, rng.choice(["public", "cache"]))
        scenario, seen = "present", "value"
    else:
        page.set(name, None)
    return Case("obsolete_header", family.name, f"{name.lower()}-{scenario}", "FP", page, {"header": name},
                seen=seen)


# ---------------------------------------------------------------- conditional findings

STORABLE = ["public, max-age=3600", "max-age=86400", "no-cache", "max-age=0, must-revalidate", None, None,
            "public", "s-maxage=600"]
NOT_STORABLE = ["no-store", "no-cache, no-store, must-revalidate", "private", "private, max-age=600",
                "private, no-cache", "no-store, max-age=0"]


def case_caching(family: Family, ctx: Ctx) -> Case:
    rng = ctx.rng
    scenario = rng.choice(["sensitive-storable", "sensitive-storable", "sensitive-private", "public-storable",
                           "public-storable"])
    scheme = _scheme(ctx, 0.75)
    if scenario.startswith("sensitive"):
        kind = rng.choice(SENSITIVE_KINDS)
        page = page_of(family, ctx, kind, scheme, cookie=kind == "login" and rng.random() < 0.6)
    else:
        page = page_of(family, ctx, rng.choice(PUBLIC_KINDS), scheme)
    storable = scenario.endswith("storable")
    value = rng.choice(STORABLE if storable else NOT_STORABLE)
    page.set("Cache-Control", value)
    if rng.random() < 0.3:
        page.set("Pragma", rng.choice(["no-cache", "public"]))
    if rng.random() < 0.3:
        page.set("Expires", rng.choice(["0", ctx.http_date(1)]))
    expect = "TP" if scenario == "sensitive-storable" else "FP"
    return Case("cacheable_sensitive_content", family.name, scenario, expect, page, seen="storable")


BANNERS = {
    "Server": (["nginx/1.18.0 (Ubuntu)", "Apache/2.4.41 (Ubuntu)", "Microsoft-IIS/10.0", "nginx/1.24.0",
                "Apache/2.4.57 (Debian) OpenSSL/3.0.11", "gunicorn/20.1.0", "Jetty(9.4.53.v20231009)",
                "Apache-Coyote/1.1", "LiteSpeed/6.1", "Werkzeug/3.0.1 Python/3.11.8", "openresty/1.21.4.3",
                "Kestrel/8.0", "Caddy v2.7.6"],
               ["nginx", "Apache", "cloudflare", "Microsoft-HTTPAPI", "AmazonS3", "gunicorn", "openresty",
                "Kestrel", "LiteSpeed", "Caddy", "envoy", "istio-envoy", "Vercel", "GitHub.com", "Netlify"]),
    "X-Powered-By": (["PHP/8.1.2-1ubuntu2.14", "PHP/7.4.33", "Express 4.18.2", "ASP.NET 4.0.30319",
                      "Phusion Passenger 6.0.20", "Servlet/3.1 JSP/2.3", "PHP/5.6.40"],
                     ["Express", "ASP.NET", "PHP", "Next.js", "Nuxt", "Phusion Passenger", "JSF", "PleskLin"]),
    "X-AspNet-Version": (["4.0.30319", "2.0.50727"], []),
    "X-AspNetMvc-Version": (["5.2", "4.0"], []),
    "X-Generator": (["WordPress 6.4.3", "Drupal 10 (https://www.drupal.org)",
                     "Joomla! 4.4 - Open Source Content Management"],
                    ["Hugo", "Drupal", "Gatsby", "WordPress"]),
}


def case_banner(family: Family, ctx: Ctx) -> Case:
    rng = ctx.rng
    name = rng.choice(["Server", "Server", "Server", "X-Powered-By", "X-Powered-By", "X-AspNet-Version",
                       "X-AspNetMvc-Version", "X-Generator"])
    versioned, bare = BANNERS[name]
    with_version = not bare or rng.random() < 0.5
    value = rng.choice(versioned if with_version else bare)
    page = page_of(family, ctx, rng.choice(HTML_KINDS + NONHTML_KINDS + ["svg"]), _scheme(ctx))
    page.set(name, value)
    scenario = "version" if with_version else "product-only"
    return Case("version_banner", family.name, scenario, "TP" if with_version else "FP", page, {"header": name},
                seen=scenario)


EVIL = ["https://evil.example", "https://attacker.example.net", "null", "https://{host}.evil.example",
        "http://localhost:1337"]


def case_cors(family: Family, ctx: Ctx) -> Case:
    rng = ctx.rng
    scenario = rng.choice(["wildcard-sensitive", "reflected-credentials", "wildcard-public", "fixed-origin",
                           "fixed-origin"])
    scheme = _scheme(ctx, 0.8)
    if scenario == "wildcard-sensitive":
        kind = rng.choice(["api_users", "api_users", "login", "admin"])
    elif scenario == "wildcard-public":
        kind = rng.choice(["api_public", "api_public", "font", "css", "js", "png", "svg"])
    else:
        kind = rng.choice(["api_users", "api_public", "admin", "home"])
    page = page_of(family, ctx, kind, scheme, cookie=kind == "login")
    origin = rng.choice(EVIL).format(host=page.host.split(":")[0])
    if origin == "null":
        origin = "https://evil.example"
    page.set_req("Origin", origin)
    if scenario.startswith("wildcard"):
        page.set("Access-Control-Allow-Origin", "*")
        if rng.random() < 0.3:
            page.set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
    elif scenario == "reflected-credentials":
        page.set("Access-Control-Allow-Origin", origin)
        page.set("Access-Control-Allow-Credentials", "true")
        page.set("Vary", "Origin")
    else:
        trusted = rng.choice([f"https://app.{ctx.org}.example", f"https://www.{ctx.org}.example",
                              f"https://admin.{ctx.org}.example"])
        page.set("Access-Control-Allow-Origin", trusted)
        if rng.random() < 0.6:
            page.set("Access-Control-Allow-Credentials", "true")
    expect = "TP" if scenario in ("wildcard-sensitive", "reflected-credentials") else "FP"
    return Case("cors", family.name, scenario, expect, page, seen=scenario)


NON_SESSION = ["csrftoken", "_xsrf", "XSRF-TOKEN", "_csrf", "lang", "theme", "_ga", "_gid", "cookie_consent",
               "timezone", "sidebar_collapsed", "locale", "_pk_id.1.1fff"]


def _cookie_line(name: str, value: str, flags: list[str], rng) -> str:
    parts = [f"{name}={value}", "path=/"] + flags
    if rng.random() < 0.3:
        parts.insert(1, rng.choice(["Max-Age=86400", "expires=Fri, 31-Dec-2027 23:59:59 GMT"]))
    return "; ".join(parts)


def case_cookie(family: Family, ctx: Ctx) -> Case:
    rng = ctx.rng
    flag = rng.choice(["HttpOnly", "Secure", "SameSite"])
    scenario = rng.choice(["session-missing", "session-missing", "non-session", "non-session", "flag-spelled"]
                          + (["http-only-host", "http-with-https-link"] if flag == "Secure" else []))
    if flag == "Secure":
        scheme = {"http-only-host": "http", "http-with-https-link": "http"}.get(scenario, "https")
    else:
        scheme = _scheme(ctx)
    if scenario == "non-session":
        kind = rng.choice(["home", "login", "search", "api_public"])
    else:
        kind = rng.choice(["login", "home", "admin", "login_post"]
                          + (["api_users"] if scenario != "http-with-https-link" else []))
    page = page_of(family, ctx, kind, scheme)
    name = family.session if scenario != "non-session" else (
        family.csrf_cookie if family.csrf_cookie and rng.random() < 0.4 else rng.choice(NON_SESSION))
    others = [f for f in ["HttpOnly", "Secure", rng.choice(["SameSite=Lax", "SameSite=Strict"])]
              if not f.startswith(flag) and (f != "Secure" or scheme == "https" or rng.random() < 0.3)]
    flags = [f for f in others if rng.random() < 0.7]
    if scenario == "flag-spelled":
        spelled = {"HttpOnly": rng.choice(["httponly", "HTTPOnly"]), "Secure": rng.choice(["secure", "SECURE"]),
                   "SameSite": rng.choice(["samesite=lax", "SameSite=strict"])}[flag]
        flags.append(spelled)
    value = ctx.token(rng.choice([26, 32, 40])) if name not in ("lang", "theme", "locale", "timezone") else \
        rng.choice(["en", "de", "dark", "light", "UTC", "Europe%2FBerlin"])
    page.add("Set-Cookie", _cookie_line(name, value, flags, rng))
    if rng.random() < 0.3 and name != family.session:
        page.add("Set-Cookie", _cookie_line(family.session, ctx.token(32), ["HttpOnly", "Secure", "SameSite=Lax"]
                                            if scheme == "https" else ["HttpOnly", "SameSite=Lax"], rng))
    if scheme == "http":
        page.body = page.body.replace(f"https://{page.host}", f"http://{page.host}")
        if scenario == "http-with-https-link":
            link = rng.choice([f"<a href=\"https://{page.host}{family.login}\">Secure login</a>",
                               f"<link rel=\"canonical\" href=\"https://{page.host}/\">"])
            page.body = page.body.replace("</body>", f"{link}\n</body>") if page.body else link
    expect = {"session-missing": "TP", "non-session": "FP", "flag-spelled": "FP", "http-only-host": "FP",
              "http-with-https-link": "TP"}[scenario]
    return Case("cookie_flags", family.name, scenario, expect, page, {"cookie": name, "flag": flag},
                seen=flag.lower(), param=name)


# ---------------------------------------------------------------- transport

def case_plain_http(family: Family, ctx: Ctx) -> Case:
    rng = ctx.rng
    scenario = rng.choice(["html", "login-cookie", "api-cookie", "login-post-cookie", "redirect", "redirect",
                           "redirect"])
    if scenario == "redirect":
        page = page_of(family, ctx, rng.choice(["home", "login", "admin"]), "http")
        page.status = rng.choice([301, 301, 302, 307, 308])
        page.set("Location", f"https://{page.host.split(':')[0]}{page.path}")
        page.set("Content-Type", rng.choice(["text/html", "text/html; charset=iso-8859-1", None]))
        page.body = rng.choice(["", f"<html>\r\n<head><title>{page.status} Moved</title></head>\r\n<body>\r\n"
                                    f"<center><h1>{page.status} Moved</h1></center>\r\n</body>\r\n</html>\r\n"])
        page.kind = "redirect"
        for h in ("Content-Security-Policy", "Cache-Control"):
            page.set(h, None)
        return Case("plain_http", family.name, scenario, "FP", page, seen="redirect")
    if scenario == "html":
        page = page_of(family, ctx, rng.choice(HTML_KINDS), "http")
    elif scenario == "login-cookie":
        page = page_of(family, ctx, "login", "http", cookie=True)
    elif scenario == "login-post-cookie":
        page = page_of(family, ctx, "login_post", "http", cookie=True)
        page.set("Location", rng.choice(["/", "/dashboard", f"http://{page.host}/home"]))
    else:
        page = page_of(family, ctx, "api_public", "http")
        page.add("Set-Cookie", f"{family.session}={ctx.token(30)}; path=/; HttpOnly")
    return Case("plain_http", family.name, scenario, "TP", page, seen="serves")


CAS = ["C=US, O=Let's Encrypt, CN=R11", "C=US, O=Let's Encrypt, CN=E6",
       "C=US, O=DigiCert Inc, CN=DigiCert TLS RSA SHA256 2020 CA1",
       "C=BE, O=GlobalSign nv-sa, CN=GlobalSign GCC R6 AlphaSSL CA 2023", "C=US, O=Amazon, CN=Amazon RSA 2048 M02"]


def case_certificate(family: Family, ctx: Ctx) -> Case:
    rng = ctx.rng
    scenario = rng.choice(["self-signed", "expired", "name-mismatch", "valid", "valid", "valid-wildcard"])
    page = page_of(family, ctx, rng.choice(["home", "login", "api_public"]), "https")
    hostname = page.host.split(":")[0]
    subject = f"CN={hostname}"
    issuer = rng.choice(CAS)
    san = hostname
    not_after = (ctx.date.replace(tzinfo=None)).replace(hour=0, minute=0, second=0, microsecond=0)
    after = not_after + timedelta(days=rng.randrange(20, 380))
    if scenario == "self-signed":
        subject = issuer = rng.choice([f"CN={hostname}", "CN=localhost",
                                       f"C=XX, O={ctx.org.title()} Ltd, CN={hostname}",
                                       "CN=Plesk, O=Plesk, C=CH", "CN=kubernetes-ingress-controller-fake-certificate"])
        san = subject.split("CN=")[-1]
    elif scenario == "expired":
        after = not_after - timedelta(days=rng.randrange(1, 400))
    elif scenario == "name-mismatch":
        other = rng.choice([f"www.{ctx.org}-legacy.example.com", "default.example.net", f"*.hosting-{ctx.org}.example",
                            "traefik.default", "localhost.localdomain"])
        subject, san = f"CN={other}", other
    elif scenario == "valid-wildcard":
        parent = hostname.split(".", 1)[1] if hostname.count(".") >= 2 else hostname
        subject, san = f"CN=*.{parent}", f"*.{parent}, {parent}"
    evidence = f"subject={subject}; issuer={issuer}; notAfter={after:%Y-%m-%d}; san={san}"
    expect = "FP" if scenario.startswith("valid") else "TP"
    return Case("certificate", family.name, scenario, expect, page, seen=scenario, evidence=evidence)


# ---------------------------------------------------------------- content findings

XSS_PAYLOADS = {
    "html": ["<script>alert(1)</script>", "<img src=x onerror=alert(document.domain)>", "<svg/onload=alert`1`>",
             "<ScRiPt>prompt(31337)</ScRiPt>", "</title><script>alert(42)</script>"],
    "attr": ["\" onmouseover=\"alert(1)\" x=\"", "\"><script>alert(1)</script>", "' autofocus onfocus='alert(1)",
             "\"><img src=x onerror=alert(1)>"],
    "script": ["';alert(1);//", "\";alert(document.cookie);//", "</script><script>alert(1)</script>"],
}


def _html_escape(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;")
            .replace("'", "&#x27;"))


def _js_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\u0027").replace("\"", "\\u0022").replace("<", "\\u003c") \
        .replace(">", "\\u003e")


def case_xss(family: Family, ctx: Ctx) -> Case:
    rng = ctx.rng
    scenario = rng.choice(["unencoded", "unencoded", "encoded", "encoded", "json-nosniff"])
    context = rng.choice(sorted(XSS_PAYLOADS))
    attack = rng.choice(XSS_PAYLOADS[context])
    path, param = family.search
    scheme = _scheme(ctx)
    if scenario == "json-nosniff":
        page = page_of(family, ctx, "api_public", scheme)
        page.url = f"{scheme}://{page.host}{family.api_public.split('?')[0]}?{param}=" + quote(attack, safe="")
        page.set("Content-Type", rng.choice(["application/json", "application/json; charset=utf-8"]))
        page.set("X-Content-Type-Options", "nosniff")
        page.body = json.dumps({"query": attack, "results": [], "took_ms": rng.randrange(1, 90)})
        return Case("xss", family.name, scenario, "FP", page, seen="reflected", attack=attack, param=param)
    page = page_of(family, ctx, "search", scheme)
    page.url = page.url.split("?")[0] + ("&" if "?" in path else "?") + f"{param}=" + quote(attack, safe="")
    if scenario == "unencoded":
        shown = attack
        js_shown = attack
    else:
        shown = _html_escape(attack)
        js_shown = _js_escape(attack)
    snippet = {"html": f"<p>No results for {shown}</p>",
               "attr": f"<input type=\"search\" name=\"{param}\" value=\"{shown}\">",
               "script": f"<script>var searchTerm = '{js_shown}'; track(searchTerm);</script>"}[context]
    page.body = page.body.replace("</body>", f"{snippet}\n</body>")
    if rng.random() < 0.3:
        page.set("X-XSS-Protection", rng.choice(["0", "1; mode=block"]))
    return Case("xss", family.name, f"{scenario}-{context}", "TP" if scenario == "unencoded" else "FP", page,
                seen="reflected", attack=attack, param=param)


def case_csrf_request(family: Family, ctx: Ctx) -> Case:
    """The finding is the submission itself (POST with form data), as Wapiti and Burp report CSRF."""
    rng = ctx.rng
    scenario = rng.choice(["no-token", "no-token", "empty-token", "token", "token", "samesite", "search"])
    scheme = _scheme(ctx)
    kind = rng.choice(["login_post", "settings_post"])
    page = page_of(family, ctx, "login_post", scheme)
    first, last = ctx.user()
    if kind == "settings_post":
        page.url = f"{scheme}://{page.host}{family.settings}"
        fields = [("email", f"{first}.{last}@{ctx.org}.example"), ("display_name", f"{first.title()}+{last.title()}")]
        page.status = rng.choice([200, 302])
        if page.status == 200:
            page.set("Location", None)
            page.set("Content-Type", "text/html; charset=utf-8")
            page.body = f"<html><body><p class=\"flash\">Profile updated.</p></body></html>"
    else:
        fields = [(rng.choice(["username", "user", "login", "email"]), f"{first}.{last}"), ("password", ctx.token(12))]
    if scenario == "search":
        page.url = f"{scheme}://{page.host}{family.search[0]}"
        fields = [(family.search[1] if family.search[1] in ("q", "query", "search", "s") else "q",
                   rng.choice(["vpn", "invoice", "report"])), ("sort", rng.choice(["date", "relevance"]))]
        page.status = 200
        page.set("Location", None)
        page.set("Content-Type", "text/html; charset=utf-8")
        page.body = "<html><body><ul class=\"results\"></ul></body></html>"
    token_name = family.token_field or "csrf_token"
    if scenario == "token":
        fields.insert(rng.randrange(0, len(fields) + 1), (token_name, ctx.token(rng.choice([32, 40, 64]))))
    elif scenario == "empty-token":
        fields.insert(0, (token_name, ""))
    page.req_body = "&".join(f"{k}={quote(v, safe='+@')}" for k, v in fields)
    page.req_headers = [h for h in page.req_headers if h[0].lower() != "content-type"]
    page.req_headers.append(["Content-Type", "application/x-www-form-urlencoded"])
    page.req_headers.append(["Referer", f"{scheme}://{page.host}{family.login}"])
    if scenario == "samesite":
        page.add("Set-Cookie", f"{family.session}={ctx.token(32)}; path=/; HttpOnly; "
                               f"SameSite={rng.choice(['Lax', 'Strict'])}" + ("; Secure" if scheme == "https" else ""))
    elif rng.random() < 0.5:
        page.add("Set-Cookie", f"{family.session}={ctx.token(32)}; path=/; HttpOnly")
    page.kind = kind
    expect = "TP" if scenario in ("no-token", "empty-token") else "FP"
    return Case("csrf", family.name, f"request-{scenario}", expect, page, {}, seen="request-samesite"
                if scenario == "samesite" else "request")


def case_csrf(family: Family, ctx: Ctx) -> Case:
    rng = ctx.rng
    if rng.random() < 0.4:
        return case_csrf_request(family, ctx)
    scenario = rng.choice(["no-token", "no-token", "empty-token", "token", "token", "samesite", "search-form"])
    scheme = _scheme(ctx)
    kind = rng.choice(["login", "settings"])
    if scenario == "search-form":
        page = page_of(family, ctx, "search", scheme)
        action = family.search[0]
    else:
        token = {"no-token": None, "empty-token": "", "token": ctx.token(rng.choice([32, 40, 64])),
                 "samesite": None}[scenario]
        if scenario == "empty-token":
            page = page_of(family, ctx, kind, scheme, token="__EMPTY__")
            page.body = page.body.replace("value=\"__EMPTY__\"", "value=\"\"")
        else:
            page = page_of(family, ctx, kind, scheme, token=token)
        action = family.login if kind == "login" else family.settings
        if scenario == "samesite":
            page.add("Set-Cookie", f"{family.session}={ctx.token(32)}; path=/; HttpOnly; "
                                   f"SameSite={rng.choice(['Lax', 'Strict'])}"
                                   + ("; Secure" if scheme == "https" else ""))
        elif rng.random() < 0.5:
            page.add("Set-Cookie", f"{family.session}={ctx.token(32)}; path=/; HttpOnly"
                                   + rng.choice(["", "; SameSite=None; Secure"] if scheme == "https" else [""]))
    form = page.body.split("<form", 1)[1].split(">", 1)[0]
    evidence = f"<form{form}>"
    expect = "TP" if scenario in ("no-token", "empty-token") else "FP"
    return Case("csrf", family.name, scenario, expect, page, {"form_action": action}, seen="form",
                evidence=evidence)


def _real_file(family: Family, ctx: Ctx, path: str, kind: str) -> tuple[str, str, str]:
    """(content type, body, body note) of a backup/sensitive file that really is there."""
    rng = ctx.rng
    if kind == "archive":
        ctype = rng.choice(["application/zip", "application/gzip", "application/x-gzip", "application/octet-stream",
                            "application/x-tar"])
        return ctype, "", f"binary body ({rng.randrange(20000, 9000000)} bytes, {ctype}) not shown"
    if kind == "dump":
        return rng.choice(["application/sql", "text/plain", "application/octet-stream"]), (
            f"-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\n--\n-- Host: localhost    Database: {ctx.org}\n"
            "-- ------------------------------------------------------\n\nDROP TABLE IF EXISTS `users`;\n"
            "CREATE TABLE `users` (\n  `id` int NOT NULL AUTO_INCREMENT,\n  `email` varchar(255) NOT NULL,\n"
            "  `password_hash` varchar(255) NOT NULL,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB;\n"), ""
    if kind == "config":
        secret = ctx.token(32)
        body = rng.choice([
            f"APP_ENV=production\nAPP_KEY=base64:{secret}=\nDB_HOST=10.0.3.12\nDB_DATABASE={ctx.org}\n"
            f"DB_PASSWORD={ctx.token(16)}\n",
            f"<?php\ndefine('DB_NAME', '{ctx.org}_wp');\ndefine('DB_USER', 'wp');\n"
            f"define('DB_PASSWORD', '{ctx.token(16)}');\n",
            f"[database]\nhost = db.internal\nuser = {ctx.org}\npassword = {ctx.token(14)}\n",
            f"spring.datasource.url=jdbc:postgresql://db:5432/{ctx.org}\nspring.datasource.password={ctx.token(14)}\n",
            f"<?xml version=\"1.0\"?>\n<configuration>\n  <connectionStrings>\n    <add name=\"Default\" "
            f"connectionString=\"Server=sql01;Password={ctx.token(12)}\"/>\n",
        ])
        return rng.choice(["text/plain", "application/octet-stream", "text/plain; charset=utf-8", ""]), body, ""
    body = rng.choice([
        f"<?php\nsession_start();\nrequire 'includes/db.php';\n$user = find_user($_POST['username']);\n",
        f"import os\nfrom flask import Flask\n\napp = Flask(__name__)\napp.secret_key = '{ctx.token(24)}'\n",
        f"#!/usr/bin/env python3\nSECRET_KEY = '{ctx.token(40)}'\nDEBUG = False\n",
        "{\n  \"name\": \"" + ctx.org + "-web\",\n  \"scripts\": {\"start\": \"node server.js\"}\n}\n",
    ])
    if body.startswith("{"):
        body = f"<?php\n$config = json_decode('{body.strip()}');\n"
    return rng.choice(["text/plain", "application/octet-stream", "application/x-trash", "text/x-php", ""]), body, ""


SOFT_404 = ["\n<h1>Page not found</h1><p>Sorry, we couldn't find that page.</p>\n",
            "\n<h1>Oops! 404</h1><p>The requested URL was not found on this server.</p>\n",
            "\n<div class=\"error\">Nothing here. <a href=\"/\">Go home</a></div>\n"]


def case_exposed_file(family: Family, ctx: Ctx) -> Case:
    rng = ctx.rng
    path, kind = rng.choice(family.backups)
    scenario = rng.choice(["real", "real", "soft-404", "spa-fallback", "listing"])
    page = page_of(family, ctx, "home", _scheme(ctx))
    page.url = f"{page.scheme}://{page.host}{path}"
    page.req_headers = [h for h in page.req_headers if h[0] != "Accept"] + [["Accept", "*/*"]]
    page.kind = f"backup-{kind}"
    for h in ("Content-Security-Policy", "X-Frame-Options"):
        if rng.random() < 0.5:
            page.set(h, None)
    if scenario == "real":
        ctype, page.body, page.body_note = _real_file(family, ctx, path, kind)
        page.set("Content-Type", ctype or None)
        if rng.random() < 0.5:
            page.set("Last-Modified", ctx.http_date(-rng.randrange(30, 900)))
        return Case("exposed_file", family.name, f"real-{kind}", "TP", page, seen="found")
    if scenario == "soft-404":
        page.body = page.body.replace(page.body.split("<body>")[1].split("</body>")[0],
                                      rng.choice(SOFT_404))
    elif scenario == "listing":
        folder = path.rsplit("/", 1)[0] + "/"
        page.body = (f"<html>\r\n<head><title>Index of {folder}</title></head>\r\n<body>\r\n<h1>Index of {folder}</h1>"
                     f"<hr><pre><a href=\"../\">../</a>\r\n"
                     f"<a href=\"assets/\">assets/</a>   {ctx.http_date(-40)[5:16]}   -\r\n"
                     f"</pre><hr></body>\r\n</html>\r\n")
    page.set("Content-Type", rng.choice(["text/html", "text/html; charset=utf-8", "text/html; charset=UTF-8"]))
    return Case("exposed_file", family.name, scenario, "FP", page, seen="found")


def case_server_error(family: Family, ctx: Ctx) -> Case:
    rng = ctx.rng
    trace = rng.random() < 0.5
    page = page_of(family, ctx, "error_trace" if trace else "error_generic", _scheme(ctx))
    if not trace and rng.random() < 0.15:
        page.body = ""
        page.set("Content-Type", None)
    return Case("server_error_disclosure", family.name, "internals" if trace else "generic",
                "TP" if trace else "FP", page, seen="5xx")


def case_methods(family: Family, ctx: Ctx) -> Case:
    rng = ctx.rng
    if rng.random() < 0.15:  # a heuristic report on a plain GET (Wapiti's "Possible interesting methods")
        page = page_of(family, ctx, rng.choice(["home", "login", "search"]), _scheme(ctx))
        listed = ""  # Wapiti lists methods whose answer differs from GET's; none here
        return Case("http_methods", family.name, "heuristic", "FP", page, seen="heuristic",
                    evidence=f"Possible interesting methods (using heuristics) on {page.url}: {listed}")
    verb = rng.choice(["TRACE", "PUT", "DELETE"])
    works = rng.random() < 0.5
    scheme = _scheme(ctx)
    page = page_of(family, ctx, "home", scheme)
    target = {"TRACE": "/", "PUT": rng.choice(["/uploads/test.txt", "/zap_test.txt", f"{family.static}/probe.html"]),
              "DELETE": rng.choice(["/uploads/test.txt", f"{family.api_users}/{rng.randrange(2, 99)}"])}[verb]
    page.url = f"{scheme}://{page.host}{target}"
    page.method = verb
    page.kind = f"method-{verb.lower()}"
    for h in ("Content-Security-Policy", "X-Frame-Options", "Strict-Transport-Security"):
        page.set(h, None)
    if verb == "PUT":
        page.req_body = rng.choice(["iacfilter-probe", "<p>test</p>", "zap"])
        page.req_headers.append(["Content-Type", "text/plain"])
    if works:
        if verb == "TRACE":
            page.status = 200
            page.set("Content-Type", "message/http")
            page.body = f"TRACE / HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in page.req_headers)
        elif verb == "PUT":
            page.status = rng.choice([201, 204, 200])
            page.body = "" if page.status == 204 else \
                f"<html><body><h1>Created</h1><p>Resource {target} has been created.</p></body></html>"
            page.set("Content-Type", "text/html" if page.body else None)
            if page.status == 201:
                page.set("Location", target)
        else:
            page.status = rng.choice([200, 204])
            page.body = "" if page.status == 204 else json.dumps({"deleted": True})
            page.set("Content-Type", "application/json" if page.body else None)
    else:
        page.status = rng.choice([405, 405, 403, 301, 302])
        if page.status == 405:
            page.set("Allow", rng.choice(["GET, HEAD, OPTIONS", "GET, HEAD, POST"]))
            page.body = ("<html>\r\n<head><title>405 Not Allowed</title></head>\r\n<body>\r\n<center><h1>"
                         "405 Not Allowed</h1></center>\r\n</body>\r\n</html>\r\n")
            page.set("Content-Type", "text/html")
        elif page.status == 403:
            page.body = "<html><body><h1>403 Forbidden</h1></body></html>"
            page.set("Content-Type", "text/html")
        else:
            page.set("Location", rng.choice([f"https://{page.host}{target}", family.login]))
            page.body = ""
            page.set("Content-Type", None)
    return Case("http_methods", family.name, f"{verb.lower()}-{'works' if works else 'refused'}",
                "TP" if works else "FP", page, seen=f"{verb.lower()}")


BUILDERS = {
    "hsts": case_hsts,
    "csp": case_csp,
    "framing": case_optional("framing"),
    "content_sniffing": case_optional("content_sniffing"),
    "optional_security_header": case_optional("optional_security_header"),
    "obsolete_header": case_obsolete,
    "cacheable_sensitive_content": case_caching,
    "version_banner": case_banner,
    "cors": case_cors,
    "cookie_flags": case_cookie,
    "plain_http": case_plain_http,
    "certificate": case_certificate,
    "xss": case_xss,
    "csrf": case_csrf,
    "exposed_file": case_exposed_file,
    "server_error_disclosure": case_server_error,
    "http_methods": case_methods,
}
