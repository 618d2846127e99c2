"""Source files under the user's source root, and nothing outside it.

Path handling is total: whatever a finding names (a URL, a path with a NUL byte, a name too long, a symlink
loop, a directory that cannot be searched, a path outside the root) ends as "no source" with the reason,
never as an exception. Only a regular file that resolves under the root is ever opened.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path

from .errors import IacfilterError
from .validate import split_lines

MAX_SOURCE_BYTES = 5 * 1024 * 1024
URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")  # http://, https://, ... (never a file under the root)
REFUSED = (OSError, ValueError, RuntimeError)  # what pathlib raises for paths the OS refuses (RuntimeError: loops)


def os_reason(exc: BaseException) -> str:
    """A short reason for a refused path: 'File name too long', 'symlink loop', 'embedded NUL byte', ..."""
    if isinstance(exc, RuntimeError) or getattr(exc, "errno", None) == errno.ELOOP:
        return "symlink loop"
    if isinstance(exc, ValueError):
        return "embedded NUL byte" if "null" in str(exc).lower() else str(exc)
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return type(exc).__name__


class SourceRoot:
    """Reads flagged files confined to ``root``: a path that resolves outside it is never opened."""

    def __init__(self, root: str | os.PathLike):
        try:
            given = Path(root)
            is_dir = given.is_dir()
            self.root = given.resolve(strict=True) if is_dir else given
        except REFUSED as exc:
            raise IacfilterError(str(root), f"source root cannot be used: {os_reason(exc)}") from None
        if not is_dir:
            raise IacfilterError(str(root), "source root is not a directory")
        self.given = root  # as the user named it, for messages
        self._cache: dict[str, tuple[list[str] | None, str]] = {}
        self._absent: set[str] = set()

    def absent(self, path: str) -> bool:
        """Whether ``path`` was looked for and is not under the root (no such file there, or it resolves
        outside): what a wrong source root looks like."""
        return path in self._absent

    def resolve(self, path: str) -> tuple[Path | None, str]:
        """The real path of ``path`` under the root (every symlink followed), or None and why not."""
        if not path:
            return None, "the finding names no file"
        if URL.match(path):
            return None, "a URL, not a file under the source root; not opened"
        if "\x00" in path:
            return None, "path has an embedded NUL byte; not opened"
        candidate = Path(path)
        if not candidate.is_absolute():
            candidate = self.root / candidate
        try:
            real = candidate.resolve(strict=True)  # follows symlinks and '..'; fails on loops and refusals
        except FileNotFoundError:
            try:
                outside = not candidate.resolve().is_relative_to(self.root)
            except REFUSED as exc:
                return None, f"path cannot be resolved ({os_reason(exc)}); not opened"
            self._absent.add(path)
            if outside:
                return None, "path resolves outside the source root; not opened"
            return None, "file not found under the source root"
        except REFUSED as exc:
            return None, f"path cannot be resolved ({os_reason(exc)}); not opened"
        if not real.is_relative_to(self.root):
            self._absent.add(path)
            return None, "path resolves outside the source root; not opened"
        return real, ""

    def lines(self, path: str) -> tuple[list[str] | None, str]:
        """The file's lines (split on newlines only, without them), or None and the reason there is no source.

        A regular file under the root that cannot be read is an error, not a silent "no source".
        """
        if path not in self._cache:
            self._cache[path] = self._read(path)
        return self._cache[path]

    def _read(self, path: str) -> tuple[list[str] | None, str]:
        real, why = self.resolve(path)
        if real is None:
            return None, why
        try:
            info = real.stat()
        except REFUSED as exc:
            return None, f"path cannot be resolved ({os_reason(exc)}); not opened"
        if not stat.S_ISREG(info.st_mode):
            raise IacfilterError(str(real), "flagged source is not a regular file")
        if info.st_size > MAX_SOURCE_BYTES:
            return None, f"source file larger than {MAX_SOURCE_BYTES // 2**20} MiB; not read"
        try:
            data = real.read_bytes()
        except OSError as exc:
            raise IacfilterError(str(real), f"cannot read source file: {exc.strerror or exc}") from None
        if b"\x00" in data[:8192]:
            return None, "source file is binary"
        return split_lines(data.decode("utf-8", errors="replace")), ""
