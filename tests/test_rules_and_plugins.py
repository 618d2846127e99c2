import json

import pytest
from conftest import GLITCH, needs_shared, run_subprocess, shared

from iacfilter.errors import IacfilterError
from iacfilter.rules import load_rules_map, parse_rules_file

GENERIC = ["sec_https", "sec_susp_comm", "sec_def_admin", "sec_empty_pass", "sec_weak_crypt", "sec_hard_secr",
           "sec_hard_pass", "sec_hard_user", "sec_invalid_bind", "sec_no_int_check", "sec_no_default_switch",
           "sec_full_permission_filesystem", "sec_obsolete_command"]


def assert_mapped(rules, codes):
    for code in codes:
        rule = rules.lookup("GLITCH", code)
        assert rule is not None, code
        assert rule.cwe and 0 <= rule.security_severity <= 10 and rule.help


def test_every_glitch_security_code_is_mapped():
    rules = load_rules_map()
    assert_mapped(rules, GENERIC)
    ids = [r.id for r in rules.rules]
    assert len(ids) == len(set(ids))


@needs_shared("glitch", "outputs")
def test_every_security_code_in_real_glitch_output_is_mapped():
    seen_in_outputs = {row.split(",")[2] for p in GLITCH.rglob("*.csv") for row in p.read_text().splitlines()[1:]
                       if row.split(",")[2].startswith("sec_")}
    assert len(seen_in_outputs) >= 10
    assert_mapped(load_rules_map(), sorted(seen_in_outputs))


def test_dataset_smell_names_are_the_canonical_ones():
    rules = load_rules_map()
    smells = {json.loads(line)["smell"] for line in shared("data", "glitch-findings", "val.jsonl").open()}
    assert smells <= {r.smell for r in rules.rules}
    assert rules.lookup("glitch", "hard_coded_secret").code == "sec_hard_secr"  # alias, any case
    assert rules.lookup("GLITCH", "IAC-USE-OF-HTTP").code == "sec_https"  # our own stable id, read back


def test_rules_map_is_validated_on_load():
    with pytest.raises(IacfilterError, match="invalid at rules/0"):
        parse_rules_file("bad.yaml", "tool: X\nrules:\n  - code: a\n    id: A\n")


def test_plugins_command_lists_builtins_loaded_through_entry_points():
    out = run_subprocess("plugins", "--json")
    assert out.returncode == 0, out.stderr
    items = {(i["name"], i["kind"]): i["module"] for i in json.loads(out.stdout)}
    assert items[("glitch-csv", "reader")] == "iacfilter_plugins.glitch.readers"
    assert items[("sarif", "reader")] == "iacfilter_plugins.sarif.reader"
    for tech in ("ansible", "chef", "puppet"):
        assert items[(tech, "technology")] == f"iacfilter_plugins.iac.{tech}"
    assert items[("keyword-test", "scorer")] == "keyword_scorer"
    assert items[("glitch", "scanner")] == "iacfilter_plugins.glitch.readers"
    assert items[("checkov", "scanner")] == items[("checkov", "rules map")] == "iacfilter_plugins.checkov"


def test_load_plugins_env_restricts_entry_points(monkeypatch):
    import subprocess
    import sys
    env = {**__import__("os").environ, "IACFILTER_LOAD_PLUGINS": "sarif,puppet"}
    out = subprocess.run([sys.executable, "-m", "iacfilter", "plugins"], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    rows = [line.split()[:3] for line in out.stdout.splitlines()[1:]]
    assert [(plugin, name) for plugin, name, kind in rows if kind != "rules"] == [("puppet", "puppet"), ("sarif", "sarif")]
    # the SARIF plugin ships the rules maps of the IaC scanners that write SARIF and iacfilter does not run
    assert [name for plugin, name, kind in rows if kind == "rules"] == ["kics", "semgrep", "trivy"]


def test_rules_command_prints_the_map(run_cli):
    out = run_cli("rules")
    assert out.exit_code == 0 and "sec_hard_secr" in out.output and "IAC-HARD-CODED-SECRET" in out.output
