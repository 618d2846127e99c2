"""Learning from triage: label, triage in a real terminal (tmux), retrain on several datasets, eval the team's set."""

import json
import os
import shutil
import sys
import time
import uuid
import subprocess

import pytest
import yaml
from conftest import EXAMPLES, data_subset, run_subprocess

from iacfilter import plugins
from iacfilter.dataset import load_dataset
from iacfilter.findings import Finding
from iacfilter.sources import SourceRoot

ROOT = EXAMPLES / "ansible"


@pytest.fixture
def out(tmp_path):
    path = tmp_path / "out.sarif"
    res = run_subprocess("filter", ROOT / "glitch.csv", "--source-root", ROOT, "-q", "-o", path)
    assert res.returncode == 0, res.stderr
    return path


def filter_time_snippet(path, line, smell, tech="ansible"):
    finding = Finding(tool="t", rule="r", path=path, line=line, smell=smell, tech=tech)
    return plugins.technologies()[tech].snippet(finding, SourceRoot(ROOT))


def test_label_writes_a_row_that_trains_on_exactly_the_filters_snippet(tmp_path, out):
    team = tmp_path / "team.jsonl"
    res = run_subprocess("label", "playbooks/site.yml:8", "tp", "--smell", "hard_coded_secret", "--dataset", team,
                         "--source-root", ROOT)
    assert res.returncode == 0, res.stderr
    assert "labelled playbooks/site.yml:8 TP" in res.stderr
    [row] = [json.loads(line) for line in team.read_text().splitlines()]
    assert {k: row[k] for k in ("tech", "smell", "file", "line", "label")} == {
        "tech": "ansible", "smell": "hard_coded_secret", "file": "playbooks/site.yml", "line": 8, "label": "TP"}
    [example] = load_dataset(team)
    assert example.snippet.text == filter_time_snippet("playbooks/site.yml", 8, "hard_coded_secret").text
    # Relabelling replaces; the smell can come from the output; a line with two smells needs --smell.
    res = run_subprocess("label", "playbooks/site.yml:8", "fp", "--sarif", out, "--dataset", team, "--source-root", ROOT)
    assert res.returncode == 0 and "(was TP)" in res.stderr
    assert [json.loads(line)["label"] for line in team.read_text().splitlines()] == ["FP"]
    puppet, puppet_out = EXAMPLES / "puppet", tmp_path / "puppet.sarif"
    assert run_subprocess("filter", puppet / "glitch.csv", "--source-root", puppet, "-q", "-o",
                          puppet_out).returncode == 0
    res = run_subprocess("label", "manifests/init.pp:15", "fp", "--sarif", puppet_out, "--dataset", team,
                         "--source-root", puppet)
    assert res.returncode == 2 and "several smells here" in res.stderr  # admin by default, hard-coded user
    res = run_subprocess("label", "manifests/init.pp:15", "fp", "--sarif", puppet_out, "--smell", "hard_coded_secret",
                         "--dataset", team, "--source-root", puppet)
    assert res.returncode == 0, res.stderr
    assert len(load_dataset(team)) == 2


def test_label_refuses_what_it_cannot_build(tmp_path):
    team = tmp_path / "team.jsonl"
    for args, words in ((["../../etc/passwd:1", "tp", "--smell", "hard_coded_secret", "--tech", "ansible"], "outside the source root"),
                        (["playbooks/site.yml:999", "tp", "--smell", "hard_coded_secret"], "past the end"),
                        (["playbooks/site.yml:8", "tp", "--smell", "no_such_smell"], "unknown smell"),
                        (["playbooks/site.yml:8", "tp"], "give --smell"),
                        (["playbooks/site.yml", "tp", "--smell", "hard_coded_secret"], "expected PATH:LINE")):
        res = run_subprocess("label", *args, "--dataset", team, "--source-root", ROOT)
        assert res.returncode == 2 and words in res.stderr, (args, res.stderr)
        assert "Traceback" not in res.stderr
    assert not team.exists()


