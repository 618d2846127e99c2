"""The http-features backend and the shipped http-default champion."""

import json

import pytest
import yaml
from http_samples import exchange, finding, policy_rows, with_zap_csp_rule

from iacfilter import plugins
from iacfilter.dataset import load_dataset
from iacfilter.decide import Models, load_model
from iacfilter.findings import Score
from iacfilter_plugins.http.features import extract, policy_flags
from iacfilter_plugins.http.technology import render


def write_rows(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_features_read_what_the_policy_decides_on():
    d = exchange("https://a.example/login", headers=[
        ("Content-Type", "image/svg+xml"), ("Strict-Transport-Security", "max-age=300"),
        ("Content-Security-Policy", "script-src 'self' 'unsafe-inline'; frame-ancestors 'none'"),
        ("Set-Cookie", "sessionid=x1; Path=/; Secure"), ("Set-Cookie", "csrftoken=y2; Path=/"),
        ("Server", "nginx/1.18.0"), ("Access-Control-Allow-Origin", "https://evil.example"),
        ("Access-Control-Allow-Credentials", "true")],
        req_headers=[("Origin", "https://evil.example")], body="<svg xmlns='http://www.w3.org/2000/svg'></svg>",
        check="Cookie No HttpOnly Flag", param="sessionid")
    flags, cats = policy_flags(render("cookie_flags", d))
    assert cats["ctype"] == "html" and cats["scheme"] == "https" and cats["status"] == "2xx"  # SVG is HTML
    assert flags["hsts_short"] and not flags["hsts_ok"] and flags["https_hsts_bad"]
    assert flags["csp_unsafe_inline"] and flags["csp_defeated"] and flags["csp_frame_ancestors"]
    assert flags["cookie_session_no_httponly"] and not flags["cookie_session_no_secure"]
    assert cats["subject_cookie"] == "session|httponly|missing"
    assert flags["server_version"] and flags["cors_reflected_credentials"] and flags["sensitive"]
    names = extract(render("cookie_flags", d))
    assert "sf=cookie_flags|cookie_session_no_httponly" in names and "w=cookie_flags|httponly" in names

    redirect = exchange("http://a.example/", status=301, reason="Moved", headers=[
        ("Location", "https://a.example/"), ("Content-Type", "text/html")], body="<html>moved</html>")
    flags, cats = policy_flags(render("plain_http", redirect))
    assert flags["redirect_to_https"] and flags["host_serves_https"] and not flags["html"] and cats["ctype"] != "html"


def test_backend_trains_and_round_trips_through_a_champion(tmp_path, run_cli):
    train = write_rows(tmp_path / "train.jsonl", policy_rows(240, seed=1))
    val = write_rows(tmp_path / "val.jsonl", policy_rows(120, seed=2))
    config = {"name": "http-tiny", "base": {
        "name": "http-features", "backend": "http-features", "train": str(train), "val": str(val),
        "thresholds": {"start": 0.01, "stop": 0.95, "step": 0.01, "objective": "recall", "min_recall": 0.97},
        "params": {"C": 1.0, "class_weight": "balanced", "bits": 14}}, "grid": {"seed": [1, 2]}}
    (tmp_path / "sweep.yaml").write_text(yaml.safe_dump(config))
    out = tmp_path / "champion"
    result = run_cli("champion", "build", "--config", tmp_path / "sweep.yaml", "--run-dir", tmp_path / "run", "-o", out,
                     "--name", "http-tiny")
    assert result.exit_code == 0, result.output
    manifest = yaml.safe_load((out / "champion.yaml").read_text())
    assert manifest["backend"] == "http-features" and manifest["technologies"] == ["http"]
    assert set(manifest["smells"]) == {"hsts", "version_banner", "cookie_flags", "csp"}
    assert manifest["threshold_objective"] == {"objective": "recall", "min_recall": 0.97}
    assert manifest["metrics"]["at_threshold"]["recall"] >= 0.97
    assert manifest["metrics"]["at_threshold"]["f1"] >= 0.9  # the four rules are learnable from the features

    # what load() reads back scores exactly what training scored
    model = load_model(out)
    examples = load_dataset(val)
    scores = model.scorer.score([e.snippet for e in examples])
    assert all(isinstance(s, Score) and 0.0 <= s.p <= 1.0 for s in scores)
    saved = [json.loads(p.read_text()) for p in (tmp_path / "run" / "trials").glob(f"*-s{manifest['seed']}/val_scores.json")]
    assert [round(s.p, 5) for s in scores] == [round(p, 5) for p in saved[0]["scores"]]
    assert any(s.rationale and "weighed most" in s.rationale for s in scores)

    # a clear TP and a clear FP of the policy, through the model
    tp = finding(exchange("https://shop.example/", headers=[("Content-Type", "text/html")], body="<html>x</html>",
                          check="Strict-Transport-Security Header Not Set"), smell="hsts")
    fp = finding(exchange("http://shop.example/", headers=[("Content-Type", "text/html")], body="<html>x</html>",
                          check="Strict-Transport-Security Header Not Set"), smell="hsts")
    http = plugins.technologies()["http"]
    p_tp, p_fp = (s.p for s in model.scorer.score([http.snippet(tp, None), http.snippet(fp, None)]))
    assert p_tp >= model.threshold > p_fp
    top = model.scorer.explain(http.snippet(tp, None))
    assert top[0][1] > 0 and any(name.startswith(("sf=hsts|", "p=hsts|", "p=any|TP")) for name, _ in top[:3])


def test_shipped_http_default_loads_by_name_and_refuses_options():
    from iacfilter.errors import IacfilterError

    shipped = plugins.champions()["http-default"]
    assert shipped.default
    manifest = yaml.safe_load((shipped.path / "champion.yaml").read_text())
    assert manifest["backend"] == "http-features" and manifest["technologies"] == ["http"]
    assert manifest["threshold_objective"] == {"objective": "recall", "min_recall": 0.97}
    assert sum(p.stat().st_size for p in shipped.path.iterdir()) < 2 * 2**20
    model = load_model("http-default")
    assert model.threshold == manifest["threshold"]
    with pytest.raises(IacfilterError, match="takes no --budget"):
        Models.open("http-default", options={"budget": 64})


def test_shipped_http_default_keeps_097_of_fresh_validation_tps(tmp_path, run_cli):
    """Data the champion never saw: a fresh generator seed; its val split holds template families held out of train."""
    from iacfilter_training.evaluate import evaluate

    result = run_cli("datagen", "http", "--n", "2000", "--seed", "20261121", "-o", tmp_path / "fresh.jsonl")
    assert result.exit_code == 0, result.output
    report = evaluate(tmp_path / "fresh.val.jsonl", Models.open("http-default"))
    assert report["n"] >= 300 and report["not_scored"] == 0
    assert all(p == p for p in report["_scores"])  # the policy decides every generated case: none left unjudged
    assert report["recall"] >= 0.97, report
    assert report["fp_removed"] >= 0.8, report  # and it does filter: most false positives go


def test_filter_picks_http_default_for_web_findings(tmp_path, run_cli, monkeypatch):
    with_zap_csp_rule(monkeypatch)
    page = "<!doctype html><html><head><title>Shop</title></head><body><p>Welcome</p></body></html>"
    results = []
    for csp, url in ((None, "https://shop.example/"), ("default-src 'self'; frame-ancestors 'none'", "https://shop.example/a"),
                     (None, "https://shop.example/api/items")):
        headers = {"Content-Type": "application/json" if "api" in url else "text/html"}
        if csp:
            headers["Content-Security-Policy"] = csp
        results.append({"ruleId": "10038", "message": {"text": "Content Security Policy (CSP) Header Not Set"},
                        "locations": [{"physicalLocation": {"artifactLocation": {"uri": url}}}],
                        "webRequest": {"protocol": "HTTP", "version": "1.1", "target": url, "method": "GET",
                                       "headers": {"Host": "shop.example"}},
                        "webResponse": {"protocol": "HTTP", "version": "1.1", "statusCode": 200, "reasonPhrase": "OK",
                                        "headers": headers,
                                        "body": {"text": '{"items": []}' if "api" in url else page}}})
    src, out = tmp_path / "zap.sarif", tmp_path / "out.sarif"
    src.write_text(json.dumps({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "ZAP"}}, "results": results}]}))
    result = run_cli("filter", src, "-o", out)  # no --model: the installed default that covers http
    assert result.exit_code == 0, result.output
    annotations = [r["properties"]["iacfilter"] for r in json.loads(out.read_text())["runs"][0]["results"]]
    assert {a["model"] for a in annotations} == {"http-default"}
    # POLICY.md: no CSP on an HTML page is a TP; a sound CSP, or a JSON response, makes it an FP
    assert [a["verdict"] for a in annotations] == ["kept", "filtered", "filtered"]


