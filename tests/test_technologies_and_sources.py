import os

import pytest

from iacfilter import plugins
from iacfilter.decide import classify
from iacfilter.errors import IacfilterError
from iacfilter.findings import Finding
from iacfilter.rules import load_rules_map
from iacfilter.sources import SourceRoot


def finding(path, rule="sec_hard_pass", line=1):
    return Finding(tool="GLITCH", rule=rule, path=path, line=line)


@pytest.mark.parametrize("path,tech", [("a/site.yml", "ansible"), ("b.YAML", "ansible"), ("recipes/x.rb", "chef"),
                                       ("manifests/init.pp", "puppet"), ("main.tf", "terraform"),
                                       (".github/workflows/ci.yml", "github-actions"),
                                       ("repo/.github/workflows/release.yaml", "github-actions"),
                                       (".github/actions/setup/action.yml", "github-actions"),
                                       ("roles/github/workflows/main.yml", "ansible"), ("x.txt", None)])
def test_each_technology_owns_its_file_types(path, tech):
    f = finding(path)
    classify([f], load_rules_map(), plugins.technologies(), None)
    assert f.tech == tech and f.smell == "hard_coded_secret"


def test_explicit_tech_wins_and_unknown_tech_is_an_error():
    f = finding("templates/x.erb")
    classify([f], load_rules_map(), plugins.technologies(), "chef")
    assert f.tech == "chef"
    with pytest.raises(IacfilterError, match="no such technology"):
        classify([f], load_rules_map(), plugins.technologies(), "cobol")


@pytest.mark.parametrize("tech", ["ansible", "chef", "puppet"])
def test_snippet_has_smell_flagged_line_and_context(tech, tmp_path):
    t = plugins.technologies()[tech]
    (tmp_path / "f").write_text("a\n\nb\n  password: x  \nc\n")
    f = finding("f")
    f.line, f.smell = 4, "hard_coded_secret"
    s = t.snippet(f, SourceRoot(tmp_path))
    assert s.text == f"{tech} hard coded secret\na\nb\n>>> password: x\nc"
    assert (s.tech, s.smell, s.line, s.before, s.after) == (tech, "hard_coded_secret", "password: x", ("a", "b"), ("c",))
    # a dataset row renders through the same layout
    row = {"tech": tech, "smell": "hard_coded_secret", "content": "  password: x  ", "context": "a\n\nb\n  password: x  \nc"}
    assert t.example(row) == s


def test_sources_are_confined_to_the_root(tmp_path):
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "ok.yml").write_text("x: 1\n")
    secret = tmp_path / "secret.yml"
    secret.write_text("password: hunter2\n")
    (root / "link-out.yml").symlink_to(secret)
    (root / "link-in.yml").symlink_to(root / "sub" / "ok.yml")
    src = SourceRoot(root)
    assert src.lines("sub/ok.yml") == (["x: 1"], "")
    assert src.lines("link-in.yml") == (["x: 1"], "")
    assert src.lines(str(root / "sub" / "ok.yml"))[0] == ["x: 1"]  # absolute, but inside
    for outside in ("../secret.yml", str(secret), "link-out.yml", "sub/../../secret.yml", "/etc/passwd"):
        lines, why = src.lines(outside)
        assert lines is None and "outside the source root" in why
    assert src.lines("sub/missing.yml") == (None, "file not found under the source root")


def test_outside_paths_are_never_opened(tmp_path, monkeypatch):
    root = tmp_path / "root"
    root.mkdir()
    opened = []
    real_read = type(root).read_bytes
    monkeypatch.setattr(type(root), "read_bytes", lambda self: opened.append(self) or real_read(self))
    SourceRoot(root).lines("../../etc/passwd")
    assert opened == []


def test_unreadable_source_is_an_error(tmp_path, monkeypatch):
    (tmp_path / "a.yml").write_text("x")
    real_read = type(tmp_path).read_bytes

    def denied(self):
        if self.name == "a.yml":
            raise PermissionError(13, "Permission denied")
        return real_read(self)

    monkeypatch.setattr(type(tmp_path), "read_bytes", denied)
    with pytest.raises(IacfilterError, match="a.yml: cannot read source file: Permission denied"):
        SourceRoot(tmp_path).lines("a.yml")
    os.mkfifo(tmp_path / "fifo.yml")
    with pytest.raises(IacfilterError, match="not a regular file"):
        SourceRoot(tmp_path).lines("fifo.yml")


