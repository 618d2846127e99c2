"""The HTTP data generator: one test per POLICY.md rule (a case and its counter-case), every template scenario
gets the label it means, the family split, dedup, determinism, the row format, and the --llm-url agents mode
against a small local OpenAI-compatible server."""

from __future__ import annotations

import hashlib
import html
import io
import json
import os
import re
import subprocess
import sys
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from iacfilter import plugins
from iacfilter.cli import cli
from iacfilter_plugins.http.datagen import generate as gen
from iacfilter_plugins.http.datagen.agents import Agents
from iacfilter_plugins.http.datagen.cases import BUILDERS
from iacfilter_plugins.http.datagen.pages import Ctx
from iacfilter_plugins.http.policy import judge
from iacfilter_plugins.http.datagen.sites import FAMILIES
from iacfilter_plugins.http.exchange import SMELLS, details

HTML = "<!DOCTYPE html><html><head><title>t</title></head><body><h1>Hi</h1></body></html>"
DATE = "Mon, 02 Jun 2025 10:00:00 GMT"


def ex(url="https://shop.example/", status=200, headers=(), body=HTML, method="GET", req=(), attack="",
       evidence="", ctype="text/html; charset=utf-8"):
    """A Finding.details dict for a hand-written exchange."""
    hdrs = [["Date", DATE]] + ([["Content-Type", ctype]] if ctype else []) + [list(h) for h in headers]
    host = url.split("/")[2]
    path = "/" + url.split("/", 3)[3] if url.count("/") >= 3 else "/"
    return details(scanner="test", check="test", url=url, method=method, attack=attack, evidence=evidence,
                   request={"line": f"{method} {path} HTTP/1.1", "headers": [["Host", host]] + [list(h) for h in req],
                            "body": ""},
                   response={"line": f"HTTP/1.1 {status} X", "status": status, "headers": hdrs, "body": body,
                             "body_note": ""})


def label(smell, finding, subject=None):
    verdict = judge(smell, finding, subject or {})
    assert verdict is not None, "POLICY.md decides this case"
    return verdict.label


SOUND = "default-src 'self'; script-src 'self'; frame-ancestors 'none'"


# ---------------------------------------------------------------- one test per POLICY.md rule

def test_rule_hsts_on_https_missing_or_short_is_tp_and_on_http_fp():
    assert label("hsts", ex()) == "TP"
    assert label("hsts", ex(headers=[("Strict-Transport-Security", "max-age=86400")])) == "TP"
    assert label("hsts", ex(headers=[("Strict-Transport-Security", "max-age=0")])) == "TP"
    assert label("hsts", ex(headers=[("Strict-Transport-Security", "max-age=31536000")])) == "FP"
    assert label("hsts", ex(ctype="application/json", body="{}")) == "TP"  # every HTTPS response
    assert label("hsts", ex(url="http://shop.example/")) == "FP"


def test_rule_csp_on_html_missing_or_defeated_is_tp_else_fp():
    assert label("csp", ex()) == "TP"
    assert label("csp", ex(headers=[("Content-Security-Policy", "script-src 'self' 'unsafe-inline'")])) == "TP"
    assert label("csp", ex(headers=[("Content-Security-Policy", "default-src *")])) == "TP"
    assert label("csp", ex(headers=[("Content-Security-Policy", "script-src 'self' data:")])) == "TP"
    assert label("csp", ex(headers=[("Content-Security-Policy", "frame-ancestors 'none'")])) == "TP"
    assert label("csp", ex(ctype="image/svg+xml", body="<svg xmlns='http://www.w3.org/2000/svg'/>")) == "TP"
    assert label("csp", ex(ctype="", body="<!doctype html><p>x")) == "TP"
    # counter-cases: sound, nonce with unsafe-inline, non-HTML, redirect, empty body
    assert label("csp", ex(headers=[("Content-Security-Policy", SOUND)])) == "FP"
    assert label("csp", ex(headers=[("Content-Security-Policy",
                                     "script-src 'self' 'unsafe-inline' 'nonce-abc'; object-src 'none'")])) == "FP"
    assert label("csp", ex(ctype="application/json", body='{"a": 1}')) == "FP"
    assert label("csp", ex(status=302, headers=[("Location", "/login")])) == "FP"
    assert label("csp", ex(body="")) == "FP"


