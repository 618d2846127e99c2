"""Score findings and decide keep / filter against each champion's frozen threshold.

A run scores with the champion the user named (``--model NAME|DIR``) or, by default, with every installed
default champion: each finding goes to the first one (by name) that covers its technology and smell, so one run
may mix IaC and HTTP inputs. A champion's weights are loaded only when a finding needs it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from . import plugins
from .champion import Champion, load_champion
from .errors import IacfilterError, MissingPackage, needs_extra
from .findings import FILTERED, KEPT, NO_SOURCE, NOT_SCORED, UNSCORED, Finding, NoSnippet, Score, Snippet, Verdict
from .records import Decision, classify, technology  # noqa: F401  (classify, technology: where callers look)
from .registry import LoadedScorer, Technology


@dataclass
class Model:
    champion: Champion
    scorer: LoadedScorer
    threshold: float

    @property
    def id(self) -> str:
        return self.champion.name


def champion_path(name_or_dir: str | Path) -> Path:
    """A shipped champion's directory by its name, or the directory given."""
    shipped = plugins.champions()
    if str(name_or_dir) in shipped:
        return shipped[str(name_or_dir)].path
    path = Path(name_or_dir)
    if not path.is_dir():
        names = ", ".join(sorted(shipped)) or "none"
        raise IacfilterError(str(name_or_dir), f"no such model: neither a champion directory nor an installed "
                                               f"champion's name (installed: {names})")
    return path


def default_champions() -> list[Path]:
    """The directories of the installed default champions (one per technology family), by name."""
    defaults = sorted((c for c in plugins.champions().values() if c.default), key=lambda c: c.name)
    if not defaults:
        raise IacfilterError("--model", "no model given and no default model is installed; pass --model NAME|DIR "
                                        "(a champion directory with champion.yaml)")
    return [c.path for c in defaults]


def load_model(directory, threshold: float | None = None, options: Mapping[str, Any] | None = None) -> Model:
    """Load a champion (by name or directory) with its scorer backend."""
    champion = directory if isinstance(directory, Champion) else load_champion(champion_path(directory))
    backends = plugins.scorers()
    backend = backends.get(champion.backend)
    if backend is None:
        loaded = ", ".join(sorted(backends)) or "none"
        raise IacfilterError(
            str(champion.path), f"needs scorer backend {champion.backend!r}, which no loaded plugin provides (loaded: {loaded})"
        )
    try:
        with needs_extra(backend.extra):
            scorer = backend.load(champion, dict(options or {}))
    except (IacfilterError, MissingPackage, ModuleNotFoundError):
        raise
    except Exception as exc:  # a backend's own failure: one line, not a traceback
        raise IacfilterError(str(champion.path), f"cannot load model: {type(exc).__name__}: {exc}") from None
    return Model(champion, scorer, champion.threshold if threshold is None else threshold)


@dataclass
class Models:
    """The champions a run may score with; each is loaded the first time a finding needs it."""

    champions: list[Champion]
    threshold: float | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    named: bool = False  # the user named the model (not the installed defaults)
    _loaded: dict[str, Model] = field(default_factory=dict)

    @classmethod
    def open(cls, name_or_dir=None, threshold: float | None = None, options: Mapping[str, Any] | None = None) -> "Models":
        paths = [champion_path(name_or_dir)] if name_or_dir else default_champions()
        models = cls([load_champion(p) for p in paths], threshold, dict(options or {}), named=bool(name_or_dir))
        if models.named or models.options:  # a model or an option the user asked for fails now, not never
            for champion in models.champions:
                models.model(champion)
        return models

    def champion_for(self, smell: str | None, tech: str | None) -> Champion | None:
        return next((c for c in self.champions if c.covers(smell, tech)), None)

    def model(self, champion: Champion) -> Model:
        if champion.name not in self._loaded:
            self._loaded[champion.name] = load_model(champion, self.threshold, self.options)
        return self._loaded[champion.name]

    def used(self) -> list[Model]:
        """The models loaded so far (those that scored something), by name."""
        return [self._loaded[n] for n in sorted(self._loaded)]

    def describe(self) -> list[tuple[str, float]]:
        """(name, threshold) of the models used, or of every candidate when none was needed."""
        used = self.used()
        if used:
            return [(m.id, m.threshold) for m in used]
        return [(c.name, c.threshold if self.threshold is None else self.threshold) for c in self.champions]


