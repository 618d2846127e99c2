"""The web-scanner readers on report fixtures written from each format's documented structure (ZAP, Nuclei,
Burp) and on real Wapiti 3.2.3 reports of the nginx sites of test_wapiti_nginx.py."""

import base64
import json
from pathlib import Path

import jsonschema
import pytest
from conftest import SARIF_SCHEMA, run_subprocess

from iacfilter import plugins
from iacfilter.decide import classify
from iacfilter.findings import VERDICTS
from iacfilter.inputs import SNIFF_BYTES, read_scanner_output
from iacfilter.rules import load_rules_map
from iacfilter_plugins.http.exchange import SMELLS, details
from iacfilter_plugins.http.masking import mask_url
from iacfilter_plugins.http.readers import burp, nuclei, wapiti, zap

FIXTURES = Path(__file__).parent / "fixtures" / "http"
DETAIL_KEYS = set(details(scanner="", check=""))
REQUEST_KEYS = {"line", "headers", "body"}
RESPONSE_KEYS = {"line", "status", "headers", "body", "body_note"}

# fixture -> (input format, tool, findings, driver version)
CASES = {
    "zap-traditional.json": ("ZAP traditional-json", "ZAP", 7, "2.15.0"),
    "zap-traditional-plus.json": ("ZAP traditional-json-plus", "ZAP", 7, "2.15.0"),
    "nuclei.jsonl": ("Nuclei JSONL", "Nuclei", 7, None),
    "nuclei-omit-raw.jsonl": ("Nuclei JSONL", "Nuclei", 3, None),
    "burp-issues.xml": ("Burp Suite XML issues export", "Burp Suite", 5, "2024.3.1.4"),
    "wapiti-careless.json": ("Wapiti JSON", "Wapiti", 12, "3.2.3"),
    "wapiti-hardened.json": ("Wapiti JSON", "Wapiti", 5, "3.2.3"),
}


def read(name):
    [run] = read_scanner_output(str(FIXTURES / name))
    return run


def check_details(d):
    assert DETAIL_KEYS <= set(d) <= DETAIL_KEYS | {"rule_text", "other_info"}
    assert all(isinstance(d[k], str) for k in set(d) - {"request", "response"})
    assert d["request"] is None or set(d["request"]) == REQUEST_KEYS
    assert d["response"] is None or set(d["response"]) == RESPONSE_KEYS
    for part in (d["request"], d["response"]):
        if part is not None:
            assert all(isinstance(h, list) and len(h) == 2 and all(isinstance(x, str) for x in h) for h in part["headers"])
    if d["request"] is None or d["response"] is None:
        assert d["exchange_note"], "a finding without a full exchange must say why"
    json.dumps(d)  # a dataset row carries it verbatim


@pytest.mark.parametrize("name", sorted(CASES))
def test_reader_reads_every_finding_with_the_exchange_shape(name):
    fmt, tool, count, version = CASES[name]
    run = read(name)
    assert run.input_format == fmt and run.driver["name"] == tool and run.driver.get("version") == version
    assert run.driver["informationUri"].startswith("https://")
    assert len(run.findings) == count
    for f in run.findings:
        assert f.tool == tool and f.rule and f.line is None and f.message
        assert f.path.startswith(("http://", "https://")) and f.path == mask_url(f.details["url"])
        assert f.origin == str(FIXTURES / name) and f.raw
        assert f.details["scanner"] == tool and f.details["check"]
        check_details(f.details)


@pytest.mark.parametrize("name", sorted(CASES))
def test_known_checks_map_to_canonical_smells(name):
    run = read(name)
    classify(run.findings, load_rules_map(), {}, None)
    assert {f.smell for f in run.findings} - {None} <= set(SMELLS)
    mapped = [f for f in run.findings if f.smell]
    assert len(mapped) >= len(run.findings) - 4, [(f.rule, f.smell) for f in run.findings]


def test_zap_plain_report_keeps_findings_without_exchange():
    run = read("zap-traditional.json")
    assert [f.rule for f in run.findings] == ["10038", "10035", "10035", "10010", "10036", "10098", "10021"]
    for f in run.findings:
        assert f.details["request"] is None and f.details["response"] is None
        assert f.details["exchange_note"] == zap.NO_EXCHANGE
    cookie = run.findings[3]
    assert cookie.details["param"] == "sessionid" and cookie.code == "Set-Cookie: sessionid"
    assert cookie.raw["alert"]["alertRef"] == "10010" and "instances" not in cookie.raw["alert"]


