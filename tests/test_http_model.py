"""The http-features backend and the shipped http-default champion."""

import json

import pytest
import yaml
from http_samples import exchange, finding, policy_rows

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


def test_backend_refuses_options_it_does_not_take(tmp_path):
    pytest.importorskip("sklearn")
    from iacfilter.errors import IacfilterError

    champion = plugins.champions().get("http-default")
    assert champion is not None and champion.default
    with pytest.raises(IacfilterError, match="takes no --budget"):
        Models.open("http-default", options={"budget": 64})
