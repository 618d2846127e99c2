"""--include / --exclude / --patterns-file in advanced-security/filter-sarif's syntax, applied before scoring."""

import json

import pytest
from conftest import EXAMPLES, run_subprocess

from iacfilter.errors import IacfilterError
from iacfilter.findings import Finding
from iacfilter.patterns import included, parse, read_patterns
from iacfilter.rules import load_rules_map


def finding(path, rule="sec_hard_pass"):
    return Finding(tool="GLITCH", rule=rule, path=path, line=1)


@pytest.mark.parametrize("glob,path,match", [
    ("**", "a/b/c.yml", True),
    ("**/*.yml", "site.yml", True),
    ("**/*.yml", "roles/db/tasks/main.yml", True),
    ("*.yml", "roles/main.yml", False),          # '*' never crosses '/'
    ("roles/**", "roles/db/main.yml", True),
    ("roles/**/main.yml", "roles/main.yml", True),
    ("roles/**/main.yml", "roles/a/b/main.yml", True),
    ("roles/**/main.yml", "other/a/main.yml", False),
    ("tests/*", "tests/a/b.yml", False),
])
def test_file_globs_follow_filter_sarif(glob, path, match):
    assert included(finding(path), [parse("-" + glob)]) is not match


def test_later_patterns_win_and_rules_match_code_or_stable_id():
    rules = load_rules_map()
    patterns = read_patterns(excludes=["**/*.pp"], includes=["**/*.pp:IAC-HARD-CODED-PASSWORD"])
    assert included(finding("m/init.pp", "sec_hard_pass"), patterns, rules)          # by the stable rule id
    assert not included(finding("m/init.pp", "sec_susp_comm"), patterns, rules)
    assert included(finding("site.yml", "sec_susp_comm"), patterns, rules)           # nothing matched: included
    assert not included(finding("m/init.pp", "sec_hard_pass"), [parse("-**:sec_hard_*")], rules)  # scanner code
    assert not included(finding("./tests/x.yml"), [parse("-tests/**")], rules)       # './' is ignored


def test_escapes_and_bad_patterns():
    p = parse(r"\-odd/na\:me.yml")
    assert p.include and p.file.match("-odd/na:me.yml")
    for bad in ("-**.yml", "-/etc**", "-a:b:c", "-"):
        with pytest.raises(IacfilterError):
            parse(bad)


def test_cli_excludes_before_scoring_and_records_patterns(tmp_path):
    patterns = tmp_path / "patterns.txt"
    patterns.write_text("# leave out comments everywhere\n-**:IAC-SUSPICIOUS-COMMENT\n")
    out = tmp_path / "out.sarif"
    res = run_subprocess("filter", EXAMPLES / "ansible" / "glitch.csv", "--source-root", EXAMPLES / "ansible",
                         "--patterns-file", patterns, "--exclude", "playbooks/**:sec_https", "-o", out)
    assert res.returncode == 0, res.stderr
    assert "3 finding(s) excluded by patterns before scoring" in res.stderr
    run = json.loads(out.read_text())["runs"][0]
    rules = {r["ruleId"] for r in run["results"]}
    assert "IAC-SUSPICIOUS-COMMENT" not in rules and "IAC-USE-OF-HTTP" not in rules
    assert run["properties"]["iacfilter"]["patterns"] == {
        "patterns": ["-**:IAC-SUSPICIOUS-COMMENT", "-playbooks/**:sec_https"], "excluded": 3}
    rows = len((EXAMPLES / "ansible" / "glitch.csv").read_text().splitlines()) - 1
    assert sum(run["properties"]["iacfilter"]["counts"].values()) == len(run["results"]) == rows - 3


def test_cli_patterns_on_sarif_input_drop_the_results_too(tmp_path):
    first = tmp_path / "first.sarif"
    assert run_subprocess("filter", EXAMPLES / "puppet" / "glitch.csv", "--source-root", EXAMPLES / "puppet",
                          "-q", "-o", first).returncode == 0
    before = len(json.loads(first.read_text())["runs"][0]["results"])
    out = tmp_path / "out.sarif"
    res = run_subprocess("filter", first, "--source-root", EXAMPLES / "puppet", "--exclude", "**", "--include",
                         "**/*.pp:IAC-HARD-CODED-*", "-q", "-o", out)
    assert res.returncode == 0, res.stderr
    found = json.loads(out.read_text())["runs"][0]["results"]
    assert 0 < len(found) < before and all(r["ruleId"].startswith("IAC-HARD-CODED-") for r in found)


def test_bad_pattern_is_a_one_line_error(tmp_path):
    res = run_subprocess("filter", EXAMPLES / "ansible" / "glitch.csv", "--source-root", EXAMPLES / "ansible",
                         "--exclude", "**.yml", "-o", tmp_path / "o.sarif")
    assert res.returncode == 2 and res.stderr.count("\n") == 1 and "'**' may only stand" in res.stderr
    assert not (tmp_path / "o.sarif").exists()