def test_zap_plus_report_carries_request_and_response():
    run = read("zap-traditional-plus.json")
    login = run.findings[0]
    assert login.details["request"]["line"] == "GET https://shop.example.com/login HTTP/1.1"
    response = login.details["response"]
    assert response["status"] == 200 and ["Set-Cookie", "sessionid=8f2kq0c1n3w9x7; Path=/"] in response["headers"]
    assert response["body"].startswith("<!DOCTYPE html>") and login.details["exchange_note"] == ""
    png = run.findings[-1].details["response"]
    assert png["body"] == "" and png["body_note"].startswith("binary body")


def test_nuclei_rule_is_template_and_matcher_where_the_map_knows_it():
    run = read("nuclei.jsonl")
    assert [f.rule for f in run.findings] == [
        "http-missing-security-headers:strict-transport-security", "http-missing-security-headers:content-security-policy",
        "http-missing-security-headers:cross-origin-opener-policy", "cookies-without-httponly", "nginx-version",
        "cors-misconfig", "self-signed-ssl"]
    cors = run.findings[5]
    assert cors.details["check_id"] == "cors-misconfig:arbitrary-origin"  # the map knows only the template
    assert run.findings[3].details["evidence"] == "sessionid" and run.findings[4].code == "nginx/1.18.0"
    assert run.findings[0].details["method"] == "GET" and run.findings[0].details["response"]["status"] == 200
    tls = run.findings[6]  # a TLS template: "host:port", no HTTP exchange, kept and marked
    assert tls.path == "https://shop.example.com:443" and tls.details["exchange_note"] == nuclei.OMIT_RAW


def test_session_ids_and_tokens_in_urls_are_masked_in_the_location(tmp_path, run_cli):
    line = json.loads((FIXTURES / "nuclei.jsonl").read_text().splitlines()[0])
    line["matched-at"] = "https://shop.example.com/account;jsessionid=A1B2C3D4E5F6?token=9f8e7d6c5b4a3921&tab=2"
    path = tmp_path / "secret.jsonl"
    path.write_text(json.dumps(line) + "\n")
    [finding] = read_scanner_output(str(path))[0].findings
    assert "A1B2C3D4E5F6" not in finding.path and "9f8e7d6c5b4a3921" not in finding.path and "tab=2" in finding.path
    out = tmp_path / "o.sarif"
    assert run_cli("filter", path, "-o", out, "-q").exit_code == 0
    assert "A1B2C3D4E5F6" not in out.read_text() and "9f8e7d6c5b4a3921" not in out.read_text()


def test_nuclei_omit_raw_findings_are_kept_and_marked():
    run = read("nuclei-omit-raw.jsonl")
    assert all(f.details["request"] is None and f.details["response"] is None for f in run.findings)
    assert all(f.details["exchange_note"] == nuclei.OMIT_RAW for f in run.findings)


def test_nuclei_json_export_array_reads_like_jsonl(tmp_path):
    events = [json.loads(line) for line in (FIXTURES / "nuclei.jsonl").read_text().splitlines()]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(events, indent=2))
    assert [f.rule for f in read_scanner_output(str(path))[0].findings] == [f.rule for f in read("nuclei.jsonl").findings]


def test_burp_base64_plain_missing_and_undecodable_exchanges():
    hsts, xss, cookie, framing, cache = read("burp-issues.xml").findings
    assert hsts.details["request"]["line"] == "GET / HTTP/1.1" and hsts.details["response"]["status"] == 200
    assert "<script>alert(1)</script>" in xss.details["response"]["body"] and xss.details["param"] == "q"
    assert xss.details["attack"] == "kettle<script>alert(1)</script>"  # from Burp's "The payload <b>..</b> was submitted"
    assert xss.details["evidence"].startswith("The value of the q request parameter is copied")
    assert cookie.details["evidence"].endswith("does not have the HttpOnly flag set: sessionid")
    assert cookie.details["method"] == "POST" and cookie.details["request"]["body"] == "email=a%40b.example&password=x"
    assert framing.details["request"] is None and framing.details["exchange_note"] == burp.NOT_EXPORTED
    assert cache.details["request"] is None and cache.details["response"]["status"] == 200
    assert cache.details["exchange_note"].startswith("request: base64 does not decode")
    assert xss.raw["requestresponse"][0]["request"]["attributes"] == {"method": "GET", "base64": "true"}


