"""The variant table: one dual-head variant (or any champion) on one labelled dataset.

SC: the base model answers with a verdict token straight after the prompt (budget 0), p(TP) = softmax over the
first tokens of " TP" and " FP". PE-SC: the same, the prompt stating the policy. FT-SC: the fine-tuned model
(base + adapter) writes its analysis under the budget, then answers with the verdict token. FT-CH: the same
generation, the MLP head decides. Verdict-token variants classify at p >= 0.5 (the more likely token); FT-CH and
other champions at their frozen threshold. ``other``: any champion through its own backend (``encoder``,
``features``), for the rows that compare.
"""

from __future__ import annotations

import time
from pathlib import Path

VARIANTS = ("SC", "PE-SC", "FT-SC", "FT-CH", "FT", "other")  # FT: FT-SC and FT-CH from one generation


def _rates(labels, scores, threshold):
    from iacfilter_training.metrics import metrics

    m = metrics(labels, scores, threshold)
    return {k: round(m[k], 4) for k in ("precision", "recall", "f1")}


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def champion_scores(model: str, examples, batch_size: int = 64):
    """(loaded model, p(TP) of each example, seconds): any champion through its own backend."""
    from iacfilter.decide import load_model
    from iacfilter.findings import Score

    loaded = load_model(model)
    started = time.perf_counter()
    scores = []
    for start in range(0, len(examples), batch_size):
        out = loaded.scorer.score([e.snippet for e in examples[start : start + batch_size]])
        scores += [float(s.p if isinstance(s, Score) else s) for s in out]
    return loaded, scores, time.perf_counter() - started


def evaluate(variant: str, examples, budgets, *, base: str | None = None, model: str | None = None,
             batch_size: int = 16, max_prompt: int | None = None, cpu_dtype: str | None = None,
             log=print) -> list[dict]:
    """One result row per budget (SC / PE-SC / other: one row)."""
    from iacfilter_training.generation_metrics import control, scaling

    labels = [e.label for e in examples]
    texts = [e.snippet.text for e in examples]
    rows = []
    if variant == "other":
        loaded, scores, seconds = champion_scores(model, examples)
        return [{"variant": f"{loaded.champion.backend} ({loaded.champion.name})", "budget": None,
                 **_rates(labels, scores, loaded.threshold), "findings_per_s": round(len(examples) / seconds, 2),
                 "control": None, "scaling": None}]
    from .model import load_base
    from .scorer import load as load_champion_scorer
    from .training import features

    if variant in ("SC", "PE-SC"):
        lm = load_base(str(base), cpu_dtype=cpu_dtype)
        lm.max_prompt = max_prompt
        lm.use_bos("auto")
        budgets, policy, head = [0], variant == "PE-SC", None
    else:
        from iacfilter.champion import load_champion

        scorer = load_champion_scorer(load_champion(model), {})
        lm, policy, head = scorer.lm, scorer.policy, scorer
        threshold = load_champion(model).threshold
    wanted = ["FT-SC", "FT-CH"] if variant == "FT" else [variant]
    prompt_head = None  # a head that reads the base alone over the prompt decides the same at every budget
    if head is not None and head.head_reads == "prompt" and "FT-CH" in wanted:
        with lm.without_adapter():
            x0, _, _ = features(lm, texts, 0, policy, batch_size, log, f"{variant} head")
        prompt_head = head.probabilities(x0)
    f1_by_budget: dict[str, dict[int, float]] = {v: {} for v in wanted}
    abouts = [e.row.get("about") for e in examples]  # rows that say what they are about: is the analysis faithful?
    for budget in budgets:
        lm.check_budget(budget)
        started = time.perf_counter()
        x, p_verdict, gens = features(lm, texts, budget, policy, batch_size, log, f"{variant}")
        seconds = time.perf_counter() - started
        lengths = [g.length for g in gens]
        written = ([lm.tokenizer.decode(g.ids, skip_special_tokens=True).strip() for g in gens]
                   if budget > 0 and all(abouts) else None)
        for name in wanted:
            if name == "FT-CH":
                scores, t = (prompt_head if prompt_head is not None else head.probabilities(x)), threshold
            else:
                scores, t = p_verdict, 0.5
            rates = _rates(labels, scores, t)
            f1_by_budget[name][budget] = rates["f1"]
            extra = {}
            if written is not None:
                from iacfilter_training.generation_metrics import faithfulness

                verdicts = [int(not p < t) for p in scores]
                extra = {"faithfulness": {k: (round(v, 4) if isinstance(v, float) else v) for k, v in
                                          faithfulness(written, abouts, verdicts, labels).items()}}
            rows.append({"variant": name, "budget": budget, **rates, **extra,
                         "findings_per_s": round(len(examples) / seconds, 2),
                         "control": round(control(lengths, 1, budget), 4) if budget > 0 else None,
                         "mean_length": round(sum(lengths) / len(lengths), 1),
                         "truncated": sum(1 for g in gens if g.truncated), "scaling": None,
                         "peak_rss_mb": round(_peak_rss_mb(), 1)})
            log(f"{name} budget {budget}: {rows[-1]}")
    for name in wanted:
        if len(f1_by_budget[name]) > 1:
            value = round(scaling(f1_by_budget[name]), 6)
            for row in rows:
                if row["variant"] == name:
                    row["scaling"] = value
    return rows


def markdown(rows: list[dict], data: str) -> str:
    out = []
    for r in rows:
        cells = [r["variant"], "—" if r["budget"] is None else str(r["budget"]), Path(data).name,
                 f"{r['precision']:.3f}", f"{r['recall']:.3f}", f"{r['f1']:.3f}", f"{r['findings_per_s']:.1f}",
                 "—" if r.get("control") is None else f"{r['control']:.2f}",
                 "—" if r.get("scaling") is None else f"{r['scaling']:+.5f}"]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)
