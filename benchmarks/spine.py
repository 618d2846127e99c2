"""Throughput of the spine alone: read GLITCH CSV -> classify -> snippets from source -> decide -> SARIF.

The scorer is a constant one defined here (no model), so the numbers are the cost of everything around the
model. Prints findings/s for N findings (default 10,000) built from the real Puppet corpus output.

    python benchmarks/spine.py [--findings 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from iacfilter import plugins
from iacfilter.champion import write_manifest
from iacfilter.decide import Models, classify, decide
from iacfilter.hookspecs import hookimpl
from iacfilter.inputs import read_scanner_output
from iacfilter.registry import ScorerBackend
from iacfilter.rules import load_rules_map
from iacfilter.sarif import build_log, dumps
from iacfilter.sources import SourceRoot

SHARED = Path(__file__).resolve().parents[2] / "shared" / "glitch"


class ConstantScorer:
    def score(self, snippets):
        return [0.5] * len(snippets)


class BenchPlugin:
    @staticmethod
    @hookimpl
    def register_scorers(register):
        register(ScorerBackend("constant-bench", "benchmark-only constant scorer", lambda c, options=None: ConstantScorer()))


def bench_inputs(tmp: Path, findings: int) -> tuple[Path, Path]:
    """N GLITCH rows cycled from the real Puppet corpus output, and a champion of the constant scorer (registered
    here), both written under ``tmp``."""
    plugins.pm.register(BenchPlugin, name="constant-bench")
    rows = (SHARED / "outputs" / "puppet-security.csv").read_text().splitlines()
    body = rows[1:]
    csv = tmp / "big.csv"
    csv.write_text("\n".join([rows[0], *(body[i % len(body)] for i in range(findings))]) + "\n")
    champ = tmp / "champion"
    champ.mkdir()
    (champ / "weights.json").write_text("{}")
    write_manifest(champ, {"name": "constant", "backend": "constant-bench", "threshold": 0.5,
                           "smells": ["hard_coded_secret", "suspicious_comment", "use_of_http",
                                      "weak_cryptography_algorithms"], "technologies": ["puppet"]})
    return csv, champ


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--findings", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv, champ = bench_inputs(Path(tmp), args.findings)
        models = Models.open(str(champ))
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            runs = read_scanner_output(str(csv))
            findings = runs[0].findings
            rules = load_rules_map()
            techs = plugins.technologies()
            decisions = classify(findings, rules, techs, None)
            decide(decisions, models, SourceRoot(SHARED / "corpus" / "puppet"), techs)
            text = dumps(build_log(runs, decisions, mode="annotate", models=models.describe()))
            times.append(time.perf_counter() - t0)
        best = min(times)
        print(json.dumps({
            "benchmark": "spine (no model)",
            "findings": len(findings),
            "seconds_best": round(best, 3),
            "seconds_median": round(statistics.median(times), 3),
            "findings_per_s": round(len(findings) / best),
            "sarif_bytes": len(text.encode()),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "python": sys.version.split()[0],
        }, indent=2))


if __name__ == "__main__":
    main()