def test_wapiti_real_report_null_responses_are_marked():
    run = read("wapiti-careless.json")
    by_rule = {f.rule: f for f in run.findings}
    backup = by_rule["Backup file"]
    assert backup.path.endswith("/index.php.bak") and backup.details["response"]["body"].startswith("<?php")
    assert by_rule["Content Security Policy Configuration"].details["response"]["line"] == "HTTP/1.1 200 OK"
    cookie = by_rule["HttpOnly Flag cookie"]
    assert cookie.details["response"] is None and cookie.details["request"]["line"] == "GET / HTTP/1.1"
    assert cookie.details["exchange_note"] == f"no response: {wapiti.NULL_RESPONSE}"
    assert cookie.details["check_id"] == "cookieflags" and "PHPSESSID" in cookie.details["evidence"]


def test_wapiti_without_detailed_report_says_so(tmp_path):
    doc = json.loads((FIXTURES / "wapiti-careless.json").read_text())
    for part in wapiti.PARTS:
        for items in doc[part].values():
            for item in items:
                item.pop("detail", None)
    path = tmp_path / "dr1.json"
    path.write_text(json.dumps(doc))
    assert {f.details["exchange_note"] for f in read_scanner_output(str(path))[0].findings} == {
        f"no response: {wapiti.NO_DETAIL}"}


def test_each_format_is_claimed_by_its_own_reader_and_sarif_by_none_of_them():
    readers = plugins.readers()
    ours = {"zap-json", "nuclei-jsonl", "burp-xml", "wapiti-json"}
    owner = {"zap-traditional.json": "zap-json", "zap-traditional-plus.json": "zap-json",
             "nuclei.jsonl": "nuclei-jsonl", "nuclei-omit-raw.jsonl": "nuclei-jsonl", "burp-issues.xml": "burp-xml",
             "wapiti-careless.json": "wapiti-json", "wapiti-hardened.json": "wapiti-json", "zap-sarif.json": "sarif"}
    for name, expected in owner.items():
        head = (FIXTURES / name).read_text()[:SNIFF_BYTES]
        scores = {reader: readers[reader].sniff(head) for reader in ours | {"sarif"}}
        assert max(scores, key=scores.get) == expected, (name, scores)
        assert all(scores[r] == 0 for r in ours - {expected}), (name, scores)
    assert all(readers[r].sniff('{"runs": [], "version": "2.1.0"}') == 0 for r in ours)
    # a product version that happens to read 2.1.0 does not make a Nuclei result SARIF
    line = '{"template-id":"x","info":{"name":"x","metadata":{"version":"2.1.0"}},"matched-at":"https://a/"}'
    assert readers["nuclei-jsonl"].sniff(line) == 0.9
    assert all(readers[r].sniff('{"some": "json"}') < readers["sarif"].sniff('{"some": "json"}') for r in ours)


def test_zap_sarif_report_maps_through_the_zap_rules(tmp_path):
    [run] = read_scanner_output(str(FIXTURES / "zap-sarif.json"))
    assert run.input_format == "SARIF 2.1.0" and run.findings[0].tool == "ZAP"
    classify(run.findings, load_rules_map(), {}, None)
    assert run.findings[0].smell == "hsts" and run.findings[0].raw["webResponse"]["statusCode"] == 200


@pytest.mark.parametrize("name", sorted(CASES) + ["zap-sarif.json"])
def test_filter_gives_schema_valid_sarif_with_every_finding(name, run_cli, tmp_path):
    out = tmp_path / "out.sarif"
    result = run_cli("filter", FIXTURES / name, "-o", out, "-q")
    assert result.exit_code == 0, result.output
    log = json.loads(out.read_text())
    jsonschema.validate(log, json.loads(SARIF_SCHEMA.read_text()))
    [sarif_run] = log["runs"]
    findings = read_scanner_output(str(FIXTURES / name))[0].findings
    assert len(sarif_run["results"]) == len(findings)  # annotate mode keeps every finding
    for result, finding in zip(sarif_run["results"], findings):
        assert result["properties"]["iacfilter"]["verdict"] in VERDICTS
        if name != "zap-sarif.json":
            assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == finding.path
    if name != "zap-sarif.json":
        assert sarif_run["tool"]["driver"]["name"] == CASES[name][1]
        fingerprints = {r["partialFingerprints"]["iacfilterFinding/v1"] for r in sarif_run["results"]}
        assert len(fingerprints) == len(findings)  # GitHub would merge findings that share one