class Tmux:
    """A private tmux server (its own socket) running one command in a real terminal."""

    def __init__(self, command, cwd):
        self.base = ["tmux", "-L", f"iacfilter-test-{uuid.uuid4().hex[:8]}", "-f", "/dev/null"]
        subprocess.run(self.base + ["new-session", "-d", "-s", "t", "-x", "150", "-y", "50", "-c", str(cwd),
                                    f"{command}; echo TRIAGE-EXIT=$?; sleep 600"], check=True)

    def screen(self):
        return subprocess.run(self.base + ["capture-pane", "-p", "-J", "-S", "-2000", "-t", "t"],
                              capture_output=True, text=True).stdout

    def wait_for(self, text, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared; screen:\n{self.screen()}")

    def keys(self, *keys):
        subprocess.run(self.base + ["send-keys", "-t", "t", *keys], check=True)

    def close(self):
        subprocess.run(self.base + ["kill-server"], capture_output=True)


@pytest.mark.skipif(not shutil.which("tmux"), reason="needs tmux (Debian: apt-get install -y tmux)")
def test_triage_in_a_real_terminal_is_resumable(tmp_path, out):
    team = tmp_path / "team.jsonl"
    command = f"{sys.executable} -m iacfilter triage {out} --dataset {team} --source-root {ROOT}"
    total = len(json.loads(out.read_text())["runs"][0]["results"])
    term = Tmux(command, tmp_path)
    try:
        screen = term.wait_for("[t] true positive  [f] false positive  [s] skip  [q] quit")
        assert f"[1/{total}] playbooks/site.yml:8  hard_coded_secret" in screen
        assert ">>> replication_password:" in screen and "iacfilter said: kept" in screen
        term.keys("t")
        term.wait_for(f"[2/{total}]")
        term.keys("f")
        term.wait_for(f"[3/{total}]")
        term.keys("s")
        term.wait_for(f"[4/{total}]")
        term.keys("xq")  # typed ahead: x is not a key triage knows (asked again), then q
        screen = term.wait_for("TRIAGE-EXIT=0")
        assert "triage: 1 TP, 1 FP, 1 skipped" in screen
    finally:
        term.close()
    rows = [json.loads(line) for line in team.read_text().splitlines()]
    assert [(r["line"], r["label"]) for r in rows] == [(8, "TP"), (9, "FP")]
    assert all(r["label_source"] == "iacfilter triage" for r in rows)
    # Resumed: the two labelled findings are skipped, the skipped one is asked again; q at once.
    term = Tmux(command, tmp_path)
    try:
        screen = term.wait_for("[t] true positive")
        assert "2 finding(s) already labelled" in screen and f"[1/{total - 2}] playbooks/site.yml:10" in screen
        term.keys("f")
        term.wait_for(f"[2/{total - 2}]")
        term.keys("C-c")  # Ctrl-C quits cleanly, keeping what was written
        screen = term.wait_for("TRIAGE-EXIT=0")
    finally:
        term.close()
    assert len(team.read_text().splitlines()) == 3
    examples = load_dataset(team)
    assert examples[2].snippet.text == filter_time_snippet("playbooks/site.yml", 10, "use_of_http").text


def test_triage_from_a_pipe_and_retraining_on_several_datasets(tmp_path, out):
    team = tmp_path / "team.jsonl"
    res = subprocess.run([sys.executable, "-m", "iacfilter", "triage", str(out), "--dataset", str(team),
                          "--source-root", str(ROOT), "--only", "kept"], input="t f t t f t t t t", capture_output=True,
                         text=True)
    assert res.returncode == 0, res.stderr
    kept = sum(r["properties"]["iacfilter"]["verdict"] != "filtered" for r in json.loads(out.read_text())["runs"][0]["results"])
    assert len(team.read_text().splitlines()) == kept
    # The team's rows next to the shipped data: one trial config, a list of datasets.
    train, val = data_subset(tmp_path, 120, 60)
    config = {"name": "team", "backend": "features", "train": [str(train), str(team)], "val": str(val),
              "params": {"bits": 12}}
    (tmp_path / "trial.yaml").write_text(yaml.safe_dump(config))
    res = run_subprocess("train", "--config", tmp_path / "trial.yaml", "--out", tmp_path / "trial")
    assert res.returncode == 0, res.stderr
    metrics = json.loads((tmp_path / "trial" / "metrics.json").read_text())
    assert metrics["n_train"] == 120 + kept
    assert len(metrics["data"]["train"]) == 2 and all(f.startswith("sha256:") for f in metrics["data"]["train"])
    # eval reports on the team's own set.
    res = run_subprocess("eval", team, "--json")
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["n"] == kept and report["dataset"].endswith("team.jsonl") and 0 <= report["f1"] <= 1
