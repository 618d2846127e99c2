"""POLICY.md as code (plugins/http/policy.py), one test per rule, on real captured exchanges.

The exchanges are those the real-scanner corpus fetched from real software on 127.0.0.1 (nginx and Apache in
their Debian default and a hardened configuration, DokuWiki: ``datasets/http-real/exchanges``) and the real
Wapiti reports of tests/fixtures (nginx, careless and hardened); CORS and reflected input, which no real capture
here shows, use the ZAP and Burp fixtures. The subject (which header, cookie or form) is inferred from the words
of the finding, as at filter time.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iacfilter.inputs import read_scanner_output
from iacfilter_plugins.http.exchange import details
from iacfilter_plugins.http.policy import evaluate, infer_subject, site_context

ROOT = Path(__file__).resolve().parents[1]
EXCHANGES = ROOT / "datasets" / "http-real" / "exchanges"
FIXTURES = Path(__file__).parent / "fixtures" / "http"


def captured(exchange_id: str, **words) -> dict:
    """A finding's details on the exchange the corpus captured (``<app>/get/<n>``), with the scanner's words."""
    app = exchange_id.split("/")[0]
    for line in (EXCHANGES / f"{app}.jsonl").read_text(encoding="utf-8").splitlines():
        e = json.loads(line)
        if e["id"] == exchange_id:
            return details(scanner=words.pop("scanner", "drheader"), check=words.pop("check", ""), url=e["url"],
                           method=e["method"], request=e["request"], response=e["response"], **words)
    raise AssertionError(f"{exchange_id}: not in {EXCHANGES}")


def reported(fixture: str, index: int) -> dict:
    [run] = read_scanner_output(str(FIXTURES / fixture))
    return run.findings[index].details


def verdict(smell: str, d: dict) -> tuple[str, str]:
    v = evaluate(smell, d)
    assert v is not None, f"the policy did not decide {smell}"
    return v.label, v.reason


# --- Headers that are required ----------------------------------------------------------------------------

def test_hsts_sufficient_on_https_is_fp_and_on_plain_http_is_fp():
    assert verdict("hsts", captured("nginx-hardened/get/0", check="Strict-Transport-Security")) == ("FP", "sufficient")
    assert verdict("hsts", captured("nginx-default/get/0", check="Strict-Transport-Security")) == ("FP", "plain-http")


def test_csp_missing_on_html_is_tp_sound_is_fp_and_non_html_is_fp():
    assert verdict("csp", captured("apache2-default/get/0", check="Content-Security-Policy")) == ("TP", "missing")
    assert verdict("csp", captured("nginx-hardened/get/1", check="Content-Security-Policy")) == ("FP", "sound")
    assert verdict("csp", captured("nginx-hardened/get/4", check="Content-Security-Policy")) == ("FP", "not-html")


# --- Headers that are not required when a sound CSP is present --------------------------------------------

def test_optional_header_missing_is_fp_under_a_sound_csp_and_tp_on_html_without_one():
    hardened = captured("nginx-hardened/get/0", check="Permissions-Policy", check_id="Header not included in response")
    assert infer_subject("optional_security_header", hardened) == {"header": "Permissions-Policy"}
    assert verdict("optional_security_header", hardened) == ("FP", "sound-csp")
    careless = captured("apache2-default/get/0", check="Referrer-Policy", check_id="Header not included in response")
    assert verdict("optional_security_header", careless) == ("TP", "no-sound-csp")


def test_x_frame_options_follows_frame_ancestors_and_svg_counts_as_html():
    svg = captured("apache2-hardened/get/3", check="X-Frame-Options")  # image/svg+xml: HTML under the policy
    assert verdict("framing", svg) == ("FP", "frame-ancestors")
    assert verdict("framing", reported("wapiti-careless.json", 3)) == ("TP", "no-frame-ancestors")


def test_x_xss_protection_missing_is_always_fp():
    d = captured("apache2-default/get/0", check="X-XSS-Protection", check_id="Header not included in response")
    assert evaluate("obsolete_header", d).rule == "x-xss-protection"
    assert verdict("obsolete_header", d)[0] == "FP"


def test_pragma_and_expires_missing_are_always_fp():
    d = captured("nginx-default/get/0", check="Pragma", check_id="Header not included in response")
    v = evaluate("obsolete_header", d)
    assert (v.label, v.rule) == ("FP", "pragma-expires")


# --- Conditional findings ------------------------------------------------------------------------------------

def test_caching_is_tp_on_a_sensitive_response_and_fp_on_public_content():
    status = captured("apache2-default/get/1", check="Cache-Control")  # /server-status, no Cache-Control
    assert verdict("cacheable_sensitive_content", status) == ("TP", "sensitive-storable")
    css = captured("dokuwiki/get/4", check="Cache-Control")  # public, max-age on a stylesheet
    assert verdict("cacheable_sensitive_content", css) == ("FP", "public")
    wiki = captured("dokuwiki/get/0", check="Cache-Control")  # no-store on the page that sets the session
    assert verdict("cacheable_sensitive_content", wiki) == ("FP", "not-storable")


def test_banner_with_a_version_is_tp_and_a_product_name_alone_is_fp():
    assert verdict("version_banner", captured("nginx-default/get/0", check="Server", check_id="Header should not be returned")) \
        == ("TP", "version")
    assert verdict("version_banner", captured("nginx-hardened/get/0", check="Server", check_id="Header should not be returned")) \
        == ("FP", "product-only")


def test_cors_wildcard_on_public_api_data_is_fp():
    assert verdict("cors", reported("zap-traditional-plus.json", 5)) == ("FP", "wildcard-public")


def test_session_cookie_flags_and_cookies_scripts_read():
    wiki = captured("dokuwiki/get/1", check="Set-Cookie", param="DokuWiki", check_id="Set-Cookie - DokuWiki")
    d = dict(wiki, check="Cookie No HttpOnly Flag")
    assert infer_subject("cookie_flags", d) == {"cookie": "DokuWiki", "flag": "HttpOnly"}
    assert verdict("cookie_flags", d) == ("FP", "flag-present")  # DokuWiki sets HttpOnly
    assert verdict("cookie_flags", dict(wiki, check="Cookie without SameSite Attribute")) == ("TP", "samesite-missing")
    # plain-HTTP host only: Secure missing is FP (the use of HTTP is what to report)
    assert verdict("cookie_flags", dict(wiki, check="Cookie Without Secure Flag")) == ("FP", "http-only-host")


def test_secure_missing_is_tp_when_the_host_serves_https_on_another_port_in_this_run():
    careless = reported("wapiti-careless.json", 7)  # PHPSESSID without Secure, plain HTTP on 127.0.0.1
    assert verdict("cookie_flags", careless) == ("FP", "http-only-host")
    hardened = reported("wapiti-hardened.json", 0)  # the same host over https, another port
    site = site_context([careless, hardened])
    assert site["https_hosts"] == ["127.0.0.1"]
    assert verdict("cookie_flags", dict(careless, site=site)) == ("TP", "claim-session")


# --- Transport -------------------------------------------------------------------------------------------------

def test_plain_http_serving_html_is_tp_and_an_https_page_is_not_a_plain_http_finding():
    assert verdict("plain_http", captured("nginx-default/get/0", check="Unencrypted Channels")) == ("TP", "serves")
    assert evaluate("plain_http", captured("nginx-hardened/get/0", check="Unencrypted Channels")) is None


# --- Content findings -------------------------------------------------------------------------------------------

def test_reflected_input_unencoded_in_html_is_tp():
    assert verdict("xss", reported("burp-issues.xml", 1)) == ("TP", "unencoded")


def test_csrf_form_with_a_nonempty_token_is_fp_and_a_login_post_without_one_is_tp():
    login = captured("nginx-hardened/get/1", check="Cross Site Request Forgery", evidence='<form method="post" action="/session">')
    assert infer_subject("csrf", login) == {"form_action": "/session"}
    assert verdict("csrf", login) == ("FP", "token")
    assert verdict("csrf", reported("wapiti-careless.json", 2)) == ("TP", "request-no-token")  # POST /login, no token


def test_csrf_request_without_response_is_fp_when_the_run_shows_the_hosts_session_cookie_is_samesite():
    post = reported("wapiti-hardened.json", 0)  # POST /login with no token, no response kept
    assert verdict("csrf", post) == ("TP", "request-no-token")
    page = details(scanner="ZAP", check="Cookie without SameSite Attribute", url="https://127.0.0.1:50345/",
                   response={"line": "HTTP/1.1 200 OK", "status": 200, "headers": [
                       ["Set-Cookie", "session=4f1c2e9a; Path=/; Secure; HttpOnly; SameSite=Strict"]],
                       "body": "<html></html>", "body_note": ""})
    site = site_context([post, page])
    assert site["samesite_session_hosts"] == ["127.0.0.1"]
    assert verdict("csrf", dict(post, site=site)) == ("FP", "request-samesite")


def test_backup_file_that_is_source_is_tp():
    assert verdict("exposed_file", reported("wapiti-careless.json", 0)) == ("TP", "source")


def test_method_finding_on_a_plain_get_is_fp():
    assert verdict("http_methods", reported("wapiti-careless.json", 8)) == ("FP", "not-exercised")


# --- Partial evidence: no exchange in the report --------------------------------------------------------------

def test_evidence_only_decides_what_the_url_and_evidence_allow_and_says_on_what():
    [run] = read_scanner_output(str(FIXTURES / "zap-traditional.json"))  # ZAP's JSON without the exchange
    by_rule = {(f.rule, f.details["url"]): f.details for f in run.findings}
    png = by_rule[("10021", "https://shop.example.com/static/logo.png")]
    v = evaluate("content_sniffing", png)
    assert (v.label, v.basis) == ("FP", "url path")
    banner = by_rule[("10036", "https://shop.example.com/api/products")]
    v = evaluate("version_banner", banner)
    assert (v.label, v.basis) == ("TP", "evidence")
    login_csp = by_rule[("10038", "https://shop.example.com/login")]
    assert evaluate("csp", login_csp) is None  # HTML or not: undecidable without the response -> kept


@pytest.mark.parametrize("smell", ["hsts", "csp", "framing", "version_banner", "cookie_flags", "csrf"])
def test_the_generator_labels_with_the_same_code_the_scorer_evaluates(smell):
    from iacfilter_plugins.http.datagen.generate import generate

    rows = [r for r in generate(1500, seed=3) if r["smell"] == smell]
    assert rows
    agree = sum(evaluate(smell, r["finding"]) is not None and evaluate(smell, r["finding"]).label == r["label"]
                for r in rows)
    assert agree / len(rows) >= 0.97  # the subject inferred from the words, not told by the generator


REPORTS = ROOT / "datasets" / "http-real" / "reports"


def corpus_finding(report: str, index: int) -> dict:
    """The details of a real report's finding in the corpus (``<app>/<file>``), as the reader gives them."""
    return [f for run in read_scanner_output(str(REPORTS / report)) for f in run.findings][index].details


