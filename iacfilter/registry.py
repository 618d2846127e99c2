"""What plugins hand the core: readers, technologies, scorer backends and shipped champions."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence

from .findings import Finding, Score, Snippet


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
    some file could not be scanned; ``notifications`` then say which files, and why. ``technology`` is the one
    the scanner was run for, when it was run for one: its findings belong to it.
    """

    origin: str
    driver: dict[str, Any]
    findings: list[Finding]
    sarif_run: dict[str, Any] | None = None
    input_format: str = ""
    execution_successful: bool | None = None
    notifications: list[Notification] = field(default_factory=list)
    technology: str | None = None


@dataclass(frozen=True)
class Reader:
    """An input format. ``sniff(head)`` rates from 0 (not mine) to 1 (certainly mine) the first 64 KiB."""

    name: str
    description: str
    sniff: Callable[[str], float]
    read: Callable[[str, str], list[ScanRun]]  # (origin, whole text) -> runs; raises ValueError on bad content


@dataclass(frozen=True)
class Technology:
    """A technology (Ansible, Chef, Puppet, HTTP, ...): which findings it owns and how their snippets are built.

    ``snippet(finding, sources)`` builds what a model reads from a finding (reading files through ``sources``,
    a :class:`~iacfilter.sources.SourceRoot`, where the technology needs them) or raises
    :class:`~iacfilter.findings.NoSnippet` saying why it cannot. ``example(row)`` builds the snippet of one
    labelled dataset row (a dict) and raises ``ValueError`` on a malformed row. Both must render through the
    same function, so a model never sees a layout at filter time that it was not trained on.
    """

    name: str
    description: str
    owns: Callable[[Finding], bool]
    snippet: Callable[[Finding, Any], Snippet]
    example: Callable[[dict], Snippet]
    suffixes: tuple[str, ...] = ()  # file types it covers, for ``iacfilter scan``
    # Extra members for the SARIF result of a *converted* finding (e.g. ``webRequest``/``webResponse``);
    # SARIF input is never changed beyond the annotation.
    sarif_result: Callable[[Finding], dict] | None = None


class LoadedScorer(Protocol):
    # Optional: ``explain(snippet) -> [(feature, weight), ...]``, the features that moved the score (positive:
    # towards a true positive); ``iacfilter explain`` shows them where a scorer has it.

    def score(self, snippets: Sequence[Snippet]) -> Sequence["float | Score"]:
        """Return p(true positive) for each snippet, in order (a float, or a Score with its rationale)."""


@dataclass(frozen=True)
class ScorerBackend:
    """A scorer backend by name; ``load(champion, options)`` returns something with ``score(snippets)``.

    ``options`` holds the scoring options a user gave (e.g. ``{"budget": 64}``); a backend raises
    ``IacfilterError`` for an option it does not take, so a user never believes a knob did something.

    ``train(params, train, val, out_dir, seed, log)``, where a backend can be trained, fits a model on the
    ``train`` examples (early stopping on ``val`` where it has epochs), writes its files into ``out_dir``
    (what ``load`` reads back) and returns p(true positive) for each ``val`` example.
    """

    name: str
    description: str
    load: Callable[[Any], LoadedScorer]
    train: Callable[..., Sequence[float]] | None = None


@dataclass(frozen=True)
class RulesFile:
    """A rules map a plugin ships: one YAML file mapping one scanner's rule codes (see :mod:`iacfilter.rules`)."""

    name: str
    path: Path


@dataclass(frozen=True)
class ShippedChampion:
    name: str
    path: Path
    default: bool = False
    extra: dict = field(default_factory=dict)


def refuse_options(champion: Any, options: dict, accepted: Sequence[str] = ()) -> None:
    """One-line error for scoring options a backend does not take (e.g. ``--budget`` for a linear model)."""
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        from .errors import IacfilterError

        names = ", ".join(f"--{k}" for k in unknown)
        raise IacfilterError(str(champion.path), f"model {champion.name} (backend {champion.backend}) takes no {names}")
