"""Every security smell GLITCH raises on the shared corpus is judged by the default, and the real-repository
labels (datasets/iac-real) are well formed and name findings GLITCH really wrote."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter

import pytest
from conftest import GLITCH, REPO, run_subprocess

LABELS = REPO / "datasets" / "iac-real" / "labels.csv"


def test_labels_are_complete_rows_with_a_written_reason():
    rows = list(csv.DictReader(io.StringIO(LABELS.read_text(encoding="utf-8"))))
    assert len(rows) >= 500
    assert {r["label"] for r in rows} == {"TP", "FP"}
    assert all(r["reason"].strip() and r["line"].lstrip("-").isdigit() for r in rows)
    keys = [(r["source"], r["path"], r["line"], r["rule"]) for r in rows]
    assert len(keys) == len(set(keys))
    assert {r["source"] for r in rows} >= {"corpus-ansible", "corpus-chef", "corpus-puppet"}


@pytest.mark.skipif(not (GLITCH / "outputs").is_dir(), reason="needs ../shared/glitch")
def test_corpus_labels_name_findings_of_glitchs_real_output():
    rows = [r for r in csv.DictReader(io.StringIO(LABELS.read_text(encoding="utf-8"))) if r["source"].startswith("corpus-")]
    written = set()
    for tech in ("ansible", "chef", "puppet"):
        for line in (GLITCH / "outputs" / f"{tech}-security.csv").read_text().splitlines()[1:]:
            path, number, code = line.split(",", 4)[:3]
            written.add((f"corpus-{tech}", path, number, code))
    assert {(r["source"], r["path"], r["line"], r["rule"]) for r in rows} == written  # every finding, labelled


@pytest.mark.skipif(not (GLITCH / "outputs").is_dir(), reason="needs ../shared/glitch")
@pytest.mark.parametrize("tech", ["ansible", "puppet", "chef"])
def test_the_default_judges_every_finding_glitch_raises_on_the_corpus(tech, tmp_path):
    out = tmp_path / "o.json"
    res = run_subprocess("filter", GLITCH / "outputs" / f"{tech}-security.csv", "--source-root",
                         GLITCH / "corpus" / tech, "--format", "json", "-q", "-o", out)
    assert res.returncode == 0, res.stderr
    rows = json.loads(out.read_text())
    verdicts = Counter(r["verdict"] for r in rows)
    assert verdicts["not-scored"] <= 0.05 * len(rows), verdicts
    if tech == "ansible":  # the blanks of a secrets template a generator fills: all filtered
        blanks = [r for r in rows if r["path"].endswith("etc/openstack_deploy/user_secrets.yml")]
        assert len(blanks) == 97 and {r["verdict"] for r in blanks} == {"filtered"}


def test_plugins_says_which_smells_the_default_judges_and_which_it_passes_through():
    res = run_subprocess("plugins", "--json")
    assert res.returncode == 0, res.stderr
    default = next(i for i in json.loads(res.stdout) if i["name"] == "features-default")
    assert {"empty_password", "admin_by_default", "invalid_ip_address_binding", "no_integrity_check",
            "missing_default_case", "hard_coded_secret"} <= set(default["smells"])
    assert default["passes_through"] == ["full_permission_filesystem", "obsolete_command"]
    table = run_subprocess("plugins").stdout
    assert "not judged: full_permission_filesystem, obsolete_command" in table


def test_the_summary_says_up_front_which_smells_no_model_judged(tmp_path):
    (tmp_path / "site.pp").write_text("$p = 'hunter2hunter2'\nfile { '/srv/x': mode => '0777' }\n")
    (tmp_path / "g.csv").write_text("PATH,LINE,ERROR,DESCRIPTION,CODE\n"
                                    "site.pp,2,sec_full_permission_filesystem,Full permission - x (CWE-732),mode\n"
                                    "site.pp,1,sec_hard_pass,Hard-coded password - x (CWE-259),$p = x\n")
    res = run_subprocess("filter", tmp_path / "g.csv", "--source-root", tmp_path, "-o", tmp_path / "o.sarif")
    assert res.returncode == 0, res.stderr
    lines = res.stderr.splitlines()
    assert lines[1] == "iacfilter: not judged, passed through untouched: full_permission_filesystem (puppet) x1"
