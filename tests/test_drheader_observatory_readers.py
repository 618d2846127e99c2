"""The drheader and MDN HTTP Observatory readers on the real reports of datasets/http-real (drheader 2.0.0 and
@mdn/mdn-http-observatory 1.4.8 run on real applications on 127.0.0.1), finding for finding."""

import json
from pathlib import Path

import jsonschema
import pytest
from conftest import SARIF_SCHEMA, run_subprocess

from iacfilter import plugins
from iacfilter.findings import VERDICTS
from iacfilter.inputs import SNIFF_BYTES, read_scanner_output
from iacfilter_plugins.http.exchange import details
from iacfilter_plugins.http.readers import drheader, observatory

CORPUS = Path(__file__).resolve().parent.parent / "datasets" / "http-real"
REPORTS = CORPUS / "reports"
DRHEADER = sorted(REPORTS.glob("*/drheader.json"))
OBSERVATORY = sorted(p for p in REPORTS.glob("*/observatory-*.json") if '"tests"' in p.read_text())
WEB_READERS = {"zap-json", "nuclei-jsonl", "burp-xml", "wapiti-json", "drheader-json", "observatory-json"}


def ids(paths):
    return [f"{p.parent.name}/{p.name}" for p in paths]


def test_the_corpus_has_reports_of_both_scanners():
    assert len(DRHEADER) >= 5 and len(OBSERVATORY) >= 10


@pytest.mark.parametrize("path", DRHEADER, ids=ids(DRHEADER))
def test_drheader_bulk_report_gives_one_finding_per_issue_with_url_and_test(path):
    doc = json.loads(path.read_text())
    [run] = read_scanner_output(str(path))
    assert run.input_format == "drheader JSON" and run.driver["name"] == "drheader"
    issues = [(entry["url"], issue) for entry in doc for issue in entry["report"]]
    assert len(run.findings) == len(issues) > 0
    for f, (url, issue) in zip(run.findings, issues):
        assert set(f.details) == set(details(scanner="", check=""))
        assert f.tool == "drheader" and f.details["url"] == url and f.path == url
        assert f.rule == issue["rule"].split(" - ")[0] and f.details["check_id"] == issue["rule"]
        assert issue["message"] in f.message and f.raw == issue
        # drheader keeps no exchange: none is made up, and the finding says so
        assert f.details["request"] is None and f.details["response"] is None
        assert f.details["exchange_note"] == drheader.NO_EXCHANGE
        if issue["rule"].startswith("Set-Cookie - "):
            assert f.details["param"] == issue["rule"].split(" - ", 1)[1]


def test_drheader_single_target_report_keeps_findings_without_url(tmp_path):
    """`drheader scan single -o json` prints the issue array alone: no URL in it, and none is invented."""
    entry = json.loads((REPORTS / "dokuwiki" / "drheader.json").read_text())[0]
    single = tmp_path / "single.json"
    single.write_text(json.dumps(entry["report"], indent=4))
    [run] = read_scanner_output(str(single))
    assert run.input_format == "drheader JSON" and len(run.findings) == len(entry["report"])
    for f in run.findings:
        assert f.details["url"] == "" and f.path == ""
        assert drheader.NO_URL in f.details["exchange_note"]
    cookie = next(f for f in run.findings if f.rule == "Set-Cookie")
    assert cookie.details["param"] == "DokuWiki" and "Secure" in cookie.message


