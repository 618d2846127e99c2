"""One regression test for every failure class the fuzzing found, and every failing example
Hypothesis found since (tests/test_fuzz.py). Each runs the CLI in-process, as the property tests do."""

from __future__ import annotations

import copy
import errno
import json
import os
import tempfile
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from conftest import EXAMPLES, SARIF_SCHEMA, SARIF_SCHEMA_SHA256, run_subprocess

from iacfilter import validate
from iacfilter.cli import cli
from iacfilter.findings import Finding, Verdict
from iacfilter.registry import ScanRun
from iacfilter.rules import load_rules_map
from iacfilter.records import Decision
from iacfilter.sarif import build_log, dumps
from iacfilter.sources import SourceRoot

VALIDATOR = jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text()))


def run(*args, env=None):
    return CliRunner().invoke(cli, [str(a) for a in args], env=env)


def assert_refused(res, *fragments, out: Path | None = None):
    assert res.exit_code == 2, (res.exit_code, res.stderr, res.exception)
    assert res.stderr.count("\n") == 1 and res.stderr.startswith("iacfilter: error: "), res.stderr
    for fragment in fragments:
        assert fragment in res.stderr, res.stderr
    if out is not None:
        assert not out.exists() and not list(out.parent.glob(f".{out.name}.*"))


def strict_valid(path: Path) -> dict:
    def refuse(name):
        raise AssertionError(f"{name} in output")

    doc = json.loads(path.read_bytes().decode("utf-8"), parse_constant=refuse)
    errors = list(VALIDATOR.iter_errors(doc))
    assert not errors, [f"{list(e.absolute_path)}: {e.message[:200]}" for e in errors[:3]]
    return doc


@pytest.fixture
def src(tmp_path):
    root = tmp_path / "src"
    root.mkdir()
    (root / "a.yml").write_text("user: admin\npassword: hunter2\n# TODO: later\n")
    return root


def filter_ok(tmp_path, champion, input_path, root):
    out = tmp_path / "o.sarif"
    res = run("filter", input_path, "--source-root", root, "--model", champion, "-o", out)
    assert res.exit_code == 0, (res.stderr, res.exception)
    return strict_valid(out)


def verdicts(doc) -> list[tuple[str, str]]:
    return [(r["properties"]["iacfilter"]["verdict"], r["properties"]["iacfilter"]["reason"])
            for run_ in doc["runs"] for r in run_["results"]]


# -- 1. SARIF of the wrong shape: refused in one line naming the file and the JSON pointer -------------------

GOOD_RESULT = {"ruleId": "sec_hard_pass", "message": {"text": "Hard-coded password"},
               "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a.yml"},
                                                   "region": {"startLine": 2, "snippet": {"text": "password"}}}}]}


def sarif_log(result=None, **run_extra):
    result = copy.deepcopy(GOOD_RESULT) if result is None else result
    return {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "GLITCH"}}, "results": [result], **run_extra}]}


def mutate(path: str, value):
    doc = sarif_log()
    node, *parts = [doc, *path.strip("/").split("/")]
    parts = [int(p) if p.isdigit() else p for p in parts]
    for part in parts[:-1]:
        node = node[part]
    node[parts[-1]] = value
    return doc


WRONG_SHAPES = {
    "rule is a string": ("/runs/0/results/0/rule", "sec_hard_pass", "must be an object, not a string"),
    "rule is a number": ("/runs/0/results/0/rule", 3, "must be an object, not an integer"),
    "rules is an object": ("/runs/0/tool/driver/rules", {"id": "x"}, "must be an array, not an object"),
    "locations is a string": ("/runs/0/results/0/locations", "a.yml", "must be an array, not a string"),
    "a location is a number": ("/runs/0/results/0/locations/0", 7, "must be an object, not an integer"),
    "physicalLocation is a list": ("/runs/0/results/0/locations/0/physicalLocation", [], "must be an object"),
    "region is a string": ("/runs/0/results/0/locations/0/physicalLocation/region", "2", "must be an object"),
    "snippet is a string": ("/runs/0/results/0/locations/0/physicalLocation/region/snippet", "x", "must be an object"),
    "suppressions: [null]": ("/runs/0/results/0/suppressions", [None], "must be an object, not null"),
    "properties is a list": ("/runs/0/results/0/properties", [], "must be an object, not an array"),
    "startLine is 0": ("/runs/0/results/0/locations/0/physicalLocation/region/startLine", 0, "minimum"),
    "startLine is 1.5": ("/runs/0/results/0/locations/0/physicalLocation/region/startLine", 1.5, "must be an integer"),
    "runs is a number": ("/runs", 3, "must be an array or null, not an integer"),
}


