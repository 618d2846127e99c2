"""Generate labelled HTTP rows: cases -> scanner findings -> POLICY.md label -> analysis; dedup; family split."""

from __future__ import annotations

import hashlib
import json
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

from ..exchange import SMELLS, TECH
from . import analysis
from .cases import BUILDERS, Case
from .pages import Ctx
from ..policy import judge
from .scanners import findings_for
from .sites import FAMILIES

NAME = "iacfilter-datagen-http"
VERSION = "2.0"
VAL_SHARE = 0.25
SCANNERS_PER_CASE = 2   # at most this many scanners' findings are kept for one exchange


@dataclass
class Stats:
    attempts: int = 0
    duplicates: int = 0
    undecided: int = 0                                   # cases POLICY.md does not decide (never emitted)
    mismatches: list = field(default_factory=list)       # (template, expected, got): generator bugs
    rewrites: Counter = field(default_factory=Counter)   # --llm-url: kept / dropped / analyses


class Progress:
    """A line on stderr every few seconds (and at the end) while rows are made; a live line on a terminal."""

    def __init__(self, total: int, label: str, stream=None, every: float = 3.0):
        self.total, self.label, self.every = total, label, every
        self.stream = stream if stream is not None else sys.stderr
        self.start = self.last = time.monotonic()
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def update(self, done: int) -> None:
        now = time.monotonic()
        if now - self.last < (0.2 if self.tty else self.every):
            return
        self.last = now
        self._write(done, now)

    def finish(self, done: int) -> None:
        now = time.monotonic()
        if self.tty or now - self.start >= self.every:
            self._write(done, now)
        if self.tty:
            self.stream.write("\n")

    def _write(self, done: int, now: float) -> None:
        rate = done / max(now - self.start, 1e-9)
        line = f"{self.label}: {done}/{self.total} rows ({rate:.0f}/s)"
        self.stream.write(("\r" + line) if self.tty else line + "\n")
        self.stream.flush()


def row_key(row: dict) -> str:
    """Dedup key: the rendered content of the finding (scanner wording + exchange) and its smell."""
    return hashlib.sha256(json.dumps([row["smell"], row["finding"]], sort_keys=True).encode()).hexdigest()


def make_case(rng: random.Random, smell: str) -> Case:
    family = rng.choice(FAMILIES)
    ctx = Ctx.make(rng, family.subdomains)
    return BUILDERS[smell](family, ctx)


def label_case(case: Case, finding: dict):
    return judge(case.smell, finding, case.subject)


def rows_for_case(case: Case, rng: random.Random, seed: int, stats: Stats) -> list[dict]:
    candidates = findings_for(case, rng)
    if not candidates:
        return []
    picked = rng.sample(candidates, min(len(candidates), rng.choice([1, 1, SCANNERS_PER_CASE])))
    rows = []
    for finding in picked:
        verdict = label_case(case, finding)
        if verdict is None:
            stats.undecided += 1
            continue
        if verdict.label != case.expect:
            stats.mismatches.append((case.template, case.expect, verdict.label))
            continue
        rows.append({
            "tech": TECH, "smell": case.smell, "label": verdict.label, "finding": finding,
            "analysis": analysis.write(verdict, finding, rng), "family": case.family, "template": case.template,
            "split": "", "rule": verdict.rule,
            "generator": {"name": NAME, "version": VERSION, "seed": seed},
        })
    return rows


def generate(n: int, seed: int, *, rewriter=None, progress: Progress | None = None,
             stats: Stats | None = None) -> list[dict]:
    """``n`` distinct labelled rows, the same for the same seed (and the same rewriter answers)."""
    rng = random.Random(seed)
    stats = stats if stats is not None else Stats()
    rows, seen = [], set()
    limit = 40 * n + 1000
    i = 0
    while len(rows) < n:
        if stats.attempts >= limit:
            raise RuntimeError(f"only {len(rows)} distinct rows after {stats.attempts} attempts")
        stats.attempts += 1
        smell = SMELLS[i % len(SMELLS)]
        i += 1
        case = make_case(rng, smell)
        for row in rows_for_case(case, rng, seed, stats):
            if rewriter is not None:
                row = rewriter(row, case, stats)
            key = row_key(row)
            if key in seen:
                stats.duplicates += 1
                continue
            seen.add(key)
            rows.append(row)
            if len(rows) >= n:
                break
        if progress is not None:
            progress.update(len(rows))
    if progress is not None:
        progress.finish(len(rows))
    split(rows, seed)
    return rows


def split(rows: list[dict], seed: int, share: float = VAL_SHARE, tries: int = 400) -> set[str]:
    """Mark each row train or val by template family (~``share`` of the families in val), choosing among random
    family sets the one where both splits hold the most (smell, label) pairs, then the row share nearest."""
    families = sorted({r["family"] for r in rows})
    k = max(1, round(len(families) * share)) if len(families) > 1 else 0
    by_family: dict[str, Counter] = {f: Counter() for f in families}
    for r in rows:
        by_family[r["family"]][(r["smell"], r["label"])] += 1
    pairs = set().union(*by_family.values()) if by_family else set()
    rng = random.Random(f"split-{seed}")
    best, best_score = set(), None
    for _ in range(tries if k else 1):
        val = set(rng.sample(families, k)) if k else set()
        in_val = set().union(*(by_family[f] for f in val)) if val else set()
        in_train = set().union(*(by_family[f] for f in families if f not in val))
        covered = len(in_val & in_train & pairs)
        val_rows = sum(sum(by_family[f].values()) for f in val)
        score = (covered, -abs(val_rows / max(len(rows), 1) - share))
        if best_score is None or score > best_score:
            best, best_score = val, score
    for r in rows:
        r["split"] = "val" if r["family"] in best else "train"
    return best


def balance(rows: list[dict]) -> list[tuple]:
    """(smell, TP, FP, train, val) per smell, in SMELLS order, then a total line."""
    table = []
    for smell in SMELLS:
        mine = [r for r in rows if r["smell"] == smell]
        c = Counter(r["label"] for r in mine)
        s = Counter(r["split"] for r in mine)
        table.append((smell, c["TP"], c["FP"], s["train"], s["val"]))
    c = Counter(r["label"] for r in rows)
    s = Counter(r["split"] for r in rows)
    table.append(("total", c["TP"], c["FP"], s["train"], s["val"]))
    return table


def to_jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in rows)
