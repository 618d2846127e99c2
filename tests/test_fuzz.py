"""Property-based tests: every input is handled, with no traceback and never invalid SARIF.

Hypothesis builds well-formed and broken GLITCH CSV and SARIF logs, hostile source paths, and odd options and
environments, and runs ``iacfilter filter`` in-process on each. Properties, for every example:

- the exit code is 0 or 2 (never 1: no traceback);
- on 2: exactly one line on stderr, and no output file (nor a temporary one) is left;
- on 0: the output is strict JSON (no NaN), validates against the official SARIF 2.1.0 schema, and has exactly
  one result per input finding (annotate mode);
- well-formed input is accepted (exit 0), and the same input gives byte-identical output;
- no file outside the source root is ever opened (an audit hook on ``open``), nor a non-regular file in it.

CI runs a bounded number of examples (tests/conftest.py, profile ``iacfilter-ci``, about a minute); ``pytest
tests/test_fuzz.py --long`` runs many more. Every failure Hypothesis found is kept in test_fuzz_regressions.py.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from conftest import SARIF_SCHEMA, make_champion
from hypothesis import event, note
from hypothesis import strategies as st
from hypothesis import given

from iacfilter.cli import cli
from iacfilter.rules import load_rules_map

SCHEMA = json.loads(SARIF_SCHEMA.read_text())
SCHEMA_VALIDATOR = jsonschema.Draft4Validator(SCHEMA)  # the reference implementation, not the one iacfilter uses
GLITCH_CODES = sorted({r.code for r in load_rules_map().rules if r.tool == "GLITCH"})
MAX_DEPTH = 64

# -- the audit hook: every path opened while iacfilter runs -------------------------------------------------

_opened: list[str] | None = None


def _audit(event, args):
    if event == "open" and _opened is not None and isinstance(args[0], (str, bytes, os.PathLike)):
        _opened.append(os.path.abspath(os.fsdecode(args[0])))


sys.addaudithook(_audit)  # cannot be removed; it records only while a test sets _opened

# -- the world the examples run in --------------------------------------------------------------------------

SOURCE = {
    "a.yml": "- hosts: all\n  vars:\n    db_password: \"{{ vault_pw }}\"\n    api_key: s3cr3t-k3y\n"
             "    # TODO: rotate\n    url: http://example.com\n  tasks: []\n",
    "b.pp": "class x {\n  $password = 'hunter2'\n  # FIXME later\n  $u = 'http://internal'\n}\n",
    "c.rb": "user 'admin' do\n  password 'admin'\nend\n# TODO\n",
    "sub/d.yaml": "password: \f form feed \u2028 line sep\nkey: \x85 nel\n",
    "crlf.yml": "a: 1\r\npassword: x\r\n# TODO\r\n",
}
READABLE = ["a.yml", "b.pp", "c.rb", "sub/d.yaml", "crlf.yml", "./a.yml", "sub/../b.pp", "link_in.yml",
            "sub/./d.yaml"]
NO_SOURCE = ["../outside/secret.yml", "link_out.yml", "link_outdir/secret.yml", "loop1", "loop1/x.yml",
             "a" * 300 + ".yml", "x/" * 2100 + "a.yml", "missing.yml", "a.yml/x.pp", "closed/e.yml",
             "https://example.com/x.yml", "http://[::1/a.yml", "~/a.yml", "sub\\..\\..\\outside\\secret.yml",
             "a.yml\u2028", "c.rb\x85", "..", "../outside", "/"]
NOT_REGULAR = ["dir.yml", "fifo.yml", "sub", "."]  # inside the root but not files: exit 2 by design


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    base = tmp_path_factory.mktemp("fuzz")
    root, outside = base / "root", base / "outside"
    for rel, text in SOURCE.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, newline="")
    outside.mkdir()
    (outside / "secret.yml").write_text("password: outside-the-root\n")
    (root / "link_in.yml").symlink_to("a.yml")
    (root / "link_out.yml").symlink_to(outside / "secret.yml")
    (root / "link_outdir").symlink_to(outside)
    (root / "loop1").symlink_to("loop2")
    (root / "loop2").symlink_to("loop1")
    (root / "dir.yml").mkdir()
    os.mkfifo(root / "fifo.yml")
    (root / "closed").mkdir()
    (root / "closed" / "e.yml").write_text("password: x\n")
    (root / "closed").chmod(0)  # unsearchable (root bypasses it; test_fuzz_regressions.py tests it as a user)
    champion = make_champion(base / "champion")
    work = base / "work"
    work.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(os, "fsync", lambda fd: None)  # durability is not under test here; fsync is most of a run
        yield {"base": base, "root": root, "outside": outside, "champion": champion, "work": work,
               "abs": {"ABS_IN": str(root / "a.yml"), "ABS_OUT": str(outside / "secret.yml")}}
    (root / "closed").chmod(0o755)


_counter = itertools.count()


def fresh_dir(world) -> Path:
    d = world["work"] / f"ex{next(_counter)}"
    d.mkdir()
    return d


# -- running iacfilter and checking the properties --------------------------------------------------------


def strict_json(text: str):
    def refuse(name):
        raise ValueError(f"non-finite number {name}")

    def finite(literal):
        value = float(literal)
        if value in (float("inf"), float("-inf")):
            raise ValueError(f"number {literal} overflows")
        return value

    return json.loads(text, parse_constant=refuse, parse_float=finite)


def invoke(world, args, env=None):
    """Run the CLI in-process; return (exit code, stdout, stderr, paths opened)."""
    global _opened
    _opened = []
    try:
        res = CliRunner().invoke(cli, [str(a) for a in args], env=env)
    finally:
        opened, _opened = _opened, None
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        import traceback

        note("".join(traceback.format_exception(res.exception)))
    return res.exit_code, res.stdout, res.stderr, opened


def check_opened(world, opened, inputs=()):
    """No file outside the source root was opened, and nothing under the root that is not a regular file."""
    base, root = world["base"], world["root"]
    allowed = [root, world["champion"], world["work"]]
    for path in opened:
        p = Path(path)
        try:
            real = p.resolve()
        except (OSError, ValueError, RuntimeError):  # refused by the OS: it was not opened either
            continue
        assert not real.is_relative_to(world["outside"]), f"opened a file outside the source root: {path}"
        if p.is_relative_to(base) and not any(p.is_relative_to(a) for a in allowed):
            assert str(p) in map(str, inputs), f"opened an unexpected file: {path}"
        if real.is_relative_to(root):
            assert real.is_file(), f"opened something that is not a regular file: {path}"


def _kind(stderr: str) -> str:
    """The gist of an error line, for Hypothesis' statistics (which refusals the examples reached)."""
    problem = stderr.rsplit(": ", 1)[-1] if ": not valid" not in stderr else stderr.split(": not valid", 1)[1]
    return re.sub(r"[0-9]+|'.*?'|\".*?\"", "_", problem.strip())[:60]


