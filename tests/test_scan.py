"""``iacfilter scan`` against a small stand-in for GLITCH (GLITCH itself cannot be installed here)."""

import json
import sys
import textwrap

import pytest
from conftest import run_subprocess

STAND_IN = textwrap.dedent(f"""\
    #!{sys.executable}
    # Stand-in for `glitch lint --tech T --csv --smell-types security PATH OUTPUT`: flags passwords, TODOs
    # and http:// like GLITCH does, hangs on HANG and fails to parse BROKEN (on stderr only, exit 0).
    import sys, time
    args = sys.argv[1:]
    path, out = args[-2], args[-1]
    assert args[0] == "lint" and "--csv" in args and args[args.index("--smell-types") + 1] == "security"
    text = open(path).read()
    if "HANG" in text:
        time.sleep(60)
    if "BROKEN" in text:
        print(f"Error parsing file: {{path}}", file=sys.stderr)
        sys.exit(0)
    rows = ["PATH,LINE,ERROR,DESCRIPTION,CODE"]
    for n, line in enumerate(text.splitlines(), 1):
        if "password" in line:
            rows.append(f"{{path}},{{n}},sec_hard_pass,Hard-coded password - x. (CWE-259),{{line.strip()}}")
        if "TODO" in line:
            rows.append(f"{{path}},{{n}},sec_susp_comm,Suspicious comment - x. (CWE-546),{{line.strip()}}")
    open(out, "w").write("\\n".join(rows) + "\\n")
""")


@pytest.fixture
def glitch(tmp_path):
    exe = tmp_path / "bin" / "glitch"
    exe.parent.mkdir()
    exe.write_text(STAND_IN)
    exe.chmod(0o755)
    return exe


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "proj"
    (root / "roles" / "db").mkdir(parents=True)
    (root / "site.yml").write_text("db_password: {{ vault_pw }}\n# TODO: rotate\n")
    (root / "roles" / "db" / "main.yml").write_text("x: 1\npassword: hunter2\n")
    (root / "roles" / "db" / "broken.yml").write_text("BROKEN: [\n")
    (root / "README.md").write_text("password: not scanned, not yaml\n")
    return root


def test_scan_runs_glitch_per_file_and_filters(tmp_path, glitch, project, champion):
    out = tmp_path / "o.json"
    res = run_subprocess("scan", project, "--tech", "ansible", "--glitch", glitch, "--model", champion,
                         "--format", "json", "-o", out, "--jobs", "2")
    assert res.returncode == 0, res.stderr
    records = json.loads(out.read_text())
    assert [(r["path"], r["line"], r["verdict"]) for r in records] == [
        ("roles/db/main.yml", 2, "kept"), ("site.yml", 1, "filtered"), ("site.yml", 2, "kept")]
    assert "not scanned: roles/db/broken.yml: GLITCH could not analyse it: Error parsing file" in res.stderr
    assert "GLITCH scanned 2 of 3 files" in res.stderr


def test_scan_gives_up_on_a_hanging_file_and_says_which(tmp_path, glitch, project, champion):
    (project / "slow.yml").write_text("HANG\n")
    res = run_subprocess("scan", project, "--tech", "ansible", "--glitch", glitch, "--model", champion,
                         "--file-timeout", "1", "-o", tmp_path / "o.sarif")
    assert res.returncode == 0, res.stderr
    assert "not scanned: slow.yml: GLITCH gave no answer within 1 s" in res.stderr


def test_scan_without_glitch_says_how_to_install_it(tmp_path, project, champion):
    res = run_subprocess("scan", project, "--tech", "ansible", "--glitch", tmp_path / "nowhere" / "glitch",
                         "--model", champion)
    assert res.returncode == 2 and "GLITCH is not installed" in res.stderr and "sr-lab/GLITCH" in res.stderr
    assert res.stderr.count("\n") == 1
