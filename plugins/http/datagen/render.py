"""Render one page of a family: ``render(family, kind, ctx, scheme)`` -> Page, then ``noise`` varies the headers
that the finding at hand does not depend on (each case builder sets the decisive ones afterwards)."""

from __future__ import annotations

import base64
import json

from .pages import Ctx, Page, html_doc, request_headers
from .sites import Family

SOUND_CSPS = [
    "default-src 'self'",
    "default-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'",
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'self'; base-uri 'self'; form-action 'self'",
    "script-src 'nonce-{nonce}' 'strict-dynamic'; object-src 'none'; base-uri 'none'",
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; img-src * data:",
    "default-src 'self' https://cdn.{org}.example; frame-ancestors 'none'; upgrade-insecure-requests",
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'sha256-{hash}'; frame-ancestors 'self'",
    "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'",
]
WEAK_CSPS = {
    "unsafe-inline": ["default-src 'self'; script-src 'self' 'unsafe-inline'",
                      "default-src 'self' 'unsafe-inline' 'unsafe-eval'; img-src * data:",
                      "script-src 'self' 'unsafe-inline' https://www.googletagmanager.com; object-src 'none'"],
    "wildcard": ["default-src *", "default-src 'self'; script-src *; style-src 'self' 'unsafe-inline'",
                 "script-src 'self' * 'unsafe-eval'"],
    "data": ["default-src 'self'; script-src 'self' data:", "default-src 'self' data: blob:"],
    "no-script-directive": ["frame-ancestors 'self'", "frame-ancestors 'none'", "upgrade-insecure-requests",
                            "img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'self'",
                            "block-all-mixed-content; report-uri /csp-report"],
}
PUBLIC_CACHE = ["public, max-age=31536000, immutable", "max-age=3600", "public, max-age=86400", "no-cache",
                "max-age=600, must-revalidate", None]
PRIVATE_CACHE = ["no-store", "no-cache, no-store, must-revalidate", "private, max-age=0", "private, no-cache",
                 "no-store, max-age=0"]


def csp_value(ctx: Ctx, template: str) -> str:
    return template.format(nonce=ctx.token(22), hash=base64.b64encode(ctx.hexid(32).encode()).decode()[:43] + "=",
                           org=ctx.org)


def base_page(family: Family, ctx: Ctx, scheme: str, path: str, *, method: str = "GET",
              accept: str = "text/html,application/xhtml+xml,*/*;q=0.8") -> Page:
    rng = ctx.rng
    page = Page(url=f"{scheme}://{ctx.host}{path}", method=method, req_headers=request_headers(ctx, accept))
    if rng.random() < 0.3:  # an authenticated scan sends the session it got at login
        page.req_headers.append(["Cookie", f"{family.session}={ctx.token(32)}"])
    server = rng.choice(family.servers)
    if server:
        page.add("Server", server)
    page.add("Date", ctx.http_date())
    if family.powered and rng.random() < 0.5:
        page.add("X-Powered-By", rng.choice(family.powered))
    for name, value in family.banners:
        if rng.random() < 0.4:
            page.add(name, value)
    return page


def _html(page: Page, title: str, inner: str, ctype: str = "text/html; charset=utf-8") -> Page:
    page.set("Content-Type", ctype)
    page.body = html_doc(title, inner)
    return page


def _login_form(family: Family, ctx: Ctx, token: str | None, action: str | None = None) -> str:
    field = ""
    if token is not None:
        field = f"<input type=\"hidden\" name=\"{family.token_field or 'csrf_token'}\" value=\"{token}\">"
    user = "log" if family.name == "wordpress-cms" else "username"
    pwd = "pwd" if family.name == "wordpress-cms" else "password"
    return (f"<form method=\"post\" action=\"{action or family.login}\" id=\"login\">{field}"
            f"<label>Username <input type=\"text\" name=\"{user}\" autocomplete=\"username\"></label>"
            f"<label>Password <input type=\"password\" name=\"{pwd}\"></label>"
            f"<button type=\"submit\">Sign in</button></form>")


def _users(ctx: Ctx, n: int) -> list[dict]:
    out = []
    for i in range(n):
        first, last = ctx.user()
        out.append({"id": ctx.rng.randrange(1, 9000), "username": f"{first}.{last}",
                    "email": f"{first}.{last}@{ctx.org}.example", "role": ctx.rng.choice(["admin", "editor", "viewer"]),
                    "last_login": ctx.http_date(-ctx.rng.randrange(1, 90))})
    return out


