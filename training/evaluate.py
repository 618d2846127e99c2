"""``iacfilter eval``: how a model does on a labelled dataset, overall, per technology and per smell."""

from __future__ import annotations

from pathlib import Path

from iacfilter.dataset import load_dataset
from iacfilter.decide import Model

from . import metrics as m


def evaluate(dataset: str | Path, model: Model, batch_size: int = 64) -> dict:
    examples = load_dataset(dataset)
    covered = [i for i, e in enumerate(examples) if model.champion.covers(e.snippet.smell, e.snippet.tech)]
    scores = [1.0] * len(examples)  # a finding the model does not cover passes through: kept
    for start in range(0, len(covered), batch_size):
        idx = covered[start : start + batch_size]
        for i, p in zip(idx, model.scorer.score([examples[i].snippet for i in idx])):
            scores[i] = float(p)
    labels = [e.label for e in examples]
    t = model.threshold
    result = {
        "dataset": str(dataset), "model": model.id, "threshold": t, "n": len(examples),
        "not_scored": len(examples) - len(covered),
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
