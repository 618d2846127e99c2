"""iacfilter's dataset format: JSONL, one labelled finding per line.

Every row has ``tech``, ``smell`` and ``label`` (``TP`` or ``FP``); the other fields belong to the technology,
whose ``example(row)`` turns the row into the same Snippet the filter builds from a real finding, so training
and filtering agree. IaC rows carry ``content`` (the flagged line), ``context`` (lines around it) and optionally
``file``, ``line``; HTTP rows carry the scanner's finding and the exchange.

A technology that can build a row's snippet only imperfectly (e.g. it could not place the flagged line in the
row's context) says so with ``warnings.warn(RowWarning("why"))``: the row is kept, the reason is recorded on its
:class:`Example`, and :func:`describe_problems` summarises them for ``train``/``eval`` to print -- no row loses
its context silently.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from . import plugins
from .errors import IacfilterError
from .findings import Snippet
from .inputs import read_text_file
from .validate import split_lines

REQUIRED = ("tech", "smell", "label")


class RowWarning(UserWarning):
    """A technology's note that it built a row's snippet imperfectly (the message says why)."""


@dataclass(frozen=True)
class Example:
    snippet: Snippet
    label: int  # 1 = TP, 0 = FP
    row: dict
    problems: tuple[str, ...] = ()  # what the technology reported while building the snippet (RowWarning)


def problem_counts(examples: list[Example]) -> dict:
    """How many rows were built cleanly, and the reasons (with counts) for those that were not."""
    reasons = Counter(p for e in examples for p in e.problems)
    return {"rows": len(examples), "unaligned": sum(1 for e in examples if e.problems), "reasons": dict(reasons.most_common())}


def describe_problems(examples: list[Example], what: str = "") -> str:
    """One line: how many rows could not be aligned with their context, and why."""
    c = problem_counts(examples)
    why = "; ".join(f"{n}: {reason}" for reason, n in c["reasons"].items())
    return (f"{what + ': ' if what else ''}{c['unaligned']} of {c['rows']} rows could not be aligned with their "
            f"context" + (f" ({why})" if why else ""))


def load_dataset(path: str | Path | list | tuple) -> list[Example]:
    """The examples of one dataset file, or of several in order (``train: [shipped.jsonl, team.jsonl]``)."""
    if isinstance(path, (list, tuple)):
        if not path:
            raise IacfilterError("dataset", "an empty list of dataset files")
        return [e for p in path for e in load_dataset(p)]
    text = read_text_file(str(path), what="dataset")
    techs = plugins.technologies()
    examples = []
    for number, raw in enumerate(split_lines(text), start=1):
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
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RowWarning)
            try:
                snippet = tech.example(row)
            except ValueError as exc:
                raise IacfilterError(str(path), f"line {number}: {exc}") from None
        problems = tuple(str(w.message) for w in caught if issubclass(w.category, RowWarning))
        for w in caught:
            if not issubclass(w.category, RowWarning):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        examples.append(Example(snippet, 1 if row["label"] == "TP" else 0, row, problems))
    if not examples:
        raise IacfilterError(str(path), "dataset has no rows")
    return examples


def fingerprint(path: str | Path | list | tuple) -> str | list[str]:
    if isinstance(path, (list, tuple)):
        return [fingerprint(p) for p in path]
    return "sha256:" + hashlib.sha256(Path(path).read_bytes()).hexdigest()
