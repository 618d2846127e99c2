"""Readers for GLITCH's output: the CSV of ``--csv`` (2.x five columns, 1.x three, with or without the
header) and the rows of ``--linter``. GLITCH does not quote its CSV: CODE and DESCRIPTION may hold commas.
"""

from __future__ import annotations

import re
from pathlib import Path

from iacfilter.findings import Finding
from iacfilter.hookspecs import hookimpl
from iacfilter.registry import Reader, RulesFile, Scanner, ScanRun
from iacfilter.rules import load_rules_map
from iacfilter.validate import split_rows

from .runner import scan

TOOL = "GLITCH"
UNKNOWN_LINE = -33550336  # GLITCH's line for file-level findings
CODE = r"(?:sec|design|implementation)_[a-z0-9_]+"
HEADER_2X = "PATH,LINE,ERROR,DESCRIPTION,CODE"
HEADER_1X = "PATH,LINE,ERROR"
LINE = r"-?[0-9]{1,10}"  # ASCII digits only; GLITCH's "no line" is -33550336
ROW = re.compile(rf"(?P<path>[^,]+),(?P<line>{LINE}),(?P<code>{CODE})(?:,(?P<rest>.*))?", re.DOTALL)
LINTER_ROW = re.compile(rf"(?P<text>.+?),(?P<path>[^,]+),(?P<line>{LINE}),(?P<code>{CODE}),(?P<rest>.*)", re.DOTALL)
# DESCRIPTION ends with a CWE list, is "-", or is a sentence ending with "."; CODE follows the next comma.
DESCRIPTION_ENDS = (
    re.compile(r"(?P<desc>.*?\(CWE-[0-9]+(?: \| CWE-[0-9]+)*\)),(?P<code>.*)", re.DOTALL),
    re.compile(r"(?P<desc>-),(?P<code>.*)", re.DOTALL),
    re.compile(r"(?P<desc>.*?\.),(?P<code>.*)", re.DOTALL),
    re.compile(r"(?P<desc>[^,]*),(?P<code>.*)", re.DOTALL),
)


def split_description(rest: str | None) -> tuple[str, str]:
    if rest is None:
        return "", ""
    for pattern in DESCRIPTION_ENDS:
        m = pattern.fullmatch(rest)
        if m:
            return m.group("desc"), m.group("code")
    return rest, ""


def _finding(origin: str, number: int, m: re.Match, row: str) -> Finding:
    desc, code = split_description(m.group("rest"))
    line = int(m.group("line"))
    return Finding(
        tool=TOOL,
        rule=m.group("code"),
        path=m.group("path"),
        line=None if line == UNKNOWN_LINE or line < 1 else line,
        message=desc if desc not in ("", "-") else "",
        code=code,
        origin=origin,
        raw={"row": row, "input_line": number},
    )


def _driver() -> dict:
    return {"name": TOOL, "informationUri": load_rules_map().tool_info(TOOL)}


def _rows(text: str):
    """Numbered non-blank rows, ending where Python's csv module ends them ("\r\n", "\n" or a bare "\r"):
    U+2028, U+0085, form feed and the ASCII separators are data inside a row (``str.splitlines`` would cut
    the row in two)."""
    for number, row in enumerate(split_rows(text), start=1):
        if row.strip(" \t\r"):
            yield number, row


def sniff_csv(head: str) -> float:
    first = next((row for _, row in _rows(head)), "")
    if first.strip() in (HEADER_2X, HEADER_1X):
        return 1.0
    return 0.9 if ROW.fullmatch(first) else 0.0


def read_csv(origin: str, text: str) -> list[ScanRun]:
    findings = []
    rows = list(_rows(text))
    header = rows[0][1].strip() if rows else ""
    if header in (HEADER_2X, HEADER_1X):
        rows = rows[1:]
    for number, row in rows:
        m = ROW.fullmatch(row)
        if not m:
            raise ValueError(f"line {number}: not a GLITCH row (expected {HEADER_2X}): {row[:80]!r}")
        findings.append(_finding(origin, number, m, row))
    fmt = "GLITCH CSV (1.x)" if header == HEADER_1X else "GLITCH CSV"
    return [ScanRun(origin=origin, driver=_driver(), findings=findings, input_format=fmt)]


def sniff_linter(head: str) -> float:
    first = next((row for _, row in _rows(head)), "")
    return 0.8 if not ROW.fullmatch(first) and LINTER_ROW.fullmatch(first) else 0.0


def read_linter(origin: str, text: str) -> list[ScanRun]:
    findings = []
    for number, row in _rows(text):
        m = LINTER_ROW.fullmatch(row)
        if not m:
            raise ValueError(f"line {number}: not a GLITCH --linter row: {row[:80]!r}")
        findings.append(_finding(origin, number, m, row))
    return [ScanRun(origin=origin, driver=_driver(), findings=findings, input_format="GLITCH --linter")]


@hookimpl
def register_readers(register):
    register(Reader("glitch-csv", "GLITCH CSV (PATH,LINE,ERROR[,DESCRIPTION,CODE])", sniff_csv, read_csv))
    register(Reader("glitch-linter", "GLITCH --linter rows", sniff_linter, read_linter))


@hookimpl
def register_rules(register):
    register(RulesFile("glitch", Path(__file__).with_name("rules.yaml")))


@hookimpl
def register_scanners(register):
    register(Scanner("glitch", "GLITCH 2.x, in batches of files, each bounded by --file-timeout", "GLITCH",
                     ("ansible", "chef", "puppet", "terraform", "github-actions"), "glitch-csv", scan,
                     owns_output=True, needs_technology=True, default=True))