def render(family: Family, kind: str, ctx: Ctx, scheme: str, *, token: str | None = "", cookie: bool = False) -> Page:
    """A page of ``kind`` for ``family``. ``token``: the form's anti-CSRF value (None: no token field);
    ``cookie``: whether a login response sets the family's session cookie."""
    rng = ctx.rng
    if kind == "home":
        page = base_page(family, ctx, scheme, "/")
        return _html(page, family.title, family.home(ctx))
    if kind == "login":
        page = base_page(family, ctx, scheme, family.login)
        tok = ctx.token(rng.choice([32, 40, 64])) if token == "" else token
        page = _html(page, f"Log in | {family.title}", f"<h1>Sign in</h1>{_login_form(family, ctx, tok)}")
        if cookie:
            page.add("Set-Cookie", f"{family.session}={ctx.token(26)}; path=/")
        return page
    if kind == "login_post":
        page = base_page(family, ctx, scheme, family.login, method="POST")
        first, last = ctx.user()
        page.req_headers.append(["Content-Type", "application/x-www-form-urlencoded"])
        page.req_body = f"username={first}.{last}&password=********"
        page.status = rng.choice([302, 302, 303])
        page.set("Location", rng.choice(["/", "/dashboard", family.admin, f"{scheme}://{ctx.host}/home"]))
        page.body = ""
        if cookie:
            page.add("Set-Cookie", f"{family.session}={ctx.token(32)}; path=/")
        return page
    if kind == "not_found":
        page = base_page(family, ctx, scheme, rng.choice(["/favicon.png", "/old-page", "/robots.txt.bak",
                                                          f"/docs/{ctx.hexid(6)}", "/wp-content/x"]))
        page.status = 404
        return _html(page, "404 Not Found", rng.choice([
            "<h1>Not Found</h1><p>The requested URL was not found on this server.</p>",
            f"<main><h1>Page not found</h1><p>Try the <a href=\"/\">{family.title}</a> home page.</p></main>"]))
    if kind == "admin":
        page = base_page(family, ctx, scheme, family.admin)
        rows = "".join(f"<tr><td>{u['username']}</td><td>{u['email']}</td><td>{u['role']}</td></tr>"
                       for u in _users(ctx, rng.randrange(2, 5)))
        return _html(page, f"Administration | {family.title}", f"<h1>Users</h1><table>{rows}</table>")
    if kind == "settings":
        page = base_page(family, ctx, scheme, family.settings)
        tok = ctx.token(40) if token == "" else token
        field = (f"<input type=\"hidden\" name=\"{family.token_field or 'csrf_token'}\" value=\"{tok}\">"
                 if tok is not None else "")
        first, last = ctx.user()
        form = rng.choice([
            f"<form method=\"post\" action=\"{family.settings}\">{field}"
            f"<input name=\"email\" value=\"{first}@{ctx.org}.example\">"
            f"<input type=\"password\" name=\"new_password\"><button>Save</button></form>",
            f"<form action=\"{family.settings}\" method=\"POST\">{field}"
            f"<input name=\"display_name\" value=\"{first.title()} {last.title()}\">"
            f"<select name=\"timezone\"><option>UTC</option></select>"
            f"<input type=\"submit\" value=\"Update profile\"></form>",
            f"<form method=\"post\" action=\"{family.settings}\">{field}<input name=\"api_key_name\">"
            f"<button type=\"submit\" name=\"create\">Create key</button></form>",
        ])
        return _html(page, f"Settings | {family.title}", f"<h1>Account settings</h1>{form}")
    if kind == "search":
        path, param = family.search
        term = rng.choice(["invoice", "report 2024", "vpn", "backup", "onboarding", "pricing"])
        page = base_page(family, ctx, scheme, f"{path}{'&' if '?' in path else '?'}{param}={term.replace(' ', '+')}")
        form = (f"<form method=\"get\" action=\"{path}\"><input type=\"search\" name=\"{param}\" value=\"{term}\">"
                f"<select name=\"sort\"><option>relevance</option></select><button>Search</button></form>")
        return _html(page, f"Search | {family.title}", f"{form}<p>{rng.randrange(0, 40)} results for <b>{term}</b></p>")
    if kind == "api_users":
        page = base_page(family, ctx, scheme, family.api_users, accept="application/json")
        page.set("Content-Type", "application/json; charset=utf-8")
        page.body = json.dumps({"data": _users(ctx, rng.randrange(1, 4)), "total": rng.randrange(5, 300)})
        return page
    if kind == "api_public":
        page = base_page(family, ctx, scheme, family.api_public, accept="application/json")
        page.set("Content-Type", "application/json")
        page.body = json.dumps(rng.choice([
            {"status": "ok", "uptime_s": rng.randrange(100, 10 ** 6)},
            {"items": [{"sku": f"SKU-{rng.randrange(1000, 9999)}", "name": rng.choice(["Mug", "Shirt", "Cap"]),
                        "price": rng.randrange(5, 90)} for _ in range(3)]},
            {"name": family.title, "features": ["search", "export"], "docs": "/docs"},
        ]))
        return page
    if kind in ASSETS:
        ext, ctype, maker = ASSETS[kind]
        name = rng.choice(["app", "main", "vendor", "theme", "logo", "icons", "runtime", "inter", "style"])
        page = base_page(family, ctx, scheme, f"{family.static}/{name}.{ctx.hexid(8)}.{ext}", accept="*/*")
        page.set("Content-Type", ctype)
        page.body, page.body_note = maker(ctx, ctype)
        if rng.random() < 0.5:
            page.add("ETag", f"\"{ctx.hexid(16)}\"")
        if rng.random() < 0.4:
            page.add("Last-Modified", ctx.http_date(-rng.randrange(1, 300)))
        return page
    if kind == "error_trace":
        page = base_page(family, ctx, scheme, rng.choice([family.settings, family.api_users, family.login,
                                                          "/orders/" + str(rng.randrange(100, 999))]))
        page.status = rng.choice([500, 500, 500, 502, 503])
        ctype, page.body = family.trace(ctx)
        page.set("Content-Type", ctype)
        return page
    if kind == "error_generic":
        page = base_page(family, ctx, scheme, rng.choice([family.settings, family.api_users, "/",
                                                          "/orders/" + str(rng.randrange(100, 999))]))
        page.status = rng.choice([500, 502, 503])
        ctype, page.body = family.error(ctx)
        page.set("Content-Type", ctype)
        return page
    raise ValueError(f"no page kind {kind!r}")