def test_what_the_policy_cannot_decide_from_the_exchange_is_kept_unscored():
    model = load_model("http-default")
    http = plugins.technologies()["http"]
    page = [("Content-Type", "text/html")]
    no_cookie = finding(exchange("https://a.example/", headers=page, body="<html>x</html>", check="Cookie No HttpOnly Flag",
                                 param="PHPSESSID"), smell="cookie_flags")
    no_response = finding(exchange("https://a.example/", check="Cookie No HttpOnly Flag"), smell="cookie_flags")
    no_response.details["response"] = None
    odd_method = finding(exchange("https://a.example/", method="POST", headers=page, body="<html>x</html>",
                                  check="HTTP Methods"), smell="http_methods")
    scores = model.scorer.score([http.snippet(f, None) for f in (no_response, odd_method)])
    assert all(s.p != s.p for s in scores)  # NaN: decide() keeps them, verdict unscored, with the note
    assert [s.note for s in scores] == ["not judged: the report names no cookie and carries no response",
                                        "not judged: the request used POST method, not one the finding is about"]
    # a cookie the scanner names but this response does not set: the policy judges the scanner's claim
    snippet = http.snippet(no_cookie, None)
    assert snippet.data["policy"] == {"label": "TP", "rule": "cookies", "reason": "claim-session", "basis": "exchange"}
    assert model.scorer.score([snippet])[0].p >= model.threshold


