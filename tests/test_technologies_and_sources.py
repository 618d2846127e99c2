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
                                       ("manifests/init.pp", "puppet"), ("main.tf", None)])
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