def listing(directory: Path) -> set[Path]:
    try:
        return set(directory.iterdir())
    except (OSError, ValueError):
        return set()


def check_run(world, args, out: Path, *, env=None, inputs=(), expect_ok: bool | None = None, fmt="sarif"):
    """Run once (twice when it succeeds, to compare bytes) and check every property. Returns (code, doc|None)."""
    before = listing(out.parent)
    code, stdout, stderr, opened = invoke(world, [*args, "-o", out], env)
    note(f"exit {code}; stderr: {stderr!r}")
    event(f"exit {code}" + (f": {_kind(stderr)}" if code == 2 else ""))
    assert code in (0, 2), f"exit code {code} (a traceback?): {stderr[-2000:]}"
    check_opened(world, opened, inputs)
    if code == 2:
        assert stderr.count("\n") == 1 and stderr.endswith("\n"), f"not one line: {stderr!r}"
        assert stderr.startswith("iacfilter: error: ") and "Traceback" not in stderr
        after = listing(out.parent)
        assert after == before, f"left files behind: {sorted(map(str, after - before))}"
        assert expect_ok is not True or "flagged source is not a regular file" in stderr, stderr
        return code, None
    assert expect_ok is not False, "accepted an input that must be refused"
    data = out.read_bytes()
    text = data.decode("utf-8")  # strict UTF-8: no lone surrogates
    doc = strict_json(text) if fmt in ("sarif", "json") else None
    if fmt == "sarif":
        errors = sorted(SCHEMA_VALIDATOR.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
        assert not errors, [f"{list(e.absolute_path)}: {e.message[:200]}" for e in errors[:3]]
    again = out.with_name(out.name + ".again")
    code2, _, stderr2, _ = invoke(world, [*args, "-o", again], env)
    assert code2 == 0 and again.read_bytes() == data, "the same input gave different output"
    assert stderr2 == stderr.replace(f"wrote {out}\n", f"wrote {again}\n")  # the same, but for the name written
    again.unlink()
    return code, doc


def base_args(world, *inputs, mode="annotate"):
    return ["filter", *inputs, "--source-root", world["root"], "--model", world["champion"], "--mode", mode]


# -- strategies ---------------------------------------------------------------------------------------------

LINE_BREAKS_THAT_ARE_NOT = "\u2028\u2029\x85\x0c\x0b\x1c\x1d\x1e"
# "\r" ends a row, as in Python's csv module; the other line breaks are data
field_text = st.lists(st.characters(blacklist_characters="\n\r\x00", blacklist_categories=("Cs",))
                      | st.sampled_from(list(LINE_BREAKS_THAT_ARE_NOT) + [",", "(CWE-798)", "{{ x }}"]),
                      max_size=12).map("".join)


def csv_paths(include_random=True):
    fixed = st.sampled_from([p for p in READABLE + NO_SOURCE if "," not in p and "\x00" not in p])
    if not include_random:
        return fixed | st.sampled_from(["ABS_IN", "ABS_OUT"])
    safe = st.text(alphabet=st.characters(blacklist_characters=",\n\x00/\\.%", blacklist_categories=("Cs",)),
                   min_size=1, max_size=20).map(lambda s: "zz-" + s)
    return fixed | safe | st.sampled_from(["ABS_IN", "ABS_OUT"])


@st.composite
def glitch_row(draw, five_columns=True, include_random=True):
    path = draw(csv_paths(include_random))
    line = draw(st.sampled_from([-33550336, 0, -1]) | st.integers(1, 12) | st.integers(1, 9_999_999_999))
    code = draw(st.sampled_from(GLITCH_CODES) | st.from_regex(r"(sec|design|implementation)_[a-z0-9_]{1,12}",
                                                              fullmatch=True))
    if not five_columns:
        return f"{path},{line},{code}"
    desc = draw(st.sampled_from(["-", "Hard-coded secret - Do not. (CWE-798)", "Use of HTTP. (CWE-319)"])
                | field_text)
    return f"{path},{line},{code},{desc},{draw(field_text)}"


@st.composite
def glitch_csv(draw, include_random=True):
    five = draw(st.booleans())
    header = draw(st.sampled_from(["PATH,LINE,ERROR,DESCRIPTION,CODE" if five else "PATH,LINE,ERROR", None]))
    rows = draw(st.lists(glitch_row(five, include_random), min_size=1, max_size=8))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    lines = ([header] if header else []) + rows
    text = newline.join(lines) + draw(st.sampled_from([newline, "", newline * 2]))
    return text, len(rows)


def absolutize(world, text: str) -> str:
    for key, value in world["abs"].items():
        text = text.replace(key, value)
    return text


def write_input(world, d: Path, name: str, text: str) -> Path:
    path = d / name
    path.write_bytes(absolutize(world, text).encode("utf-8"))
    return path


# SARIF

json_leaf = (st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False, allow_infinity=False)
             | st.text(max_size=12))