def test_a_real_generic_server_error_page_is_fp():
    d = corpus_finding("datasette/wapiti.json", 182)  # Datasette's 500 page for an XSS probe in _sort
    assert d["response"]["status"] == 500
    assert verdict("server_error_disclosure", d) == ("FP", "generic")


def test_a_backup_probe_answered_with_the_normal_html_page_is_fp_even_when_it_shows_sql():
    d = corpus_finding("datasette/wapiti.json", 30)  # /staff/staff.backup: the HTML table view, with CREATE TABLE
    assert "CREATE TABLE" in d["response"]["body"]
    assert verdict("exposed_file", d) == ("FP", "normal-page")


def test_an_invalid_certificate_observed_by_real_scanners_is_tp():
    obs = [f for run in read_scanner_output(str(REPORTS / "apache2-hardened" / "observatory-0.json"))
           for f in run.findings if f.details["check_id"] == "hsts-invalid-cert"]
    assert obs and verdict("certificate", obs[0].details) == ("TP", "observed-invalid-chain")
    [run] = read_scanner_output(str(REPORTS / "nginx-hardened" / "testssl.json"))
    chain = [f.details for f in run.findings if f.rule == "cert_chain_of_trust"]
    assert chain and verdict("certificate", chain[0])[0] == "TP"  # "failed (self signed CA in chain)"


@pytest.mark.parametrize("url", ["http://[::1/a.yml", "http://a.example:99999999x/", "https://[zz]/"])
def test_a_malformed_url_decides_nothing_and_raises_nothing(url):
    d = details(scanner="GLITCH", check="sec_access_control", url=url)
    assert site_context([d]) == {"https_hosts": [], "samesite_session_hosts": []}
    assert evaluate("csp", d) is None and evaluate("hsts", d) is None
