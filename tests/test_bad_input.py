"""Bad input: one line naming the file and the problem, exit code 2, no traceback, no output file left."""

import os
from pathlib import Path

import pytest
from conftest import EXAMPLES, run_subprocess


def bad_inputs(tmp_path):
    cases = {}
    (tmp_path / "empty.csv").write_bytes(b"")
    cases["empty"] = (tmp_path / "empty.csv", "is empty")
    (tmp_path / "trunc.sarif").write_text('{"version": "2.1.0", "runs": [{"tool": {"driver": {"na')
    cases["truncated-json"] = (tmp_path / "trunc.sarif", "not valid SARIF 2.1.0 JSON: not valid JSON (line 1")
    (tmp_path / "wrong.csv").write_text("file,line,rule\na.yml,1,x\n")
    cases["wrong-header"] = (tmp_path / "wrong.csv", "unrecognised format")
    (tmp_path / "bad-row.csv").write_text("PATH,LINE,ERROR,DESCRIPTION,CODE\na.yml,1,sec_https,-,x\nnot a row\n")
    cases["bad-row"] = (tmp_path / "bad-row.csv", "line 3: not a GLITCH row")
    (tmp_path / "bin.csv").write_bytes(b"PATH\x00\x01\x02" * 100)
    cases["binary"] = (tmp_path / "bin.csv", "is a binary file")
    (tmp_path / "latin1.csv").write_bytes("PATH,LINE,ERROR\nä.yml,1,sec_https\n".encode("latin-1"))
    cases["not-utf8"] = (tmp_path / "latin1.csv", "is not UTF-8 text")
    (tmp_path / "adir").mkdir()
    cases["directory"] = (tmp_path / "adir", "is a directory")
    cases["missing"] = (tmp_path / "nope.csv", "no such file")
    with open(tmp_path / "huge.csv", "wb") as fh:
        fh.truncate(200 * 1024 * 1024)  # sparse: 200 MB without writing them
    cases["200MB"] = (tmp_path / "huge.csv", "is too large (200 MiB; the limit is 100 MiB")
    (tmp_path / "notsarif.json").write_text('{"runs": 3, "version": "2.1.0"}')
    cases["not-sarif"] = (tmp_path / "notsarif.json", "not valid SARIF 2.1.0 JSON: /runs: must be an array or null, not an integer")
    return cases


CASES = ["empty", "truncated-json", "wrong-header", "bad-row", "binary", "not-utf8", "directory", "missing",
         "200MB", "not-sarif"]


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_one_line_exit_2_and_no_output(tmp_path, champion, case):
    path, problem = bad_inputs(tmp_path)[case]
    out = tmp_path / "out" / "o.sarif"
    out.parent.mkdir()
    res = run_subprocess("filter", path, "--model", champion, "-o", out)
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
    assert res.stderr.startswith(f"iacfilter: error: {path}: ") and problem in res.stderr, res.stderr
    assert list(out.parent.iterdir()) == []


def test_bad_input_among_good_ones_writes_nothing(tmp_path, champion):
    out = tmp_path / "o.sarif"
    res = run_subprocess("filter", EXAMPLES / "chef" / "glitch.csv", tmp_path / "missing.csv", "--model", champion,
                         "-o", out)
    assert res.returncode == 2 and "missing.csv: no such file" in res.stderr and not out.exists()


def test_unreadable_source_file_is_an_error_with_no_partial_output(tmp_path, champion):
    src = tmp_path / "src"
    (src / "a.yml").mkdir(parents=True)  # the flagged "file" is something that cannot be read as one
    csv = tmp_path / "g.csv"
    csv.write_text("PATH,LINE,ERROR\na.yml,1,sec_hard_pass\n")
    out = tmp_path / "o.sarif"
    res = run_subprocess("filter", csv, "--source-root", src, "--model", champion, "-o", out)
    assert res.returncode == 2 and "a.yml: flagged source is not a regular file" in res.stderr
    assert "Traceback" not in res.stderr and not out.exists()


def test_permission_denied_source_as_an_unprivileged_user(champion):
    """A real permission error, as a user that cannot read the file (root reads everything)."""
    import shutil
    import subprocess
    import sys
    import tempfile

    if os.geteuid() != 0:
        pytest.skip("switching users needs root; the same error path is covered by test_unreadable_source_is_an_error")
    try:
        readable = subprocess.run([sys.executable, "-c", "import iacfilter"], user=65534).returncode == 0
    except OSError:
        readable = False
    if not readable:
        pytest.skip("this Python environment is not readable by an unprivileged user")
    base = Path(tempfile.mkdtemp(prefix="iacfilter-perm-"))
    try:
        base.chmod(0o777)
        src = base / "src"
        src.mkdir()
        (src / "a.yml").write_text("password: x\n")
        (src / "a.yml").chmod(0)
        csv = base / "g.csv"
        csv.write_text("PATH,LINE,ERROR\na.yml,1,sec_hard_pass\n")
        shutil.copytree(champion, base / "champion")
        for p in base.rglob("*"):
            if p.name != "a.yml":
                p.chmod(0o755 if p.is_dir() else 0o644)
        out = base / "o.sarif"
        code = (f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import keyword_scorer; "
                "keyword_scorer.install(); from iacfilter.cli import main; main()")
        res = subprocess.run([sys.executable, "-c", code, "filter", str(csv), "--source-root", str(src),
                              "--model", str(base / "champion"), "-o", str(out)],
                             user=65534, capture_output=True, text=True, cwd=base)
        assert res.returncode == 2, res.stderr
        assert "a.yml: cannot read source file: Permission denied" in res.stderr and "Traceback" not in res.stderr
        assert not out.exists()
    finally:
        shutil.rmtree(base)


def test_no_model_is_exit_2(tmp_path):
    res = run_subprocess("filter", EXAMPLES / "chef" / "glitch.csv", "--source-root", EXAMPLES / "chef",
                         "--model", tmp_path)
    assert res.returncode == 2 and "has no champion.yaml" in res.stderr


def test_champion_with_tampered_weights_is_refused(tmp_path, champion):
    (champion / "keywords.json").write_text('{"markers": {}, "default": 1.0}')
    res = run_subprocess("filter", EXAMPLES / "chef" / "glitch.csv", "--source-root", EXAMPLES / "chef",
                         "--model", champion)
    assert res.returncode == 2 and "keywords.json: sha256 mismatch" in res.stderr


def test_champion_with_pickle_weights_is_refused(tmp_path, champion):
    (champion / "pytorch_model.bin").write_bytes(b"x")
    res = run_subprocess("filter", EXAMPLES / "chef" / "glitch.csv", "--model", champion)
    assert res.returncode == 2 and "weights must be safetensors" in res.stderr


def test_bad_threshold_and_output_dir(tmp_path, champion):
    res = run_subprocess("filter", EXAMPLES / "chef" / "glitch.csv", "--model", champion, "--threshold", "1.5")
    assert res.returncode == 2 and "Traceback" not in res.stderr
    res = run_subprocess("filter", EXAMPLES / "chef" / "glitch.csv", "--source-root", EXAMPLES / "chef",
                         "--model", champion, "-o", tmp_path / "no" / "such" / "dir.sarif")
    assert res.returncode == 2 and "output directory does not exist" in res.stderr
