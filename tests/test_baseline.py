"""--baseline / --only-new: fingerprints that survive line shifts and reformatting, baselineState, absent results."""

import json
import re
import shutil
import subprocess
import sys

import jsonschema
import pytest
from conftest import EXAMPLES, SARIF_SCHEMA, run_subprocess

from iacfilter.baseline import KEY

VALIDATOR = jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text()))


def assert_valid(doc):
    errors = list(VALIDATOR.iter_errors(doc))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


def shifted_csv(csv: str, by: int, extra: list[str] = (), drop: str | None = None) -> str:
    rows = csv.splitlines()
    out = [rows[0]]
    for row in rows[1:]:
        if drop and drop in row:
            continue
        out.append(re.sub(r"^([^,]+),(\d+),", lambda m: f"{m.group(1)},{int(m.group(2)) + by},", row))
    return "\n".join(out + list(extra)) + "\n"


@pytest.fixture
def repo(tmp_path):
    """A copy of the Ansible example and its GLITCH CSV."""
    root = tmp_path / "repo"
    shutil.copytree(EXAMPLES / "ansible", root)
    return root


def results(path):
    doc = json.loads(path.read_text())
    return doc, [r for run in doc["runs"] for r in run["results"]]


def filter_to(run_cli, repo, csv_name, out, *extra):
    res = run_cli("filter", repo / csv_name, "--source-root", repo, "-o", out, *extra)
    assert res.exit_code == 0, res.output
    return res


def test_line_shifts_and_reformatting_keep_findings_unchanged(run_cli, repo, tmp_path):
    filter_to(run_cli, repo, "glitch.csv", tmp_path / "old.sarif")
    site = repo / "playbooks" / "site.yml"
    lines = site.read_text().splitlines()
    # Two new lines on top, an unrelated line reformatted (indentation and spacing), one new secret.
    reformatted = [re.sub(r"^(\s*)hosts:\s+db$", r"\1hosts:      db", ln) for ln in lines]
    assert reformatted != lines
    site.write_text("# managed by the platform team\n---\n" + "\n".join(reformatted[1:]) + '\nadmin_password: "hunter2"\n')
    new_line = len(reformatted) + 2
    (repo / "glitch2.csv").write_text(shifted_csv(
        (repo / "glitch.csv").read_text(), 1,
        [f"playbooks/site.yml,{new_line},sec_hard_pass,Hard-coded password - x (CWE-259),admin_password: \"hunter2\""]))
    res = filter_to(run_cli, repo, "glitch2.csv", tmp_path / "new.sarif", "--baseline", tmp_path / "old.sarif")
    doc, found = results(tmp_path / "new.sarif")
    assert_valid(doc)
    states = [r["baselineState"] for r in found]
    assert states.count("new") == 1 and states.count("unchanged") == len(found) - 1
    new = next(r for r in found if r["baselineState"] == "new")
    assert new["locations"][0]["physicalLocation"]["region"]["startLine"] == new_line
    _, old = results(tmp_path / "old.sarif")
    assert sorted(r["partialFingerprints"][KEY] for r in old) == sorted(
        r["partialFingerprints"][KEY] for r in found if r["baselineState"] == "unchanged")
    assert doc["runs"][0]["properties"]["iacfilter"]["baseline"]["new"] == 1
    rows = len((repo / "glitch.csv").read_text().splitlines()) - 1
    assert f"1 new, {rows} unchanged, 0 updated, 0 absent" in res.output

    only = tmp_path / "only.sarif"
    filter_to(run_cli, repo, "glitch2.csv", only, "--baseline", tmp_path / "old.sarif", "--only-new")
    _, found = results(only)
    assert [r["baselineState"] for r in found] == ["new"]
    table = run_cli("filter", repo / "glitch2.csv", "--source-root", repo, "--baseline", tmp_path / "old.sarif",
                    "--only-new", "--format", "json", "-q")
    assert [(r["path"], r["line"]) for r in json.loads(table.stdout)] == [("playbooks/site.yml", new_line)]


