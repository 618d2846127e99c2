"""What an input must look like before anything trusts it: the one place that says so.

- Text formats are split into lines on ``\\n`` and ``\\r\\n`` only (``str.splitlines`` also splits on U+2028,
  U+0085, form feed and the ASCII separators, which would cut one record in two); a scanner's CSV rows also
  end at a bare ``\\r``, as in Python's ``csv`` module.
- JSON is parsed only after a cheap scan has bounded its nesting depth, with finite numbers only (``NaN``,
  ``Infinity`` and overflowing literals such as ``1e999`` are refused) and no lone UTF-16 surrogates
  (``"\\ud800"`` cannot be written back as UTF-8).
- A SARIF log must validate against the official SARIF 2.1.0 schema (a copy ships in ``schemas/``) and the few
  extra rules the writer relies on; the first problem is named by its JSON pointer.

Every check raises :class:`InputProblem` (a ``ValueError``), whose text is one line.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from typing import Any, Iterable

SARIF_SCHEMA_FILE = Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json"
MAX_JSON_DEPTH = 64  # arrays and objects; real SARIF nests about 12 deep
MAX_MESSAGE_CHARS = 160

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # where json.loads can make one


class InputProblem(ValueError):
    """An input that is not what its format must be; ``str()`` is one line."""


# -- lines ----------------------------------------------------------------------------------------------------


def split_lines(text: str) -> list[str]:
    """The lines of ``text`` split on ``\\n`` (a ``\\r`` before it is dropped), as a file's line numbers count them.

    Unlike ``str.splitlines``, U+2028, U+2029, U+0085, form feed, vertical tab and the ASCII separators
    (U+001C-U+001E) stay inside their line. A final newline does not start an empty line.
    """
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


_ROW_END = re.compile(r"\r\n|\r|\n")


def split_rows(text: str) -> list[str]:
    """The rows of a line-based scanner output (a CSV) as Python's ``csv`` module and spreadsheets see them:
    a row ends at ``\r\n``, ``\n`` or a bare ``\r`` (old Mac files, or files edited on several systems).
    U+2028, U+2029, U+0085, form feed, vertical tab and the ASCII separators stay data. A final line end does
    not start an empty row."""
    rows = _ROW_END.split(text)
    if rows[-1] == "":
        rows.pop()
    return rows


# -- JSON -----------------------------------------------------------------------------------------------------


def json_depth(text: str) -> int:
    """How deeply arrays and objects nest in ``text``, without parsing it (strings are skipped)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def _refuse_constant(name: str):
    raise InputProblem(f"{name} is not a JSON number (only finite numbers are allowed)")


def _finite_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise InputProblem(f"number {literal[:40]} is out of range (only finite numbers are allowed)")
    return value


def load_json(text: str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse strict JSON: bounded depth, finite numbers, no lone surrogates. Raises InputProblem."""
    depth = json_depth(text)
    if depth > max_depth:
        raise InputProblem(f"nested {depth} levels deep; at most {max_depth} are accepted")
    try:
        doc = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except InputProblem:
        raise
    except json.JSONDecodeError as exc:
        raise InputProblem(f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except (ValueError, RecursionError) as exc:  # e.g. an integer literal over Python's 4300-digit limit
        raise InputProblem(f"not valid JSON: {_short(str(exc))}") from None
    where = _lone_surrogate(doc, []) if _SURROGATE.search(text) or _SURROGATE_ESCAPE.search(text) else None
    if where is not None:
        raise InputProblem(f"{pointer(where)}: a string holds a lone UTF-16 surrogate (\\ud800-\\udfff escape), "
                           "which is not valid Unicode")
    return doc


def _lone_surrogate(node: Any, path: list) -> list | None:
    if isinstance(node, str):
        return path if _SURROGATE.search(node) else None
    if isinstance(node, dict):
        for key, value in node.items():
            if _SURROGATE.search(key):
                return path + [key]
            found = _lone_surrogate(value, path + [key])
            if found is not None:
                return found
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found = _lone_surrogate(value, path + [i])
            if found is not None:
                return found
    return None


def pointer(path: Iterable[Any]) -> str:
    """The RFC 6901 JSON pointer of ``path`` ("/runs/0/results/3"); the whole document is "/" here."""
    parts = [str(p).replace("~", "~0").replace("/", "~1") for p in path]
    return "/" + "/".join(parts) if parts else "/"


def _short(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- SARIF ----------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def sarif_validator():
    """A draft-04 validator for the shipped SARIF 2.1.0 schema (jsonschema-rs: about 70,000 results/s).

    ``format`` is not asserted, as in draft 4's usual reading and in the ``jsonschema`` package: many tools
    write Windows paths where the schema says uri-reference, and nothing downstream depends on the form.
    """
    import jsonschema_rs

    schema = json.loads(SARIF_SCHEMA_FILE.read_text(encoding="utf-8"))
    return jsonschema_rs.Draft4Validator(schema, validate_formats=False)


def _order(doc: Any, path: Iterable[Any]) -> tuple:
    """Where ``path`` sits in document order (object keys in the order they were written)."""
    key, node = [], doc
    for part in path:
        if isinstance(node, dict):
            key.append(list(node).index(part) if part in node else len(node))
        else:
            key.append(part if isinstance(part, int) else 0)
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
    return tuple(key)


_ARTICLE = {"array": "an array", "object": "an object", "string": "a string", "integer": "an integer",
            "number": "a number", "boolean": "a boolean", "null": "null"}


def _json_type(value: Any) -> str:
    for name, kind in (("null", type(None)), ("a boolean", bool), ("a string", str), ("an array", list),
                       ("an object", dict), ("an integer", int), ("a number", float)):
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _describe(error) -> str:
    from jsonschema_rs import ValidationErrorKind

    kind = error.kind
    if isinstance(kind, ValidationErrorKind.Type):
        wanted = sorted(kind.types, key=lambda t: (t == "null", t))
        return f"must be {' or '.join(_ARTICLE.get(w, str(w)) for w in wanted)}, not {_json_type(error.instance)}"
    context = getattr(kind, "context", None)
    if context:  # anyOf / oneOf: what each alternative wanted
        options = sorted({_short(e.message, 60) for branch in context for e in branch})
        return "matches none of the allowed forms (" + "; ".join(options) + ")"
    return _short(error.message)


def check_sarif(doc: Any) -> None:
    """Accept a parsed SARIF 2.1.0 log whole, or raise InputProblem naming the first problem by JSON pointer."""
    if not isinstance(doc, dict) or doc.get("version") != "2.1.0":
        raise InputProblem('not a SARIF 2.1.0 log (needs "version": "2.1.0" at the top level)')
    validator = sarif_validator()
    if not validator.is_valid(doc):
        errors = list(validator.iter_errors(doc))
        first = min(enumerate(errors), key=lambda ie: (_order(doc, ie[1].instance_path), ie[0]))[1]
        raise InputProblem(f"{pointer(first.instance_path)}: {_describe(first)}")
    # The extra rules the writer relies on, beyond the schema:
    if doc["runs"] is None:
        raise InputProblem('/runs: is null (the tool did not run); a log to filter needs "runs": [...]')
