"""The http technology: which findings it owns, the one snippet layout, no-exchange findings, SARIF members."""

import base64
import json

import pytest
from conftest import make_champion
from http_samples import exchange, finding, with_zap_csp_rule

from iacfilter import plugins
from iacfilter.decide import classify
from iacfilter.findings import NO_SOURCE, Finding, NoSnippet
from iacfilter.rules import load_rules_map
from iacfilter_plugins.http.exchange import SMELLS, details
from iacfilter_plugins.http.masking import MASK
from iacfilter_plugins.http.technology import BODY_BUDGET, example, owns, render, sarif_result, snippet

HSTS = exchange("https://shop.example/account", headers=[("Content-Type", "text/html"), ("Server", "nginx")],
                body="<!doctype html><html><head><title>Account</title></head><body>hi</body></html>",
                scanner="ZAP", check="Strict-Transport-Security Header Not Set", check_id="10035")

WEB_SARIF_RESULT = {
    "ruleId": "10038", "message": {"text": "Content Security Policy (CSP) Header Not Set"},
    "locations": [{"physicalLocation": {"artifactLocation": {"uri": "https://wiki.example/doku.php"},
                                        "region": {"startLine": 1, "snippet": {"text": ""}}}}],
    "webRequest": {"protocol": "HTTP", "version": "1.1", "target": "https://wiki.example/doku.php", "method": "GET",
                   "headers": {"Host": "wiki.example", "Cookie": "DokuWiki=s3cr3tsess10n"}},
    "webResponse": {"protocol": "HTTP", "version": "1.1", "statusCode": 200, "reasonPhrase": "OK",
                    "headers": {"Content-Type": "text/html; charset=utf-8",
                                "Set-Cookie": "DokuWiki=s3cr3tsess10n; path=/; HttpOnly"},
                    "body": {"binary": base64.b64encode(b"<!DOCTYPE html><html><body>wiki</body></html>").decode()}},
}


def sarif_finding(result=WEB_SARIF_RESULT, path="https://wiki.example/doku.php"):
    return Finding(tool="ZAP", rule=result["ruleId"], path=path, line=1, message=result["message"]["text"], raw=result)


def test_owns_http_details_web_sarif_and_urls_not_files():
    assert owns(finding(HSTS))
    assert owns(sarif_finding())
    assert owns(sarif_finding({"ruleId": "x", "message": {"text": "m"}}, path="http://a.example/"))
    assert not owns(Finding(tool="GLITCH", rule="sec_http", path="roles/web/tasks/main.yml", line=3))
    assert not owns(Finding(tool="Semgrep", rule="x", path="src/app.py", line=3, raw={"ruleId": "x"}))


def test_classify_gives_web_findings_to_http_and_iac_files_to_their_technology():
    techs = plugins.technologies()
    web, yml = finding(HSTS), Finding(tool="GLITCH", rule="sec_http", path="site.yml", line=1)
    classify([web, yml], load_rules_map(), techs, None)
    assert web.tech == "http" and yml.tech == "ansible"
    forced = Finding(tool="Other", rule="x", path="report-entry", line=None)
    classify([forced], load_rules_map(), techs, "http")
    assert forced.tech == "http"


def test_snippet_layout():
    s = snippet(finding(HSTS, smell="hsts"), None)
    assert s.text.splitlines()[:8] == [
        "http hsts",
        "scanner: ZAP | check: Strict-Transport-Security Header Not Set (10035)",
        "url: https://shop.example/account",
        "request:",
        "GET /account HTTP/1.1",
        "Host: shop.example",
        "response:",
        "HTTP/1.1 200 OK",
    ]
    assert "Content-Type: text/html" in s.text and "Server: nginx" in s.text
    assert s.text.splitlines()[-2:] == ["body:", "<!doctype html><html><head><title>Account</title></head><body>hi</body></html>"]
    assert s.tech == "http" and s.smell == "hsts"
    assert s.data["scheme"] == "https" and s.data["status"] == 200 and s.data["content_type"] == "text/html"
    assert s.data["headers"]["server"] == "nginx" and s.data["html"] is True and s.data["method"] == "GET"


def test_param_evidence_attack_line():
    d = exchange("https://a.example/search?q=x", headers=[("Content-Type", "text/html")], body="<p>x</p>",
                 param="q", evidence="<script>alert(1)</script>", attack="<script>alert(1)</script>")
    assert "param: q | evidence: <script>alert(1)</script> | attack: <script>alert(1)</script>" in render("xss", d).text