def test_verdict_changes_are_updated_and_gone_findings_absent(run_cli, repo, tmp_path):
    filter_to(run_cli, repo, "glitch.csv", tmp_path / "old.sarif")
    # A stricter threshold changes some verdicts; the TODO comment finding is fixed (gone from the CSV).
    (repo / "glitch2.csv").write_text(shifted_csv((repo / "glitch.csv").read_text(), 0, drop="# TODO"))
    _, first = results(tmp_path / "old.sarif")  # a threshold just above the lowest kept score flips that one
    kept = [r["properties"]["iacfilter"]["score"] for r in first if r["properties"]["iacfilter"]["verdict"] == "kept"]
    filter_to(run_cli, repo, "glitch2.csv", tmp_path / "new.sarif", "--baseline", tmp_path / "old.sarif",
              "--threshold", str(round(min(kept) + 0.0001, 4)))
    doc, found = results(tmp_path / "new.sarif")
    assert_valid(doc)
    _, old = results(tmp_path / "old.sarif")
    before = {r["partialFingerprints"][KEY]: r["properties"]["iacfilter"]["verdict"] for r in old}
    for r in found:
        if r["baselineState"] in ("unchanged", "updated"):
            changed = before[r["partialFingerprints"][KEY]] != r["properties"]["iacfilter"]["verdict"]
            assert (r["baselineState"] == "updated") == changed
    assert any(r["baselineState"] == "updated" for r in found)
    absent = [r for r in found if r["baselineState"] == "absent"]
    assert len(absent) == 1 and "TODO" in absent[0]["locations"][0]["physicalLocation"]["region"]["snippet"]["text"]
    assert "ruleIndex" not in absent[0]
    # Drop mode (for upload) never lists absent results: code scanning would show them as open alerts.
    filter_to(run_cli, repo, "glitch2.csv", tmp_path / "drop.sarif", "--baseline", tmp_path / "old.sarif",
              "--mode", "drop")
    doc, found = results(tmp_path / "drop.sarif")
    assert not any(r["baselineState"] == "absent" for r in found)
    assert doc["runs"][0]["properties"]["iacfilter"]["baseline"]["absent"] == 1


def test_sarif_input_keeps_its_fingerprints_and_gains_ours(run_cli, repo, tmp_path):
    filter_to(run_cli, repo, "glitch.csv", tmp_path / "first.sarif")
    doc = json.loads((tmp_path / "first.sarif").read_text())
    for i, r in enumerate(doc["runs"][0]["results"]):
        r["partialFingerprints"] = {"theirs/v1": f"x{i}"}
        r["locations"][0]["physicalLocation"]["region"].pop("snippet")  # ours then comes from the source line
    (repo / "input.sarif").write_text(json.dumps(doc))
    filter_to(run_cli, repo, "input.sarif", tmp_path / "out.sarif")
    _, found = results(tmp_path / "out.sarif")
    assert [r["partialFingerprints"]["theirs/v1"] for r in found] == [f"x{i}" for i in range(len(found))]
    assert all(re.fullmatch(r"[0-9a-f]{32}:\d+", r["partialFingerprints"][KEY]) for r in found)
    # Built from the flagged source line when the result has no snippet: survives a shift of the file too.
    site = repo / "playbooks" / "site.yml"
    site.write_text("# header\n" + site.read_text())
    for r in doc["runs"][0]["results"]:
        r["locations"][0]["physicalLocation"]["region"]["startLine"] += 1
    (repo / "input2.sarif").write_text(json.dumps(doc))
    filter_to(run_cli, repo, "input2.sarif", tmp_path / "out2.sarif", "--baseline", tmp_path / "out.sarif")
    _, found2 = results(tmp_path / "out2.sarif")
    assert {r["baselineState"] for r in found2} == {"unchanged"}