@pytest.mark.parametrize("case", sorted(WRONG_SHAPES))
def test_sarif_of_the_wrong_shape_is_refused_with_its_pointer(tmp_path, champion, src, case):
    pointer, value, problem = WRONG_SHAPES[case]
    path = tmp_path / "in.sarif"
    path.write_text(json.dumps(mutate(pointer, value)))
    out = tmp_path / "o.sarif"
    res = run("filter", path, "--source-root", src, "--model", champion, "-o", out)
    expected_pointer = pointer + "/0" if case == "suppressions: [null]" else pointer
    assert_refused(res, f"{path}: not valid SARIF 2.1.0 JSON: {expected_pointer}: ", problem, out=out)


@pytest.mark.parametrize("where", ["/runs/0/results/0/message/text", "/runs/0/tool/driver/name",
                                   "/runs/0/results/0/properties"])
def test_a_lone_surrogate_anywhere_is_refused_not_a_crash(tmp_path, champion, src, where):
    doc = mutate(where, "x\ud800y") if not where.endswith("properties") else mutate(where, {"k\udc00": 1})
    path = tmp_path / "in.sarif"
    path.write_text(json.dumps(doc))  # ASCII JSON with a "\ud800" escape, as a tool might write
    res = run("filter", path, "--source-root", src, "--model", champion, "-o", tmp_path / "o.sarif")
    assert_refused(res, "lone UTF-16 surrogate", where if not where.endswith("properties") else where + "/k")


def test_the_writer_escapes_a_lone_surrogate_instead_of_crashing():
    text = dumps({"version": "2.1.0", "runs": [], "x": "a\ud800b"})
    assert "\\ud800" in text
    text.encode("utf-8")  # strict: no surrogate left in the output


# -- 2. SARIF that breaks the schema is not passed through; NaN and Infinity are not JSON -----------------------


def test_a_result_with_no_message_is_refused(tmp_path, champion, src):
    result = copy.deepcopy(GOOD_RESULT)
    del result["message"]
    path = tmp_path / "in.sarif"
    path.write_text(json.dumps(sarif_log(result)))
    res = run("filter", path, "--source-root", src, "--model", champion, "-o", tmp_path / "o.sarif")
    assert_refused(res, "/runs/0/results/0: ", "message")


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e999", "-1e400"])
def test_non_finite_numbers_are_refused(tmp_path, champion, src, token):
    path = tmp_path / "in.sarif"
    path.write_text(json.dumps(sarif_log()).replace('"startLine": 2', f'"startLine": 2, "startColumn": {token}'))
    res = run("filter", path, "--source-root", src, "--model", champion, "-o", tmp_path / "o.sarif")
    assert_refused(res, "only finite numbers are allowed")


def test_runs_null_is_refused_not_taken_as_clean(tmp_path, champion, src):
    path = tmp_path / "in.sarif"
    path.write_text('{"version": "2.1.0", "runs": null}')
    assert_refused(run("filter", path, "--source-root", src, "--model", champion), "/runs: is null")