json_value = st.recursive(json_leaf, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c,
                                                                                           max_size=3), max_leaves=8)
uris = (st.sampled_from(READABLE + NO_SOURCE + ["", "%2e%2e/outside/secret.yml", "a%00b.yml", "file:///etc/passwd",
                                                "file:///x%00y", "ABS_IN", "ABS_OUT"])
        | st.text(alphabet=st.characters(blacklist_characters="/\\.%", blacklist_categories=("Cs",)), max_size=15)
        .map(lambda s: "zz-" + s))
unique_strings = st.lists(st.text(max_size=8), max_size=3, unique=True)
property_bag = st.fixed_dictionaries({}, optional={"tags": unique_strings}) | st.dictionaries(
    st.text(max_size=8).filter(lambda k: k != "tags"), json_value, max_size=3)
message = st.fixed_dictionaries({"text": st.text(max_size=30)}, optional={"id": st.text(max_size=5)}) | \
    st.fixed_dictionaries({"id": st.text(max_size=5)})
region = st.fixed_dictionaries({"startLine": st.integers(1, 15)} | {}, optional={
    "startColumn": st.integers(1, 80), "snippet": st.fixed_dictionaries({}, optional={"text": st.text(max_size=20)})}) \
    | st.fixed_dictionaries({"charOffset": st.integers(0, 99)})