def test_body_cut_to_the_budget_around_the_evidence():
    marker = "<script>alert(31337)</script>"
    body = "<html><body>" + "lorem ipsum " * 400 + f"<p>You searched for {marker}</p>" + "dolor sit " * 400 + "</body></html>"
    d = exchange("https://a.example/s?q=1", headers=[("Content-Type", "text/html")], body=body, param="q",
                 attack=marker, evidence=marker)
    s = render("xss", d)
    excerpt = s.text.split("\nbody:\n", 1)[1]
    assert marker in excerpt
    assert len(excerpt) <= BODY_BUDGET + 2 and excerpt.startswith("…") and excerpt.endswith("…")
    assert len(s.text) < 2000  # a few hundred tokens at most


def test_html_without_evidence_shows_the_head_of_the_document():
    body = "<!doctype html><html><head><title>Admin</title></head><body>" + "<p>row</p>" * 500 + "</body></html>"
    d = exchange("https://a.example/admin", headers=[("Content-Type", "text/html")], body=body,
                 check="Content Security Policy (CSP) Header Not Set")
    excerpt = render("csp", d).text.split("\nbody:\n", 1)[1]
    assert excerpt.startswith("<!doctype html><html><head><title>Admin</title>") and excerpt.endswith("…")


def test_headers_cut_and_binary_bodies_noted():
    d = exchange("https://a.example/x.zip", headers=[("Content-Type", "application/zip"),
                                                     ("Content-Security-Policy", "default-src " + "a " * 400)])
    d["response"]["body"], d["response"]["body_note"] = "", "binary body (2048 bytes, application/zip) not shown"
    s = render("exposed_file", d)
    assert "body: (empty)" in s.text and "note: binary body (2048 bytes, application/zip) not shown" in s.text
    assert max(len(line) for line in s.text.splitlines()) < 400


def test_no_exchange_raises_no_snippet_with_the_reason_when_nothing_else_is_there():
    d = details(scanner="Nuclei", check="http-missing-security-headers", url="not-a-url",
                exchange_note="nuclei ran with -omit-raw: no request or response in the report")
    with pytest.raises(NoSnippet, match="omit-raw"):
        snippet(finding(d, smell="hsts"), None)
    with pytest.raises(NoSnippet, match="no request or response"):
        snippet(Finding(tool="x", rule="y", path="relative/path", line=None), None)


def test_no_exchange_with_a_url_renders_the_evidence_only_and_the_policy_judges_what_it_can():
    d = details(scanner="ZAP", check="Content Security Policy (CSP) Header Not Set", check_id="10038",
                url="https://a.example/robots.txt", exchange_note="ZAP's traditional-json report carries no exchange")
    s = snippet(finding(d, smell="csp"), None)
    assert "request: (not in the report)" in s.text and "response: (not in the report)" in s.text
    assert s.data["policy"] == {"label": "FP", "rule": "csp", "reason": "not-html-path", "basis": "url path"}
    d["url"] = "https://a.example/login"  # an HTML page or not: without the response the policy cannot say
    with pytest.raises(NoSnippet, match="carries no exchange; what it says without one .* does not decide"):
        snippet(finding(d, smell="csp"), None)


@pytest.fixture
def zap_csp_rule(monkeypatch):
    with_zap_csp_rule(monkeypatch)


def test_no_exchange_finding_is_kept_and_marked_by_filter(tmp_path, run_cli, zap_csp_rule):
    no_exchange = dict(WEB_SARIF_RESULT)
    del no_exchange["webRequest"], no_exchange["webResponse"]
    # another page: no report of the run kept a response for it (site context would lend one for the same URL)
    no_exchange["locations"] = [{"physicalLocation": {"artifactLocation": {"uri": "https://wiki.example/start.php"}}}]
    log = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "ZAP"}}, "results": [no_exchange, WEB_SARIF_RESULT]}]}
    src, out = tmp_path / "zap.sarif", tmp_path / "out.sarif"
    src.write_text(json.dumps(log))
    champion = make_champion(tmp_path / "m", smells=SMELLS, techs=("http",), keywords={"markers": {}, "default": 0.9})
    result = run_cli("filter", src, "--model", champion, "-o", out)  # owned by its URL, no --tech
    assert result.exit_code == 0, result.output
    first, second = json.loads(out.read_text())["runs"][0]["results"]
    assert first["properties"]["iacfilter"]["verdict"] == NO_SOURCE
    assert "no request or response" in first["properties"]["iacfilter"]["reason"]
    # SARIF input is kept verbatim (its webRequest/webResponse too) and only annotated
    assert second["webRequest"] == WEB_SARIF_RESULT["webRequest"] and second["webResponse"] == WEB_SARIF_RESULT["webResponse"]
    assert second["properties"]["iacfilter"]["verdict"] == "kept"


