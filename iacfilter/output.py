"""Write output atomically: a temp file beside the target, then rename. No partial file is ever left.

A target that exists and is not a regular file (``/dev/null``, ``/dev/stdout``, a FIFO) is written to
directly: renaming over it would replace the device with a plain file.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path

from .errors import IacfilterError


def check_destination(path: str) -> None:
    """Refuse now, before any work, an output path that ``write_atomically`` would refuse at the end: the
    directory is missing, the path is a directory, the OS turns the name down. One line, exit 2."""
    if path != "-":
        _refusals(path, lambda target: _check(target))


def write_atomically(path: str, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path``; any refusal by the OS is a one-line IacfilterError, no partial file."""
    if path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    _refusals(path, lambda target: _write(target, text))


def _refusals(path: str, action) -> None:
    try:
        if "\x00" in path:
            raise ValueError("embedded NUL byte in the name")
        action(Path(path))
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise IacfilterError(path, f"cannot write output: {reason}") from None


def _check(target: Path) -> None:
    path = str(target)
    if target.is_dir():
        raise IacfilterError(path, "output path is a directory")
    if not target.parent.is_dir():
        raise IacfilterError(path, "output directory does not exist")
    target.exists()  # stat the name itself: a name too long is refused here


def _write(target: Path, text: str) -> None:
    _check(target)
    if target.exists() and not target.is_file():
        with open(target, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        return
    existing = target.stat().st_mode if target.exists() else None
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, stat.S_IMODE(existing) if existing is not None else 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
