"""Write output atomically: a temp file beside the target, then rename. No partial file is ever left."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from .errors import IacfilterError


def write_atomically(path: str, text: str) -> None:
    if path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    target = Path(path)
    if target.is_dir():
        raise IacfilterError(path, "output path is a directory")
    if not target.parent.is_dir():
        raise IacfilterError(path, "output directory does not exist")
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