physical = st.fixed_dictionaries({"artifactLocation": st.fixed_dictionaries(
    {}, optional={"uri": uris, "uriBaseId": st.just("%SRCROOT%"), "index": st.integers(-1, 3)})},
    optional={"region": region})
location = st.fixed_dictionaries({}, optional={"physicalLocation": physical, "id": st.integers(-1, 5),
                                               "message": message})
suppression = st.fixed_dictionaries({"kind": st.sampled_from(["inSource", "external"])}, optional={
    "status": st.sampled_from(["accepted", "underReview", "rejected"]), "justification": st.text(max_size=10),
    "properties": property_bag})
headers = st.dictionaries(st.sampled_from(["Host", "Cookie", "X-A"]), st.text(max_size=10), max_size=2)
web_request = st.fixed_dictionaries({}, optional={
    "protocol": st.just("HTTP"), "version": st.just("1.1"), "method": st.sampled_from(["GET", "POST"]),
    "target": st.sampled_from(["https://example.com/login?a=1", "/x"]), "headers": headers,
    "body": st.fixed_dictionaries({"text": st.text(max_size=20)})})
web_response = st.fixed_dictionaries({}, optional={
    "statusCode": st.integers(100, 599), "reasonPhrase": st.text(max_size=8), "headers": headers,
    "body": st.fixed_dictionaries({"text": st.text(max_size=20)}), "noResponseReceived": st.booleans()})
result = st.fixed_dictionaries({"message": message}, optional={
    "ruleId": st.sampled_from(GLITCH_CODES) | st.text(max_size=10),
    "ruleIndex": st.integers(-1, 4),
    "rule": st.fixed_dictionaries({"id": st.sampled_from(GLITCH_CODES)}, optional={"index": st.integers(-1, 4)})
    | st.fixed_dictionaries({"index": st.integers(-1, 4)}),
    "level": st.sampled_from(["none", "note", "warning", "error"]),
    "locations": st.lists(location, max_size=2),
    "suppressions": st.lists(suppression, max_size=2, unique_by=lambda s: json.dumps(s, sort_keys=True)),
    "partialFingerprints": st.dictionaries(st.text(max_size=6), st.text(max_size=6), max_size=2),
    "rank": st.floats(-1, 100),
    "webRequest": web_request,
    "webResponse": web_response,
    "properties": property_bag,
})
rule_descriptor = st.fixed_dictionaries({"id": st.sampled_from(GLITCH_CODES) | st.text(max_size=6)},
                                        optional={"name": st.text(max_size=6)})
run = st.fixed_dictionaries({
    "tool": st.fixed_dictionaries({"driver": st.fixed_dictionaries(
        {"name": st.sampled_from(["GLITCH", "checkov", "ZAP"]) | st.text(max_size=8)},
        optional={"rules": st.lists(rule_descriptor, max_size=3, unique_by=lambda r: json.dumps(r, sort_keys=True)),
                  "version": st.text(max_size=5)})}),
}, optional={"results": st.lists(result, max_size=5), "properties": property_bag,
             "automationDetails": st.fixed_dictionaries({}, optional={"id": st.text(max_size=8)})})
