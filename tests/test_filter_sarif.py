import json

import jsonschema
import pytest
from conftest import EXAMPLES, GLITCH, SARIF_SCHEMA, make_champion, needs_shared, run_subprocess

SCHEMA = json.loads(SARIF_SCHEMA.read_text())
VALIDATOR = jsonschema.Draft4Validator(SCHEMA)


def assert_valid(doc):
    errors = sorted(VALIDATOR.iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


def filter_example(run_cli, champion, tmp_path, tech="ansible", *extra):
    out = tmp_path / f"{tech}.sarif"
    res = run_cli("filter", EXAMPLES / tech / "glitch.csv", "--source-root", EXAMPLES / tech,
                  "--model", champion, "-o", out, *extra)
    assert res.exit_code == 0, res.output
    return json.loads(out.read_text()), res


@pytest.mark.parametrize("tech", ["ansible", "chef", "puppet"])
@pytest.mark.parametrize("mode", ["annotate", "drop"])
def test_examples_give_schema_valid_sarif_in_both_modes(run_cli, champion, tmp_path, tech, mode):
    doc, _ = filter_example(run_cli, champion, tmp_path, tech, "--mode", mode)
    assert_valid(doc)
    [run] = doc["runs"]
    assert run["tool"]["driver"]["name"] == "GLITCH"
    assert run["conversion"]["tool"]["driver"]["name"] == "iacfilter"
    assert run["automationDetails"]["id"].endswith("/")
    rows = [r for r in (EXAMPLES / tech / "glitch.csv").read_text().splitlines()[1:] if r]
    verdicts = [r["properties"]["iacfilter"]["verdict"] for r in run["results"]]
    counts = run["properties"]["iacfilter"]["counts"]
    assert sum(counts.values()) == len(rows)
    if mode == "annotate":
        assert len(run["results"]) == len(rows)
        for r in run["results"]:
            filtered = r["properties"]["iacfilter"]["verdict"] == "filtered"
            assert r["suppressions"] == ([] if not filtered else [
                {"kind": "external", "status": "accepted", "justification": r["suppressions"][0]["justification"],
                 "properties": {"source": "iacfilter"}}])
    else:
        assert "filtered" not in verdicts and len(run["results"]) == len(rows) - counts.get("filtered", 0)
    for r in run["results"]:
        rule = run["tool"]["driver"]["rules"][r["ruleIndex"]]
        assert rule["id"] == r["ruleId"]


def test_decisions_on_the_ansible_example(run_cli, champion, tmp_path):
    doc, res = filter_example(run_cli, champion, tmp_path)
    by_line = {(r["locations"][0]["physicalLocation"]["region"]["startLine"], r["ruleId"]): r["properties"]["iacfilter"]
               for r in doc["runs"][0]["results"]}
    assert by_line[(34, "IAC-SUSPICIOUS-COMMENT")]["verdict"] == "filtered"  # "todo items" in prose
    assert by_line[(34, "IAC-SUSPICIOUS-COMMENT")]["score"] == 0.3
    assert by_line[(8, "IAC-HARD-CODED-PASSWORD")]["verdict"] == "kept"
    assert by_line[(18, "IAC-NO-INTEGRITY-CHECK")]["verdict"] == "not-scored"  # smell the model was not trained on
    rule = next(r for r in doc["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "IAC-HARD-CODED-PASSWORD")
    assert rule["properties"]["security-severity"] == "7.5"
    assert "external/cwe/cwe-259" in rule["properties"]["tags"]
    assert "findings in" in res.stderr and "hard_coded_secret" in res.stderr


def test_run_summary_adds_up_names_the_verdicts_as_the_sarif_does_and_says_where_the_output_went(run_cli, champion,
                                                                                                   tmp_path):
    from iacfilter.findings import FILTERED, VERDICTS

    doc, res = filter_example(run_cli, champion, tmp_path, "chef")
    counts = doc["runs"][0]["properties"]["iacfilter"]["counts"]
    assert set(counts) <= set(VERDICTS) and len(set(counts) - {FILTERED}) >= 2  # kept and another keeping verdict
    lines = res.stderr.splitlines()
    total, reported = sum(counts.values()), sum(n for v, n in counts.items() if v != FILTERED)
    kept_as = ", ".join(f"{counts[v]} {v}" for v in VERDICTS if v != FILTERED and counts.get(v))
    assert lines[0].startswith(f"iacfilter: {total} findings in, {reported} reported ({kept_as}), "
                               f"{counts.get(FILTERED, 0)} filtered (model ")
    header = next(line for line in lines if line.split()[:2] == ["smell", "in"]).split()
    assert header == ["smell", "in", *VERDICTS]
    totals = next(line for line in lines if line.split()[0] == "total").split()[1:]
    assert [int(n) for n in totals] == [total, *(counts.get(v, 0) for v in VERDICTS)]
    assert lines[-1] == f"iacfilter: wrote {tmp_path / 'chef.sarif'}"
    res = run_cli("filter", EXAMPLES / "chef" / "glitch.csv", "--source-root", EXAMPLES / "chef", "--model", champion)
    assert "wrote" not in res.stderr  # standard output: nothing to name


@needs_shared("glitch", "outputs", "puppet-security.csv")
def test_same_input_gives_byte_identical_output(run_cli, champion, tmp_path):
    outs = []
    for i in range(2):
        out = tmp_path / f"o{i}.sarif"
        run_cli("filter", GLITCH / "outputs" / "puppet-security.csv", EXAMPLES / "chef" / "glitch.csv",
                "--source-root", GLITCH / "corpus" / "puppet", "--model", champion, "-o", out)
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] and len(outs[0]) > 1000
    doc = json.loads(outs[0])
    assert_valid(doc)
    assert len(doc["runs"]) == 2 and len({r["automationDetails"]["id"] for r in doc["runs"]}) == 2


@needs_shared("glitch", "corpus", "puppet")
def test_real_corpus_is_scored_from_source(run_cli, champion, tmp_path):
    out = tmp_path / "o.json"
    res = run_cli("filter", GLITCH / "outputs" / "puppet-security.csv", "--source-root", GLITCH / "corpus" / "puppet",
                  "--model", champion, "--format", "json", "-o", out)
    assert res.exit_code == 0
    records = json.loads(out.read_text())
    assert len(records) == 45
    scored = [r for r in records if r["verdict"] in ("kept", "filtered")]
    assert len(scored) > 30 and all(r["score"] is not None for r in scored)


def test_sarif_input_round_trip_is_annotated_not_rewritten(run_cli, champion, tmp_path):
    first, _ = filter_example(run_cli, champion, tmp_path, "puppet")
    src = tmp_path / "in.sarif"
    first["runs"][0]["results"][0]["suppressions"] = [{"kind": "inSource"}]
    first["runs"][0]["results"][0]["properties"]["other"] = 1
    src.write_text(json.dumps(first))
    out = tmp_path / "again.sarif"
    res = run_cli("filter", src, "--source-root", EXAMPLES / "puppet", "--model", champion, "-o", out,
                  "--threshold", "0.95")
    assert res.exit_code == 0, res.output
    again = json.loads(out.read_text())
    assert_valid(again)
    before, after = first["runs"][0], again["runs"][0]
    assert after["tool"] == before["tool"] and len(after["results"]) == len(before["results"])
    assert after["results"][0]["properties"]["other"] == 1
    assert after["results"][0]["suppressions"][0] == {"kind": "inSource"}
    for b, a in zip(before["results"], after["results"]):
        assert (a["ruleId"], a["locations"], a["partialFingerprints"]) == (b["ruleId"], b["locations"], b["partialFingerprints"])
        ours = [s for s in a["suppressions"] if s.get("properties", {}).get("source") == "iacfilter"]
        assert len(ours) == (a["properties"]["iacfilter"]["verdict"] == "filtered")
        if a["properties"]["iacfilter"]["verdict"] in ("kept", "filtered"):
            assert a["properties"]["iacfilter"]["threshold"] == 0.95


def test_threshold_is_applied_exactly(run_cli, tmp_path):
    champion = make_champion(tmp_path / "c", threshold=0.5)
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.yml").write_text("password: EXACT\npassword: {{ x }}\n")
    csv = tmp_path / "g.csv"
    csv.write_text("PATH,LINE,ERROR,DESCRIPTION,CODE\na.yml,1,sec_hard_pass,-,password: EXACT\n"
                   "a.yml,2,sec_hard_pass,-,password: {{ x }}\n")
    out = tmp_path / "o.json"
    assert run_cli("filter", csv, "--source-root", src, "--model", champion, "--format", "json", "-o", out).exit_code == 0
    exact, below = json.loads(out.read_text())
    assert (exact["score"], exact["verdict"]) == (0.5, "kept")  # p == threshold is kept
    assert (below["score"], below["verdict"]) == (0.1, "filtered")
    run_cli("filter", csv, "--source-root", src, "--model", champion, "--format", "json", "-o", out,
            "--threshold", "0.51")
    assert [r["verdict"] for r in json.loads(out.read_text())] == ["filtered", "filtered"]


def test_scorer_failure_keeps_findings_unscored_and_says_so(tmp_path):
    champion = make_champion(tmp_path / "c")
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.pp").write_text("$p = 'RAISE-IN-SCORER'\n$q = 'x'\n# TODO: fix\n")
    csv = tmp_path / "g.csv"
    csv.write_text("PATH,LINE,ERROR\na.pp,1,sec_hard_pass\na.pp,2,sec_hard_pass\na.pp,3,sec_susp_comm\n"
                   "a.pp,9,sec_susp_comm\nzz.pp,1,sec_hard_pass\na.pp,-33550336,sec_hard_pass\nm.tf,1,sec_hard_pass\n")
    out = tmp_path / "o.json"
    res = run_subprocess("filter", csv, "--source-root", src, "--model", champion, "--format", "json", "-o", out,
                         "--batch-size", "2")
    assert res.returncode == 0, res.stderr
    verdicts = [r["verdict"] for r in json.loads(out.read_text())]
    assert verdicts == ["unscored", "unscored", "kept", "no-source", "no-source", "no-source", "not-scored"]
    assert "scoring failed for 2 finding(s), kept unscored: RuntimeError: scorer exploded" in res.stderr
    assert "2 finding(s) could not be scored and were kept" in res.stderr


def test_table_format_and_drop(run_cli, champion, tmp_path):
    out = tmp_path / "t.txt"
    run_cli("filter", EXAMPLES / "chef" / "glitch.csv", "--source-root", EXAMPLES / "chef", "--model", champion,
            "--format", "table", "--mode", "drop", "-o", out)
    lines = out.read_text().splitlines()
    assert lines[0].split() == ["VERDICT", "SCORE", "SMELL", "RULE", "TECH", "LOCATION", "REASON"]
    assert not any(line.startswith("filtered") for line in lines)
    assert any("recipes/default.rb:7" in line for line in lines)


def test_github_result_limit_is_a_clear_error_in_drop_mode(run_cli, champion, tmp_path, monkeypatch):
    monkeypatch.setattr("iacfilter.sarif.GITHUB_MAX_RESULTS_PER_RUN", 3)
    out = tmp_path / "o.sarif"
    args = ("filter", EXAMPLES / "chef" / "glitch.csv", "--source-root", EXAMPLES / "chef", "--model", champion, "-o", out)
    res = run_cli(*args, "--mode", "drop")
    assert res.exit_code == 2 and "GitHub code scanning accepts at most 3" in res.stderr and not out.exists()
    res = run_cli(*args)  # annotate: the audit copy is written, with a warning
    assert res.exit_code == 0 and "would reject" in res.stderr and out.exists()


def test_fail_on_findings_exit_code(run_cli, tmp_path):
    champion = make_champion(tmp_path / "c", keywords={"markers": {}, "default": 0.0})
    args = ("filter", EXAMPLES / "chef" / "glitch.csv", "--source-root", EXAMPLES / "chef", "--model", champion,
            "-o", tmp_path / "o.sarif", "--fail-on-findings")
    assert run_cli(*args).exit_code == 1  # not-scored smells are still reported
    only_scored = make_champion(tmp_path / "d", smells=("hard_coded_secret",), techs=("ansible",),
                                keywords={"markers": {}, "default": 0.0})
    csv = tmp_path / "g.csv"
    csv.write_text("PATH,LINE,ERROR\na.yml,1,sec_hard_pass\n")
    (tmp_path / "a.yml").write_text("password: x\n")
    res = run_cli("filter", csv, "--source-root", tmp_path, "--model", only_scored, "-o", tmp_path / "o.sarif",
                  "--fail-on-findings")
    assert res.exit_code == 0  # everything filtered: nothing left to fix


def test_output_to_a_device_writes_through_and_files_get_normal_permissions(run_cli, champion, tmp_path):
    import os
    import stat

    args = ("filter", EXAMPLES / "chef" / "glitch.csv", "--source-root", EXAMPLES / "chef", "--model", champion)
    assert run_cli(*args, "-o", os.devnull).exit_code == 0
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)  # not replaced by a regular file
    out = tmp_path / "o.sarif"
    assert run_cli(*args, "-o", out).exit_code == 0
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~mask
    out.chmod(0o640)
    assert run_cli(*args, "-o", out).exit_code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o640  # an existing file keeps its mode