def test_rule_optional_headers_need_html_without_sound_csp():
    xcto = {"header": "X-Content-Type-Options"}
    assert label("content_sniffing", ex(), xcto) == "TP"
    assert label("content_sniffing", ex(headers=[("Content-Security-Policy", "default-src *")]), xcto) == "TP"
    assert label("content_sniffing", ex(headers=[("Content-Security-Policy", SOUND)]), xcto) == "FP"
    assert label("content_sniffing", ex(ctype="text/css", body="a{}"), xcto) == "FP"
    rp = {"header": "Referrer-Policy"}
    assert label("optional_security_header", ex(), rp) == "TP"
    assert label("optional_security_header", ex(ctype="font/woff2", body="x"), rp) == "FP"


def test_rule_x_frame_options_is_covered_by_frame_ancestors_only():
    xfo = {"header": "X-Frame-Options"}
    assert label("framing", ex(), xfo) == "TP"
    assert label("framing", ex(headers=[("Content-Security-Policy", "default-src 'self'")]), xfo) == "TP"
    assert label("framing", ex(headers=[("Content-Security-Policy", "frame-ancestors 'self'")]), xfo) == "FP"
    assert label("framing", ex(ctype="application/json", body="[]"), xfo) == "FP"


def test_rule_present_header_value_complaint_is_fp():
    assert label("optional_security_header", ex(headers=[("Referrer-Policy", "same-origin")]),
                 {"header": "Referrer-Policy"}) == "FP"
    assert label("framing", ex(headers=[("X-Frame-Options", "SAMEORIGIN")]), {"header": "X-Frame-Options"}) == "FP"


def test_rule_x_xss_protection_is_fp_always():
    assert label("obsolete_header", ex(), {"header": "X-XSS-Protection"}) == "FP"
    assert label("obsolete_header", ex(headers=[("X-XSS-Protection", "0")]), {"header": "X-XSS-Protection"}) == "FP"


def test_rule_pragma_expires_are_fp_always():
    assert label("obsolete_header", ex(url="https://a.example/login"), {"header": "Pragma"}) == "FP"
    assert label("obsolete_header", ex(), {"header": "Expires"}) == "FP"


def test_rule_caching_is_tp_only_for_sensitive_storable_responses():
    smell = "cacheable_sensitive_content"
    login = "https://a.example/login"
    assert label(smell, ex(url=login)) == "TP"
    assert label(smell, ex(url=login, headers=[("Cache-Control", "no-cache")])) == "TP"
    assert label(smell, ex(headers=[("Set-Cookie", "PHPSESSID=abc; HttpOnly")])) == "TP"
    assert label(smell, ex(url="https://a.example/api/me", ctype="application/json",
                           body='{"email": "a@b.example"}')) == "TP"
    assert label(smell, ex(url=login, headers=[("Cache-Control", "no-store")])) == "FP"
    assert label(smell, ex(url=login, headers=[("Cache-Control", "private, max-age=60")])) == "FP"
    assert label(smell, ex(url="https://a.example/static/app.css", ctype="text/css", body="a{}")) == "FP"


def test_rule_banner_needs_a_version():
    assert label("version_banner", ex(headers=[("Server", "nginx/1.18.0 (Ubuntu)")]), {"header": "Server"}) == "TP"
    assert label("version_banner", ex(headers=[("X-Powered-By", "PHP/8.1.2")]), {"header": "X-Powered-By"}) == "TP"
    assert label("version_banner", ex(headers=[("Server", "nginx")]), {"header": "Server"}) == "FP"
    assert label("version_banner", ex(headers=[("Server", "AmazonS3")]), {"header": "Server"}) == "FP"