def test_non_finite_scores_and_thresholds_never_reach_the_output():
    finding = Finding(tool="GLITCH", rule="sec_hard_pass", path="a.yml", line=1, origin="g.csv")
    run_ = ScanRun(origin="g.csv", driver={"name": "GLITCH"}, findings=[finding])
    decision = Decision(finding, load_rules_map().lookup("GLITCH", "sec_hard_pass"), "ansible",
                        verdict=Verdict("kept", "score nan", float("nan"), float("inf"), "m"))
    log = build_log([run_], [decision], mode="annotate", models=[("m", float("nan"))])
    doc = json.loads(dumps(log), parse_constant=lambda name: pytest.fail(f"{name} in output"))
    assert "score" not in doc["runs"][0]["results"][0]["properties"]["iacfilter"]
    assert not list(VALIDATOR.iter_errors(doc))


def test_web_sarif_is_accepted_and_a_url_is_no_source(tmp_path, champion, src):
    result = {"ruleId": "sec_https", "message": {"text": "Cookie without Secure"},
              "locations": [{"physicalLocation": {"artifactLocation": {"uri": "https://example.com/login?a=1"},
                                                  "region": {"startLine": 1}}}],
              "webRequest": {"protocol": "HTTP", "version": "1.1", "method": "POST",
                             "target": "https://example.com/login", "headers": {"Host": "example.com"},
                             "body": {"text": "user=a&password=b"}},
              "webResponse": {"statusCode": 302, "reasonPhrase": "Found", "headers": {"Set-Cookie": "sid=1"}}}
    path = tmp_path / "zap.sarif"
    path.write_text(json.dumps(sarif_log(result)))
    doc = filter_ok(tmp_path, champion, path, src)
    out = doc["runs"][0]["results"][0]
    assert out["webRequest"] == result["webRequest"] and out["webResponse"] == result["webResponse"]


# -- 3. deep nesting: refused before parsing can recurse; the limit itself is accepted ------------------------


@pytest.mark.parametrize("depth,kind", [(65, "{"), (500, "["), (5000, "{"), (100_000, "[")])
def test_deep_nesting_is_refused_in_one_line(tmp_path, champion, src, depth, kind):
    deep = ('{"a":' * depth + "1" + "}" * depth) if kind == "{" else ("[" * depth + "]" * depth)
    path = tmp_path / "in.sarif"
    path.write_text(json.dumps(sarif_log()).replace('"results"', f'"properties": {{"deep": {deep}}}, "results"'))
    res = run("filter", path, "--source-root", src, "--model", champion, "-o", tmp_path / "o.sarif")
    assert_refused(res, f"nested {depth + 4} levels deep; at most {validate.MAX_JSON_DEPTH} are accepted")


def test_nesting_at_the_limit_is_read_copied_and_written(tmp_path, champion, src):
    depth = validate.MAX_JSON_DEPTH - 6  # log > runs > run > results > result > properties > ...
    deep = '{"a":' * depth + "1" + "}" * depth
    path = tmp_path / "in.sarif"
    path.write_text(json.dumps(sarif_log()).replace('"ruleId"', f'"properties": {{"deep": {deep}}}, "ruleId"'))
    assert validate.json_depth(path.read_text()) == validate.MAX_JSON_DEPTH
    doc = filter_ok(tmp_path, champion, path, src)
    assert "deep" in doc["runs"][0]["results"][0]["properties"]


def test_brackets_inside_strings_do_not_count_as_nesting():
    assert validate.json_depth('{"a": "[[[[{{{{\\"]]]", "b": [1, {"c": "}"}]}') == 3


# -- 4. source paths the OS refuses are "no source" with the reason, never a traceback --------------------------


@pytest.fixture
def hostile_root(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "a.yml").write_text("password: x\n")
    (root / "sub").mkdir()
    (root / "loop1").symlink_to("loop2")
    (root / "loop2").symlink_to("loop1")
    (tmp_path / "secret.yml").write_text("password: outside\n")
    (root / "out.yml").symlink_to(tmp_path / "secret.yml")
    return root