def test_xss_payload_from_the_parameter_when_the_report_names_no_attack():
    model = load_model("http-default")
    http = plugins.technologies()["http"]
    reflected = finding(exchange("https://shop.example/search?q=kettle%3Cscript%3Ealert(1)%3C%2Fscript%3E",
                                 headers=[("Content-Type", "text/html; charset=utf-8")],
                                 body="<!DOCTYPE html><html><body><p>Results for kettle<script>alert(1)</script></p></body></html>",
                                 scanner="Burp Suite", check="Cross-site scripting (reflected)", param="q"), smell="xss")
    encoded = finding(exchange("https://shop.example/search?q=kettle%3Cscript%3Ealert(1)%3C%2Fscript%3E",
                               headers=[("Content-Type", "text/html; charset=utf-8")],
                               body="<!DOCTYPE html><html><body><p>Results for kettle&lt;script&gt;alert(1)&lt;/script&gt;</p>"
                                    "</body></html>", scanner="Burp Suite", check="Cross-site scripting (reflected)", param="q"),
                      smell="xss")
    p_reflected, p_encoded = (s.p for s in model.scorer.score([http.snippet(reflected, None), http.snippet(encoded, None)]))
    assert p_reflected >= model.threshold > p_encoded


def test_a_response_less_report_is_judged_on_what_stands_in_for_the_response():
    """Wapiti keeps only the request of its cookie findings: the cookie it names stands in (POLICY.md, Cookies)."""
    model = load_model("http-default")
    http = plugins.technologies()["http"]
    claims = []
    for name in ("PHPSESSID", "theme"):
        f = finding(exchange("https://shop.example/", scanner="Wapiti", check="HttpOnly Flag cookie",
                             evidence=f"HttpOnly flag is not set in the cookie : {name}"), smell="cookie_flags")
        f.details["response"] = None
        claims.append(http.snippet(f, None))
    session, preference = model.scorer.score(claims)
    assert session.p >= model.threshold > preference.p  # a session cookie's missing HttpOnly is TP; a preference's FP
