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


SKIPPED, NOT_SCANNED = "skipped", "not scanned"


@dataclass(frozen=True)
class FileProblem:
    """A file a scanner gave no verdict on: ``status`` is SKIPPED (not of the technology, or a symlink) or
    NOT_SCANNED (it could not parse it, crashed on it, gave up on it)."""

    path: str  # relative to the scanned root, POSIX
    status: str
    reason: str


@dataclass
class ScanJob:
    """What to scan: ``root`` (a folder or one file), for ``technology`` (None: every one the scanner covers),
    with ``suffixes`` the file types of the technologies asked for; ``files`` (relative to ``root``) limits the
    scan to those. ``command`` is how a user said to run the program (None: its default). ``progress(done,
    total)`` hears how many files are done so far."""

    root: Path
    technology: str | None
    suffixes: tuple[str, ...] = ()
    files: Sequence[str] | None = None
    command: str | None = None
    jobs: int | None = None
    timeout: float = 300.0
    progress: Callable[[int, int], None] = lambda done, total: None


@dataclass
class ScanOutcome:
    """What a scanner run produced: its output (read by the scanner's reader, under the name ``origin``), the
    files it was given and those it gave no verdict on."""

    files: list[str]
    output: str = ""
    origin: str = ""
    problems: list[FileProblem] = field(default_factory=list)

    @property
    def not_scanned(self) -> list[FileProblem]:
        return [p for p in self.problems if p.status == NOT_SCANNED]

    @property
    def skipped(self) -> list[FileProblem]:
        return [p for p in self.problems if p.status == SKIPPED]

    @property
    def analysed(self) -> int:
        return len(self.files) - len(self.problems)


@dataclass(frozen=True)
class Scanner:
    """A program iacfilter runs itself. ``run(job)`` scans, bounded in time and failing closed: every file it
    could not scan is a NOT_SCANNED problem, never a clean file; a program that is missing raises
    ``IacfilterError`` saying how to install it. Its output is read with the reader named ``reader``; the
    findings of a run for one technology belong to it when ``owns_output`` is true (GLITCH: it parses every
    file as that technology), else each goes to the technology that owns it."""

    name: str
    description: str
    program: str  # as users know it, for messages: "GLITCH", "checkov"
    technologies: tuple[str, ...]
    reader: str
    run: Callable[[ScanJob], ScanOutcome]
    owns_output: bool = False
    needs_technology: bool = False  # runs for one technology at a time (--tech is required)
    default: bool = False  # what scan and hook run when no --scanner is named


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
    # Open world: ``infer_smell(finding) -> (smell or None, note)`` for a finding whose rule no rules map lists
    # (e.g. from the rule's words); the note says how (and with what confidence) or why not.
    infer_smell: Callable[[Finding], tuple[str | None, str]] | None = None
    # ``context(findings)``: sees every finding of one run it owns (several reports given together) before any
    # is scored, to share what they reveal about each other (e.g. which hosts serve HTTPS).
    context: Callable[[Sequence[Finding]], None] | None = None


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

    ``extra`` names the pip extra that installs the optional packages ``load`` or ``train`` import; a missing
    one is then reported as "pip install 'iacfilter[EXTRA]'".

    ``train(params, train, val, out_dir, seed, log)``, where a backend can be trained, fits a model on the
    ``train`` examples (early stopping on ``val`` where it has epochs), writes its files into ``out_dir``
    (what ``load`` reads back) and returns p(true positive) for each ``val`` example.
    """

    name: str
    description: str
    load: Callable[[Any], LoadedScorer]
    train: Callable[..., Sequence[float]] | None = None
    extra: str | None = None  # the pip extra (iacfilter[EXTRA]) holding the packages it imports when used


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
