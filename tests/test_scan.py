"""``iacfilter scan`` against the real GLITCH 2.0 (``bash ../shared/glitch/install/install.sh``; ``.ci/run``
installs it), and against a stand-in only for what the real one cannot do on demand: hang, crash, write garbage.
The real-GLITCH tests take about 5 s each (GLITCH's start-up).
"""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import jsonschema
import pytest
from conftest import SARIF_SCHEMA, run_subprocess

REAL_GLITCH = shutil.which("glitch")
needs_glitch = pytest.mark.skipif(REAL_GLITCH is None, reason="GLITCH is not installed: "
                                  "bash ../shared/glitch/install/install.sh (.ci/run does it)")

PLAYBOOK = textwrap.dedent("""\
    - hosts: all
      tasks:
        - name: fetch the installer
          get_url: {url: "http://example.com/installer.sh", dest: /tmp/installer.sh}
        # TODO: pin the version
        - name: create the database user
          mysql_user:
            name: app
            password: "Xk9mP2qL7vRw"
        - name: fetch its checksum
          get_url: {url: "http://example.com/installer.sh.sha256", dest: /tmp/installer.sh.sha256}
    """)


@pytest.fixture
def project(tmp_path):
    """A small Ansible tree: two playbooks with findings (one deep, so line 10 sorts after line 9), a YAML
    file that is not Ansible (skipped), one GLITCH cannot parse (not scanned), and files of other types."""
    root = tmp_path / "proj"
    (root / "roles" / "db" / "tasks").mkdir(parents=True)
    (root / "site.yml").write_text(PLAYBOOK)
    (root / "roles" / "db" / "tasks" / "main.yml").write_text(
        "- name: users\n  user:\n    name: app\n" + "\n" * 5
        + "- name: admin\n  user: {name: admin, password: \"S3cr3tP4ss\"}\n")
    (root / "hosts.yml").write_text("- just\n- a list\n")               # GLITCH: Cannot detect file type
    (root / "roles" / "db" / "broken.yml").write_text("x: [\n")           # GLITCH: Could not parse file
    (root / "README.md").write_text("password: not a script\n")
    (root / ".github").mkdir()
    (root / ".github" / "ci.yml").write_text("password: hidden folder, not scanned\n")
    return root


def glitch_rows(folder, tech="ansible"):
    """(path, line, code) of one plain GLITCH run over ``folder``."""
    out = folder.parent / "plain.csv"
    subprocess.run([REAL_GLITCH, "lint", "--tech", tech, "--folder-strategy", "include-all", "--csv",
                    "--smell-types", "security", ".", str(out)], cwd=folder, check=True, capture_output=True)
    return sorted((p.removeprefix("./"), int(line), code) for p, line, code, _ in
                  (r.split(",", 3) for r in out.read_text().splitlines()[1:] if r))


@needs_glitch
def test_real_glitch_in_batches_finds_what_one_plain_run_finds_and_says_what_it_skipped(tmp_path, project, champion):
    out = tmp_path / "o.sarif"
    res = run_subprocess("scan", project, "--tech", "ansible", "--model", champion, "-o", out, "--jobs", "2",
                         "--mode", "annotate")
    assert res.returncode == 2, res.stderr  # fail closed: broken.yml was not scanned
    assert res.stderr.strip().splitlines()[-1] == (
        f"iacfilter: error: {project}: 1 of 4 files not scanned (listed above and in the output); "
        "--allow-unscanned accepts that")
    assert ("iacfilter: warning: not scanned: roles/db/broken.yml: GLITCH: Ansible - Could not parse file "
            "(ruamel.yaml.parser.ParserError: while parsing a flow node") in res.stderr
    assert "iacfilter: skipped: hosts.yml: GLITCH: Ansible - Cannot detect file type" in res.stderr
    assert "GLITCH analysed 2 of 4 ansible files, skipped 1, could not scan 1" in res.stderr

    log = json.loads(out.read_text())  # written even so: code scanning shows what was not scanned
    jsonschema.validate(log, json.loads(SARIF_SCHEMA.read_text()))
    run = log["runs"][0]
    found = sorted((r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                    r["locations"][0]["physicalLocation"]["region"]["startLine"],
                    r["properties"]["iacfilter"]["smell"]) for r in run["results"])
    plain = [row for row in glitch_rows(project) if not row[0].startswith(".github/")]  # hidden: not scanned
    assert len(found) == len(plain) >= 4
    assert [(p, line) for p, line, _ in plain] == [(p, line) for p, line, _ in found]
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    notes = {(n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], n["level"]): n["message"]["text"]
             for n in invocation["toolExecutionNotifications"]}
    assert notes.keys() == {("roles/db/broken.yml", "error"), ("hosts.yml", "note")}
    assert notes["roles/db/broken.yml", "error"].startswith("not scanned: GLITCH: Ansible - Could not parse file (")
    assert notes["hosts.yml", "note"] == "skipped: GLITCH: Ansible - Cannot detect file type"

    # Accepting the unscanned file: exit 0, and the table lists the findings in numeric line order.
    res = run_subprocess("scan", project, "--tech", "ansible", "--model", champion, "--format", "table",
                         "--allow-unscanned", "--jobs", "1", "-o", tmp_path / "o.txt")
    assert res.returncode == 0, res.stderr
    table = (tmp_path / "o.txt").read_text().splitlines()[1:]
    locations = [row.split()[5] for row in table]  # VERDICT SCORE SMELL RULE TECH LOCATION REASON
    assert [(p, line) for p, line, _ in plain] == [(loc.rsplit(":", 1)[0], int(loc.rsplit(":", 1)[1]))
                                                   for loc in locations]
    assert locations.index("site.yml:9") < locations.index("site.yml:11")  # numeric, not text, order


