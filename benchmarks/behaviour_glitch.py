"""Run the real GLITCH on the behaviour suite's scripts and say, per case, whether it raises the stated finding.

    python benchmarks/behaviour_glitch.py [--glitch glitch] [--sample N]

For each base case (invariance perturbations are not rerun) the script is written to a file and GLITCH lints
it (``glitch lint --tech T --csv --smell-types security``, one process per technology over a folder,
``--folder-strategy include-all``). A case agrees when GLITCH reports its rule (by the rules map: any GLITCH
code of the same canonical smell counts as the smell, the exact code is shown) on its line.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from iacfilter.rules import load_rules_map  # noqa: E402
from iacfilter_training.behaviour import SUFFIX, load_suite  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--glitch", default="glitch")
    ap.add_argument("--sample", type=int, default=0, help="check only N random base cases (0: all)")
    args = ap.parse_args()
    cases = [c for c in load_suite(REPO / "tests" / "behaviour") if c.smell != "invariance"]
    if args.sample:
        cases = random.Random(0).sample(cases, min(args.sample, len(cases)))
    rules = load_rules_map()
    raised: dict[tuple[str, int], set[str]] = defaultdict(set)
    with tempfile.TemporaryDirectory() as tmp:
        for tech in sorted({c.tech for c in cases}):
            folder = Path(tmp, tech)
            folder.mkdir()
            for c in cases:
                if c.tech == tech:
                    (folder / f"{c.id}{SUFFIX[tech]}").write_text(c.script, encoding="utf-8")
            out = Path(tmp, f"{tech}.csv")
            print(f"GLITCH on {sum(c.tech == tech for c in cases)} {tech} scripts ...", file=sys.stderr, flush=True)
            subprocess.run([args.glitch, "lint", "--tech", tech, "--csv", "--smell-types", "security",
                            "--folder-strategy", "include-all", str(folder), str(out)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            text = out.read_text(encoding="utf-8") if out.exists() else ""
            for row in csv.DictReader(io.StringIO(text)):
                raised[(Path(row["PATH"]).stem, int(row["LINE"]))].add(row["ERROR"])
    agree = 0
    by_smell: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for c in cases:
        codes = raised.get((c.id, c.line), set())
        same_smell = {code for code in codes if (r := rules.lookup("GLITCH", code)) and r.smell == rules.lookup("GLITCH", c.rule).smell}
        ok = bool(same_smell)
        agree += ok
        by_smell[c.smell][0] += ok
        by_smell[c.smell][1] += 1
        print(f"{'raised ' if ok else 'MISSING'} {c.id:<36} {c.rule:<15} line {c.line:<3} GLITCH: {', '.join(sorted(codes)) or '-'}")
    print(f"\nGLITCH 2.0 raises the stated finding on {agree} of {len(cases)} cases")
    for smell, (ok, n) in sorted(by_smell.items()):
        print(f"  {smell:<32} {ok}/{n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
