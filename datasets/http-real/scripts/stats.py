"""Counts of labels.jsonl: per app, scanner, smell and label, and the findings the review changed.

    python datasets/http-real/scripts/stats.py [--markdown]
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def table(title: str, rows: dict, markdown: bool) -> list[str]:
    out = [f"\n### {title}\n" if markdown else f"\n{title}"]
    if markdown:
        out += ["| | findings | TP | FP | changed by review |", "|---|---:|---:|---:|---:|"]
    for key in sorted(rows):
        c = rows[key]
        cells = [key, c["n"], c["TP"], c["FP"], c["review"]]
        out.append("| " + " | ".join(str(x) for x in cells) + " |" if markdown else
                   f"  {key:<28} {c['n']:>5} findings  {c['TP']:>4} TP  {c['FP']:>4} FP  {c['review']:>4} changed")
    return out


def main() -> int:
    markdown = "--markdown" in sys.argv
    records = [json.loads(x) for x in (ROOT / "labels.jsonl").read_text().splitlines()]
    by = {name: defaultdict(Counter) for name in ("app", "scanner", "smell")}
    for r in records:
        for name in by:
            c = by[name][r[name]]
            c["n"] += 1
            c[r["label"]] += 1
            c["review"] += "review_note" in r
    labels = Counter(r["label"] for r in records)
    changed = [r for r in records if "review_note" in r]
    lines = [f"{len(records)} findings, {labels['TP']} TP, {labels['FP']} FP; {len(changed)} changed by review "
             f"({sum(r['proposed'] is None for r in changed)} where the policy code proposed nothing); "
             f"{len(by['app'])} apps, {len(by['scanner'])} scanners, {len(by['smell'])} smells"]
    for name in by:
        lines += table(f"per {name}", by[name], markdown)
    notes = Counter(r["review_note"] for r in changed)
    lines.append("\n### review changes, by note\n" if markdown else "\nreview changes, by note")
    for note, n in notes.most_common():
        lines.append(f"- {n} x {note}" if markdown else f"  {n:>4} x {note}")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