def _css(ctx, ctype):
    return (f":root{{--brand:#{ctx.hexid(6)}}}body{{margin:0;font-family:Inter,sans-serif}}.nav a{{color:var(--brand)}}"
            f".btn{{padding:.5rem 1rem;border-radius:4px}}\n/*# sourceMappingURL=app.css.map */"), ""


def _js(ctx, ctype):
    return (f"!function(){{\"use strict\";var e=document.querySelector(\"[data-app]\");"
            f"e&&(e.dataset.v=\"{ctx.hexid(7)}\")"
            f";window.addEventListener(\"load\",function(){{console.debug(\"ready\")}})}}();"), ""


def _svg(ctx, ctype):
    return ("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 24 24\" width=\"24\" height=\"24\">"
            f"<path fill=\"#{ctx.hexid(6)}\" d=\"M12 2L2 7l10 5 10-5-10-5z\"/></svg>"), ""


def _binary(ctx, ctype):
    size = ctx.rng.randrange(900, 90000)
    return "", f"binary body ({size} bytes, {ctype}) not shown"


ASSETS = {
    "css": ("css", "text/css", _css),
    "js": ("js", "application/javascript", _js),
    "svg": ("svg", "image/svg+xml", _svg),
    "png": ("png", "image/png", _binary),
    "font": ("woff2", "font/woff2", _binary),
}


def noise(page: Page, ctx: Ctx) -> Page:
    """Vary the security headers at random (each case then sets the ones its label depends on)."""
    rng = ctx.rng
    if rng.random() < 0.35:
        page.set("X-Content-Type-Options", "nosniff")
    if rng.random() < 0.3:
        page.set("X-Frame-Options", rng.choice(["DENY", "SAMEORIGIN"]))
    if rng.random() < 0.25:
        page.set("Referrer-Policy", rng.choice(["strict-origin-when-cross-origin", "same-origin", "no-referrer"]))
    if rng.random() < 0.15:
        page.set("X-XSS-Protection", rng.choice(["0", "1; mode=block"]))
    if page.scheme == "https" and rng.random() < 0.35:
        page.set("Strict-Transport-Security", rng.choice([
            "max-age=31536000", "max-age=63072000; includeSubDomains", "max-age=300",
            "max-age=15768000; includeSubDomains; preload"]))
    if rng.random() < 0.3:
        page.set("Content-Security-Policy", csp_value(ctx, rng.choice(SOUND_CSPS + sum(WEAK_CSPS.values(), []))))
    if rng.random() < 0.3:
        page.set("Cache-Control", rng.choice(PUBLIC_CACHE + PRIVATE_CACHE) or "max-age=0")
    if rng.random() < 0.2:
        page.set("Vary", rng.choice(["Accept-Encoding", "Cookie", "Origin"]))
    if rng.random() < 0.15:
        page.set("Connection", rng.choice(["keep-alive", "close"]))
    return page