def test_the_same_code_twice_gets_two_fingerprints(run_cli, tmp_path):
    (tmp_path / "a.pp").write_text("$password = 'hunter2'\n$x = 1\n$password = 'hunter2'\n")
    row = "a.pp,{},sec_hard_pass,Hard-coded password - x (CWE-259),$password = 'hunter2'"
    (tmp_path / "g.csv").write_text("PATH,LINE,ERROR,DESCRIPTION,CODE\n" + row.format(1) + "\n" + row.format(3) + "\n")
    out = tmp_path / "o.sarif"
    assert run_cli("filter", tmp_path / "g.csv", "--source-root", tmp_path, "-o", out).exit_code == 0
    prints = [r["partialFingerprints"][KEY] for r in results(out)[1]]
    assert prints[0].split(":")[0] == prints[1].split(":")[0] and [p[-2:] for p in prints] == [":1", ":2"]
    # Baseline with one of them: one unchanged, one new.
    (tmp_path / "g1.csv").write_text("PATH,LINE,ERROR,DESCRIPTION,CODE\n" + row.format(1) + "\n")
    assert run_cli("filter", tmp_path / "g1.csv", "--source-root", tmp_path, "-o", tmp_path / "b.sarif").exit_code == 0
    assert run_cli("filter", tmp_path / "g.csv", "--source-root", tmp_path, "--baseline", tmp_path / "b.sarif",
                   "-o", out).exit_code == 0
    assert [r["baselineState"] for r in results(out)[1]] == ["unchanged", "new"]


def test_bad_baseline_and_only_new_alone_are_one_line_errors(repo, tmp_path):
    res = run_subprocess("filter", repo / "glitch.csv", "--source-root", repo, "--only-new", "-o", tmp_path / "o")
    assert res.returncode == 2 and "--only-new needs --baseline" in res.stderr and not (tmp_path / "o").exists()
    res = run_subprocess("filter", repo / "glitch.csv", "--source-root", repo, "--baseline", repo / "glitch.csv",
                             "-o", tmp_path / "o")
    assert res.returncode == 2 and "a baseline must be SARIF" in res.stderr and "Traceback" not in res.stderr
    (tmp_path / "broken.sarif").write_text('{"version": "2.1.0", "runs": [')
    res = run_subprocess("filter", repo / "glitch.csv", "--source-root", repo, "--baseline", tmp_path / "broken.sarif",
                             "-o", tmp_path / "o")
    assert res.returncode == 2 and res.stderr.count("\n") == 1 and "broken.sarif" in res.stderr


@pytest.mark.skipif(not shutil.which("glitch") or not shutil.which("git"), reason="needs GLITCH and git "
                    "(bash ../shared/glitch/install/install.sh installs GLITCH)")
def test_with_real_glitch_across_git_commits(tmp_path):
    """A user's loop: scan, commit, edit (lines move), scan again against the last output: only the new one."""
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLES / "ansible" / "playbooks", repo)
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run(git[:3] + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "."], check=True)
    subprocess.run(git + ["commit", "-qm", "one"], check=True)
    iacfilter = [sys.executable, "-m", "iacfilter"]
    first = subprocess.run(iacfilter + ["scan", str(repo), "--tech", "ansible", "-q", "-o", str(tmp_path / "old.sarif")],
                           capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    site = repo / "site.yml"
    site.write_text("---\n# owned by the platform team\n\n" + site.read_text().removeprefix("---\n").replace(
        "  become: true", "  become:   true") + "\n- hosts: cache\n  vars:\n    redis_password: \"s3cr3t-redis\"\n")
    subprocess.run(git + ["commit", "-qam", "two"], check=True)
    second = subprocess.run(iacfilter + ["scan", str(repo), "--tech", "ansible", "--baseline", str(tmp_path / "old.sarif"),
                                         "-o", str(tmp_path / "new.sarif")], capture_output=True, text=True)
    assert second.returncode == 0, second.stderr
    _, found = results(tmp_path / "new.sarif")
    new = [r for r in found if r["baselineState"] == "new"]
    assert [r["locations"][0]["physicalLocation"]["region"].get("snippet", {}).get("text", "") for r in new] \
        and all("redis_password" in r["locations"][0]["physicalLocation"]["region"]["snippet"]["text"] for r in new)
    assert {r["baselineState"] for r in found} <= {"new", "unchanged"}
    assert sum(r["baselineState"] == "unchanged" for r in found) == len(results(tmp_path / "old.sarif")[1])