@pytest.mark.parametrize("path,reason", [
    ("a" * 300 + ".yml", "File name too long"),
    ("x/" * 2100 + "a.yml", "file not found"),  # longer than PATH_MAX, but "x" does not exist
    ("sub/" + "x" * 300, "File name too long"),
    ("loop1", "symlink loop"),
    ("loop1/a.yml", "symlink loop"),
    ("a\x00b.yml", "embedded NUL byte"),
    ("a.yml/b.yml", "Not a directory"),
    ("https://example.com/a.yml", "a URL"),
    ("out.yml", "outside the source root"),
    ("../secret.yml", "outside the source root"),
    ("", "names no file"),
])
def test_refused_paths_are_no_source_with_the_reason(hostile_root, path, reason):
    lines, why = SourceRoot(hostile_root).lines(path)
    assert lines is None and reason in why


def test_percent_00_in_a_sarif_uri_and_nul_in_a_csv_field_are_no_source(tmp_path, champion, hostile_root):
    result = copy.deepcopy(GOOD_RESULT)
    result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = "a.yml%00.yml"
    sarif = tmp_path / "in.sarif"
    sarif.write_text(json.dumps(sarif_log(result)))
    assert verdicts(filter_ok(tmp_path, champion, sarif, hostile_root)) == [
        ("no-source", "path has an embedded NUL byte; not opened")]
    csv = tmp_path / "g.csv"  # one stray NUL does not make a text file binary: it reaches the path check
    csv.write_text("PATH,LINE,ERROR,DESCRIPTION,CODE\na.yml,1,sec_hard_pass,Hard-coded password. (CWE-259),x\n"
                   "a\x00.yml,1,sec_hard_pass,Hard-coded password. (CWE-259),x\n")
    assert verdicts(filter_ok(tmp_path, champion, csv, hostile_root))[1] == (
        "no-source", "path has an embedded NUL byte; not opened")


def test_long_names_and_loops_from_glitch_csv_are_no_source(tmp_path, champion, hostile_root):
    csv = tmp_path / "g.csv"
    csv.write_text(f"PATH,LINE,ERROR\n{'a' * 300}.yml,1,sec_hard_pass\nloop1/a.yml,1,sec_hard_pass\n"
                   f"{'x/' * 2100}a.yml,1,sec_hard_pass\n")
    reasons = [why for _, why in verdicts(filter_ok(tmp_path, champion, csv, hostile_root))]
    assert reasons == ["path cannot be resolved (File name too long); not opened",
                       "path cannot be resolved (symlink loop); not opened",
                       "file not found under the source root"]


def _refuse_under(monkeypatch, directory: Path):
    """The kernel's answer for a directory without search permission, for a test running as root (which the
    kernel lets search anything): EACCES from stat/lstat of any path below ``directory``."""
    real_stat, real_lstat = os.stat, os.lstat

    def guard(real):
        def call(path, *args, **kwargs):
            if isinstance(path, (str, os.PathLike)) and Path(os.fspath(path)).is_relative_to(directory) and \
                    Path(os.fspath(path)) != directory:
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(path))
            return real(path, *args, **kwargs)
        return call

    monkeypatch.setattr(os, "stat", guard(real_stat))
    monkeypatch.setattr(os, "lstat", guard(real_lstat))


def test_an_unsearchable_directory_is_no_source(tmp_path, champion, hostile_root, monkeypatch):
    closed = hostile_root / "closed"
    closed.mkdir()
    (closed / "b.yml").write_text("password: x\n")
    closed.chmod(0)
    try:
        if os.geteuid() == 0:
            _refuse_under(monkeypatch, closed)
        lines, why = SourceRoot(hostile_root).lines("closed/b.yml")
        assert lines is None and why == "path cannot be resolved (Permission denied); not opened"
    finally:
        closed.chmod(0o755)


# -- 5. CSV line breaks that are not newlines stay inside their row -------------------------------------------

NOT_NEWLINES = {"U+2028": "\u2028", "U+2029": "\u2029", "U+0085": "\x85", "form feed": "\x0c",
                "vertical tab": "\x0b", "file separator": "\x1c", "group separator": "\x1d",
                "record separator": "\x1e"}


