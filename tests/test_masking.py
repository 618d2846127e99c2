"""Secrets in HTTP exchanges are masked before a model sees them and in every output; structure is kept."""

import json

import pytest
import jsonschema
from conftest import SARIF_SCHEMA, make_champion
from http_samples import SECRETS, exchange, finding, secret_exchange

from iacfilter import plugins
from iacfilter.cli import run_filter
from iacfilter.registry import ScanRun
from iacfilter_plugins.http.exchange import SMELLS
from iacfilter_plugins.http.masking import MASK, URL_MASK, mask_details, mask_text, mask_url
from iacfilter_plugins.http.technology import render, sarif_result, snippet


@pytest.fixture
def champion_for_http(tmp_path):
    return make_champion(tmp_path / "champion", smells=SMELLS, techs=("http",))


def everything(d) -> str:
    return json.dumps(d, ensure_ascii=False)


def headers(message):
    return [tuple(h) for h in message["headers"]]


def test_cookie_values_masked_names_and_attributes_kept():
    m = mask_details(secret_exchange())
    assert ("Cookie", f"sessionid={MASK}; theme={MASK}") in headers(m["request"])
    set_cookies = [v for k, v in m["response"]["headers"] if k == "Set-Cookie"]
    assert set_cookies == [f"sessionid={MASK}; Path=/; HttpOnly; SameSite=Lax", f"theme={MASK}; Path=/"]


def test_authorization_keeps_the_scheme():
    m = mask_details(secret_exchange())
    assert ("Authorization", f"Bearer {MASK}") in headers(m["request"])
    assert ("Proxy-Authorization", f"Basic {MASK}") in headers(m["request"])
    assert m["attack"] == f"Basic {MASK}"


def test_api_key_and_token_headers_masked_but_header_lists_are_not():
    m = mask_details(secret_exchange())
    assert ("X-API-Key", MASK) in headers(m["request"])
    assert ("X-Forwarded-Auth", MASK) in headers(m["request"])
    # a header whose value names headers (not a secret) is left as it is
    assert ("Access-Control-Allow-Headers", "Authorization, X-API-Key") in headers(m["response"])
    assert ("Strict-Transport-Security", "max-age=63072000") in headers(m["response"])


def test_session_ids_and_tokens_in_urls_masked():
    m = mask_details(secret_exchange())
    assert m["url"] == f"https://shop.example/login;jsessionid={MASK}?next=/&access_token={MASK}&PHPSESSID={MASK}"
    assert f";jsessionid={MASK}?next=/" in m["request"]["line"]
    assert ("Location", f"https://shop.example/home?sid={MASK}") in headers(m["response"])


def test_passwords_and_tokens_in_bodies_masked_with_their_fields():
    m = mask_details(secret_exchange())
    assert m["request"]["body"] == f"username=alice&password={MASK}&csrfmiddlewaretoken={MASK}"
    body = m["response"]["body"]
    assert f'name="csrfmiddlewaretoken" value="{MASK}"' in body  # a non-empty token stays visibly non-empty
    assert f'type="password" name="pw" value="{MASK}"' in body
    assert '<input name="q" value="">' in body  # an empty value stays empty (and a non-secret field untouched)
    assert f'"access_token": "{MASK}"' in body
    assert f'content="{MASK}"' in body


def test_jwt_anywhere_and_echoed_secrets_masked():
    text = mask_text(f"token in a log line: {SECRETS['jwt']} and Bearer {SECRETS['bearer']}")
    assert SECRETS["jwt"] not in text and SECRETS["bearer"] not in text
    # the session id the body echoes, the evidence that quotes the cookie: found through the cookie
    m = mask_details(secret_exchange())
    assert f"your session {MASK}" in m["response"]["body"]
    assert m["evidence"] == f"Set-Cookie: sessionid={MASK}"


def test_nothing_secret_survives_anywhere():
    d = secret_exchange()
    m = mask_details(d)
    out = everything(m)
    for kind, secret in SECRETS.items():
        assert secret not in out, kind
    assert d["request"]["headers"][1][1].startswith("sessionid=9f1c")  # the input is not changed


def test_masking_is_idempotent():
    once = mask_details(secret_exchange())
    assert mask_details(once) == once
    url = mask_url(secret_exchange()["url"])
    assert mask_url(url) == url and "[" not in url
    assert mask_text(mask_text("a=1&password=x&sid=2")) == mask_text("a=1&password=x&sid=2")


@pytest.mark.parametrize("text", [
    "Basic authentication is enabled", "the session cookie lacks HttpOnly", "max-age=31536000; includeSubDomains",
    "default-src 'self'; script-src 'nonce-r4nd0m'", "Server: nginx/1.18.0", "<script>alert(1)</script>",
    "subject=CN=shop.example; issuer=CN=shop.example; notAfter=2027-01-01",
])
def test_policy_evidence_is_not_masked(text):
    assert mask_text(text) == text


def test_policy_evidence_survives_in_the_snippet():
    d = exchange("https://app.example/", headers=[
        ("Content-Type", "text/html"), ("Set-Cookie", "PHPSESSID=abc123def456; Path=/; Secure"),
        ("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'"), ("Server", "Apache/2.4.41"),
        ("Strict-Transport-Security", "max-age=300")],
        body='<html><form method="post"><input type="hidden" name="_token" value="x1y2z3"></form></html>',
        check="Cookie No HttpOnly Flag", param="PHPSESSID")
    s = render("cookie_flags", d)
    assert f"Set-Cookie: PHPSESSID={MASK}; Path=/; Secure" in s.text
    assert "Server: Apache/2.4.41" in s.text and "max-age=300" in s.text
    assert s.data["cookies"][0] == {**s.data["cookies"][0], "name": "PHPSESSID", "empty": False, "secure": True,
                                    "httponly": False}
    assert f'name="_token" value="{MASK}"' in s.data["body"]


def test_nothing_secret_in_the_sarif_of_a_filter_run(tmp_path, champion_for_http):
    f = finding(secret_exchange(), rule="10011")
    run = ScanRun(origin="zap.json", driver={"name": "ZAP", "informationUri": "https://www.zaproxy.org/"},
                  findings=[f], input_format="zap-json")
    out = tmp_path / "out.sarif"
    run_filter([run], source_root=str(tmp_path), tech="http", output=str(out), mode="annotate", model_dir=str(champion_for_http),
               threshold=None, fmt="sarif", batch_size=8, quiet=True)
    text = out.read_text()
    log = json.loads(text)
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(log)
    result = log["runs"][0]["results"][0]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == f"https://shop.example/login;jsessionid={URL_MASK}?next=/&access_token={URL_MASK}&PHPSESSID={URL_MASK}"
    assert result["webRequest"]["headers"]["Cookie"] == f"sessionid={MASK}; theme={MASK}"
    assert result["webResponse"]["headers"]["Set-Cookie"].startswith(f"sessionid={MASK}; Path=/; HttpOnly")
    for kind, secret in SECRETS.items():
        assert secret not in text, kind


def test_snippet_and_sarif_members_are_masked():
    f = finding(secret_exchange(), smell="cookie_flags")
    for shown in (snippet(f, None).text, everything(snippet(f, None).data), everything(sarif_result(f))):
        for kind, secret in SECRETS.items():
            assert secret not in shown, kind
    assert plugins.technologies()["http"].snippet(f, None).text == snippet(f, None).text
