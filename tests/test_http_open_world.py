"""Open-world web findings: checks no rules map lists are mapped to a smell from their words and scored.

- the smell matcher (plugins/http/smells.py) on wordings it was not trained on: drheader's and the MDN HTTP
  Observatory's real reports (datasets/http-real), against the corpus's reviewed mapping (smells.yaml), with a
  matcher trained without any drheader or Observatory wording; and hand-written wordings of no scanner;
- drheader and Observatory results as SARIF with their exchange (built from the corpus's real reports and the
  exchanges it fetched), and Nuclei JSONL whose template ids no map lists: scored (kept or filtered), none lost;
- a scanner named by an alias ("OWASP ZAP") finds its rules map.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from iacfilter.inputs import read_scanner_output
from iacfilter_plugins.http import smells

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "datasets" / "http-real"
FIXTURES = Path(__file__).parent / "fixtures" / "http"
HELD_OUT = {"drheader", "mozilla http observatory", "observatory"}


def real_wordings() -> list[tuple[str, str]]:
    """(the rule's words as a reader gives them, the reviewed smell) of every drheader and Observatory finding."""
    reviewed = yaml.safe_load((REAL / "smells.yaml").read_text(encoding="utf-8"))
    out = []
    reports = sorted(REAL.glob("reports/*/drheader.json")) + sorted(REAL.glob("reports/*/observatory-*.json"))
    for path in reports:
        if '"tests"' not in path.read_text(encoding="utf-8") and path.name.startswith("observatory"):
            continue  # the CLI's {"error": ...}: the scan ran no test
        for run in read_scanner_output(str(path)):
            for f in run.findings:
                d = f.details
                if f.tool == "drheader":
                    smell = reviewed["drheader"].get(d["check"].split(" - ")[0])
                else:
                    smell = reviewed["observatory_results"].get(d["check_id"]) or reviewed["observatory"].get(f.rule)
                out.append((smells.rule_words(d), smell))
    assert len(out) >= 100
    return out


def test_matcher_maps_real_wordings_of_scanners_it_never_saw():
    rows = [r for r in smells.training_wordings(n_generated=1500) if r["scanner"].lower() not in HELD_OUT]
    weights, bias = smells.fit([r["text"] for r in rows], [r["smell"] for r in rows])
    matcher = smells.SmellMatcher(weights, bias, smells.CLASSES, 14, smells.load().threshold)
    cases = real_wordings()
    matches = [(matcher.match(text), smell) for text, smell in cases]
    matched = [(m.smell, smell) for m, smell in matches if m.smell is not None]
    assert len(matched) / len(cases) >= 0.8
    assert sum(got == want for got, want in matched) / len(matched) >= 0.9


WRITTEN = [  # wordings of no scanner the matcher learned from
    ("Response lacks an HTTP Strict-Transport-Security header", "hsts"),
    ("No Content-Security-Policy was sent with this page", "csp"),
    ("Page can be embedded in a frame: anti-clickjacking X-Frame-Options header absent", "framing"),
    ("Session cookie issued without the HttpOnly attribute", "cookie_flags"),
    ("Web server discloses its version in the Server response header", "version_banner"),
    ("MIME sniffing not disabled (X-Content-Type-Options: nosniff missing)", "content_sniffing"),
    ("Backup copy of a source file is downloadable", "exposed_file"),
]


@pytest.mark.parametrize("text,smell", WRITTEN)
def test_shipped_matcher_on_hand_written_wordings(text, smell):
    m = smells.load().match(text)
    assert m.smell == smell, m
    assert m.note.startswith("smell inferred from the rule text") and f"{m.confidence:.2f}" in m.note


@pytest.mark.parametrize("text", ["Blind SQL injection in parameter id", "Remote OS command injection",
                                  "Server-side request forgery via url parameter"])
def test_checks_the_policy_has_no_smell_for_stay_unscored(text):
    assert smells.load().match(text).smell is None


# --- end to end: iacfilter filter --------------------------------------------------------------------------------

def _sarif_message(part: dict | None, response: bool) -> dict:
    out: dict = {"headers": {}}
    for k, v in part["headers"]:
        out["headers"][k] = f"{out['headers'][k]}\n{v}" if k in out["headers"] else v
    if response:
        out.update(statusCode=part["status"], protocol="HTTP", version="1.1")
    else:
        method, target, _ = (part["line"].split(" ") + ["", ""])[:3]
        out.update(method=method, target=target, protocol="HTTP", version="1.1")
    if part.get("body"):
        out["body"] = {"text": part["body"][:16384]}
    return out


def corpus_sarif(scanner: str, app: str) -> dict:
    """A SARIF 2.1.0 log of one scanner's real findings on one app, with the exchange the corpus fetched for each
    URL as ``webRequest``/``webResponse`` (what a SARIF-writing scanner puts there)."""
    exchanges = {}
    for line in (REAL / "exchanges" / f"{app}.jsonl").read_text(encoding="utf-8").splitlines():
        e = json.loads(line)
        exchanges.setdefault(e["url"], e)
    paths = [REAL / "reports" / app / "drheader.json"] if scanner == "drheader" else \
        [p for p in sorted((REAL / "reports" / app).glob("observatory-*.json")) if '"tests"' in p.read_text()]
    results, rules = [], {}
    for path in paths:
        for run in read_scanner_output(str(path)):
            for f in run.findings:
                e = exchanges.get(f.details["url"])
                result = {"ruleId": f.rule, "message": {"text": f.message or f.rule},
                          "locations": [{"physicalLocation": {"artifactLocation": {"uri": f.details["url"]}}}]}
                if e and e.get("response"):
                    result["webRequest"] = _sarif_message(e["request"], False)
                    result["webResponse"] = _sarif_message(e["response"], True)
                results.append(result)
                rules.setdefault(f.rule, {"id": f.rule, "name": f.details["check"] or f.rule,
                                          "shortDescription": {"text": f.details["check_id"] or f.rule}})
    name = "drheader" if scanner == "drheader" else "MDN HTTP Observatory"
    return {"version": "2.1.0", "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "runs": [{"tool": {"driver": {"name": name, "rules": list(rules.values())}}, "results": results}]}


def verdicts(run_cli, tmp_path, *sources) -> list[dict]:
    out = tmp_path / "out.sarif"
    result = run_cli("filter", *sources, "-o", out, "-q")
    assert result.exit_code == 0, result.output
    return [r for run in json.loads(out.read_text())["runs"] for r in run["results"]]


@pytest.mark.parametrize("scanner,app", [("drheader", "dokuwiki"), ("drheader", "nginx-default"),
                                         ("observatory", "apache2-default"), ("observatory", "nginx-hardened")])
def test_drheader_and_observatory_sarif_with_exchange_are_scored(tmp_path, run_cli, scanner, app):
    log = corpus_sarif(scanner, app)
    with_exchange = sum("webResponse" in r for r in log["runs"][0]["results"])
    assert with_exchange >= 5
    src = tmp_path / f"{scanner}.sarif"
    src.write_text(json.dumps(log))
    results = verdicts(run_cli, tmp_path, src)
    assert len(results) == len(log["runs"][0]["results"])  # none dropped
    scored = [r for r in results if "webResponse" in r and r["properties"]["iacfilter"]["verdict"] in ("kept", "filtered")]
    assert len(scored) / with_exchange >= 0.95
    assert all("smell inferred from the rule text" in r["properties"]["iacfilter"]["reason"] for r in scored)


UNKNOWN_TEMPLATES = {  # template ids and names no rules map lists, as a private template repository may have
    "http-missing-security-headers": ("acme-headers-audit", "ACME security header audit"),
    "cookies-without-httponly": ("acme-cookie-httponly", "Cookie set without HttpOnly flag"),
    "nginx-version": ("acme-server-banner", "Server banner discloses the web server version"),
    "cors-misconfig": ("acme-cors-wildcard", "Permissive CORS: Access-Control-Allow-Origin wildcard"),
    "self-signed-ssl": ("acme-tls-selfsigned", "Self-signed TLS certificate"),
}


def test_nuclei_jsonl_with_unknown_template_ids_is_scored(tmp_path, run_cli):
    lines = []
    for line in (FIXTURES / "nuclei.jsonl").read_text().splitlines():
        event = json.loads(line)
        event["template-id"], event["info"]["name"] = UNKNOWN_TEMPLATES[event["template-id"]]
        lines.append(json.dumps(event))
    src = tmp_path / "nuclei.jsonl"
    src.write_text("\n".join(lines) + "\n")
    results = verdicts(run_cli, tmp_path, src)
    assert len(results) == len(lines)
    with_exchange = [r for r in results if "webResponse" in r]
    assert with_exchange
    scored = [r for r in with_exchange if r["properties"]["iacfilter"]["verdict"] in ("kept", "filtered")]
    assert len(scored) / len(with_exchange) >= 0.95
    assert all("smell inferred from the rule text" in r["properties"]["iacfilter"]["reason"] for r in scored)


def test_a_scanner_named_by_an_alias_finds_its_rules_map(tmp_path, run_cli):
    log = json.loads((FIXTURES / "zap-sarif.json").read_text())
    log["runs"][0]["tool"]["driver"]["name"] = "OWASP ZAP"
    src = tmp_path / "zap.sarif"
    src.write_text(json.dumps(log))
    [result] = verdicts(run_cli, tmp_path, src)
    assert result["properties"]["iacfilter"]["verdict"] in ("kept", "filtered")
    assert "inferred" not in result["properties"]["iacfilter"]["reason"]  # the ZAP map, not the matcher


def test_reports_given_together_share_what_they_show_of_a_url(tmp_path, run_cli):
    """drheader's JSON keeps no response; given with the Observatory's report of the same site, its findings are
    judged on the response the Observatory kept for the same URL, and say so."""
    app = REAL / "reports" / "nginx-default"
    alone = verdicts(run_cli, tmp_path, app / "drheader.json")
    observatory = [p for p in sorted(app.glob("observatory-*.json")) if '"tests"' in p.read_text()]
    together = verdicts(run_cli, tmp_path, app / "drheader.json", *observatory)
    drheader = together[:len(alone)]  # the first input's run comes first
    assert len(together) > len(alone)
    judged_alone = sum(r["properties"]["iacfilter"]["verdict"] in ("kept", "filtered") for r in alone)
    judged = [r for r in drheader if r["properties"]["iacfilter"]["verdict"] in ("kept", "filtered")]
    assert len(judged) > judged_alone
    assert any("MDN HTTP Observatory's report of the same URL" in r["properties"]["iacfilter"]["reason"] for r in judged)


def test_a_testssl_report_given_with_drheaders_tells_that_the_host_serves_https(tmp_path, run_cli):
    """DokuWiki's session cookie lacks Secure on plain HTTP: FP while the run shows only HTTP, TP once testssl.sh's
    report of the same host on its TLS port is given too (cookies are not separated by port)."""
    app = REAL / "reports" / "dokuwiki"
    [testssl_run] = read_scanner_output(str(app / "testssl.json"))
    assert testssl_run.findings and all(f.path.startswith("https://127.0.0.1:") for f in testssl_run.findings)

    def policy_labels(*sources):
        results = verdicts(run_cli, tmp_path, *sources)
        return {r["properties"]["iacfilter"]["reason"].split("the policy judged it ")[-1][:2]
                for r in results if r["message"]["text"].startswith("Set-Cookie - DokuWiki")}

    # drheader's scans of the plain-HTTP port only (the corpus scanned the TLS port too, which would tell it)
    plain = tmp_path / "drheader-http.json"
    plain.write_text(json.dumps([t for t in json.loads((app / "drheader.json").read_text())
                                 if t["url"].startswith("http://")]))
    assert policy_labels(plain) == {"FP"}
    assert policy_labels(plain, app / "testssl.json") == {"TP"}
    together = verdicts(run_cli, tmp_path, plain, app / "testssl.json")
    assert {r["properties"]["iacfilter"]["verdict"] for r in together
            if r["message"]["text"].startswith("Set-Cookie - DokuWiki")} == {"kept"}