@needs_glitch
def test_real_glitch_failing_on_every_file_never_reports_success(tmp_path, champion):
    root = tmp_path / "proj"
    root.mkdir()
    for name in ("a.yml", "b.yml"):
        (root / name).write_text("key: [unclosed\n")
    out = tmp_path / "o.sarif"
    res = run_subprocess("scan", root, "--tech", "ansible", "--model", champion, "-o", out, "--allow-unscanned")
    assert res.returncode == 2
    assert res.stderr.strip().splitlines()[-1] == (
        f"iacfilter: error: {root}: GLITCH analysed none of the 2 files (see above)")
    assert json.loads(out.read_text())["runs"][0]["invocations"][0]["executionSuccessful"] is False


ZUUL_JOBS = textwrap.dedent("""\
    - job:
        name: deploy
        vars: &common
          scenario: aio
    - job:
        name: deploy-upgrade
        vars:
          <<: *common
          action: upgrade
    """)


@needs_glitch
def test_a_file_glitch_says_is_not_of_its_kind_is_skipped_and_does_not_fail_the_run(tmp_path, champion):
    """A Zuul job list among playbooks (as openstack-ansible's zuul.d/jobs.yaml): GLITCH says "File is not a
    tasks file". It is skipped, listed as a note, and the run succeeds."""
    root = tmp_path / "proj"
    (root / "zuul.d").mkdir(parents=True)
    (root / "site.yml").write_text(PLAYBOOK)
    (root / "zuul.d" / "jobs.yaml").write_text(ZUUL_JOBS)
    out = tmp_path / "o.sarif"
    res = run_subprocess("scan", root, "--tech", "ansible", "--model", champion, "-o", out)
    assert res.returncode == 0, res.stderr
    assert "iacfilter: skipped: zuul.d/jobs.yaml: GLITCH: Ansible - File is not a tasks file (" in res.stderr
    assert "warning" not in res.stderr
    assert "GLITCH analysed 1 of 2 ansible files, skipped 1" in res.stderr
    invocation = json.loads(out.read_text())["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is True
    [note] = invocation["toolExecutionNotifications"]
    assert note["level"] == "note" and note["message"]["text"].startswith(
        "skipped: GLITCH: Ansible - File is not a tasks file (")


STAND_IN = textwrap.dedent(f"""\
    #!{sys.executable}
    # Stand-in for `glitch lint --tech T --folder-strategy include-all --csv --smell-types security . OUTPUT`, for
    # what the real GLITCH cannot do on demand: a file with HANG hangs (with a child process, as Chef's Ruby),
    # CRASH kills GLITCH, GARBAGE makes it write garbage, SILENT makes it drop the file without a word; FAIL_ALL in
    # the environment makes it fail at start-up. Like GLITCH it draws a progress bar on stderr, flags 'password'
    # lines and prints a stats table with the number of files it analysed.
    import os, signal, subprocess, sys, time
    args = sys.argv[1:]
    assert args[:2] == ["lint", "--tech"] and args[args.index("--folder-strategy") + 1] == "include-all"
    if os.environ.get("FAIL_ALL"):
        print("Error: Rego library is not available.", file=sys.stderr)
        sys.exit(1)
    out = args[-1]
    paths = sorted(os.path.join(d, f) for d, _, fs in os.walk(args[-2]) for f in fs if f.endswith((".yml", ".yaml")))
    rows = ["PATH,LINE,ERROR,DESCRIPTION,CODE"]
    analysed = 0
    bar = lambda n: sys.stderr.write(f"\\rANALYZING: {{100 * n // len(paths)}}%|##| {{n}}/{{len(paths)}} [00:00<00:00]")
    bar(0)
    for n, path in enumerate(paths, 1):
        text = open(path).read()
        if "HANG" in text:
            child = subprocess.Popen(["sleep", "120"])
            open(os.environ["CHILD_PIDS"], "a").write(f"{{child.pid}}\\n")
            time.sleep(120)
        if "CRASH" in text:
            os.kill(os.getpid(), signal.SIGSEGV)
        if "GARBAGE" in text:
            rows = ["<html>not csv</html>"]
            break
        time.sleep(float(os.environ.get("PER_FILE", "0")))
        analysed += "SILENT" not in text
        for i, line in enumerate(text.splitlines(), 1):
            if "password" in line:
                rows.append(f"{{path}},{{i}},sec_hard_pass,Hard-coded password - x. (CWE-259),{{line.strip()}}")
        bar(n)
    sys.stderr.write("\\n")
    open(out, "w").write("\\n".join(rows) + "\\n")
    print(f"+-----------------+\\n| Total IaC files |\\n+-----------------+\\n|  {{analysed}}  |\\n+-----------------+")
""")


@pytest.fixture
def stand_in(tmp_path):
    exe = tmp_path / "bin" / "glitch"
    exe.parent.mkdir()
    exe.write_text(STAND_IN)
    exe.chmod(0o755)
    return exe


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "tree"
    (root / "a").mkdir(parents=True)
    for i in range(6):
        (root / "a" / f"f{i}.yml").write_text(f"x: 1\npassword: p{i}\n")
    return root


HANG_BOUND = 600  # seconds: only a hang runs into it, never a slow machine


def until(condition, seconds: float) -> bool:
    """Poll ``condition`` until it holds (True) or ``seconds`` pass (False)."""
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def gone(pid: int) -> bool:
    """The process has exited (or is a zombie waiting for its parent)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def stand_in_env(tmp_path, **extra):
    return {**os.environ, "CHILD_PIDS": str(tmp_path / "children"), **extra}


def test_a_hanging_file_is_found_by_bisection_and_only_it_is_given_up(tmp_path, stand_in, tree, champion):
    (tree / "a" / "f3.yml").write_text("HANG\n")
    out = tmp_path / "o.json"
    res = run_subprocess("scan", tree, "--tech", "ansible", "--glitch", stand_in, "--model", champion, "--jobs", "2",
                         "--file-timeout", "1", "--format", "json", "-o", out, env=stand_in_env(tmp_path))
    assert res.returncode == 2, res.stderr
    assert "iacfilter: warning: not scanned: a/f3.yml: GLITCH gave no answer within 1 s" in res.stderr
    assert res.stderr.count("not scanned:") == 1
    assert sorted(r["path"] for r in json.loads(out.read_text())) == [f"a/f{i}.yml" for i in (0, 1, 2, 4, 5)]
    children = [int(p) for p in (tmp_path / "children").read_text().split()]
    assert len(children) >= 2  # the batch holding f3 hung, then each half holding it again
    for pid in children:  # GLITCH's children were killed with it
        assert until(lambda: gone(pid), HANG_BOUND), f"GLITCH's child {pid} still runs"


def test_a_crash_is_bisected_down_to_the_file_that_causes_it(tmp_path, stand_in, tree, champion):
    (tree / "a" / "f1.yml").write_text("CRASH\n")
    (tmp_path / "outside.yml").write_text("password: outside the root\n")
    (tree / "a" / "link.yml").symlink_to(tmp_path / "outside.yml")
    res = run_subprocess("scan", tree, "--tech", "ansible", "--glitch", stand_in, "--model", champion, "--jobs", "1",
                         "--allow-unscanned", "-o", tmp_path / "o.sarif", env=stand_in_env(tmp_path))
    assert res.returncode == 0, res.stderr
    assert "iacfilter: warning: not scanned: a/f1.yml: GLITCH was killed by signal 11" in res.stderr
    log = json.loads((tmp_path / "o.sarif").read_text())
    assert len(log["runs"][0]["results"]) == 5  # nothing read through the symlink
    invocation = log["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert [(n["level"], n["message"]["text"]) for n in invocation["toolExecutionNotifications"]] == [
        ("note", "skipped: a symbolic link (GLITCH does not follow them)"),
        ("error", "not scanned: GLITCH was killed by signal 11: no message")]


def test_a_file_glitch_drops_without_a_word_is_not_scanned(tmp_path, stand_in, tree, champion):
    (tree / "a" / "f4.yml").write_text("SILENT\n")
    res = run_subprocess("scan", tree, "--tech", "ansible", "--glitch", stand_in, "--model", champion, "--jobs", "1",
                         "-o", tmp_path / "o.sarif", env=stand_in_env(tmp_path))
    assert res.returncode == 2
    assert res.stderr.count("not scanned:") == 1
    assert ("iacfilter: warning: not scanned: a/f4.yml: GLITCH did not analyse it and said nothing (GLITCH's counts "
            "do not add up: given 1 files, it walked 1, analysed 0 and named 0 in errors)") in res.stderr


def test_garbage_output_leaves_its_batch_not_scanned(tmp_path, stand_in, tree, champion):
    (tree / "a" / "f0.yml").write_text("GARBAGE\n")
    res = run_subprocess("scan", tree, "--tech", "ansible", "--glitch", stand_in, "--model", champion, "--jobs", "1",
                         "-o", tmp_path / "o.sarif", env=stand_in_env(tmp_path))
    assert res.returncode == 2
    assert res.stderr.count("GLITCH's output does not start with 'PATH,LINE,ERROR,DESCRIPTION,CODE'") == 6
    assert "GLITCH analysed none of the 6 files" in res.stderr


def test_glitch_failing_at_start_up_fails_the_run_even_when_unscanned_files_are_allowed(tmp_path, stand_in, tree,
                                                                                         champion):
    res = run_subprocess("scan", tree, "--tech", "ansible", "--glitch", stand_in, "--model", champion,
                         "--allow-unscanned", "-o", tmp_path / "o.sarif", env=stand_in_env(tmp_path, FAIL_ALL="1"))
    assert res.returncode == 2
    assert "not scanned: a/f0.yml: GLITCH exited with code 1: Error: Rego library is not available." in res.stderr
    assert "GLITCH analysed none of the 6 files" in res.stderr


def test_progress_is_a_line_every_few_seconds_when_stderr_is_not_a_terminal(tmp_path, stand_in, tree, champion):
    env = stand_in_env(tmp_path, PER_FILE="0.4", IACFILTER_PROGRESS_SECONDS="0.5")
    res = run_subprocess("scan", tree, "--tech", "ansible", "--glitch", stand_in, "--model", champion, "--jobs", "1",
                         "-o", tmp_path / "o.sarif", env=env)
    assert res.returncode == 0, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("iacfilter: GLITCH (ansible): ")]
    assert len(lines) >= 3 and all(ln.endswith(" s)") and "/6 files" in ln for ln in lines)
    done = [int(ln.split(": ")[2].split("/")[0]) for ln in lines]
    assert done == sorted(done) and 0 < done[-1] <= 6


def test_scan_without_glitch_says_how_to_install_it(tmp_path, tree, champion):
    res = run_subprocess("scan", tree, "--tech", "ansible", "--glitch", tmp_path / "nowhere" / "glitch",
                         "--model", champion)
    assert res.returncode == 2 and "GLITCH is not installed" in res.stderr and "sr-lab/GLITCH" in res.stderr
    assert res.stderr.count("\n") == 1


def test_table_lists_findings_in_numeric_line_order():
    from iacfilter.findings import KEPT, Finding, Verdict
    from iacfilter.report import as_table

    findings = [Finding("GLITCH", "sec_https", path, line) for path, line in
                (("b.yml", 2), ("a.yml", 10), ("a.yml", 9), ("a.yml", None), ("a.yml", 100))]
    table = as_table(findings, [Verdict(KEPT, "r", 0.9)] * len(findings), drop=False)
    assert table.splitlines()[0].split() == ["VERDICT", "SCORE", "SMELL", "RULE", "TECH", "LOCATION", "REASON"]
    assert [row.split()[5] for row in table.splitlines()[1:]] == ["a.yml", "a.yml:9", "a.yml:10", "a.yml:100",
                                                                  "b.yml:2"]
    assert all(row.split()[3] == "sec_https" and row.endswith("  r") for row in table.splitlines()[1:])


def test_interrupting_scan_leaves_no_glitch_running(tmp_path, stand_in, tree, champion):
    import signal

    (tree / "a" / "f2.yml").write_text("HANG\n")
    code = ("import sys; sys.path.insert(0, 'tests'); import keyword_scorer; keyword_scorer.install(); "
            "from iacfilter.cli import main; sys.argv[0] = 'iacfilter'; main()")
    # Ctrl-C's default meaning in the child, even where the test run itself ignores SIGINT (a job started in the
    # background by a non-interactive shell does, and its children inherit that).
    proc = subprocess.Popen([sys.executable, "-c", code, "scan", str(tree), "--tech", "ansible", "--glitch",
                             str(stand_in), "--model", str(champion), "-o", str(tmp_path / "o.sarif")],
                            env=stand_in_env(tmp_path), cwd=Path(__file__).parents[1], stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    children = tmp_path / "children"
    # No timing is assumed: GLITCH's stand-in has started its child when the file exists, however slowly a loaded
    # machine got there. The bounds below only stop a broken scan from hanging the test run.
    assert until(lambda: children.exists() or proc.poll() is not None, HANG_BOUND), "the stand-in never started"
    assert children.exists(), proc.communicate()[1].decode()
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=HANG_BOUND) != 0
    proc.stderr.close()
    for pid in map(int, children.read_text().split()):
        assert until(lambda: gone(pid), HANG_BOUND), f"GLITCH's child {pid} still runs"
    assert not (tmp_path / "o.sarif").exists()


def test_excluding_findings_keeps_what_the_run_says_of_files_not_scanned(tmp_path, stand_in, tree, champion):
    """Patterns leave findings out, never the run's record of the files the scanner could not scan."""
    (tree / "a" / "f1.yml").write_text("CRASH\n")
    out = tmp_path / "o.sarif"
    res = run_subprocess("scan", tree, "--tech", "ansible", "--glitch", stand_in, "--model", champion, "--jobs", "1",
                         "--exclude", "a/f0.yml", "--allow-unscanned", "-o", out, env=stand_in_env(tmp_path))
    assert res.returncode == 0, res.stderr
    run = json.loads(out.read_text())["runs"][0]
    assert len(run["results"]) == 4 and run["properties"]["iacfilter"]["patterns"]["excluded"] == 1
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert [(n["level"], n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
            for n in invocation["toolExecutionNotifications"]] == [("error", "a/f1.yml")]


@pytest.mark.parametrize("stderr", [
    "Error: Ansible - File is not a tasks file: ./zuul.d/jobs.yaml{tb}",
    "Error:{bar}\n Ansible - File is not a tasks file: ./zuul.d/jobs.yaml{tb}",  # the bar closes mid-line
    "{bar}Error:\n Ansible - File is not a tasks file: ./zuul.d/jobs.yaml{tb}",
    "Error: {bar}\n\nAnsible - File is not a tasks file: ./zuul.d/jobs.yaml{tb}",
    "\nError: {bar_in_line}Ansible - File is not a tasks file: ./zuul.d/jobs.yaml{tb}",  # a redraw inside the line
    "{cut}Error: Ansible - File is not a tasks file: ./zuul.d/jobs.yaml{tb}",  # a redraw cut at a screen width
    "Error:{cut} Ansible - File is not a tasks file: ./zuul.d/jobs.yaml{tb}",
])
def test_glitch_error_lines_are_read_however_its_progress_bar_cuts_them(stderr):
    """GLITCH prints "Error:" and its message in separate writes; its progress bar, drawn by another thread, can
    cut in between, closing line and all (seen on a loaded machine)."""
    from iacfilter_plugins.glitch.runner import glitch_errors

    bar = "\rANALYZING ALL FILES WITH EXTENSIONS ['yml', 'yaml']: 100%|##########| 1/1 [00:00<00:00,  2.00it/s]"
    tb = ("\n==================== Traceback ====================\nTraceback (most recent call last):\n"
          '  File "/t/x.py", line 1, in f\n    g()\nValueError: Unknown value type\n' + "=" * 51 + "\n")
    cut = "\nANALYZING ALL FILES WITH EXTENSIONS ['yml', 'yaml']:   0%| | 0/2 [00:00<?, ?it/"
    assert glitch_errors(stderr.format(bar=bar, bar_in_line=bar[1:], cut=cut, tb=tb), "/t") == {
        "zuul.d/jobs.yaml": ("Ansible - File is not a tasks file", "ValueError: Unknown value type")}


def test_scan_of_a_technology_glitch_does_not_read_says_so(tmp_path, tree):
    res = run_subprocess("scan", tree, "--tech", "http", "--glitch", tmp_path / "nowhere" / "glitch")
    assert res.returncode == 2
    assert res.stderr.startswith("iacfilter: error: --tech http: GLITCH does not scan it (it scans ansible, ")
    assert res.stderr.count("\n") == 1
