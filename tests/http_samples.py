"""Hand-written HTTP findings for the technology, masking and model tests (the shape of plugins/http/exchange.py)."""

from __future__ import annotations

from urllib.parse import urlsplit

from iacfilter.findings import Finding
from iacfilter_plugins.http.exchange import details, parse_request, parse_response
from iacfilter_plugins.http.masking import mask_url

# Every secret the exchanges below carry; none of them may reach a model or an output.
SECRETS = {
    "session": "9f1c2e7a4b6d8e0f1a2b3c4d",
    "pref": "darkmode-7731",
    "bearer": "mF_9.B5f-4.1JqM",
    "basic": "YWxpY2U6czNjcmV0UGFzcw==",
    "proxy": "cHJveHk6cHJveHlwYXNz",
    "api_key": "ak_live_51HxQ2eZvKYlo2C",
    "query_token": "qt-8812fe33ab",
    "jsessionid": "A1B2C3D4E5F6A7B8C9D0",
    "phpsessid": "lg5n0v6kq2a1bcs7",
    "password": "Hunter2-Correct-Horse",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "csrf": "f00dfacecafe1234",
    "json_token": "tok-55aa66bb77cc",
}


def exchange(url: str, *, status: int = 200, reason: str = "OK", headers: list[tuple[str, str]] = (),
             body: str = "", method: str = "GET", req_headers: list[tuple[str, str]] = (), req_body: str = "",
             scanner: str = "ZAP", check: str = "check", check_id: str = "1", param: str = "", evidence: str = "",
             attack: str = "") -> dict:
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    req = "\r\n".join([f"{method} {target or '/'} HTTP/1.1", f"Host: {parts.netloc}",
                       *(f"{k}: {v}" for k, v in req_headers)]) + "\r\n\r\n" + req_body
    resp = "\r\n".join([f"HTTP/1.1 {status} {reason}", *(f"{k}: {v}" for k, v in headers)]) + "\r\n\r\n" + body
    return details(scanner=scanner, check=check, check_id=check_id, url=url, method=method, param=param,
                   evidence=evidence, attack=attack, request=parse_request(req), response=parse_response(resp))


ZAP_CSP_RULE = """
tool: ZAP
rules:
  - {code: "10038", id: ZAP10038, name: CspHeaderNotSet, smell: csp, short: CSP header not set, cwe: [CWE-693],
     security_severity: 4.0, help: Set a Content-Security-Policy that restricts scripts.}
"""


def with_zap_csp_rule(monkeypatch) -> None:
    """A rules-map entry for one ZAP check, for tests that need a web smell (the packaged ZAP map is the readers')."""
    from iacfilter.rules import RulesMap, load_rules_map, parse_rules_file

    rules = load_rules_map()
    if rules.lookup("ZAP", "10038") is None:
        rules = RulesMap(rules.rules + parse_rules_file("zap-test.yaml", ZAP_CSP_RULE))
    monkeypatch.setattr("iacfilter.cli.load_rules_map", lambda: rules)


def finding(d: dict, smell: str | None = None, rule: str = "1") -> Finding:
    # as the HTTP readers do: the location is the URL, its session ids and tokens masked
    f = Finding(tool=d["scanner"], rule=rule, path=mask_url(d["url"]), line=None, message=d["check"], details=d)
    f.smell = smell
    return f


def secret_exchange() -> dict:
    """One exchange that carries every kind of secret the masking handles."""
    s = SECRETS
    body = (f'<!doctype html><html><head><meta name="csrf-token" content="{s["csrf"]}"></head><body>'
            f'<form method="post" action="/login"><input type="hidden" name="csrfmiddlewaretoken" value="{s["csrf"]}">'
            f'<input type="password" name="pw" value="{s["password"]}"><input name="q" value=""></form>'
            f'<a href="/cart;jsessionid={s["jsessionid"]}">cart</a> your session {s["session"]}'
            f'<script>var cfg = {{"access_token": "{s["json_token"]}"}};</script></body></html>')
    return exchange(
        f"https://shop.example/login;jsessionid={s['jsessionid']}?next=/&access_token={s['query_token']}"
        f"&PHPSESSID={s['phpsessid']}",
        method="POST",
        req_headers=[("Cookie", f"sessionid={s['session']}; theme={s['pref']}"),
                     ("Authorization", f"Bearer {s['bearer']}"), ("Proxy-Authorization", f"Basic {s['proxy']}"),
                     ("X-API-Key", s["api_key"]), ("X-Forwarded-Auth", s["jwt"])],
        req_body=f"username=alice&password={s['password']}&csrfmiddlewaretoken={s['csrf']}",
        headers=[("Content-Type", "text/html; charset=utf-8"),
                 ("Set-Cookie", f"sessionid={s['session']}; Path=/; HttpOnly; SameSite=Lax"),
                 ("Set-Cookie", f"theme={s['pref']}; Path=/"),
                 ("Location", f"https://shop.example/home?sid={s['session']}"),
                 ("Access-Control-Allow-Headers", "Authorization, X-API-Key"),
                 ("Strict-Transport-Security", "max-age=63072000")],
        body=body, check="Cookie without Secure Flag", check_id="10011", param="sessionid",
        evidence=f"Set-Cookie: sessionid={s['session']}", attack=f"Basic {s['basic']}")