def test_snippet_from_a_web_sarif_result():
    f = sarif_finding()
    f.smell = "csp"
    s = snippet(f, None)
    assert "GET https://wiki.example/doku.php HTTP/1.1" in s.text
    assert "HTTP/1.1 200 OK" in s.text and f"Set-Cookie: DokuWiki={MASK}; path=/; HttpOnly" in s.text
    assert "<!DOCTYPE html><html><body>wiki</body></html>" in s.text  # body.binary decoded
    assert "s3cr3tsess10n" not in s.text
    assert s.data["cookies"][0]["name"] == "DokuWiki" and s.data["cookies"][0]["httponly"]


def test_example_row_renders_exactly_like_the_finding():
    row = {"tech": "http", "smell": "hsts", "label": "TP", "finding": HSTS, "analysis": "..."}
    from_row, from_finding = example(row), snippet(finding(HSTS, smell="hsts"), None)
    assert from_row == from_finding and from_row.data == from_finding.data
    assert plugins.technologies()["http"].example(row) == from_row


def test_malformed_rows_are_value_errors():
    with pytest.raises(ValueError, match="finding"):
        example({"tech": "http", "smell": "hsts", "label": "TP"})
    with pytest.raises(ValueError, match="HTTP"):
        example({"tech": "http", "smell": "hsts", "label": "TP", "finding": {"url": "x"}})
    with pytest.raises(ValueError, match="no exchange"):
        example({"tech": "http", "smell": "hsts", "label": "TP", "finding": details(scanner="x", check="y")})


def test_sarif_members_for_converted_findings():
    d = exchange("https://shop.example/login", method="POST", req_headers=[("Cookie", "sid=abcdef123456")],
                 req_body="user=a&password=hunter2hunter2", headers=[("Content-Type", "text/html")],
                 body="<html>ok</html>", status=302, reason="Found")
    members = sarif_result(finding(d))
    assert members["webRequest"] == {
        "protocol": "HTTP", "version": "1.1", "method": "POST", "target": "https://shop.example/login",
        "headers": {"Host": "shop.example", "Cookie": f"sid={MASK}"}, "body": {"text": f"user=a&password={MASK}"}}
    assert members["webResponse"] == {"protocol": "HTTP", "version": "1.1", "reasonPhrase": "Found", "statusCode": 302,
                                      "headers": {"Content-Type": "text/html"}, "body": {"text": "<html>ok</html>"}}
    assert members["properties"]["http"]["request_line"] == "POST /login HTTP/1.1"  # as the scanner wrote it
    bare = sarif_result(finding(details(scanner="x", check="y", url="https://a.example/")))
    assert "webRequest" not in bare and "webResponse" not in bare and bare["properties"]["http"]["check"] == "y"


@pytest.mark.parametrize("report", ["zap-traditional-plus.json", "burp-issues.xml", "nuclei.jsonl"])
def test_our_sarif_output_gives_back_the_snippet_the_model_saw(tmp_path, run_cli, report):
    """One layout: 'explain' and 'triage' rebuild a converted web finding's snippet from iacfilter's own SARIF
    (masked webRequest/webResponse, and properties.http for the check, its id, parameter, evidence, payload
    and start lines): it equals the original's."""
    from pathlib import Path

    from iacfilter.inputs import read_scanner_output
    from iacfilter.sources import SourceRoot

    source = Path(__file__).parent / "fixtures" / "http" / report
    out = tmp_path / "out.sarif"
    assert run_cli("filter", source, "-o", out, "-q").exit_code == 0
    techs, rules, root = plugins.technologies(), load_rules_map(), SourceRoot(tmp_path)
    original = read_scanner_output(str(source))[0].findings
    again = read_scanner_output(str(out))[0].findings
    classify(original, rules, techs, None)
    classify(again, rules, techs, None)
    compared = 0
    for a, b in zip(original, again):
        assert b.tech == "http"
        try:
            first = snippet(a, root)
        except NoSnippet:
            continue
        assert snippet(b, root).text == first.text
        compared += 1
    assert compared