sarif_log = st.fixed_dictionaries({"version": st.just("2.1.0"), "runs": st.lists(run, max_size=3)}, optional={
    "$schema": st.just("https://json.schemastore.org/sarif-2.1.0.json"), "properties": property_bag})


def count_results(doc) -> int:
    return sum(len(r.get("results") or []) for r in doc["runs"])


def dump(doc, draw) -> str:
    return json.dumps(doc, indent=draw(st.sampled_from([None, 2])), ensure_ascii=draw(st.booleans()))


def schema_valid(doc) -> bool:
    return SCHEMA_VALIDATOR.is_valid(doc)


def _nodes(node, path=()):
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _nodes(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _nodes(v, path + (i,))


def _set(doc, path, value):
    if not path:
        return value
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = value
    return doc


def _delete(doc, path):
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    del parent[path[-1]]
    return doc


SENTINEL = "\u2063SENTINEL\u2063"
TOKENS = ["NaN", "Infinity", "-Infinity", "1e999", "-1e400", '"\\ud800"', '"a\\udfffb"', '"\\ud83d\\ude00"',
          "1" * 5000, "[" * 100 + "1" + "]" * 100, "[" * 2000 + "]" * 2000, '{"a":' * 65 + "1" + "}" * 65]


nonempty_log = st.fixed_dictionaries({"version": st.just("2.1.0"), "runs": st.lists(st.fixed_dictionaries({
    "tool": st.fixed_dictionaries({"driver": st.fixed_dictionaries({"name": st.sampled_from(["GLITCH", "ZAP"])})}),
    "results": st.lists(result, min_size=1, max_size=4)}), min_size=1, max_size=2)})


@st.composite
def broken_sarif(draw):
    """A well-formed log with one or two mutations: a value of another type, a key removed, a non-JSON token,
    deep nesting, a lone surrogate, or the text cut or edited. The whole document is mutated only rarely."""
    doc = draw(nonempty_log | sarif_log)
    for _ in range(draw(st.integers(1, 2))):
        nodes = [p for p, _ in _nodes(doc) if p] or [()]
        path = () if draw(st.sampled_from([False] * 9 + [True])) else draw(st.sampled_from(nodes))
        action = draw(st.sampled_from(["replace", "delete", "token", "wrap"]))
        if action == "delete" and path:
            doc = _delete(doc, path)
        elif action == "token":
            doc = _set(doc, path, SENTINEL)
        elif action == "wrap":
            doc = _set(doc, path, draw(st.sampled_from([[_get(doc, path)], {"x": _get(doc, path)}, None])))
        else:
            doc = _set(doc, path, draw(json_value | st.sampled_from([{}, [], [None], "", -1, 1.5, True])))
    text = dump(doc, draw)
    token = draw(st.sampled_from(TOKENS))
    for form in (json.dumps(SENTINEL), json.dumps(SENTINEL, ensure_ascii=False)):
        text = text.replace(form, token, 1).replace(form, "0")
    edit = draw(st.sampled_from(["none", "none", "none", "cut", "char"]))
    if edit == "cut" and text:
        text = text[: draw(st.integers(0, len(text) - 1))]
    elif edit == "char" and text:
        i = draw(st.integers(0, len(text) - 1))
        text = text[:i] + draw(st.sampled_from(list('{}[]",:\\0aN') + ["\x00", "\ufeff"])) + text[i + 1:]
    return text


def _get(doc, path):
    for part in path:
        doc = doc[part]
    return doc


def expected_acceptance(text: str) -> bool | None:
    """Whether a SARIF text must be accepted, by an oracle independent of iacfilter: strict JSON, at most
    64 levels deep, no lone surrogate, valid against the schema (the reference validator), runs not null."""
    if "\x00" in text[:8192] or not text.strip():
        return False
    try:
        doc = strict_json(text.removeprefix("\ufeff"))
    except (ValueError, RecursionError):
        return False
    if not isinstance(doc, dict) or doc.get("version") != "2.1.0":
        return None  # not SARIF: another reader may claim it, or none
    nodes = list(_nodes_limited(doc))
    if max((len(p) + 1 for p, v in nodes if isinstance(v, (dict, list))), default=0) > MAX_DEPTH:
        return False
    surrogate = re.compile("[\ud800-\udfff]")
    strings = [v for _, v in nodes if isinstance(v, str)] + [p[-1] for p, _ in nodes if p and isinstance(p[-1], str)]
    if any(surrogate.search(s) for s in strings):
        return False
    return schema_valid(doc) and doc.get("runs") is not None


def _nodes_limited(node, path=(), limit=200):
    yield path, node
    if len(path) > limit:
        return
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _nodes_limited(v, path + (k,), limit)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _nodes_limited(v, path + (i,), limit)


# -- the properties -----------------------------------------------------------------------------------------


@given(csv=glitch_csv(include_random=False), mode=st.sampled_from(["annotate", "drop"]))
def test_well_formed_glitch_csv_is_accepted_whole(world, csv, mode):
    text, n_rows = csv
    d = fresh_dir(world)
    src = write_input(world, d, "glitch.csv", text)
    code, doc = check_run(world, base_args(world, src, mode=mode), d / "out.sarif", inputs=[src], expect_ok=True)
    if code == 0 and mode == "annotate":
        assert count_results(doc) == n_rows
    shutil.rmtree(d)


@given(data=st.data())
def test_broken_glitch_csv_is_read_whole_or_refused_in_one_line(world, data):
    text, _ = data.draw(glitch_csv())
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(text)))
        action = data.draw(st.sampled_from(["insert", "delete", "duplicate"]))
        if action == "insert":
            pieces = st.sampled_from(list(LINE_BREAKS_THAT_ARE_NOT + ",\r\n\x00\ufeff{\"") + ["sec_x", "1", "-"])
            text = text[:i] + "".join(data.draw(st.lists(pieces, max_size=4))) + text[i:]
        elif action == "delete":
            text = text[:i] + text[i + data.draw(st.integers(0, 20)):]
        else:
            text = text[:i] + text[max(0, i - 30):i] + text[i:]
    d = fresh_dir(world)
    src = write_input(world, d, "glitch.csv", text)
    code, doc = check_run(world, base_args(world, src), d / "out.sarif", inputs=[src])
    if code == 0 and doc is not None:
        rows = re.split(r"\r\n|\r|\n", text.removeprefix("\ufeff"))  # as Python's csv module ends rows
        lines = [ln for ln in rows if ln.strip(" \t\r")]
        header = lines[0].strip() in ("PATH,LINE,ERROR,DESCRIPTION,CODE", "PATH,LINE,ERROR")
        assert count_results(doc) == len(lines) - header  # one finding per row: no row split, none lost
    shutil.rmtree(d)