def test_ownership_of_yaml_does_not_depend_on_plugin_order():
    techs = plugins.technologies()
    for path, owner in ((".github/workflows/ci.yml", "github-actions"), ("site.yml", "ansible")):
        owners = [name for name, t in techs.items() if t.owns(finding(path))]
        assert owners == [owner], owners  # exactly one technology claims each path


TF = 'resource "aws_db_instance" "db" {\n  engine   = "mysql"\n  username = "admin"\n  password = "Sup3rS3cret!"\n}\n'
WORKFLOW = ("name: ci\non: [push]\njobs:\n  build:\n    runs-on: ubuntu-latest\n    env:\n"
            "      API_TOKEN: abcdef0123456789secret\n    steps:\n      - uses: actions/checkout@v4\n"
            "      # TODO: pin the action by digest\n      - run: curl http://downloads.acme.io/tool.sh | sh\n")
# What the real GLITCH 2.0 raised on the two files above (glitch lint --tech terraform / github-actions --csv).
GLITCH_TF_GHA = """PATH,LINE,ERROR,DESCRIPTION,CODE
main.tf,1,sec_key_management,Suggestion: check for a required attribute with name 'kms_key_id'.,db aws_db_instance
main.tf,3,sec_hard_user,Hard-coded user - Developers should not reveal sensitive information in the source code. (CWE-798),username = "admin"
main.tf,4,sec_hard_pass,Hard-coded password - Developers should not reveal sensitive information in the source code. (CWE-259),password = "Sup3rS3cret!"
.github/workflows/ci.yml,7,sec_hard_secr,Hard-coded secret - Developers should not reveal sensitive information in the source code. (CWE-798),API_TOKEN: abcdef0123456789secret
.github/workflows/ci.yml,10,sec_susp_comm,Suspicious comment - Comments with keywords such as TODO HACK or FIXME may reveal problems possibly exploitable. (CWE-546),# TODO: pin the action by digest
"""


def write_tf_and_workflow(root):
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / "main.tf").write_text(TF)
    (root / ".github" / "workflows" / "ci.yml").write_text(WORKFLOW)


def test_terraform_and_workflow_findings_are_owned_mapped_and_explained(run_cli, tmp_path):
    write_tf_and_workflow(tmp_path)
    (tmp_path / "glitch.csv").write_text(GLITCH_TF_GHA)
    out = tmp_path / "o.json"
    res = run_cli("filter", tmp_path / "glitch.csv", "--source-root", tmp_path, "--format", "json", "-o", out)
    assert res.exit_code == 0, res.output
    import json

    records = json.loads(out.read_text())
    assert [(r["path"], r["verdict"]) for r in records] == [
        ("main.tf", "not-scored"), ("main.tf", "not-scored"), ("main.tf", "not-scored"),
        (".github/workflows/ci.yml", "not-scored"), (".github/workflows/ci.yml", "not-scored")]
    assert records[0]["reason"] == "no installed model covers key_management in terraform"
    assert records[2]["reason"] == "no installed model covers hard_coded_secret in terraform"
    assert records[3]["reason"] == "no installed model covers hard_coded_secret in github-actions"
    tech = plugins.technologies()["terraform"]
    f = finding("main.tf", line=4)
    f.smell = "hard_coded_secret"
    assert tech.snippet(f, SourceRoot(tmp_path)).line == 'password = "Sup3rS3cret!"'


@pytest.mark.skipif(not __import__("shutil").which("glitch"), reason="GLITCH is not installed")
def test_real_glitch_terraform_and_workflow_findings_are_owned(tmp_path):
    """About 10 s: GLITCH 2.x on a Terraform file and a workflow; every finding is owned by the right plugin."""
    import csv
    import io
    import subprocess

    write_tf_and_workflow(tmp_path)
    techs = plugins.technologies()
    for tech, target in (("terraform", "main.tf"), ("github-actions", ".github/workflows/ci.yml")):
        subprocess.run(["glitch", "lint", "--tech", tech, "--csv", "--smell-types", "security", target, "out.csv"],
                       cwd=tmp_path, capture_output=True, timeout=300)
        rows = list(csv.DictReader(io.StringIO((tmp_path / "out.csv").read_text())))
        assert rows, f"GLITCH raised nothing on {target}"
        findings = [Finding(tool="GLITCH", rule=r["ERROR"], path=r["PATH"], line=int(r["LINE"])) for r in rows]
        classify(findings, load_rules_map(), techs, None)
        assert {f.tech for f in findings} == {tech} and all(f.smell for f in findings)


