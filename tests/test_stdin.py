"""'-' as INPUT: scanner output piped in, format detected as for a file, same checks, same decisions."""

import json
import subprocess
import sys

from conftest import EXAMPLES


def iacfilter(*args, stdin=b""):
    return subprocess.run([sys.executable, "-m", "iacfilter", *map(str, args)], input=stdin, capture_output=True)


def results(doc):
    return [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"], r["properties"]["iacfilter"])
            for run in doc["runs"] for r in run["results"]]


def test_glitch_csv_from_a_pipe_gives_the_same_decisions_as_the_file(tmp_path):
    csv = EXAMPLES / "chef" / "glitch.csv"
    piped = iacfilter("filter", "-", "--source-root", EXAMPLES / "chef", "-q", "-o", tmp_path / "p.sarif",
                      stdin=csv.read_bytes())
    assert piped.returncode == 0, piped.stderr
    from_file = iacfilter("filter", csv, "--source-root", EXAMPLES / "chef", "-q", "-o", tmp_path / "f.sarif")
    assert from_file.returncode == 0
    p, f = (json.loads((tmp_path / n).read_text()) for n in ("p.sarif", "f.sarif"))
    assert results(p) == results(f) and results(p)
    assert p["runs"][0]["conversion"]["analysisToolLogFiles"] == [{"uri": "stdin"}]


def test_sarif_from_a_pipe_is_detected_and_mixed_with_files(tmp_path):
    first = tmp_path / "first.sarif"
    assert iacfilter("filter", EXAMPLES / "puppet" / "glitch.csv", "--source-root", EXAMPLES / "puppet", "-q",
                     "-o", first).returncode == 0
    res = iacfilter("filter", "-", EXAMPLES / "puppet" / "glitch.csv", "--source-root", EXAMPLES / "puppet",
                    "--format", "json", "-q", stdin=first.read_bytes())
    assert res.returncode == 0, res.stderr
    rows = json.loads(res.stdout)
    assert {r["input"] for r in rows} == {"stdin", str(EXAMPLES / "puppet" / "glitch.csv")}
    assert len(rows) == 2 * len(json.loads(first.read_text())["runs"][0]["results"])


def test_bad_stdin_is_one_line_and_exit_2(tmp_path):
    for data, words in ((b"", "stdin: is empty"), (b"\x00\x01binary", "stdin: is binary"),
                        (b"hello world\n", "stdin: unrecognised format"), (b"\xff\xfe bad", "not UTF-8")):
        res = iacfilter("filter", "-", "-o", tmp_path / "o.sarif", stdin=data)
        err = res.stderr.decode()
        assert res.returncode == 2 and words in err and err.count("\n") == 1, err
        assert not (tmp_path / "o.sarif").exists()
    res = iacfilter("filter", "-", "-", stdin=b"x")
    assert res.returncode == 2 and b"only once" in res.stderr


def test_stdin_larger_than_the_limit_is_refused(tmp_path):
    big = (EXAMPLES / "ansible" / "glitch.csv").read_bytes() * 2000
    res = subprocess.run([sys.executable, "-m", "iacfilter", "filter", "-", "-o", str(tmp_path / "o")], input=big,
                         capture_output=True, env={**__import__("os").environ, "IACFILTER_MAX_INPUT_MB": "1"})
    assert res.returncode == 2 and b"too large" in res.stderr