@given(log=sarif_log, data=st.data())
def test_well_formed_sarif_is_accepted_and_only_annotated(world, log, data):
    log = json.loads(absolutize(world, json.dumps(log)))
    assert schema_valid(log), "the strategy built an invalid log"
    d = fresh_dir(world)
    src = write_input(world, d, "in.sarif", dump(log, data.draw))
    code, doc = check_run(world, base_args(world, src), d / "out.sarif", inputs=[src], expect_ok=True)
    if code == 0:
        assert count_results(doc) == count_results(log)
        for before, after in zip(log["runs"], doc["runs"]):
            assert after["tool"] == before["tool"]
            for b, a in zip(before.get("results") or [], after.get("results") or []):
                ours = ("suppressions", "properties", "partialFingerprints")  # annotated, and a fingerprint added
                assert {k: v for k, v in a.items() if k not in ours} == {k: v for k, v in b.items() if k not in ours}
                theirs = {k: v for k, v in (b.get("partialFingerprints") or {}).items() if k != "iacfilterFinding/v1"}
                assert theirs.items() <= a["partialFingerprints"].items()
    shutil.rmtree(d)


@given(text=broken_sarif())
def test_broken_sarif_is_accepted_whole_or_refused_in_one_line(world, text):
    expected = expected_acceptance(text)
    note(f"oracle: {expected}")
    d = fresh_dir(world)
    src = d / "in.sarif"
    src.write_bytes(text.encode("utf-8", "surrogatepass"))
    code, doc = check_run(world, base_args(world, src), d / "out.sarif", inputs=[src], expect_ok=expected)
    if code == 0 and doc is not None and expected:
        assert count_results(doc) == count_results(strict_json(text))
    shutil.rmtree(d)