def sarif_result(rule, path, start, end):
    return {"ruleId": rule, "message": {"text": rule},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": path},
                                                "region": {"startLine": start, "endLine": end}}}]}


TASK = ("- hosts: web\n  tasks:\n    - name: Fetch the key\n      get_url:\n"
        "        url: http://packages.acme.io/key.asc\n        dest: /tmp/key.asc\n")


CHECKOV_RUN = {"tool": {"driver": {"name": "Checkov"}}}  # the run a validated result comes from


def test_a_region_flagging_a_whole_task_is_centred_on_the_line_with_the_smell(tmp_path):
    (tmp_path / "web.yml").write_text(TASK)
    from iacfilter_plugins.sarif.reader import _finding

    f = _finding("in.sarif", sarif_result("CKV2_ANSIBLE_2", "web.yml", 3, 6), CHECKOV_RUN)
    classify([f], load_rules_map(), plugins.technologies(), None)
    assert (f.tech, f.smell) == ("ansible", "use_of_http")
    assert plugins.technologies()["ansible"].snippet(f, SourceRoot(tmp_path)).line == "url: http://packages.acme.io/key.asc"
    # a secret scanner's region ends on the next line: the secret's own line stays the flagged one
    (tmp_path / "vars.yml").write_text("api_key: Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5\ndb_password: hunter2hunter2\n")
    f = _finding("in.sarif", sarif_result("CKV_SECRET_6", "vars.yml", 1, 2), CHECKOV_RUN)
    classify([f], load_rules_map(), plugins.technologies(), None)
    assert plugins.technologies()["ansible"].snippet(f, SourceRoot(tmp_path)).line.startswith("api_key:")


@pytest.mark.skipif(not __import__("shutil").which("checkov"), reason="checkov is not installed")
def test_real_checkov_sarif_on_ansible_is_scored(run_cli, tmp_path):
    """About 15 s: checkov's own SARIF on real playbooks; its secret and HTTP-URL results get a score."""
    import json
    import shutil
    import subprocess

    from conftest import EXAMPLES

    shutil.copytree(EXAMPLES / "ansible" / "playbooks", tmp_path / "playbooks")
    (tmp_path / "playbooks" / "web.yml").write_text(
        TASK + "        validate_certs: false\n  vars:\n    github_token: ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5\n")
    subprocess.run(["checkov", "-d", ".", "--framework", "ansible", "secrets", "-o", "sarif", "--output-file-path",
                    "out", "--quiet"], cwd=tmp_path, capture_output=True, timeout=300)
    sarif = tmp_path / "out" / "results_sarif.sarif"
    assert sarif.is_file()
    out = tmp_path / "o.json"
    res = run_cli("filter", sarif, "--source-root", tmp_path, "--format", "json", "-o", out)
    assert res.exit_code == 0, res.output
    records = json.loads(out.read_text())
    by_rule = {}
    for r in records:
        by_rule.setdefault(r["rule"], []).append(r)
    assert {"CKV2_ANSIBLE_2", "CKV_SECRET_6"} <= set(by_rule)
    assert all(r["verdict"] in ("kept", "filtered") and r["score"] is not None
               for rule in ("CKV2_ANSIBLE_2", "CKV_SECRET_6") for r in by_rule[rule])
    assert by_rule["CKV2_ANSIBLE_2"][0]["verdict"] == "kept"  # a real plain-HTTP download
    assert all(r["verdict"] == "not-scored" for r in by_rule.get("CKV_ANSIBLE_2", []))  # mapped, no model for it


def test_a_wrong_source_root_is_reported_and_strict_makes_it_an_error(run_cli, tmp_path):
    from conftest import EXAMPLES

    out = tmp_path / "o.sarif"
    args = ("filter", EXAMPLES / "ansible" / "glitch.csv", "--source-root", tmp_path, "-o", out)
    res = run_cli(*args)
    assert res.exit_code == 0 and out.exists()
    assert "have no readable source under --source-root" in res.output and "pass --source-root DIR" in res.output
    out.unlink()
    res = run_cli(*args, "--strict")
    assert res.exit_code == 2 and not out.exists()
    assert res.output.count("iacfilter: error: --source-root:") == 1
    res = run_cli("filter", EXAMPLES / "ansible" / "glitch.csv", "--source-root", EXAMPLES / "ansible", "--strict",
                  "-o", out)
    assert res.exit_code == 0 and "no readable source" not in res.output