def test_rule_cors():
    users = dict(url="https://a.example/api/users", ctype="application/json", body='[{"email": "x@y.example"}]')
    evil = [("Origin", "https://evil.example")]
    assert label("cors", ex(headers=[("Access-Control-Allow-Origin", "*")], **users)) == "TP"
    assert label("cors", ex(req=evil, headers=[("Access-Control-Allow-Origin", "https://evil.example"),
                                               ("Access-Control-Allow-Credentials", "true")])) == "TP"
    assert label("cors", ex(url="https://a.example/fonts/x.woff2", ctype="font/woff2", body="x",
                            headers=[("Access-Control-Allow-Origin", "*")])) == "FP"
    assert label("cors", ex(req=evil, headers=[("Access-Control-Allow-Origin", "https://app.a.example"),
                                               ("Access-Control-Allow-Credentials", "true")], **users)) == "FP"


def test_rule_cookies():
    def c(cookie, flag, set_cookie, url="https://a.example/", body=HTML):
        return label("cookie_flags", ex(url=url, body=body, headers=[("Set-Cookie", set_cookie)]),
                     {"cookie": cookie, "flag": flag})
    assert c("PHPSESSID", "HttpOnly", "PHPSESSID=1; path=/; Secure; SameSite=Lax") == "TP"
    assert c("sessionid", "Secure", "sessionid=1; HttpOnly; SameSite=Lax") == "TP"
    assert c("DokuWiki", "SameSite", "DokuWiki=1; HttpOnly; Secure") == "TP"
    assert c("sid", "HttpOnly", "sid=1; Secure") == "TP"
    # counter-cases: CSRF tokens and preferences, flags present, an HTTP-only host
    assert c("csrftoken", "HttpOnly", "csrftoken=1; path=/") == "FP"
    assert c("_xsrf", "Secure", "_xsrf=1") == "FP"
    assert c("theme", "SameSite", "theme=dark") == "FP"
    assert c("PHPSESSID", "HttpOnly", "PHPSESSID=1; httponly") == "FP"
    assert c("sessionid", "SameSite", "sessionid=1; SameSite=Strict") == "FP"
    assert c("sessionid", "Secure", "sessionid=1; HttpOnly", url="http://a.example/") == "FP"
    # ...but a plain-HTTP page that shows the host serves HTTPS (any port) is TP
    linked = HTML.replace("</body>", "<a href=\"https://a.example:8443/login\">x</a></body>")
    assert c("sessionid", "Secure", "sessionid=1; HttpOnly", url="http://a.example/", body=linked) == "TP"


def test_rule_cookies_from_a_report_without_the_response():
    """Wapiti keeps only the request for cookie findings and names the cookie in its info."""
    def claim(cookie, flag, url="http://127.0.0.1:8080/"):
        finding = ex(url=url, evidence=f"{flag} flag is not set in the cookie : {cookie}")
        finding["response"] = None
        return label("cookie_flags", finding, {"cookie": cookie, "flag": flag})
    assert claim("PHPSESSID", "HttpOnly") == "TP"
    assert claim("PHPSESSID", "Secure", url="https://127.0.0.1:8443/") == "TP"
    assert claim("PHPSESSID", "Secure") == "FP"       # nothing shows this host serves HTTPS
    assert claim("csrftoken", "HttpOnly") == "FP"


def test_rule_plain_http():
    assert label("plain_http", ex(url="http://a.example/")) == "TP"
    assert label("plain_http", ex(url="http://a.example/api", ctype="application/json", body="{}",
                                  headers=[("Set-Cookie", "sid=1")])) == "TP"
    assert label("plain_http", ex(url="http://a.example/", status=301, body="",
                                  headers=[("Location", "https://a.example/")])) == "FP"


