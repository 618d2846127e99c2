"""The hooks of ``.pre-commit-hooks.yaml`` through the real ``pre-commit`` (PyPI) and the real GLITCH 2.0, in a
temporary git repository, with real commits. pre-commit builds the hooks' environment from a git copy of this
working tree once per session (about 30 s: it pip-installs iacfilter); each commit then takes about 5-10 s
(GLITCH's start-up). The default model decides: no test model is involved.
"""

import os
import shutil
import subprocess
import sys
import textwrap

import pytest
from conftest import REPO

GLITCH = shutil.which("glitch")
pytestmark = [
    pytest.mark.skipif(GLITCH is None, reason="GLITCH is not installed: bash ../shared/glitch/install/install.sh"),
    pytest.mark.skipif(subprocess.run([sys.executable, "-m", "pre_commit", "--version"],
                                      capture_output=True).returncode,
                       reason="pre-commit is not installed: pip install pre-commit"),
]

# A real hard-coded password (the default model keeps it) and a GLITCH false positive: a key's file path
# flagged as a hard-coded secret (the default model filters it).
PASSWORD = textwrap.dedent("""\
    - hosts: db
      tasks:
        - name: create the database user
          mysql_user:
            name: app
            password: "Xk9mP2qL7vRw"
    """)
KEY_PATH = "app_ssl_key: /etc/app/ssl/app.key\n"


def git(cwd, *args, env=None):
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=env, check=False)


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory):
    """This working tree (tracked and untracked, not ignored files) as a git repository pre-commit can install."""
    repo = tmp_path_factory.mktemp("hooks-repo")
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO, capture_output=True,
                            check=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        source = REPO / rel
        if source.is_file():
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repo / rel)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    done = git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "hooks")
    assert done.returncode == 0, done.stderr
    return repo, git(repo, "rev-parse", "HEAD").stdout.strip()


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory):
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def project(tmp_path, hook_repo, pre_commit_home):
    """A git repository using the hooks, with pre-commit installed as its git hook; returns commit(files)."""
    repo, rev = hook_repo
    root = tmp_path / "project"
    root.mkdir()
    git(root, "init", "-q")
    log = tmp_path / "glitch-calls.log"
    wrapper = tmp_path / "glitch-logged"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> {log}\nexec {GLITCH} "$@"\n')
    wrapper.chmod(0o755)
    env = {**os.environ, "PRE_COMMIT_HOME": str(pre_commit_home), "IACFILTER_GLITCH": str(wrapper),
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com"}
    env.pop("IACFILTER_MODEL", None)

    def configure(hook_id, args=()):
        (root / ".pre-commit-config.yaml").write_text(textwrap.dedent(f"""\
            repos:
              - repo: {repo}
                rev: {rev}
                hooks:
                  - id: {hook_id}
                    args: {list(args)}
                    verbose: true
            """))
        git(root, "add", ".pre-commit-config.yaml")
        installed = subprocess.run([sys.executable, "-m", "pre_commit", "install"], cwd=root, env=env,
                                   capture_output=True, text=True)
        assert installed.returncode == 0, installed.stdout + installed.stderr

    def commit(files: dict[str, str], extra_env=None):
        for rel, text in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text)
            git(root, "add", rel)
        res = git(root, "commit", "-qm", "change", env={**env, **(extra_env or {})})
        return res.returncode, res.stdout + res.stderr

    project = type("Project", (), {})()
    project.root, project.configure, project.commit, project.glitch_calls = root, configure, commit, log
    return project


def test_scan_hook_fails_a_commit_with_a_hard_coded_password_and_names_path_and_line(project):
    project.configure("iacfilter")
    code, out = project.commit({"roles/db/tasks/main.yml": PASSWORD, "README.md": "# notes\n"})
    assert code != 0, out
    assert "roles/db/tasks/main.yml:6: IAC-HARD-CODED-PASSWORD Hard-coded password (0.9" in out
    assert "Failed" in out
    # Only the technology of the changed files was scanned, once.
    calls = project.glitch_calls.read_text().splitlines()
    assert len(calls) == 1 and "--tech ansible" in calls[0]


def test_scan_hook_passes_a_commit_whose_only_finding_is_a_false_positive(project):
    project.configure("iacfilter")
    code, out = project.commit({"group_vars/all.yml": KEY_PATH})
    assert code == 0, out
    assert "Passed" in out
    assert "iacfilter: 1 findings, 0 reported, 1 filtered, 0 at or above low" in out  # GLITCH flagged it; the model filtered it


def test_scan_hook_fails_only_at_or_above_the_configured_severity(project):
    project.configure("iacfilter", ["--severity", "critical"])  # a hard-coded password is high (7.5)
    code, out = project.commit({"site.yml": PASSWORD})
    assert code == 0, out


def test_scan_hook_without_glitch_says_how_to_install_it(project):
    project.configure("iacfilter")
    code, out = project.commit({"site.yml": PASSWORD}, {"IACFILTER_GLITCH": "/nonexistent/glitch"})
    assert code != 0
    assert "GLITCH is not installed" in out and "https://github.com/sr-lab/GLITCH" in out


def test_report_hook_filters_committed_glitch_csv(project):
    project.configure("iacfilter-report")
    rows = ("PATH,LINE,ERROR,DESCRIPTION,CODE\n"
            "group_vars/all.yml,1,sec_hard_secr,Hard-coded secret - Developers should not reveal sensitive "
            "information in the source code. (CWE-798),app_ssl_key: /etc/app/ssl/app.key\n")
    code, out = project.commit({"group_vars/all.yml": KEY_PATH, "reports/glitch-ansible.csv": rows})
    assert code == 0, out  # only a false positive
    assert "iacfilter: 1 findings, 0 reported, 1 filtered" in out
    rows += ("site.yml,6,sec_hard_pass,Hard-coded password - Developers should not reveal sensitive information "
             "in the source code. (CWE-259),password: \"Xk9mP2qL7vRw\"\n")
    code, out = project.commit({"site.yml": PASSWORD, "reports/glitch-ansible.csv": rows})
    assert code != 0, out
    assert "site.yml:6: IAC-HARD-CODED-PASSWORD Hard-coded password (0.9" in out
    assert "group_vars/all.yml:1" not in out
    assert not project.glitch_calls.exists()  # the report hook never runs GLITCH
