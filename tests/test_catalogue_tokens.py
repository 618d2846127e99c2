"""The smell catalogue's rules come from the catalogue, the training data and the behaviour cases, never from
validation rows: a word a catalogue pattern names that occurs in validation data must also occur in a training
row, in the catalogue's text (the data README) or in a behaviour case. A token that only a validation row
motivates (as ``on_create`` once was) makes validation figures a selection figure."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from iacfilter_plugins.iac import catalogue
from iacfilter_plugins.iac import features as features_scorer

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "glitch-findings"
ESCAPE = re.compile(r"\\[A-Za-z]")  # \b, \s, \w, \d ...: regex syntax, not words
WORD = re.compile(r"[a-z][a-z0-9_]{2,}")


def catalogue_tokens() -> set[str]:
    """Every word-like literal in the compiled patterns of the catalogue and of the features model's
    hand-written features (both are rules a person chose)."""
    tokens = set()
    for value in [*vars(catalogue).values(), *vars(features_scorer).values()]:
        if isinstance(value, re.Pattern):
            tokens |= set(WORD.findall(ESCAPE.sub(" ", value.pattern).lower()))
    return tokens


def rows_text(path: Path) -> str:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return "\n".join(f"{r.get('content', '')}\n{r.get('context', '')}" for r in rows).lower()


def test_catalogue_patterns_name_words():
    tokens = catalogue_tokens()
    assert {"todo", "fixme", "checksum", "gpgcheck"} <= tokens


@pytest.mark.skipif(not (DATA / "val.jsonl").is_file(), reason="needs ../shared/data/glitch-findings")
def test_no_catalogue_token_is_motivated_by_validation_rows_alone():
    allowed = rows_text(DATA / "train.jsonl") + (DATA / "README.md").read_text(encoding="utf-8").lower()
    allowed += "".join(p.read_text(encoding="utf-8").lower() for p in sorted((REPO / "tests/behaviour").glob("*.yaml")))
    val = rows_text(DATA / "val.jsonl")
    only_val = sorted(t for t in catalogue_tokens() if t in val and t not in allowed)
    assert only_val == [], f"catalogue tokens seen only in validation rows: {only_val}"


def test_the_check_catches_a_validation_only_token(monkeypatch):
    """The check fails on a token like ``on_create`` (in a validation row, in no training row or catalogue text)."""
    if not (DATA / "val.jsonl").is_file():
        pytest.skip("needs ../shared/data/glitch-findings")
    val = rows_text(DATA / "val.jsonl")
    assert "on_create" in val and "on_create" not in rows_text(DATA / "train.jsonl")
    monkeypatch.setattr(catalogue, "PROBE", re.compile(r"^(?:on_create)$"), raising=False)
    with pytest.raises(AssertionError, match="on_create"):
        test_no_catalogue_token_is_motivated_by_validation_rows_alone()
