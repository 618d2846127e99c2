"""iacfilter's dataset format: JSONL, one labelled finding per line.

Fields: ``tech``, ``smell``, ``content`` (the flagged line), ``context`` (lines around it, in any layout; a
line prefixed ``N:`` marks the flagged one), ``label`` (``TP`` or ``FP``), and optionally ``file``, ``line``.
Each row becomes the same Snippet the filter builds from a real file, so training and filtering agree.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from . import plugins
from .errors import IacfilterError
from .findings import Snippet
from .inputs import read_text_file

REQUIRED = ("tech", "smell", "content", "label")
NUMBERED = re.compile(r"^\s*(\d+):\s?(.*)$")
FILE_HEADER = re.compile(r"^#\s*\w+ file:\s")


@dataclass(frozen=True)
class Example:
    snippet: Snippet
    label: int  # 1 = TP, 0 = FP
    row: dict


def split_context(content: str, context: str, line: int | None, size: int) -> tuple[list[str], list[str]]:
    """Lines before and after the flagged line in a ``context`` field, whatever its layout."""
    lines = [ln for ln in context.splitlines() if not FILE_HEADER.match(ln)]
    at = None
    for i, ln in enumerate(lines):
        m = NUMBERED.match(ln)
        if m and (line is None or int(m.group(1)) == line) and m.group(2).strip() == content.strip():
            at = i
            break
    if at is None:
        at = next((i for i, ln in enumerate(lines) if ln.strip() == content.strip()), None)
    if at is None:
        return [], []

    def strip_number(ln: str) -> str:
        m = NUMBERED.match(ln)
        return m.group(2) if m else ln

    return ([strip_number(ln) for ln in lines[max(0, at - size) : at]],
            [strip_number(ln) for ln in lines[at + 1 : at + 1 + size]])


def load_dataset(path: str | Path) -> list[Example]:
    text = read_text_file(str(path), what="dataset")
    techs = plugins.technologies()
    examples = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise IacfilterError(str(path), f"line {number}: not valid JSON ({exc.msg})") from None
        missing = [k for k in REQUIRED if k not in row] if isinstance(row, dict) else list(REQUIRED)
        if missing:
            raise IacfilterError(str(path), f"line {number}: missing field(s) {', '.join(missing)}")
        if row["label"] not in ("TP", "FP"):
            raise IacfilterError(str(path), f"line {number}: label must be TP or FP, not {row['label']!r}")
        tech = techs.get(row["tech"])
        if tech is None:
            raise IacfilterError(str(path), f"line {number}: no technology plugin for {row['tech']!r}")
        before, after = split_context(row["content"], row.get("context", ""), row.get("line"), tech.context_lines)
        examples.append(Example(tech.build_snippet(row["smell"], row["content"], before, after),
                                1 if row["label"] == "TP" else 0, row))
    if not examples:
        raise IacfilterError(str(path), "dataset has no rows")
    return examples


def fingerprint(path: str | Path) -> str:
    return "sha256:" + hashlib.sha256(Path(path).read_bytes()).hexdigest()
