"""The one way a finding travels: read -> classify -> score -> decide -> write.

``filter``, ``scan``, ``hook`` and ``explain`` all go through here; the command line only parses options and
prints. :func:`run` returns one :class:`~iacfilter.records.Decision` per finding kept by the patterns, and the
rendered output; nothing is written to a file here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from . import plugins
from .baseline import Baseline, Comparison, compare, describe, fingerprint, reported
from .decide import Models, decide
from .errors import IacfilterError
from .findings import FILTERED, KEPT, NO_SOURCE, UNSCORED
from .inputs import read_scanner_output, read_scanner_stdin
from .records import Decision, classify, share_context
from .registry import NOT_SCANNED, Notification, ScanOutcome, Scanner, ScanRun
from .rules import RulesMap, load_rules_map
from .sources import SourceRoot


@dataclass
class Settings:
    """What a user asked a run to do (the options of ``iacfilter filter``)."""

    source_root: Any = "."
    tech: str | None = None
    mode: str = "annotate"
    model_dir: str | None = None
    threshold: float | None = None
    fmt: str = "sarif"
    batch_size: int = 64
    budget: int | None = None
    baseline: str | None = None
    only_new: bool = False
    include: Sequence[str] = ()
    exclude: Sequence[str] = ()
    patterns_file: Sequence[str] = ()
    category: str | None = None
    strict: bool = False
    output: str = "-"  # where the output goes, for messages

    @property
    def scorer_options(self) -> dict:
        """The scoring options a user gave, for the backends that take them."""
        return {} if self.budget is None else {"budget": self.budget}


@dataclass
class Result:
    runs: list[ScanRun]
    decisions: list[Decision]  # those the patterns kept, in input order
    models: list[tuple[str, float]] = field(default_factory=list)  # (name, threshold) of the models used
    excluded: list[int] = field(default_factory=list)  # findings each run lost to the patterns
    patterns: list[str] = field(default_factory=list)
    comparison: Comparison | None = None
    text: str = ""  # the output, rendered
    problems: list[str] = field(default_factory=list)  # why GitHub code scanning would reject the output

    def shown(self, drop: bool) -> list[Decision]:
        only_new = bool(self.comparison and self.comparison.only_new)
        return [d for d in self.decisions if reported(d, drop, only_new)]

    @property
    def reported(self) -> int:
        """Findings still reported after filtering (and, with --only-new, new)."""
        return len(self.shown(drop=True))


def read(paths: Sequence[str]) -> list[ScanRun]:
    """The runs of every input file (``-``: standard input), each read by the reader its content picks."""
    return [run for path in paths for run in (read_scanner_stdin() if path == "-" else read_scanner_output(path))]


def read_scan(scanner: Scanner, outcome: ScanOutcome, technology: str | None) -> list[ScanRun]:
    """The runs of a scanner iacfilter ran, read by the scanner's reader: each says whether every file was
    scanned and, as notifications, which were not (or were skipped) and why; a scanner that owns its output
    gives its findings the ``technology`` it ran for."""
    notes = [Notification(p.path, f"{p.status}: {p.reason}", "error" if p.status == NOT_SCANNED else "note")
             for p in outcome.problems]
    runs = plugins.readers()[scanner.reader].read(outcome.origin, outcome.output)
    for run in runs:
        run.execution_successful = not outcome.not_scanned
        run.notifications = list(notes)
        run.technology = technology if scanner.owns_output else None
    return runs


def classify_runs(runs: Sequence[ScanRun], rules: RulesMap, techs, forced: str | None = None) -> list[Decision]:
    """One record per finding of every run; a run a scanner made for one technology keeps it, ``forced`` wins."""
    decisions = [d for i, run in enumerate(runs) for d in classify(run.findings, rules, techs,
                                                                    forced or run.technology, run=i)]
    share_context([d.finding for d in decisions], techs)  # what the reports show of each other (site context)
    return decisions


def score(decisions: Sequence[Decision], settings: Settings, sources: SourceRoot, techs, *,
          progress: Callable[[int, int], None] = lambda done, total: None,
          warn: Callable[[str], None] = lambda message: None) -> Models:
    """Score and decide every record with the champions the settings name (or the installed defaults)."""
    models = Models.open(settings.model_dir, settings.threshold, settings.scorer_options)
    decide(decisions, models, sources, techs, batch_size=settings.batch_size,
           progress=lambda done: progress(done, len(decisions)), warn=warn)
    return models


def decide_runs(runs: Sequence[ScanRun], settings: Settings, *,
                warn: Callable[[str], None] = lambda message: None) -> list[Decision]:
    """Classify and decide every finding, writing nothing (the pre-commit hook prints the kept ones)."""
    techs = plugins.technologies()
    decisions = classify_runs(runs, load_rules_map(), techs, settings.tech)
    if decisions:
        score(decisions, settings, SourceRoot(settings.source_root), techs, warn=warn)
    return decisions


def check_sources(decisions: Sequence[Decision], sources: SourceRoot, strict: bool,
                  warn: Callable[[str], None]) -> None:
    """Most findings' files absent under the source root means a forgotten or wrong --source-root: say so (an
    error with ``strict``)."""
    missing = [d for d in decisions if d.verdict.verdict == NO_SOURCE and sources.absent(d.finding.path)]
    tried = sum(1 for d in decisions if d.verdict.verdict in (KEPT, FILTERED, UNSCORED)) + len(missing)
    if not missing or len(missing) * 2 <= tried:
        return
    message = (f"{len(missing)} of {tried} findings have no readable source under --source-root {sources.given} "
               f"(e.g. {missing[0].finding.path!r}), so they were kept unscored: pass --source-root DIR, the folder "
               f"the scanner ran in (the flagged paths are relative to it)")
    if strict:
        raise IacfilterError("--source-root", message)
    warn(message + "; --strict makes this an error")


def run(runs: list[ScanRun], settings: Settings, *, note: Callable[[str], None] = lambda message: None,
        warn: Callable[[str], None] = lambda message: None,
        progress: Callable[[int, int], None] = lambda done, total: None) -> Result:
    """Classify, leave out what the patterns exclude, score, decide, fingerprint, compare with the baseline and
    render. ``note`` hears what a user may want to know, ``warn`` what they must; ``progress(done, total)``
    follows the scoring."""
    from . import patterns as pattern_filters

    rules, techs = load_rules_map(), plugins.technologies()
    patterns = pattern_filters.read_patterns(settings.include, settings.exclude, settings.patterns_file)
    old = Baseline.read(settings.baseline, rules) if settings.baseline else None
    decisions = classify_runs(runs, rules, techs, settings.tech)
    result = Result(runs, decisions, excluded=[0] * len(runs), patterns=[p.text for p in patterns])
    if patterns:
        result.decisions, result.excluded = pattern_filters.apply(decisions, patterns, len(runs))
        note(f"{sum(result.excluded)} finding(s) excluded by patterns before scoring")
    sources = SourceRoot(settings.source_root)
    models = score(result.decisions, settings, sources, techs, progress=progress, warn=warn)
    check_sources(result.decisions, sources, settings.strict, warn)
    result.models = models.describe()
    fingerprint(result.decisions, sources)
    if old:
        result.comparison = compare(result.decisions, old, settings.only_new)
        note(f"against baseline {settings.baseline}: {describe(result.comparison.counts(result.decisions))}")
    result.text = render(result, settings, techs, sources)
    return result


def render(result: Result, settings: Settings, techs, sources: SourceRoot) -> str:
    """The output in the format asked for; SARIF that GitHub code scanning would refuse is an error in drop
    mode (the upload copy) and a problem listed in ``result.problems`` otherwise."""
    from .report import as_json, as_table
    from .sarif import build_log, check_github_limits, dumps

    drop = settings.mode == "drop"
    if settings.fmt == "sarif":
        log = build_log(result.runs, result.decisions, mode=settings.mode, models=result.models, technologies=techs,
                        options=settings.scorer_options, comparison=result.comparison, patterns=result.patterns,
                        excluded=result.excluded, category=settings.category)
        text = dumps(log)
        result.problems = check_github_limits(log, text)
        if result.problems and drop:
            raise IacfilterError(settings.output, "; ".join(result.problems) + " (split the input by technology or directory)")
        return text
    shown = result.shown(drop=False)
    findings, verdicts = [d.finding for d in shown], [d.verdict for d in shown]
    if settings.fmt == "json":
        return as_json(findings, verdicts, drop)
    if settings.fmt == "html":
        from .baseline import flagged_code
        from .html_report import as_html

        codes = [flagged_code(d.finding, sources) for d in shown]
        return as_html(findings, verdicts, drop, result.models, [c if not c.startswith("@line") else "" for c in codes],
                       [d.baseline_state for d in shown], title=", ".join(sorted({r.origin for r in result.runs})))
    return as_table(findings, verdicts, drop)