def test_rule_certificate():
    def cert(subject, issuer, not_after="2026-01-01", san=None):
        return label("certificate", ex(url="https://shop.example/", evidence=f"subject={subject}; issuer={issuer}; "
                                       f"notAfter={not_after}; san={san or subject[3:]}"))
    assert cert("CN=shop.example", "CN=shop.example") == "TP"
    assert cert("CN=shop.example", "CN=R11, O=Let's Encrypt", not_after="2025-05-01") == "TP"
    assert cert("CN=other.example", "CN=R11, O=Let's Encrypt") == "TP"
    assert cert("CN=shop.example", "CN=R11, O=Let's Encrypt") == "FP"
    assert cert("CN=*.example", "CN=R11, O=Let's Encrypt", san="*.example") == "FP"


def test_rule_certificate_from_a_scanner_observation():
    """Wapiti's ssl module reports one observation per finding, without a response."""
    def seen(text):
        finding = ex(url="https://shop.example/", evidence=text)
        finding["response"] = None
        return label("certificate", finding)
    assert seen("Self-signed certificate detected: The certificate is not signed by a trusted Certificate "
                "Authority") == "TP"
    assert seen("Requested hostname doesn't match those in the certificate") == "TP"
    assert seen("Certificate has expired at 2025-01-01 00:00:00+00:00") == "TP"
    assert seen("Certificate doesn't use Extended Validation") == "FP"
    assert seen("Certificate expires in 2 months and 3 days") == "FP"


def test_rule_xss():
    payload = "<script>alert(1)</script>"
    page = HTML.replace("</body>", f"<p>{payload}</p></body>")
    assert label("xss", ex(body=page, attack=payload)) == "TP"
    encoded = HTML.replace("</body>", f"<p>{html.escape(payload)}</p></body>")
    assert label("xss", ex(body=encoded, attack=payload)) == "FP"
    assert label("xss", ex(ctype="application/json", body=json.dumps({"q": payload}), attack=payload,
                           headers=[("X-Content-Type-Options", "nosniff")])) == "FP"
    # Burp and Wapiti reports carry no payload field: the parameter's value in the request is the input
    url = "https://a.example/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E"
    finding = ex(url=url, body=page)
    finding["param"] = "q"
    assert label("xss", finding) == "TP"
    finding = ex(url=url, body=encoded)
    finding["param"] = "q"
    assert label("xss", finding) == "FP"


def test_rule_csrf():
    def form(fields, method="post", action="/settings"):
        return HTML.replace("</body>", f"<form method=\"{method}\" action=\"{action}\">{fields}"
                                       "<input name=\"email\"></form></body>")
    subject = {"form_action": "/settings"}
    assert label("csrf", ex(body=form("")), subject) == "TP"
    assert label("csrf", ex(body=form("<input type=\"hidden\" name=\"sectok\" value=\"\">")), subject) == "TP"
    assert label("csrf", ex(body=form("<input type=\"hidden\" name=\"sectok\" value=\"9f2c\">")), subject) == "FP"
    assert label("csrf", ex(body=form(""), headers=[("Set-Cookie", "sessionid=1; SameSite=Lax")]), subject) == "FP"
    search = HTML.replace("</body>", "<form method=\"get\" action=\"/settings\"><input name=\"q\"></form></body>")
    assert label("csrf", ex(body=search), subject) == "FP"


def test_rule_csrf_on_the_submitted_request():
    """Wapiti and Burp report the POST itself; Wapiti without a response."""
    def post(body, headers=(), response=True):
        finding = ex(url="http://127.0.0.1:8080/login", method="POST", status=302, body="", headers=headers,
                     req=[("Content-Type", "application/x-www-form-urlencoded")])
        finding["request"]["body"] = body
        if not response:
            finding["response"] = None
        return label("csrf", finding)
    assert post("user=alice&password=x", response=False) == "TP"
    assert post("_token=&user=alice&password=x") == "TP"
    assert post("_token=9f2c1d&user=alice&password=x", response=False) == "FP"
    assert post("user=alice&password=x", headers=[("Set-Cookie", "laravel_session=1; HttpOnly; SameSite=Lax")]) == "FP"
    assert post("q=vpn&sort=date") == "FP"


