"""What plugins hand the core: readers, technologies, scorer backends and shipped champions."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence

from .findings import Finding, Snippet


@dataclass(frozen=True)
class Notification:
    """What a scanner iacfilter ran said about one file instead of findings (skipped, or not scanned, and why);
    written as a SARIF ``toolExecutionNotification``. ``level`` is SARIF's: "error", "warning" or "note"."""

    path: str
    message: str
    level: str = "warning"


@dataclass
class ScanRun:
    """The findings of one scanner run, as read from one input file.

    ``sarif_run`` holds the original SARIF run (kept verbatim, only annotated) when the input was SARIF;
    otherwise the writer converts the run and names ``driver`` as the tool that produced it.
    ``execution_successful`` is set only when iacfilter ran the scanner itself (``iacfilter scan``): False when
    some file could not be scanned; ``notifications`` then say which files, and why.
    """

    origin: str
    driver: dict[str, Any]
    findings: list[Finding]
    sarif_run: dict[str, Any] | None = None
    input_format: str = ""
    execution_successful: bool | None = None
    notifications: list[Notification] = field(default_factory=list)


@dataclass(frozen=True)
class Reader:
    """An input format. ``sniff(head)`` rates from 0 (not mine) to 1 (certainly mine) the first 64 KiB."""

    name: str
    description: str
    sniff: Callable[[str], float]
    read: Callable[[str, str], list[ScanRun]]  # (origin, whole text) -> runs; raises ValueError on bad content


@dataclass(frozen=True)
class Technology:
    """An IaC technology (or HTTP): which findings it owns and how its snippets are built."""

    name: str
    description: str
    owns: Callable[[Finding], bool]
    build_snippet: Callable[[str, str, Sequence[str], Sequence[str]], Snippet]  # (smell, line, before, after)
    context_lines: int = 3
    suffixes: tuple[str, ...] = ()  # file types it covers, for ``iacfilter scan``


class LoadedScorer(Protocol):
    def score(self, snippets: Sequence[Snippet]) -> Sequence[float]:
        """Return p(true positive) for each snippet, in order."""


@dataclass(frozen=True)
class ScorerBackend:
    """A scorer backend by name; ``load(champion)`` returns something with ``score(snippets)``.

    ``train(params, train, val, out_dir, seed, log)``, where a backend can be trained, fits a model on the
    ``train`` examples (early stopping on ``val`` where it has epochs), writes its files into ``out_dir``
    (what ``load`` reads back) and returns p(true positive) for each ``val`` example.
    """

    name: str
    description: str
    load: Callable[[Any], LoadedScorer]
    train: Callable[..., Sequence[float]] | None = None


@dataclass(frozen=True)
class ShippedChampion:
    name: str
    path: Path
    default: bool = False
    extra: dict = field(default_factory=dict)