def test_reports_with_no_findings_are_empty_runs(tmp_path, run_cli):
    cases = {
        "zap.json": json.dumps({"@programName": "ZAP", "@version": "2.15.0", "@generated": "x", "site": []}),
        "burp.xml": '<?xml version="1.0"?>\n<issues burpVersion="2024.3.1.4" exportTime="x">\n</issues>\n',
        "wapiti.json": json.dumps({"classifications": {}, "vulnerabilities": {"Backup file": []}, "anomalies": {},
                                   "additionals": {}, "infos": {"target": "http://a/", "version": "Wapiti 3.2.3"}}),
    }
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text)
        [run] = read_scanner_output(str(path))
        assert run.findings == []
        out = tmp_path / f"{name}.sarif"
        result = run_cli("filter", path, "-o", out, "-q")
        assert result.exit_code == 0 and json.loads(out.read_text())["runs"][0]["results"] == []


def test_huge_and_binary_bodies_become_notes(tmp_path):
    doc = json.loads((FIXTURES / "zap-traditional-plus.json").read_text())
    instance = doc["site"][0]["alerts"][0]["instances"][0]
    instance["response-body"] = "<html>" + "x" * 300_000
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(doc))
    response = read_scanner_output(str(path))[0].findings[0].details["response"]
    assert len(response["body"]) == 256 * 1024 and response["body_note"].startswith("body cut at")


def _cut(name, fraction=0.5):
    text = (FIXTURES / name).read_text()
    return text[: int(len(text) * fraction)]


XXE = ('<?xml version="1.0"?>\n<!DOCTYPE issues [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
       '<issues burpVersion="2024.3.1.4"><issue><type>1</type><name>&xxe;</name></issue></issues>\n')
LAUGHS = ('<?xml version="1.0"?>\n<!DOCTYPE issues [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
          '<issues burpVersion="2024.3.1.4"><issue><type>1</type><name>&b;</name></issue></issues>\n')
