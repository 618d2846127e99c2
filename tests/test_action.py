"""The composite GitHub Action (action.yml) and the example workflows: structure, and the steps run for real.

The action's shell steps are bash; they run here as a runner would run them (``bash --noprofile --norc -eo
pipefail``, inputs through ``env``, ``GITHUB_OUTPUT``/``GITHUB_STEP_SUMMARY`` files), including its pip
install into a fresh virtual environment. The files they write are checked against the SARIF schema and
GitHub code scanning's upload limits.
"""

import gzip
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import EXAMPLES, REPO, SARIF_SCHEMA

ACTION = yaml.safe_load((REPO / "action.yml").read_text())
WORKFLOWS = sorted((REPO / "examples" / "github").glob("*.yml"))
SARIF = jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text()))
EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
ID = r"^[_a-zA-Z][a-zA-Z0-9_-]*$"

# GitHub's action metadata (docs: "Metadata syntax for GitHub Actions"), for composite actions.
ACTION_SCHEMA = {
    "type": "object",
    "required": ["name", "description", "runs"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "author": {"type": "string"},
        "description": {"type": "string", "minLength": 1},
        "branding": {"type": "object", "additionalProperties": False,
                     "properties": {"icon": {"type": "string"},
                                    "color": {"enum": ["white", "black", "yellow", "blue", "green", "orange", "red",
                                                       "purple", "gray-dark"]}}},
        "inputs": {"type": "object", "additionalProperties": False, "patternProperties": {ID: {
            "type": "object", "required": ["description"], "additionalProperties": False,
            "properties": {"description": {"type": "string"}, "required": {"type": "boolean"},
                           "default": {"type": "string"}, "deprecationMessage": {"type": "string"}}}}},
        "outputs": {"type": "object", "additionalProperties": False, "patternProperties": {ID: {
            "type": "object", "required": ["description", "value"], "additionalProperties": False,
            "properties": {"description": {"type": "string"}, "value": {"type": "string"}}}}},
        "runs": {
            "type": "object", "required": ["using", "steps"], "additionalProperties": False,
            "properties": {
                "using": {"const": "composite"},
                "steps": {"type": "array", "minItems": 1, "items": {
                    "type": "object", "additionalProperties": False,
                    "properties": {"id": {"type": "string", "pattern": ID}, "name": {"type": "string"},
                                   "if": {"type": "string"}, "run": {"type": "string"}, "shell": {"type": "string"},
                                   "uses": {"type": "string"}, "with": {"type": "object"},
                                   "env": {"type": "object", "additionalProperties": {"type": "string"}},
                                   "working-directory": {"type": "string"}, "continue-on-error": {"type": "boolean"}},
                    "oneOf": [{"required": ["run", "shell"], "not": {"required": ["uses"]}},
                              {"required": ["uses"], "not": {"required": ["run"]}}]}},
            },
        },
    },
}

# GitHub code scanning's limits on one upload (docs: "SARIF support for code scanning").
LIMITS = {"runs": 20, "results_per_run": 25_000, "rules_per_run": 25_000, "extensions_per_run": 100,
          "locations_per_result": 1_000, "tags_per_rule": 20, "gzip_bytes": 10 * 1024 * 1024}


def test_action_metadata_is_valid_and_every_reference_resolves():
    errors = list(jsonschema.Draft7Validator(ACTION_SCHEMA).iter_errors(ACTION))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]
    steps = ACTION["runs"]["steps"]
    ids = [s["id"] for s in steps if "id" in s]
    assert len(ids) == len(set(ids))
    for step in steps:
        texts = [step.get("if", ""), step.get("run", ""), *(step.get("env") or {}).values(), *(step.get("with") or {}).values()]
        for text in texts:
            for expr in EXPR.findall(str(text)) + ([step["if"]] if "if" in step else []):
                for name in re.findall(r"\binputs\.([A-Za-z0-9_-]+)", expr):
                    assert name in ACTION["inputs"], f"step {step.get('name')} uses undefined input {name}"
        # No input is pasted into a script (shell injection): scripts read them from env.
        assert not EXPR.search(step.get("run", "")), f"step {step.get('name')} interpolates into its script"
    written = set(re.findall(r'"([a-z-]+)": ', steps[-1]["run"].split("outputs = {")[1].split("}")[0]))
    for name, output in ACTION["outputs"].items():
        step_id, key = re.fullmatch(r"\$\{\{ steps\.([\w-]+)\.outputs\.([\w-]+) \}\}", output["value"]).groups()
        assert step_id in ids and key in written, name
    assert all(re.fullmatch(ID, name) for name in ACTION["inputs"])