@pytest.mark.parametrize("name", sorted(NOT_NEWLINES))
def test_a_line_break_that_is_not_a_newline_does_not_split_a_glitch_row(tmp_path, champion, src, name):
    sep = NOT_NEWLINES[name]
    csv = tmp_path / "g.csv"
    csv.write_bytes(f"PATH,LINE,ERROR,DESCRIPTION,CODE\r\na.yml,2,sec_hard_pass,-,pass{sep}word: x\r\n"
                    f"a.yml,3,sec_susp_comm,Suspicious{sep}comment. (CWE-546),# TODO{sep}\n".encode())
    doc = filter_ok(tmp_path, champion, csv, src)
    results = doc["runs"][0]["results"]
    assert len(results) == 2
    assert results[0]["locations"][0]["physicalLocation"]["region"]["snippet"]["text"] == f"pass{sep}word: x"
    assert results[1]["message"]["text"] == f"Suspicious{sep}comment. (CWE-546)"


@pytest.mark.parametrize("ends", [("\r", "\r", "\r"), ("\r", "\n", "\r\n"), ("\r\n", "\r", "\n")])
def test_bare_carriage_returns_end_glitch_rows_as_in_python_csv(tmp_path, champion, src, ends):
    import csv as python_csv
    import io

    rows = ["PATH,LINE,ERROR,DESCRIPTION,CODE", "a.yml,2,sec_hard_pass,-,pass\u2028word: x",
            "a.yml,3,sec_susp_comm,Suspicious comment. (CWE-546),# TODO\x85"]
    text = "".join(row + end for row, end in zip(rows, ends))
    (tmp_path / "g.csv").write_bytes(text.encode())
    expected = list(python_csv.reader(io.StringIO(text, newline="")))
    assert len(expected) == 3
    results = filter_ok(tmp_path, champion, tmp_path / "g.csv", src)["runs"][0]["results"]
    assert [(r["locations"][0]["physicalLocation"]["region"]["startLine"],
             r["locations"][0]["physicalLocation"]["region"]["snippet"]["text"]) for r in results] == [
        (int(row[1]), ",".join(row[4:])) for row in expected[1:]]


def test_the_linter_reader_splits_on_newlines_only(tmp_path, champion, src):
    linter = tmp_path / "lint.txt"
    linter.write_text("Hard-coded\u2028password,a.yml,2,sec_hard_pass,x\x0cy\nTODO\x85,a.yml,3,sec_susp_comm,#\n")
    assert len(filter_ok(tmp_path, champion, linter, src)["runs"][0]["results"]) == 2


def test_source_lines_are_counted_on_newlines_only(tmp_path):
    (tmp_path / "f.yml").write_text("a: 1\x0c\nb: \u2028 2\r\nc: \x85 3\nlast", newline="")
    lines, _ = SourceRoot(tmp_path).lines("f.yml")
    assert lines == ["a: 1\x0c", "b: \u2028 2", "c: \x85 3", "last"]
    assert validate.split_lines("x\n\n") == ["x", ""] and validate.split_lines("") == []


# -- 6. environment, options and files: one line, exit 2 --------------------------------------------------------


@pytest.mark.parametrize("value", ["abc", "", "nan", "inf", "-1", "0", "1e400"])
def test_a_bad_max_input_size_is_one_line(tmp_path, champion, value):
    res = run("filter", EXAMPLES / "chef" / "glitch.csv", "--model", champion, "-o", tmp_path / "o.sarif",
              env={"IACFILTER_MAX_INPUT_MB": value})
    assert_refused(res, "IACFILTER_MAX_INPUT_MB: must be a positive number of MiB", out=tmp_path / "o.sarif")


def test_an_input_name_too_long_is_one_line(tmp_path, champion):
    name = tmp_path / ("a" * 300 + ".csv")
    assert_refused(run("filter", name, "--model", champion), f"{name}: cannot be read: File name too long")


def test_an_input_in_an_unsearchable_directory_is_one_line(tmp_path, champion, monkeypatch):
    closed = tmp_path / "closed"
    closed.mkdir()
    (closed / "g.csv").write_text("PATH,LINE,ERROR\na.yml,1,sec_hard_pass\n")
    closed.chmod(0)
    try:
        if os.geteuid() == 0:
            _refuse_under(monkeypatch, closed)
        res = run("filter", closed / "g.csv", "--model", champion, "-o", tmp_path / "o.sarif")
        assert_refused(res, "g.csv: cannot be read: Permission denied", out=tmp_path / "o.sarif")
    finally:
        closed.chmod(0o755)


