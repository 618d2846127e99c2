"""Human and machine views of the decisions: the stderr summary, ``--format table`` and ``--format json``."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from typing import Sequence

from .findings import FILTERED, NOT_SCORED, UNSCORED, VERDICTS, Finding, Verdict


def summary(findings: Sequence[Finding], verdicts: Sequence[Verdict], models: Sequence[tuple[str, float]],
            output: str | None = None) -> str:
    """The run in a few lines for stderr: the counts by verdict (named as in the SARIF), a table per smell
    whose columns add up to them, and where the output went (``output``; none for standard output)."""
    total = Counter(v.verdict for v in verdicts)
    per_smell: dict[str, Counter] = defaultdict(Counter)
    for f, v in zip(findings, verdicts):
        per_smell[f.smell or f"({f.rule})"][v.verdict] += 1
    reported = len(verdicts) - total[FILTERED]
    kept_as = ", ".join(f"{total[v]} {v}" for v in VERDICTS if v != FILTERED and total[v])
    lines = [
        f"iacfilter: {len(verdicts)} findings in, {reported} reported"
        + (f" ({kept_as})" if kept_as else "")
        + f", {total[FILTERED]} filtered"
        + (f" ({'; '.join(f'model {m}, threshold {t:.2f}' for m, t in models)})" if models else ""),
    ]
    not_judged = Counter(f"{f.smell or f.rule} ({f.tech or 'no technology'})"
                         for f, v in zip(findings, verdicts) if v.verdict == NOT_SCORED)
    if not_judged:
        lines.append("iacfilter: not judged, passed through untouched: "
                     + ", ".join(f"{what} x{n}" for what, n in sorted(not_judged.items())))
    if total[UNSCORED]:
        lines.append(f"iacfilter: warning: {total[UNSCORED]} finding(s) could not be scored and were kept")
    if not verdicts:
        return "\n".join(lines)
    width = max(len("smell"), *(len(s) for s in per_smell))
    lines.append(f"  {'smell':<{width}}  {'in':>5}" + "".join(f"  {v:>10}" for v in VERDICTS))
    for smell in sorted(per_smell):
        c = per_smell[smell]
        lines.append(f"  {smell:<{width}}  {sum(c.values()):>5}" + "".join(f"  {c[v]:>10}" for v in VERDICTS))
    lines.append(f"  {'total':<{width}}  {len(verdicts):>5}" + "".join(f"  {total[v]:>10}" for v in VERDICTS))
    if output is not None:
        lines.append(f"iacfilter: wrote {output}")
    return "\n".join(lines)


def records(findings: Sequence[Finding], verdicts: Sequence[Verdict], drop: bool) -> list[dict]:
    return [
        {
            "tool": f.tool, "rule": f.rule, "smell": f.smell, "technology": f.tech, "path": f.path, "line": f.line,
            "verdict": v.verdict, "score": None if v.score is None else round(v.score, 6),
            "threshold": v.threshold, "model": v.model, "reason": v.reason, "input": f.origin,
        }
        for f, v in zip(findings, verdicts)
        if not (drop and v.filtered)
    ]


def as_json(findings, verdicts, drop: bool) -> str:
    return json.dumps(records(findings, verdicts, drop), indent=2, ensure_ascii=False) + "\n"


def columns(rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns, two spaces apart; the last column is not padded."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() + "\n" for row in rows)


def as_table(findings, verdicts, drop: bool) -> str:
    """One row per finding, by location: verdict, score, smell, the scanner's rule id, technology, location and
    the reason for the verdict (last, unpadded)."""
    rows = [("VERDICT", "SCORE", "SMELL", "RULE", "TECH", "LOCATION", "REASON")]
    by_location = sorted(records(findings, verdicts, drop), key=lambda r: (r["path"], r["line"] or 0))
    for r in by_location:
        score = "-" if r["score"] is None else f"{r['score']:.3f}"
        where = f"{r['path']}:{r['line']}" if r["line"] else r["path"]
        rows.append((r["verdict"], score, r["smell"] or "-", r["rule"], r["technology"] or "-", where,
                     " ".join(r["reason"].split())))
    return columns(rows)