def policy_rows(n: int, seed: int) -> list[dict]:
    """A small labelled set for four smells, labelled by hand from POLICY.md's rules (HSTS, banners, cookies, CSP)."""
    import random

    rng = random.Random(seed)
    rows = []
    for i in range(n):
        host = f"site{rng.randrange(1000)}.example"
        kind = i % 4
        scheme = rng.choice(["http", "https"])
        html = [("Content-Type", "text/html; charset=utf-8")]
        page = f"<!doctype html><html><head><title>Page {i}</title></head><body>hello</body></html>"
        if kind == 0:  # HSTS: TP on HTTPS when missing or shorter than 180 days; FP on plain HTTP or long enough
            age = rng.choice([None, 300, 86400, 15552000, 31536000, 63072000])
            headers = html + ([("Strict-Transport-Security", f"max-age={age}")] if age else [])
            label = "TP" if scheme == "https" and (age is None or age < 15552000) else "FP"
            d = exchange(f"{scheme}://{host}/", headers=headers, body=page,
                         check="Strict-Transport-Security Header Not Set" if age is None else "HSTS max-age too low")
            smell = "hsts"
        elif kind == 1:  # banners: TP with a version number, FP with a product name alone
            product = rng.choice(["nginx", "Apache", "Microsoft-IIS", "PHP", "Express"])
            version = rng.choice([None, "1.18.0", "2.4.41", "10.0", "8.1.2"])
            value = f"{product}/{version}" if version else product
            name = "X-Powered-By" if product in ("PHP", "Express") else "Server"
            d = exchange(f"{scheme}://{host}/", headers=html + [(name, value)], body=page,
                         check=f"Server Leaks Version Information via \"{name}\" HTTP Response Header Field",
                         evidence=value)
            smell, label = "version_banner", "TP" if version else "FP"
        elif kind == 2:  # cookies: a session cookie without HttpOnly is TP; a preference or CSRF cookie FP
            name = rng.choice(["PHPSESSID", "sessionid", "JSESSIONID", "theme", "csrftoken", "lang"])
            flags = "; Path=/" + ("; Secure" if scheme == "https" else "") + ("; HttpOnly" if rng.random() < 0.3 else "")
            d = exchange(f"{scheme}://{host}/login", headers=html + [("Set-Cookie", f"{name}=v{rng.randrange(10**8)}{flags}")],
                         body=page, check="Cookie No HttpOnly Flag", param=name, evidence=f"Set-Cookie: {name}")
            session = name in ("PHPSESSID", "sessionid", "JSESSIONID")
            smell, label = "cookie_flags", "TP" if session and "HttpOnly" not in flags else "FP"
        else:  # CSP: TP on HTML without a sound CSP, FP on JSON or with a sound one
            csp = rng.choice([None, "default-src 'self'", "script-src 'self' 'unsafe-inline'", "frame-ancestors 'none'",
                              "default-src 'self'; script-src 'self' 'nonce-abc123'"])
            json_body = rng.random() < 0.3
            headers = ([("Content-Type", "application/json")] if json_body else html) + \
                ([("Content-Security-Policy", csp)] if csp else [])
            d = exchange(f"{scheme}://{host}/app", headers=headers, body='{"ok": true}' if json_body else page,
                         check="Content Security Policy (CSP) Header Not Set" if csp is None else "CSP: unsafe-inline")
            sound = csp in ("default-src 'self'", "default-src 'self'; script-src 'self' 'nonce-abc123'")
            smell, label = "csp", "TP" if not json_body and not sound else "FP"
        rows.append({"tech": "http", "smell": smell, "label": label, "finding": d, "family": f"hand-{kind}",
                     "template": f"hand-{kind}", "split": "train", "rule": smell, "analysis": "hand-labelled"})
    return rows
