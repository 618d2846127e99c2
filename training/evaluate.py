"""``iacfilter eval``: how a model does on a labelled dataset, overall, per technology and per smell."""

from __future__ import annotations

from pathlib import Path

from iacfilter.dataset import describe_problems, load_dataset, problem_counts
from iacfilter.decide import Models

from . import metrics as m


def evaluate(dataset: str | Path, models: Models, batch_size: int = 64) -> dict:
    """Score every example with the champion that covers it, as ``filter`` would; report at its threshold.

    Scores are shifted so that every model's own threshold maps onto the reported one (``threshold``):
    ``p - t_model + t``. With one model (the usual case) nothing moves.
    """
    examples = load_dataset(dataset)
    scores = [1.0] * len(examples)  # a finding no model covers passes through: kept
    groups: dict[str, list[int]] = {}
    by_name = {c.name: c for c in models.champions}
    for i, e in enumerate(examples):
        champion = models.champion_for(e.snippet.smell, e.snippet.tech)
        if champion is not None:
            groups.setdefault(champion.name, []).append(i)
    for name in sorted(groups):
        model = models.model(by_name[name])
        covered = groups[name]
        for start in range(0, len(covered), batch_size):
            idx = covered[start : start + batch_size]
            for i, p in zip(idx, model.scorer.score([examples[i].snippet for i in idx])):
                scores[i] = float(getattr(p, "p", p))
    used = models.used() or [models.model(models.champions[0])]
    t = used[0].threshold
    for model in used[1:]:
        for i in groups.get(model.id, []):
            scores[i] = scores[i] - model.threshold + t
    labels = [e.label for e in examples]
    n_covered = sum(len(v) for v in groups.values())
    result = {
        "dataset": str(dataset), "model": ", ".join(m.id for m in used), "threshold": t, "n": len(examples),
        "not_scored": len(examples) - n_covered,
        "alignment": problem_counts(examples), "alignment_line": describe_problems(examples),
        **{k: v for k, v in m.metrics(labels, scores, t).items()},
        "per_tech": m.grouped(labels, scores, [e.snippet.tech for e in examples], t),
        "per_smell": m.grouped(labels, scores, [e.snippet.smell for e in examples], t),
        "threshold_sweep": m.threshold_sweep(labels, scores, m.thresholds()),
    }
    result["_labels"], result["_scores"] = labels, scores
    return result


def render(result: dict) -> str:
    c = result["confusion"]
    lines = [
        f"{result['dataset']}: {result['n']} findings, model {result['model']}, threshold {result['threshold']:.2f}"
        + (f" ({result['not_scored']} not covered by the model, kept)" if result["not_scored"] else ""),
        f"  {result['alignment_line']}",
        f"  precision {result['precision']:.3f}  recall {result['recall']:.3f}  F1 {result['f1']:.3f}  "
        f"accuracy {result['accuracy']:.3f}  FP removed {result['fp_removed']:.3f}  TP kept {result['tp_kept']:.3f}",
        "",
        "  confusion        kept   filtered",
        f"  TP (real)     {c['tp']:>6}   {c['fn']:>8}",
        f"  FP (noise)    {c['fp']:>6}   {c['tn']:>8}",
    ]
    for title, key in (("technology", "per_tech"), ("smell", "per_smell")):
        groups = result[key]
        width = max(len(title), *(len(g) for g in groups))
        lines += ["", f"  {title:<{width}}  {'n':>5}  {'prec':>6}  {'recall':>6}  {'F1':>6}  {'FP rem':>6}"]
        for g, r in groups.items():
            lines.append(f"  {g:<{width}}  {r['n']:>5}  {r['precision']:>6.3f}  {r['recall']:>6.3f}  {r['f1']:>6.3f}  {r['fp_removed']:>6.3f}")
    return "\n".join(lines)
