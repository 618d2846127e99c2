"""Read one scanner output file: check it is sane, pick the reader by content, read it."""

from __future__ import annotations

import math
import os
import stat
from pathlib import Path

from . import plugins
from .errors import IacfilterError
from .sources import REFUSED, os_reason
from .registry import ScanRun

SNIFF_BYTES = 64 * 1024


def max_input_bytes() -> int:
    """The largest input file read, from IACFILTER_MAX_INPUT_MB (default 100)."""
    value = os.environ.get("IACFILTER_MAX_INPUT_MB", "100")
    try:
        megabytes = float(value)
    except ValueError:
        megabytes = math.nan
    if not (math.isfinite(megabytes) and megabytes > 0):
        raise IacfilterError("IACFILTER_MAX_INPUT_MB", f"must be a positive number of MiB, not {value!r}")
    return int(megabytes * 1024 * 1024)


def looks_binary(data: bytes) -> bool:
    """NUL bytes make up more than 1% of the first 8 KiB (UTF-16 text, executables, images). A stray NUL in a
    text file (a corrupt CSV field) is not binary: the field reaches the path check, which refuses it."""
    sample = data[:8192]
    return sample.count(b"\x00") * 100 > len(sample)


def read_text_file(path: str, *, what: str = "input") -> str:
    """The UTF-8 text of a user-given file, or an IacfilterError saying in one line what is wrong."""
    limit = max_input_bytes()
    p = Path(path)
    try:
        info = p.stat()
    except FileNotFoundError:
        raise IacfilterError(path, "no such file") from None
    except REFUSED as exc:
        raise IacfilterError(path, f"cannot be read: {os_reason(exc)}") from None
    if stat.S_ISDIR(info.st_mode):
        raise IacfilterError(path, f"is a directory, not a {what} file")
    size = info.st_size
    if size == 0:
        raise IacfilterError(path, "is empty")
    if size > limit:
        raise IacfilterError(
            path,
            f"is too large ({size / 2**20:.0f} MiB; the limit is {limit / 2**20:.0f} MiB, "
            "set IACFILTER_MAX_INPUT_MB to raise it)",
        )
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise IacfilterError(path, f"cannot be read: {exc.strerror or exc}") from None
    if looks_binary(data):
        raise IacfilterError(path, f"is a binary file, not a {what} file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IacfilterError(path, f"is not UTF-8 text (bad byte at offset {exc.start})") from None


def read_scanner_output(path: str) -> list[ScanRun]:
    """Read a scanner output file with the reader whose sniff test rates it highest."""
    return _parse(path, read_text_file(path, what="scanner output"))


def read_scanner_stdin(stream=None, origin: str = "stdin") -> list[ScanRun]:
    """Scanner output piped in (``-`` as INPUT): the same checks and the same format detection as a file."""
    import sys

    stream = stream if stream is not None else sys.stdin.buffer
    limit = max_input_bytes()
    data = stream.read(limit + 1)
    if not data:
        raise IacfilterError(origin, "is empty (nothing was piped in)")
    if len(data) > limit:
        raise IacfilterError(origin, f"is too large (over {limit / 2**20:.0f} MiB; set IACFILTER_MAX_INPUT_MB to raise it)")
    if looks_binary(data):
        raise IacfilterError(origin, "is binary, not scanner output")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IacfilterError(origin, f"is not UTF-8 text (bad byte at offset {exc.start})") from None
    return _parse(origin, text)


def _parse(origin: str, text: str) -> list[ScanRun]:
    """The runs in ``text``, read by the reader whose sniff test rates it highest; one-line errors."""
    readers = plugins.readers()
    rated = sorted(((r.sniff(text[:SNIFF_BYTES]), name) for name, r in readers.items()), reverse=True)
    if not rated or rated[0][0] <= 0:
        known = "; ".join(r.description for r in readers.values()) or "no reader plugins are loaded"
        raise IacfilterError(origin, f"unrecognised format (expected one of: {known})")
    reader = readers[rated[0][1]]
    try:
        return reader.read(origin, text)
    except ValueError as exc:
        raise IacfilterError(origin, f"not valid {reader.description}: {exc}") from None
    except RecursionError:
        raise IacfilterError(origin, f"not valid {reader.description}: nested too deeply") from None