def test_example_workflows_upload_drop_mode_sarif_with_a_category_and_keep_the_audit_copy():
    assert WORKFLOWS
    for path in WORKFLOWS:
        wf = yaml.safe_load(path.read_text())
        assert wf["permissions"] == {"contents": "read"}
        for job in wf["jobs"].values():
            assert job["permissions"]["security-events"] == "write"
            steps = job["steps"]
            ours = next(s for s in steps if s.get("id") == "iacfilter")
            assert set(ours["with"]) <= set(ACTION["inputs"]), path.name
            upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
            assert upload["with"]["sarif_file"] == "${{ steps.iacfilter.outputs.sarif-file }}"
            assert upload["with"]["category"] == "${{ steps.iacfilter.outputs.category }}"
            if ours["with"].get("mode", "drop") == "drop":
                keep = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
                assert keep["with"]["path"] == "${{ steps.iacfilter.outputs.audit-file }}"
            else:  # annotate: the suppressions become dismissed alerts
                dismiss = next(s for s in steps if s.get("uses", "").startswith("advanced-security/dismiss-alerts@"))
                assert dismiss["with"]["sarif-id"] == f"${{{{ steps.{upload['id']}.outputs.sarif-id }}}}"
                assert upload["with"].get("wait-for-processing") is True


def expand(value: str, inputs: dict) -> str:
    """The runner's ${{ inputs.X }} substitution (the only expressions the action's env uses)."""
    def one(m):
        name = re.fullmatch(r"inputs\.([A-Za-z0-9_-]+)", m.group(1))
        assert name, f"unsupported expression {m.group(0)}"
        return str(inputs.get(name.group(1), ACTION["inputs"][name.group(1)].get("default", "")))
    return EXPR.sub(one, value)


def condition(expr: str, inputs: dict) -> bool:
    m = re.fullmatch(r"inputs\.([\w-]+) == '([^']*)'", expr.strip())
    assert m, f"unsupported if: {expr}"
    return str(inputs.get(m.group(1), ACTION["inputs"][m.group(1)].get("default", ""))) == m.group(2)


def run_action(inputs: dict, workdir: Path, path_dirs=(), extra_env=None, skip_install=True):
    """Run the action's steps like a runner; return (outputs, step summary, completed processes)."""
    temp = workdir / "_runner_temp"
    temp.mkdir(exist_ok=True)
    github_output, summary = temp / "output", temp / "summary"
    github_output.write_text("")
    env = {**os.environ, "GITHUB_ACTION_PATH": str(REPO), "GITHUB_OUTPUT": str(github_output),
           "GITHUB_STEP_SUMMARY": str(summary), "RUNNER_TEMP": str(temp), **(extra_env or {})}
    env["PATH"] = os.pathsep.join([*map(str, path_dirs), str(Path(sys.executable).parent), env.get("PATH", "")])
    done = []
    for step in ACTION["runs"]["steps"]:
        if "if" in step and not condition(step["if"], inputs):
            continue
        if skip_install and step.get("name") == "Install iacfilter":
            continue
        assert step["shell"] == "bash"
        step_env = {**env, **{k: expand(v, inputs) for k, v in (step.get("env") or {}).items()}}
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], cwd=workdir,
                              env=step_env, capture_output=True, text=True, timeout=600)
        done.append(proc)
        if proc.returncode:
            break
    outputs = dict(line.split("=", 1) for line in github_output.read_text().splitlines() if "=" in line)
    return outputs, (summary.read_text() if summary.exists() else ""), done


