"""Cost of fingerprints and of a baseline comparison on top of the spine, for N findings (default 10,000).

Builds N findings from the real Puppet corpus output (GLITCH 2.0), decides them with a constant scorer, writes
an annotated log as the baseline, then times: fingerprinting (rule + file + normalised code), reading the
baseline back, comparing with it and writing the log (baselineState, absent results; this one includes the
SARIF writer, build_log, since the states are written in its one pass), and the pattern filter.

    python benchmarks/baseline.py [--findings 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from spine import SHARED, bench_inputs

from iacfilter import baseline as baselines, patterns, plugins
from iacfilter.decide import Models, classify, decide
from iacfilter.inputs import read_scanner_output
from iacfilter.rules import load_rules_map
from iacfilter.sarif import build_log, dumps
from iacfilter.sources import SourceRoot


def timed(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, min(times), statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--findings", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv, champ = bench_inputs(Path(tmp), args.findings)
        runs = read_scanner_output(str(csv))
        findings = runs[0].findings
        rules, techs = load_rules_map(), plugins.technologies()
        decisions = classify(findings, rules, techs, None)
        sources = SourceRoot(SHARED / "corpus" / "puppet")
        t0 = time.perf_counter()
        decide(decisions, Models.open(str(champ)), sources, techs)
        spine = time.perf_counter() - t0
        _, fp_best, _ = timed(lambda: baselines.fingerprint(decisions, sources), args.repeat)
        old = Path(tmp, "old.sarif")
        old.write_text(dumps(build_log(runs, decisions, mode="annotate", models=[("constant", 0.5)])))
        base, read_best, _ = timed(lambda: baselines.Baseline.read(str(old), rules), args.repeat)

        compare_times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            comparison = baselines.compare(decisions, base)
            build_log(runs, decisions, mode="annotate", models=[("constant", 0.5)], comparison=comparison)
            compare_times.append(time.perf_counter() - t0)
        compare_best = min(compare_times)
        counts = comparison.counts(decisions)
        pats = patterns.read_patterns(excludes=["**/tests/**", "**/spec/**:IAC-*"], includes=["**/manifests/**"])
        (_, excluded), pat_best, _ = timed(lambda: patterns.apply(decisions, pats, len(runs)), args.repeat)
        print(json.dumps({
            "benchmark": "fingerprints, baseline and patterns (constant scorer)",
            "findings": len(findings),
            "spine_decide_seconds": round(spine, 3),
            "fingerprints_seconds": round(fp_best, 3),
            "baseline_read_seconds": round(read_best, 3),
            "compare_and_write_against_baseline_seconds": round(compare_best, 3),
            "patterns_seconds": round(pat_best, 3),
            "states": dict(counts),
            "excluded_by_patterns": excluded,
        }, indent=2))


if __name__ == "__main__":
    main()
