"""Source files under the user's source root, and nothing outside it."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import IacfilterError

MAX_SOURCE_BYTES = 5 * 1024 * 1024


class SourceRoot:
    """Reads flagged files confined to ``root``: a path that resolves outside it is never opened."""

    def __init__(self, root: str | os.PathLike):
        given = Path(root)
        if not given.is_dir():
            raise IacfilterError(str(root), "source root is not a directory")
        self.root = given.resolve()
        self._cache: dict[str, tuple[list[str] | None, str]] = {}

    def resolve(self, path: str) -> tuple[Path | None, str]:
        """The real path of ``path`` under the root, or None and why not."""
        candidate = Path(path)
        if not candidate.is_absolute():
            candidate = self.root / candidate
        real = candidate.resolve()  # follows symlinks and '..'
        if not real.is_relative_to(self.root):
            return None, "path resolves outside the source root; not opened"
        return real, ""

    def lines(self, path: str) -> tuple[list[str] | None, str]:
        """The file's lines (without newlines), or None and the reason there is no source.

        A file that exists under the root but cannot be read is an error, not a silent "no source".
        """
        if path not in self._cache:
            self._cache[path] = self._read(path)
        return self._cache[path]

    def _read(self, path: str) -> tuple[list[str] | None, str]:
        real, why = self.resolve(path)
        if real is None:
            return None, why
        if not real.exists():
            return None, "file not found under the source root"
        if not real.is_file():
            raise IacfilterError(str(real), "flagged source is not a regular file")
        if real.stat().st_size > MAX_SOURCE_BYTES:
            return None, f"source file larger than {MAX_SOURCE_BYTES // 2**20} MiB; not read"
        try:
            data = real.read_bytes()
        except OSError as exc:
            raise IacfilterError(str(real), f"cannot read source file: {exc.strerror or exc}") from None
        if b"\x00" in data[:8192]:
            return None, "source file is binary"
        return data.decode("utf-8", errors="replace").splitlines(), ""