def check_upload(path: Path, category: str, mode: str = "drop") -> dict:
    """Schema-valid, inside every GitHub limit, the category set, and (drop) no filtered result."""
    text = path.read_text()
    doc = json.loads(text)
    errors = list(SARIF.iter_errors(doc))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]
    assert len(doc["runs"]) <= LIMITS["runs"]
    assert len(gzip.compress(text.encode())) <= LIMITS["gzip_bytes"]
    for run in doc["runs"]:
        assert run["automationDetails"]["id"] == f"{category}/"
        assert len(run.get("results", [])) <= LIMITS["results_per_run"]
        assert len(run["tool"]["driver"].get("rules", [])) <= LIMITS["rules_per_run"]
        assert len(run["tool"].get("extensions", [])) <= LIMITS["extensions_per_run"]
        for rule in run["tool"]["driver"].get("rules", []):
            assert len((rule.get("properties") or {}).get("tags", [])) <= LIMITS["tags_per_rule"]
        for result in run.get("results", []):
            assert len(result.get("locations", [])) <= LIMITS["locations_per_result"]
            assert "iacfilterFinding/v1" in result["partialFingerprints"]
            if mode == "drop":
                assert result["properties"]["iacfilter"]["verdict"] != "filtered" and not result["suppressions"]
    return doc


def test_action_filters_existing_output(tmp_path):
    work = tmp_path / "checkout"
    shutil.copytree(EXAMPLES / "puppet", work)
    outputs, summary, done = run_action({"scanner-output": "glitch.csv", "technology": "puppet",
                                         "category": "iacfilter-puppet", "patterns": "-**:IAC-USE-OF-HTTP"}, work)
    assert all(p.returncode == 0 for p in done), done[-1].stderr
    assert outputs["sarif-file"] == "iacfilter.sarif" and outputs["audit-file"] == "iacfilter-audit.sarif"
    assert outputs["category"] == "iacfilter-puppet" and outputs["new"] == ""
    upload = check_upload(work / "iacfilter.sarif", "iacfilter-puppet")
    audit = check_upload(work / "iacfilter-audit.sarif", "iacfilter-puppet", mode="annotate")
    audit_results = audit["runs"][0]["results"]
    rows = len((EXAMPLES / "puppet" / "glitch.csv").read_text().splitlines()) - 1
    assert int(outputs["findings"]) == len(audit_results) == rows - 1  # the HTTP finding excluded by the pattern
    filtered = sum(r["properties"]["iacfilter"]["verdict"] == "filtered" for r in audit_results)
    assert int(outputs["filtered"]) == filtered > 0
    assert int(outputs["reported"]) == len(upload["runs"][0]["results"]) == len(audit_results) - filtered
    assert f"{outputs['findings']} findings, {outputs['reported']} reported, {outputs['filtered']} filtered" in summary
    assert "| hard_coded_secret |" in summary
    assert "| smell | findings | kept | filtered | not-scored | no-source | unscored |" in summary


def test_action_takes_several_outputs_one_per_line(tmp_path):
    work = tmp_path / "checkout"
    shutil.copytree(EXAMPLES / "chef", work)
    shutil.copy(work / "glitch.csv", work / "more.csv")
    outputs, _, done = run_action({"scanner-output": "glitch.csv\nmore.csv\n", "category": "iac"}, work)
    assert all(p.returncode == 0 for p in done), done[-1].stderr
    rows = len((EXAMPLES / "chef" / "glitch.csv").read_text().splitlines()) - 1
    assert int(outputs["findings"]) == 2 * rows
    doc = json.loads((work / "iacfilter.sarif").read_text())
    assert [run["automationDetails"]["id"] for run in doc["runs"]] == ["iac-0/", "iac-1/"]