BAD = {
    "zap-truncated.json": (lambda: _cut("zap-traditional-plus.json"), "OWASP ZAP JSON report (traditional-json, "
                           "traditional-json-plus): not valid JSON (line "),
    "zap-site-object.json": (lambda: json.dumps({"@programName": "ZAP", "@generated": "x", "site": {"alerts": []}}),
                             '"site" must be an array, not an object'),
    "zap-instances.json": (lambda: json.dumps({"@programName": "ZAP", "@generated": "x", "site": [
        {"@name": "https://a", "alerts": [{"pluginid": "10035", "name": "HSTS", "instances": "none"}]}]}),
                           "site[0].alerts[0].instances must be an array, not a string"),
    "nuclei-bad-line.jsonl": (lambda: (FIXTURES / "nuclei.jsonl").read_text().splitlines()[0] + "\n{not json\n",
                              "line 2: not a JSON object (column 2"),
    "nuclei-no-template.jsonl": (lambda: (FIXTURES / "nuclei.jsonl").read_text().splitlines()[0] + '\n{"info": {}}\n',
                                 'line 2: "template-id" is missing'),
    "nuclei-truncated.jsonl": (lambda: _cut("nuclei.jsonl", 0.1), "line 1: not a JSON object"),
    "burp-xxe.xml": (lambda: XXE, "refused: the XML declares entities or external references"),
    "burp-laughs.xml": (lambda: LAUGHS, "refused: the XML declares entities"),
    "burp-truncated.xml": (lambda: _cut("burp-issues.xml"), "not valid Burp Suite XML issues export: not well-formed XML"),
    "burp-not-issues.xml": (lambda: '<?xml version="1.0"?>\n<issues burpVersion="1"><issue><name>x</name></issue></issues>',
                            "issue 1: <type> and <name> are required"),
    "wapiti-truncated.json": (lambda: _cut("wapiti-careless.json"), "Wapiti 3 JSON report (-f json): not valid JSON"),
    "wapiti-wrong.json": (lambda: json.dumps({"classifications": {}, "vulnerabilities": {"CSP": {"x": 1}}}),
                          'vulnerabilities["CSP"] must be an array, not an object'),
    "wapiti-status.json": (lambda: json.dumps({"classifications": {}, "vulnerabilities": {"CSP": [
        {"method": "GET", "path": "/", "http_request": "GET / HTTP/1.1", "detail": {"response": {"status_code": "200"}}}]}}),
                           'vulnerabilities["CSP"][0].detail.response.status_code must be a number'),
    "drheader-no-rule.json": (lambda: json.dumps([{"url": "http://a/", "report": [{"message": "Header not included "
                                                                                    "in response", "severity": "high"}]}]),
                              'an issue needs "rule" and "message"'),
    "drheader-report.json": (lambda: json.dumps([{"url": "http://a/", "report": {"rule": "Server"}}]),
                             "[0].report must be an array, not an object"),
    "observatory-pass.json": (lambda: json.dumps({"scan": {"algorithmVersion": 4, "responseHeaders": {},
                                                           "testsFailed": 1, "testsQuantity": 1},
                                                  "tests": {"x-frame-options": {"expectation": "x", "pass": "no",
                                                                                "scoreModifier": -20}}}),
                              '"tests"["x-frame-options"].pass must be true or false'),
    "observatory-headers.json": (lambda: json.dumps({"scan": {"algorithmVersion": 4, "responseHeaders": {"a": {}},
                                                              "testsFailed": 1, "testsQuantity": 1},
                                                     "tests": {"cookies": {"expectation": "x", "pass": False,
                                                                           "scoreModifier": -20}}}),
                                 '"scan".responseHeaders["a"] must be a string'),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_report_is_one_line_exit_2_and_no_output(case, tmp_path, champion):
    make, problem = BAD[case]
    path = tmp_path / case
    path.write_text(make())
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    res = run_subprocess("filter", path, "--model", champion, "-o", out_dir / "o.sarif")
    assert res.returncode == 2, res.stderr
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
    assert res.stderr.startswith(f"iacfilter: error: {path}: not valid ") and problem in res.stderr, res.stderr
    assert list(out_dir.iterdir()) == []


def test_burp_base64_body_that_is_binary_is_a_note(tmp_path):
    png = b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
    xml = ('<?xml version="1.0"?>\n<issues burpVersion="2024.3.1.4"><issue><serialNumber>1</serialNumber>'
           '<type>5245344</type><name>Frameable response (potential Clickjacking)</name>'
           '<host ip="203.0.113.10">https://shop.example.com</host><path>/logo.png</path><location>/logo.png</location>'
           '<severity>Information</severity><confidence>Firm</confidence><requestresponse>'
           f'<response base64="true">{base64.b64encode(png).decode()}</response></requestresponse></issue></issues>\n')
    path = tmp_path / "png.xml"
    path.write_text(xml)
    [finding] = read_scanner_output(str(path))[0].findings
    assert finding.details["response"]["body_note"].startswith("binary body")
    assert finding.details["exchange_note"] == f"no request: {burp.NOT_EXPORTED}"


def test_testssl_reader_reads_the_checks_that_are_findings_of_a_real_report():
    path = Path(__file__).resolve().parents[1] / "datasets" / "http-real" / "reports" / "nginx-hardened" / "testssl.json"
    doc = json.loads(path.read_text())
    [run] = read_scanner_output(str(path))
    assert run.input_format == "testssl.sh JSON" and run.driver["name"] == "testssl.sh"
    wanted = [i for i in doc if i["severity"] in ("LOW", "MEDIUM", "HIGH", "CRITICAL", "WARN")]
    assert [f.rule for f in run.findings] == [i["id"] for i in wanted]
    for f, item in zip(run.findings, wanted):
        check_details(f.details)
        assert f.details["url"] == f"https://127.0.0.1:{item['port']}/" and f.details["evidence"] == item["finding"]
        assert f.details["request"] is None and f.details["response"] is None and "testssl" in f.details["exchange_note"]
