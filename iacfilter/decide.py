"""Score findings and decide keep / filter against the champion's frozen threshold."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from . import plugins
from .champion import Champion, load_champion
from .errors import IacfilterError
from .findings import FILTERED, KEPT, NO_SOURCE, NOT_SCORED, UNSCORED, Finding, Snippet, Verdict
from .registry import LoadedScorer, Technology
from .rules import RulesMap
from .snippets import window
from .sources import SourceRoot


@dataclass
class Model:
    champion: Champion
    scorer: LoadedScorer
    threshold: float

    @property
    def id(self) -> str:
        return self.champion.name


def load_model(directory, threshold: float | None = None) -> Model:
    champion = load_champion(directory)
    backends = plugins.scorers()
    backend = backends.get(champion.backend)
    if backend is None:
        loaded = ", ".join(sorted(backends)) or "none"
        raise IacfilterError(
            str(directory), f"needs scorer backend {champion.backend!r}, which no loaded plugin provides (loaded: {loaded})"
        )
    try:
        scorer = backend.load(champion)
    except (IacfilterError, ModuleNotFoundError):  # the CLI names the extra that provides a missing package
        raise
    except Exception as exc:  # a backend's own failure: one line, not a traceback
        raise IacfilterError(str(directory), f"cannot load model: {type(exc).__name__}: {exc}") from None
    return Model(champion, scorer, champion.threshold if threshold is None else threshold)


def technology(techs: dict[str, Technology], name: str) -> Technology:
    """The technology a user named (``--tech``), or a one-line error listing the known ones."""
    if name not in techs:
        raise IacfilterError(f"--tech {name}", f"no such technology (known: {', '.join(sorted(techs))})")
    return techs[name]


def classify(findings: Sequence[Finding], rules: RulesMap, techs: dict[str, Technology], forced: str | None) -> None:
    """Set each finding's canonical smell (rules map) and technology (the plugin that owns it)."""
    if forced is not None:
        technology(techs, forced)
    owners = sorted(techs.items())
    for f in findings:
        rule = rules.lookup(f.tool, f.rule)
        f.smell = rule.smell if rule else None
        f.tech = forced if forced is not None else next((name for name, t in owners if t.owns(f)), None)


def decide(
    findings: Sequence[Finding],
    model: Model,
    sources: SourceRoot,
    techs: dict[str, Technology],
    *,
    batch_size: int = 64,
    progress: Callable[[int], None] = lambda n: None,
    warn: Callable[[str], None] = lambda msg: None,
) -> list[Verdict]:
    """One verdict per finding, in order. Only a score below the threshold filters a finding."""
    verdicts: list[Verdict | None] = [None] * len(findings)
    pending: list[tuple[int, Snippet]] = []
    for i, f in enumerate(findings):
        verdict, snippet = _prepare(f, model, sources, techs)
        if snippet is None:
            verdicts[i] = verdict
        else:
            pending.append((i, snippet))
    progress(len(findings) - len(pending))
    for start in range(0, len(pending), batch_size):
        batch = pending[start : start + batch_size]
        try:
            scores = [float(s) for s in model.scorer.score([s for _, s in batch])]
            if len(scores) != len(batch):
                raise RuntimeError(f"scorer returned {len(scores)} scores for {len(batch)} snippets")
        except Exception as exc:  # never lose a finding: keep it, marked unscored
            warn(f"scoring failed for {len(batch)} finding(s), kept unscored: {type(exc).__name__}: {exc}")
            for i, _ in batch:
                verdicts[i] = Verdict(UNSCORED, f"scorer error: {type(exc).__name__}", model=model.id)
            progress(len(batch))
            continue
        for (i, _), p in zip(batch, scores):
            verdicts[i] = _threshold(p, model)
        progress(len(batch))
    return verdicts  # type: ignore[return-value]


def _threshold(p: float, model: Model) -> Verdict:
    t = model.threshold
    if p < t:
        return Verdict(FILTERED, f"score {p:.4f} < threshold {t:.2f}: likely false positive", p, t, model.id)
    return Verdict(KEPT, f"score {p:.4f} >= threshold {t:.2f}", p, t, model.id)


def _prepare(f: Finding, model: Model, sources: SourceRoot, techs: dict[str, Technology]):
    if f.smell is None:
        return Verdict(NOT_SCORED, f"rule {f.rule!r} of {f.tool} is not in the rules map"), None
    if f.tech is None:
        return Verdict(NOT_SCORED, "no technology plugin owns this file"), None
    if not model.champion.covers(f.smell, f.tech):
        return Verdict(NOT_SCORED, f"model {model.id} is not trained on {f.smell} in {f.tech}"), None
    if f.line is None or f.line < 1:
        return Verdict(NO_SOURCE, "file-level finding: no line to score"), None
    lines, why = sources.lines(f.path)
    if lines is None:
        return Verdict(NO_SOURCE, why), None
    if f.line > len(lines):
        return Verdict(NO_SOURCE, f"line {f.line} is past the end of the file ({len(lines)} lines)"), None
    tech = techs[f.tech]
    line, before, after = window(lines, f.line, tech.context_lines)
    return None, tech.build_snippet(f.smell, line, before, after)