# Hostile values for each knob of a run; an example perturbs a few knobs and leaves the others ordinary.
KNOBS = {
    "output": ["missing/out.sarif", ".", "a" * 300, "a" * 300 + "/o.sarif", "x\x00y.sarif", "-x.sarif"],
    "root": ["ROOT/a.yml", "ROOT/loop1", "ROOT/missing", "a" * 5000, "ROOT/closed", "x\x00y", "ROOT/link_outdir"],
    "source": ["MISSING", "a" * 300, "DIR", "x\x00y.csv", "ROOT/loop1", "ROOT/fifo.yml", "ROOT/a.yml"],
    "max_mb": ["abc", "", "-1", "0", "nan", "inf", "1e400", "0.0000001", "1e-300", "0x10", " 5 "],
    "threshold": ["nan", "-0", "1.5", "abc", "inf", "1e-400", " 0.3", "0.0", "1"],
    "batch": ["0", "1", "x", "99999", "-3"],
    "fmt": ["json", "table", "xml"],
    "mode": ["drop", "both"],
    "quiet": [True],
    "baseline": ["MISSING", "DIR", "GOOD", "x\x00y.sarif", "ROOT/fifo.yml", "ROOT/loop1"],
}
ORDINARY = {"output": "out.sarif", "root": "ROOT", "source": "GOOD", "max_mb": None, "threshold": None,
            "batch": None, "fmt": "sarif", "mode": "annotate", "quiet": False, "baseline": None}


@given(data=st.data())
def test_options_environment_and_paths_never_crash(world, data):
    knobs = dict(ORDINARY)
    for knob in data.draw(st.sets(st.sampled_from(sorted(KNOBS)), max_size=3)):
        knobs[knob] = data.draw(st.sampled_from(KNOBS[knob]) | (
            st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=6)
            if knob in ("max_mb", "threshold") else st.nothing()))
    note(f"knobs: {knobs}")
    d = fresh_dir(world)
    good = write_input(world, d, "glitch.csv", "PATH,LINE,ERROR\na.yml,4,sec_hard_secr\nb.pp,2,sec_hard_pass\n"
                                              "c.rb,4,sec_susp_comm\nlink_out.yml,1,sec_hard_pass\n")
    (d / "adir").mkdir()
    where = {"GOOD": str(good), "MISSING": str(d / "nope.csv"), "DIR": str(d / "adir")}
    source = where.get(knobs["source"], knobs["source"]).replace("ROOT", str(world["root"]))
    root = knobs["root"].replace("ROOT", str(world["root"]))
    args = ["filter", source, "--source-root", root, "--model", world["champion"], "--format", knobs["fmt"],
            "--mode", knobs["mode"]]
    args += ["--threshold", knobs["threshold"]] if knobs["threshold"] is not None else []
    args += ["--batch-size", knobs["batch"]] if knobs["batch"] is not None else []
    args += ["-q"] if knobs["quiet"] else []
    if knobs["baseline"] is not None:
        args += ["--baseline", where.get(knobs["baseline"], knobs["baseline"]).replace("ROOT", str(world["root"]))]
    output = knobs["output"]
    out = d / output if not output.startswith("a" * 300) or "/" in output else Path(output)
    env = {"IACFILTER_MAX_INPUT_MB": knobs["max_mb"]}
    code, _ = check_run(world, args, out, env=env, inputs=[good], fmt=knobs["fmt"])
    if knobs == ORDINARY:
        assert code == 0
    shutil.rmtree(d)