def decide(
    decisions: Sequence[Decision],
    models: Models,
    sources,
    techs: dict[str, Technology],
    *,
    batch_size: int = 64,
    progress: Callable[[int], None] = lambda done: None,
    warn: Callable[[str], None] = lambda msg: None,
) -> Sequence[Decision]:
    """Set every record's verdict. Only a score below its model's threshold filters a finding.

    ``progress(done)`` is called with the number of records decided so far."""
    pending: dict[str, list[tuple[Decision, Snippet]]] = {}
    by_name = {c.name: c for c in models.champions}
    for d in decisions:
        verdict, champion, snippet = _prepare(d.finding, models, sources, techs)
        if verdict is not None:
            d.verdict = verdict
        else:
            pending.setdefault(champion.name, []).append((d, snippet))
    done = len(decisions) - sum(len(p) for p in pending.values())
    progress(done)
    for name in sorted(pending):
        model = models.model(by_name[name])
        items = pending[name]
        for start in range(0, len(items), batch_size):
            batch = items[start : start + batch_size]
            try:
                scores = list(model.scorer.score([s for _, s in batch]))
                if len(scores) != len(batch):
                    raise RuntimeError(f"scorer returned {len(scores)} scores for {len(batch)} snippets")
                scores = [s if isinstance(s, Score) else Score(float(s)) for s in scores]
            except Exception as exc:  # never lose a finding: keep it, marked unscored
                warn(f"scoring failed for {len(batch)} finding(s), kept unscored: {type(exc).__name__}: {exc}")
                for d, _ in batch:
                    d.verdict = Verdict(UNSCORED, f"scorer error: {type(exc).__name__}", model=model.id)
            else:
                for (d, _), score in zip(batch, scores):
                    d.verdict = _threshold(score, model, d.finding.smell_note)
            done += len(batch)
            progress(done)
    return decisions


def _threshold(score: Score, model: Model, smell_note: str = "") -> Verdict:
    p, t = float(score.p), model.threshold
    note = "".join(f"; {n}" for n in (smell_note, score.note) if n)
    if p != p:  # NaN: a score that is no number cannot filter anything
        return Verdict(UNSCORED, f"scorer returned no number{note}", model=model.id, rationale=score.rationale)
    if p < t:
        return Verdict(FILTERED, f"score {p:.4f} < threshold {t:.2f}: likely false positive{note}", p, t, model.id,
                       score.rationale)
    return Verdict(KEPT, f"score {p:.4f} >= threshold {t:.2f}{note}", p, t, model.id, score.rationale)


def _prepare(f: Finding, models: Models, sources, techs: dict[str, Technology]):
    if f.smell is None:
        note = f"; {f.smell_note}" if f.smell_note else ""
        return Verdict(NOT_SCORED, f"rule {f.rule!r} of {f.tool} is not in the rules map{note}"), None, None
    if f.tech is None:
        return Verdict(NOT_SCORED, "no technology plugin owns this finding"), None, None
    champion = models.champion_for(f.smell, f.tech)
    if champion is None:
        if models.named:
            why = f"model {models.champions[0].name} is not trained on {f.smell} in {f.tech}"
        else:
            why = f"no installed model covers {f.smell} in {f.tech}"
        return Verdict(NOT_SCORED, why), None, None
    try:
        snippet = techs[f.tech].snippet(f, sources)
    except NoSnippet as exc:
        return Verdict(NO_SOURCE, str(exc)), None, None
    return None, champion, snippet
