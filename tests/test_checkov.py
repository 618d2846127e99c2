"""``iacfilter scan --scanner checkov`` against the real checkov, run as a program from its own environment (.ci/run
installs it in a venv of its own and puts it on PATH; IACFILTER_CHECKOV names it elsewhere). About 10 s a run."""

import json
import os
import shutil
import subprocess

import pytest
from conftest import EXAMPLES, GLITCH, run_subprocess

CHECKOV = os.environ.get("IACFILTER_CHECKOV") or shutil.which("checkov")
needs_checkov = pytest.mark.skipif(CHECKOV is None or shutil.which(CHECKOV) is None,
                                   reason="checkov is not installed: python3 -m venv V && V/bin/pip install checkov, "
                                          "then put V/bin on PATH or set IACFILTER_CHECKOV (.ci/run does it)")
CORPUS = GLITCH / "corpus" / "ansible"


def env():
    return {**os.environ, "IACFILTER_CHECKOV": CHECKOV}


def locations(run):
    return sorted((r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                   r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in run["results"])


@needs_checkov
@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared GLITCH corpus (../shared/glitch/corpus) is not here")
def test_checkov_on_a_real_checkout_reports_what_checkov_finds(tmp_path):
    """openstack-ansible's playbooks and roles: every result checkov itself reports comes out, annotated."""
    root = tmp_path / "checkout"
    shutil.copytree(CORPUS, root)
    plain = tmp_path / "plain"
    subprocess.run([CHECKOV, "-d", ".", "--framework", "ansible", "secrets", "--skip-download", "--soft-fail",
                    "-o", "sarif", "--output-file-path", str(plain)], cwd=root, capture_output=True, timeout=600,
                   check=True)
    expected = locations(json.loads((plain / "results_sarif.sarif").read_text())["runs"][0])
    assert expected  # the corpus has real checkov findings
    out = tmp_path / "o.sarif"
    res = run_subprocess("scan", root, "--scanner", "checkov", "--tech", "ansible", "-o", out, env=env())
    assert res.returncode == 0, res.stderr
    files = sum(1 for p in root.rglob("*") if p.suffix in (".yml", ".yaml"))
    assert f"iacfilter: checkov analysed {files} of {files} ansible files" in res.stderr
    run = json.loads(out.read_text())["runs"][0]
    assert locations(run) == expected
    assert run["invocations"][-1] == {"executionSuccessful": True, "toolExecutionNotifications": []}
    assert all(r["properties"]["iacfilter"]["verdict"] for r in run["results"])


@needs_checkov
def test_a_file_checkov_cannot_parse_is_not_scanned_and_secrets_are_scored(tmp_path, champion):
    root = tmp_path / "repo"
    shutil.copytree(EXAMPLES / "ansible" / "playbooks", root / "playbooks")
    (root / "playbooks" / "deploy.yml").write_text(
        "- hosts: web\n  vars:\n    github_token: ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5\n  tasks:\n"
        "    - name: ping\n      ping:\n")
    (root / "main.tf").write_text('resource "aws_s3_bucket" "b" {\n  bucket = "x"\n')  # unclosed: no parse
    out = tmp_path / "o.json"
    res = run_subprocess("scan", root, "--scanner", "checkov", "--model", champion, "--format", "json", "-o", out,
                         env=env())
    assert res.returncode == 2 and "iacfilter: warning: not scanned: main.tf: checkov could not parse it" in res.stderr
    assert "1 of " in res.stderr and "--allow-unscanned accepts that" in res.stderr
    sarif = tmp_path / "o.sarif"
    res = run_subprocess("scan", root, "--scanner", "checkov", "--model", champion, "--allow-unscanned", "-o", sarif,
                         env=env())
    assert res.returncode == 0, res.stderr
    run = json.loads(sarif.read_text())["runs"][0]
    invocation = run["invocations"][-1]
    assert invocation["executionSuccessful"] is False
    assert [(n["level"], n["message"]["text"]) for n in invocation["toolExecutionNotifications"]] == [
        ("error", "not scanned: checkov could not parse it")]
    secrets = [r for r in run["results"] if r["ruleId"] == "CKV_SECRET_6"]
    assert secrets and all(r["properties"]["iacfilter"]["score"] is not None for r in secrets)


def test_scan_without_checkov_says_how_to_install_it(tmp_path):
    (tmp_path / "main.tf").write_text("x = 1\n")
    res = run_subprocess("scan", tmp_path, "--scanner", "checkov",
                         env={**os.environ, "IACFILTER_CHECKOV": str(tmp_path / "nowhere" / "checkov")})
    assert res.returncode == 2 and "checkov is not installed" in res.stderr and res.stderr.count("\n") == 1


def test_an_unknown_scanner_is_a_one_line_error(tmp_path):
    res = run_subprocess("scan", tmp_path, "--scanner", "kics")
    assert res.returncode == 2 and "no such scanner (installed: checkov, glitch)" in res.stderr
    assert res.stderr.count("\n") == 1
