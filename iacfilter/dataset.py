"""iacfilter's dataset format: JSONL, one labelled finding per line.

Every row has ``tech``, ``smell`` and ``label`` (``TP`` or ``FP``); the other fields belong to the technology,
whose ``example(row)`` turns the row into the same Snippet the filter builds from a real finding, so training
and filtering agree. IaC rows carry ``content`` (the flagged line), ``context`` (lines around it) and optionally
``file``, ``line``; HTTP rows carry the scanner's finding and the exchange.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from . import plugins
from .errors import IacfilterError
from .findings import Snippet
from .inputs import read_text_file

REQUIRED = ("tech", "smell", "label")


@dataclass(frozen=True)
class Example:
    snippet: Snippet
    label: int  # 1 = TP, 0 = FP
    row: dict


def load_dataset(path: str | Path | list | tuple) -> list[Example]:
    """The examples of one dataset file, or of several in order (``train: [shipped.jsonl, team.jsonl]``)."""
    if isinstance(path, (list, tuple)):
        if not path:
            raise IacfilterError("dataset", "an empty list of dataset files")
        return [e for p in path for e in load_dataset(p)]
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
        try:
            snippet = tech.example(row)
        except ValueError as exc:
            raise IacfilterError(str(path), f"line {number}: {exc}") from None
        examples.append(Example(snippet, 1 if row["label"] == "TP" else 0, row))
    if not examples:
        raise IacfilterError(str(path), "dataset has no rows")
    return examples


def fingerprint(path: str | Path | list | tuple) -> str | list[str]:
    if isinstance(path, (list, tuple)):
        return [fingerprint(p) for p in path]
    return "sha256:" + hashlib.sha256(Path(path).read_bytes()).hexdigest()