def test_action_with_a_baseline_reports_new_results(tmp_path):
    work = tmp_path / "checkout"
    shutil.copytree(EXAMPLES / "ansible", work)
    first, _, done = run_action({"scanner-output": "glitch.csv"}, work)
    assert all(p.returncode == 0 for p in done), done[-1].stderr
    shutil.copy(work / "iacfilter-audit.sarif", work / "baseline.sarif")
    outputs, _, done = run_action({"scanner-output": "glitch.csv", "baseline": "baseline.sarif", "only-new": "true"}, work)
    assert all(p.returncode == 0 for p in done), done[-1].stderr
    assert outputs["new"] == "0" and outputs["category"] == "iacfilter-findings"
    assert check_upload(work / "iacfilter.sarif", "iacfilter-findings")["runs"][0]["results"] == []


def test_action_without_input_or_technology_fails_with_an_annotation(tmp_path):
    _, _, done = run_action({"path": "."}, tmp_path)
    assert done[-1].returncode == 2 and "::error title=iacfilter::set 'technology'" in done[-1].stdout


@pytest.mark.skipif(not shutil.which("glitch"), reason="needs GLITCH (bash ../shared/glitch/install/install.sh)")
def test_workflow_runs_glitch_then_the_action(tmp_path):
    """The example workflow's 'Run GLITCH' step for real, then the action on its CSV; and the action's own scan."""
    work = tmp_path / "checkout"
    shutil.copytree(EXAMPLES / "ansible" / "playbooks", work)
    wf = yaml.safe_load((REPO / "examples" / "github" / "iacfilter.yml").read_text())
    steps = next(iter(wf["jobs"].values()))["steps"]
    glitch = next(s for s in steps if s.get("name") == "Run GLITCH")
    proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", glitch["run"]], cwd=work,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and (work / "glitch.csv").exists(), proc.stderr[-2000:]
    ours = next(s for s in steps if s.get("id") == "iacfilter")
    outputs, _, done = run_action(ours["with"], work)
    assert all(p.returncode == 0 for p in done), done[-1].stderr
    assert int(outputs["findings"]) > 0
    check_upload(work / outputs["sarif-file"], ours["with"]["category"])
    # The action running GLITCH itself through 'iacfilter scan'.
    outputs2, _, done = run_action({"path": ".", "technology": "ansible", "output": "scan.sarif",
                                    "audit-output": "scan-audit.sarif"}, work)
    assert all(p.returncode == 0 for p in done), done[-1].stderr
    assert outputs2["findings"] == outputs["findings"]
    check_upload(work / "scan.sarif", "iacfilter-ansible")


def test_install_step_installs_iacfilter_from_the_action_path(tmp_path):
    """The action's own pip step, into a fresh virtual environment. iacfilter's dependencies are not installed
    again (PIP_NO_DEPS): the venv sees those of the environment running the tests through a .pth file, as a
    runner's earlier setup step would provide them (the base interpreter may have none of them). pip fetches
    the build backend (setuptools) as on a runner, so this needs PyPI or pip's cache."""
    import sysconfig

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    venv_site = subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip()
    ours = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))  # appended: the venv's own win
    Path(venv_site, "iacfilter-test-dependencies.pth").write_text("".join(f"{p}\n" for p in ours))
    install = next(s for s in ACTION["runs"]["steps"] if s.get("name") == "Install iacfilter")
    assert condition(install["if"], {})
    work = tmp_path / "checkout"
    shutil.copytree(EXAMPLES / "chef", work)
    env = {"PIP_NO_DEPS": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_RETRIES": "0", "PIP_TIMEOUT": "10"}
    outputs, _, done = run_action({"scanner-output": "glitch.csv"}, work, path_dirs=[venv / "bin"], extra_env=env,
                                  skip_install=False)
    if done[0].returncode and re.search(r"NewConnectionError|No matching distribution found for setuptools|"
                                        r"Could not find a version that satisfies", done[0].stderr):
        pytest.skip("pip could not reach PyPI (or its cache) for the build backend")
    assert len(done) == 2 and all(p.returncode == 0 for p in done), done[-1].stderr[-3000:]
    assert list(venv.glob("lib/python*/site-packages/iacfilter/cli.py"))  # installed, not the checkout's editable one
    assert int(outputs["findings"]) > 0
    check_upload(work / "iacfilter.sarif", "iacfilter-findings")