def test_rule_backup_file():
    url = "https://a.example/backup.zip"
    assert label("exposed_file", ex(url=url, ctype="application/zip", body="")) == "TP"
    assert label("exposed_file", ex(url="https://a.example/config.php.bak", ctype="text/plain",
                                    body="<?php\ndefine('DB_PASSWORD', 'x');\n")) == "TP"
    assert label("exposed_file", ex(url=url, body=HTML.replace("Hi", "Page not found"))) == "FP"


def test_rule_server_error():
    trace = "Traceback (most recent call last):\n  File \"/app/x.py\", line 3, in f\nKeyError: 'a'"
    assert label("server_error_disclosure", ex(status=500, ctype="text/plain", body=trace)) == "TP"
    assert label("server_error_disclosure", ex(status=500, body=HTML.replace("Hi", "Something went wrong"))) == "FP"


def test_rule_methods():
    assert label("http_methods", ex(method="PUT", status=201, body="")) == "TP"
    assert label("http_methods", ex(method="TRACE", status=200, ctype="message/http", body="TRACE / HTTP/1.1")) == "TP"
    assert label("http_methods", ex(method="TRACE", status=405, body="")) == "FP"
    assert label("http_methods", ex(method="DELETE", status=302, body="", headers=[("Location", "/login")])) == "FP"
    # Wapiti's heuristic report on a plain GET, without a response: nothing shows a method working
    heuristic = ex(url="http://127.0.0.1:8080/", evidence="Possible interesting methods (using heuristics) on "
                   "http://127.0.0.1:8080/: ")
    heuristic["response"] = None
    assert label("http_methods", heuristic) == "FP"


# ---------------------------------------------------------------- the generator

@pytest.mark.parametrize("smell", SMELLS)
def test_every_template_scenario_gets_the_label_it_means(smell):
    import random

    rng = random.Random(smell)
    labels = Counter()
    for _ in range(300):
        family = rng.choice(FAMILIES)
        case = BUILDERS[smell](family, Ctx.make(rng, family.subdomains))
        finding = case.page.finding(scanner="x", check="x", check_id="x", evidence=case.evidence,
                                    attack=case.attack, param=case.param)
        verdict = judge(smell, finding, case.subject)
        assert verdict is not None, case.template
        assert verdict.label == case.expect, (case.template, verdict)
        labels[verdict.label] += 1
    assert labels["FP"] > 0
    assert labels["TP"] > 0 or smell == "obsolete_header"  # POLICY.md: always FP


@pytest.fixture(scope="module")
def rows():
    return gen.generate(2500, 11)


def test_split_by_family_never_shares_a_family_and_covers_smells_and_labels(rows):
    train = {r["family"] for r in rows if r["split"] == "train"}
    val = {r["family"] for r in rows if r["split"] == "val"}
    assert train and val and not train & val
    assert 0.15 < len(val) / len(train | val) < 0.35
    for split in ("train", "val"):
        pairs = {(r["smell"], r["label"]) for r in rows if r["split"] == split}
        for smell in SMELLS:
            assert (smell, "FP") in pairs, (split, smell)
            assert (smell, "TP") in pairs or smell == "obsolete_header", (split, smell)


def test_rows_are_distinct_and_duplicates_are_dropped(rows):
    assert len({gen.row_key(r) for r in rows}) == len(rows)
    fixed = dict(rows[0])
    stats = gen.Stats()
    with pytest.raises(RuntimeError, match="only 1 distinct rows"):
        gen.generate(3, 1, rewriter=lambda row, case, st: fixed, stats=stats)
    assert stats.duplicates > 0