@pytest.mark.parametrize("path", OBSERVATORY, ids=ids(OBSERVATORY))
def test_observatory_report_gives_one_finding_per_failed_test(path):
    doc = json.loads(path.read_text())
    [run] = read_scanner_output(str(path))
    assert run.input_format == "MDN HTTP Observatory JSON" and run.driver["name"] == "MDN HTTP Observatory"
    failed = {name: t for name, t in doc["tests"].items() if not t["pass"]}
    assert [f.rule for f in run.findings] == list(failed)
    targets = json.loads((path.parent / "targets.json").read_text())
    scanned = targets[path.name]["url"]  # what the build asked the Observatory to scan
    route = doc["tests"]["redirection"]["route"]
    assert route[0] == scanned.replace("https://", "http://")
    final = doc["tests"]["redirection"]["destination"]
    if scanned.startswith("https://"):  # scanned on a TLS port: the headers are the HTTPS response's
        final = final.replace("http://", "https://")
    for f in run.findings:
        test = failed[f.rule]
        assert f.details["check_id"] == test["result"] and test["result"] in f.message
        assert f.details["request"] is None
        if f.rule == "redirection":
            # about the plain-HTTP URL the scan started from; the report keeps no response for it
            assert f.details["url"] == test["route"][0] and f.details["url"].startswith("http://")
            assert f.details["response"] is None and f.details["exchange_note"] == observatory.NO_RESPONSE
        else:
            # the final response: its status and headers are in the report, its body is not
            assert f.details["url"] == final and "no request" in f.details["exchange_note"]
            response = f.details["response"]
            assert response["status"] == doc["scan"]["statusCode"] and response["body"] == ""
            assert response["body_note"] == observatory.NO_BODY
            kept = doc["scan"]["responseHeaders"]  # a repeated header (set-cookie) is a list there
            assert response["headers"] == [[k, v] for k, vs in kept.items() for v in (vs if isinstance(vs, list) else [vs])]


def test_observatory_on_a_tls_port_reports_the_https_url_and_the_plain_http_route():
    path = REPORTS / "nginx-hardened" / "observatory-0.json"
    [run] = read_scanner_output(str(path))
    by_rule = {f.rule: f for f in run.findings}
    assert by_rule["redirection"].details["url"] == "http://127.0.0.1:18143/"
    assert by_rule["strict-transport-security"].details["url"] == "https://127.0.0.1:18143/"
    assert by_rule["strict-transport-security"].details["check_id"] == "hsts-invalid-cert"


def test_each_report_is_claimed_by_its_own_reader_only():
    readers = plugins.readers()
    for paths, owner in ((DRHEADER, "drheader-json"), (OBSERVATORY, "observatory-json"),
                         (sorted(REPORTS.glob("*/wapiti.json")), "wapiti-json")):
        for path in paths:
            head = path.read_text()[:SNIFF_BYTES]
            scores = {name: readers[name].sniff(head) for name in WEB_READERS | {"sarif"}}
            assert max(scores, key=scores.get) == owner, (path, scores)
            assert all(scores[r] == 0 for r in WEB_READERS - {owner}), (path, scores)
    for name in ("drheader-json", "observatory-json"):
        assert readers[name].sniff('{"runs": [], "version": "2.1.0"}') == 0
        assert readers[name].sniff('[{"template-id": "x", "matched-at": "https://a/"}]') == 0


@pytest.mark.parametrize("path", [REPORTS / "dokuwiki" / "drheader.json", REPORTS / "dokuwiki" / "observatory-1.json"],
                         ids=["drheader", "observatory"])
def test_filter_keeps_every_finding_in_schema_valid_sarif(path, run_cli, tmp_path):
    out = tmp_path / "out.sarif"
    result = run_cli("filter", path, "-o", out, "-q")
    assert result.exit_code == 0, result.output
    log = json.loads(out.read_text())
    jsonschema.validate(log, json.loads(SARIF_SCHEMA.read_text()))
    [sarif_run] = log["runs"]
    findings = read_scanner_output(str(path))[0].findings
    assert len(sarif_run["results"]) == len(findings)
    for res, finding in zip(sarif_run["results"], findings):
        assert res["properties"]["iacfilter"]["verdict"] in VERDICTS
        assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == finding.path
    fingerprints = {r["partialFingerprints"]["iacfilterFinding/v1"] for r in sarif_run["results"]}
    assert len(fingerprints) == len(findings)



def test_a_scan_the_observatory_could_not_make_is_one_line_exit_2(tmp_path, champion):
    """The CLI prints {"error": ...} for a path that answers 404: bad input that says so, not a SARIF complaint."""
    failed = REPORTS / "nginx-default" / "observatory-2.json"
    assert json.loads(failed.read_text()) == {"error": "Site did respond with an unexpected HTTP status code 404."}
    res = run_subprocess("filter", failed, "--model", champion, "-o", tmp_path / "o.sarif")
    assert res.returncode == 2 and res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
    assert "not valid MDN HTTP Observatory CLI JSON" in res.stderr and "status code 404" in res.stderr, res.stderr
    assert not (tmp_path / "o.sarif").exists()
