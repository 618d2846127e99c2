import json

import pytest
from conftest import GLITCH, needs_shared, shared

from iacfilter.errors import IacfilterError
from iacfilter.inputs import read_scanner_output
from iacfilter_plugins.glitch.readers import split_description

# Real GLITCH output in ../shared; where it is missing, one parameter that skips, saying so.
MISSING = [pytest.param(GLITCH / "samples", marks=needs_shared("glitch", "samples"), id="shared-missing")]
SAMPLES = sorted((GLITCH / "samples").glob("*.csv")) + sorted((GLITCH / "outputs").glob("*.csv")) or MISSING
LINTER = sorted((GLITCH / "samples").glob("*.linter.txt")) or MISSING


def data_rows(path):
    return [r for r in path.read_text().splitlines()[1:] if r.strip()]


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_real_glitch_csv_reads_row_for_row(path):
    [run] = read_scanner_output(str(path))
    rows = data_rows(path)
    assert run.input_format == "GLITCH CSV"
    assert len(run.findings) == len(rows) > 0
    for finding, row in zip(run.findings, rows):
        assert row.startswith(f"{finding.path},")
        assert finding.tool == "GLITCH" and finding.rule in row
        # The CODE column is the row's tail, commas and all; DESCRIPTION sits just before it.
        assert row.endswith("," + finding.code) or finding.code == ""
        if finding.message:
            assert f",{finding.message}," in row


@pytest.mark.parametrize("path", LINTER, ids=lambda p: p.name)
def test_every_real_glitch_linter_file_reads(path):
    [run] = read_scanner_output(str(path))
    csv = path.with_name(path.name.replace(".linter.txt", ".csv"))
    assert run.input_format == "GLITCH --linter"
    assert len(run.findings) == len([r for r in path.read_text().splitlines() if r.strip()])
    security = sorted((f.path, f.line, f.rule, f.code) for f in run.findings if f.rule.startswith("sec_"))
    assert security == sorted((f.path, f.line, f.rule, f.code) for f in read_scanner_output(str(csv))[0].findings)


def test_unknown_line_gives_a_finding_without_line():
    findings = read_scanner_output(str(shared("glitch", "outputs", "puppet-all.csv")))[0].findings
    file_level = [f for f in findings if f.line is None]
    assert len(file_level) == 2 and all(f.rule.startswith(("design_", "implementation_")) for f in file_level)


def test_code_with_commas_and_cwe_lists_split_right():
    desc, code = split_description("Weak Crypto Algorithm - Weak crypto. (CWE-326 | CWE-327),a = md5(x, y), z")
    assert desc.endswith("(CWE-326 | CWE-327)") and code == "a = md5(x, y), z"
    assert split_description("-,tls_security_policy = \"a,b\"") == ("-", 'tls_security_policy = "a,b"')
    assert split_description("Suggestion: check 'x'.,bad_example aws_x, y") == ("Suggestion: check 'x'.", "bad_example aws_x, y")


def test_glitch_1x_three_columns(tmp_path):
    path = tmp_path / "old.csv"
    path.write_text("PATH,LINE,ERROR\nsite.yml,3,sec_hard_secr\nsite.yml,-33550336,sec_susp_comm\n")
    [run] = read_scanner_output(str(path))
    assert run.input_format == "GLITCH CSV (1.x)"
    assert [(f.path, f.line, f.rule, f.code) for f in run.findings] == [
        ("site.yml", 3, "sec_hard_secr", ""), ("site.yml", None, "sec_susp_comm", "")]


def test_headerless_rows_and_header_only(tmp_path):
    rows = tmp_path / "rows.csv"
    rows.write_text("a.pp,2,sec_https,Use of HTTP without TLS - x. (CWE-319),$u = 'http://a'\n")
    assert [f.code for f in read_scanner_output(str(rows))[0].findings] == ["$u = 'http://a'"]
    empty = tmp_path / "none.csv"
    empty.write_text("PATH,LINE,ERROR,DESCRIPTION,CODE\n")
    assert read_scanner_output(str(empty))[0].findings == []


def test_sarif_from_another_tool_keeps_results_verbatim(tmp_path):
    doc = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "checkov", "rules": [{"id": "CKV_X"}]}},
           "results": [{"ruleIndex": 0, "message": {"text": "m"}, "locations": [{"physicalLocation": {
               "artifactLocation": {"uri": "roles/a%20b/main.yml"}, "region": {"startLine": 4}}}]},
               {"ruleId": "sec_hard_pass", "message": {"text": "p"}}]}]}
    path = tmp_path / "in.sarif"
    path.write_text(json.dumps(doc))
    [run] = read_scanner_output(str(path))
    first, second = run.findings
    assert (first.tool, first.rule, first.path, first.line) == ("checkov", "CKV_X", "roles/a b/main.yml", 4)
    assert second.line is None and second.path == ""
    assert run.sarif_run == doc["runs"][0] and first.raw is run.sarif_run["results"][0]


def test_glitch_default_text_format_is_not_mistaken_for_csv():
    with pytest.raises(IacfilterError, match="unrecognised format"):
        read_scanner_output(str(shared("glitch", "samples", "ansible.default.txt")))