def test_rows_have_the_documented_shape_and_labels_match_the_policy(rows):
    keys = ["tech", "smell", "label", "finding", "analysis", "family", "template", "split", "rule", "generator"]
    detail_keys = set(details(scanner="", check="").keys())
    scanners = Counter()
    for r in rows:
        assert list(r) == keys
        assert r["tech"] == "http" and r["smell"] in SMELLS and r["label"] in ("TP", "FP")
        assert set(r["finding"]) == detail_keys and r["finding"]["request"]["line"]
        assert r["finding"]["response"] is None or r["finding"]["response"]["status"]
        assert r["generator"] == {"name": "iacfilter-datagen-http", "version": gen.VERSION, "seed": 11}
        sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z`\u201c])", r["analysis"])
        assert 2 <= len(sentences) <= 4, r["analysis"]
        other = "false positive" if r["label"] == "TP" else "true positive"
        assert other not in r["analysis"].lower()
        scanners[r["finding"]["scanner"]] += 1
    assert {"ZAP", "Nuclei", "Burp Suite", "Wapiti", "drheader", "Mozilla HTTP Observatory"} <= set(scanners)
    assert any(r["finding"]["response"] is None for r in rows if r["finding"]["scanner"] == "Wapiti")
    # the same scanner check is raised on both labels for most smells: wording alone does not decide
    both = Counter()
    for (smell, check), labels in _labels_by_check(rows).items():
        both[smell] += len(labels) == 2
    assert sum(1 for s in SMELLS if both[s]) >= 14


def _labels_by_check(rows):
    out = {}
    for r in rows:
        out.setdefault((r["smell"], r["finding"]["check"]), set()).add(r["label"])
    return out


def test_scanner_checks_carry_the_smell_the_rules_map_gives_them(rows):
    """Where the packaged rules map knows a web check, the generator files it under the same smell (the smell a
    filter run will score it as)."""
    from iacfilter.rules import load_rules_map

    rules = load_rules_map()
    assert rules.lookup("ZAP", "10035") is not None  # the web scanners' rules maps ship with iacfilter
    checked = 0
    for r in rows:
        f = r["finding"]
        code = f["check"] if f["scanner"] == "Wapiti" else f["check_id"]
        rule = rules.lookup(f["scanner"], code) or rules.lookup(f["scanner"], code.split(":")[0])
        if rule is not None:
            assert rule.smell == r["smell"], (f["scanner"], code, r["smell"], rule.smell)
            checked += 1
    assert checked > len(rows) / 3


def test_rows_load_through_the_dataset_loader(rows, tmp_path):
    assert "http" in plugins.technologies()  # the HTTP technology ships with iacfilter
    from iacfilter.dataset import load_dataset

    path = tmp_path / "d.jsonl"
    path.write_text(gen.to_jsonl(rows[:200]))
    examples = load_dataset(path)
    assert len(examples) == 200 and {e.label for e in examples} == {0, 1}


def test_cli_is_deterministic_and_writes_the_split_files(tmp_path):
    runner = CliRunner()
    outs = []
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        target = tmp_path / f"{name}.jsonl"
        result = runner.invoke(cli, ["datagen", "http", "--n", "400", "--seed", str(seed), "-o", str(target)])
        assert result.exit_code == 0, result.output
        outs.append([(tmp_path / f"{name}{s}.jsonl").read_bytes() for s in ("", ".train", ".val")])
    assert outs[0] == outs[1]
    assert outs[0][0] != outs[2][0]
    # another process with another hash seed writes the same bytes (no set or dict order leaks into the data)
    other = tmp_path / "d.jsonl"
    env = dict(os.environ, PYTHONHASHSEED="12345")
    subprocess.run([sys.executable, "-m", "iacfilter", "datagen", "http", "--n", "400", "--seed", "5", "-o",
                    str(other)], env=env, check=True, capture_output=True, timeout=120)
    assert other.read_bytes() == outs[0][0]
    all_rows = [json.loads(x) for x in outs[0][0].splitlines()]
    assert len(all_rows) == 400
    assert len(outs[0][1].splitlines()) + len(outs[0][2].splitlines()) == 400
    assert "cookie_flags" in result.stderr and "total" in result.stderr


def test_cli_refuses_a_bad_output_name_in_one_line(tmp_path):
    result = CliRunner().invoke(cli, ["datagen", "http", "--n", "5", "-o", str(tmp_path / "x.txt")])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "Traceback" not in result.output
    assert not (tmp_path / "x.txt").exists()


def test_progress_writes_a_line_every_few_seconds_when_not_a_terminal():
    stream = io.StringIO()
    progress = gen.Progress(10, "datagen http", stream=stream, every=0)
    for i in range(1, 4):
        progress.update(i)
    progress.finish(10)
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("datagen http: 1/10 rows") and lines[-1].startswith("datagen http: 10/10 rows")


# ---------------------------------------------------------------- --llm-url against a local server

class FakeLLM(BaseHTTPRequestHandler):
    """A deterministic OpenAI-compatible /chat/completions: answers are computed from the request."""

    fail = False

    def log_message(self, *args):
        pass

    def do_POST(self):
        if self.path != "/v1/chat/completions" or self.fail:
            self.send_error(500 if self.fail else 404)
            return
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        system, user = request["messages"][0]["content"], request["messages"][1]["content"]
        h = int(hashlib.sha256(user.encode()).hexdigest(), 16)
        if system.startswith("You are the writer"):
            page = json.loads(user)
            if h % 5 == 0:     # a careless rewrite: drops every header and escapes the body
                page = {"headers": [], "body": html.escape(page["body"])}
            elif h % 7 == 0:   # not the JSON asked for
                content = "Sure! Here is the page."
                page = None
            else:
                page["body"] = re.sub(r"<h1>", f"<h1 data-variant=\"{h % 1000}\">", page["body"])
                page["body"] = page["body"].replace("</title>", f" \u2013 v{h % 97}</title>")
            if page is not None:
                content = "```json\n" + json.dumps(page) + "\n```"
        else:
            verdict = re.search(r"\((TP|FP): ([a-z ]+)\)", system).group(2)
            evidence = json.loads(user)["evidence"]
            first = ", ".join(f"{k} is {v}" for k, v in sorted(evidence.items())[:2]) or "the exchange shows it"
            content = (f"Reviewing the exchange, {first}. Under the labelling policy that evidence decides the "
                       f"case. This finding is a {verdict}.")
        body = json.dumps({"id": "x", "object": "chat.completion",
                           "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture()
def llm_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeLLM)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        FakeLLM.fail = False


def test_llm_agents_rewrite_pages_and_analyses_and_the_critic_drops_label_changes(llm_server):
    agents = Agents(llm_server, "fake", timeout=5, seed=3)
    seen = []

    def rewriter(row, case, stats):
        out = agents(row, case, stats)
        seen.append((out, case))
        return out

    stats = gen.Stats()
    rows = gen.generate(150, 3, rewriter=rewriter, stats=stats)
    assert len(rows) == 150
    assert stats.rewrites["kept"] > 10 and stats.rewrites["dropped"] > 5 and stats.rewrites["analyses"] > 100
    for row, case in seen:
        verdict = judge(row["smell"], row["finding"], case.subject)
        assert verdict.label == row["label"] and verdict.rule == row["rule"]
    assert any("data-variant" in r["finding"]["response"]["body"] for r in rows)
    assert sum(r["analysis"].startswith("Reviewing the exchange") for r in rows) > 100


def test_llm_mode_through_the_cli_and_its_one_line_error(llm_server, tmp_path):
    runner = CliRunner()
    out = tmp_path / "d.jsonl"
    result = runner.invoke(cli, ["datagen", "http", "--n", "40", "--seed", "2", "-o", str(out),
                                 "--llm-url", llm_server, "--llm-model", "fake", "--llm-timeout", "5"])
    assert result.exit_code == 0, result.output
    assert "llm rewrites kept" in result.stderr and len(out.read_text().splitlines()) == 40
    FakeLLM.fail = True
    bad = tmp_path / "e.jsonl"
    result = runner.invoke(cli, ["datagen", "http", "--n", "5", "-o", str(bad), "--llm-url", llm_server,
                                 "--llm-timeout", "5"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr.count("\n") == 1 and "--llm-url" in result.stderr and "HTTP 500" in result.stderr
    assert not bad.exists()