def test_an_unwritable_output_directory_is_one_line(tmp_path, champion, monkeypatch):
    closed = tmp_path / "ro"
    closed.mkdir()
    closed.chmod(0o555)
    try:
        if os.geteuid() == 0:  # root writes anywhere: make the kernel's refusal explicit
            def refuse(*args, **kwargs):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(closed / ".o.sarif.tmp"))
            monkeypatch.setattr(tempfile, "mkstemp", refuse)
        res = run("filter", EXAMPLES / "chef" / "glitch.csv", "--source-root", EXAMPLES / "chef", "--model",
                  champion, "-o", closed / "o.sarif", "-q")
        assert_refused(res, "o.sarif: cannot write output: Permission denied", out=closed / "o.sarif")
    finally:
        closed.chmod(0o755)


def test_an_output_name_too_long_is_one_line(tmp_path, champion):
    out = tmp_path / ("o" * 300)
    res = run("filter", EXAMPLES / "chef" / "glitch.csv", "--source-root", EXAMPLES / "chef", "--model", champion,
              "-o", out, "-q")
    assert_refused(res, "cannot write output: File name too long")


def test_a_source_root_that_is_a_file_is_one_line_not_a_usage_screen(tmp_path, champion):
    res = run_subprocess("filter", EXAMPLES / "chef" / "glitch.csv", "--source-root", EXAMPLES / "chef" / "glitch.csv",
                         "--model", champion)
    assert res.returncode == 2 and res.stderr.count("\n") == 1, res.stderr
    assert res.stderr.startswith("iacfilter: error: iacfilter filter: Invalid value for '--source-root'")
    assert "is a file" in res.stderr and "--help" in res.stderr


@pytest.mark.parametrize("args,problem", [
    (["filter", "x.csv", "--bogus"], "No such option '--bogus'"),
    (["filter"], "Missing argument 'INPUT...'"),
    (["filter", "x.csv", "--threshold", "nan"], "'nan' is not a number from 0 to 1"),
    (["filter", "x.csv", "--threshold", "2"], "--threshold"),
    (["filter", "x.csv", "--mode", "both"], "--mode"),
    (["--bogus"], "No such option"),
    (["filter", "x.csv", "--source-root", "a\x00b"], "embedded null byte"),  # found by Hypothesis
    (["scan", "a\x00b", "--tech", "puppet"], "embedded null byte"),
    (["filter", "x.csv", "--baseline", "a\x00b"], "a file name holds a NUL byte"),  # found by Hypothesis
    (["sweep", "status", "a\x00b"], "a file name holds a NUL byte"),
])
def test_option_errors_are_one_line(args, problem):
    res = run(*args)
    assert_refused(res, problem)


def test_a_file_name_with_a_newline_still_gives_one_line(tmp_path, champion):
    name = tmp_path / "two\nlines\u2028.csv"
    assert_refused(run("filter", name, "--model", champion), "two\\nlines\\u2028.csv: no such file")


def test_shipped_schema_is_the_official_one():
    import hashlib

    shipped = validate.SARIF_SCHEMA_FILE.read_bytes()
    assert hashlib.sha256(shipped).hexdigest() == SARIF_SCHEMA_SHA256
    assert shipped == SARIF_SCHEMA.read_bytes()  # ../shared's copy where it is there


def test_an_unwritable_output_is_refused_before_any_warning(tmp_path, champion):
    """Found by Hypothesis (--long): sources all unreadable, then a missing output directory: the warning about
    the sources came first and the error second, two lines. The output is now checked before any work."""
    out = tmp_path / "missing" / "o.sarif"
    res = run("filter", EXAMPLES / "chef" / "glitch.csv", "--source-root", tmp_path, "--model", champion,
              "-o", out, "-q")
    assert_refused(res, f"{out}: output directory does not exist")
