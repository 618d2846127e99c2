"""The errors the CLI turns into a one-line message and exit code 2."""

from __future__ import annotations


class IacfilterError(Exception):
    """A problem with the user's input, model or environment, worded for the user.

    ``where`` names the file (or thing) at fault; the message says what is wrong with it.
    """

    def __init__(self, where: str, problem: str):
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


class MissingPackage(Exception):
    """An optional Python package is not installed; ``extra`` is the pip extra (``iacfilter[extra]``) that
    installs it. The CLI names the command, the package and the extra in one line."""

    def __init__(self, package: str, extra: str):
        super().__init__(f"needs the Python package {package!r}: pip install 'iacfilter[{extra}]'")
        self.package, self.extra = package, extra


class needs_extra:
    """``with needs_extra("train"): ...`` turns a missing package inside into :class:`MissingPackage` naming
    the extra that installs it (the package that knows what it imports knows its extra)."""

    def __init__(self, extra: str | None):
        self.extra = extra

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if self.extra is not None and isinstance(exc, ModuleNotFoundError) and exc.name:
            raise MissingPackage(exc.name.split(".")[0], self.extra) from None
        return False
