"""Speed and size of candidate champions, for the README's candidate table.

For each champion directory: validation metrics (``iacfilter eval``), findings scored per second on the
validation snippets (batch 64, this machine's cores), cold load time in a fresh process (best of 3), and size
on disk.

    python benchmarks/candidates.py CHAMPION_DIR [CHAMPION_DIR ...] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"
VAL = SHARED / "data/glitch-findings/val.jsonl"

LOAD = ("import sys, time; from iacfilter.decide import load_model; t = time.perf_counter(); "
        "load_model(sys.argv[1]); print(time.perf_counter() - t)")


def measure(directory: Path, repeat: int) -> dict:
    from iacfilter.dataset import load_dataset
    from iacfilter.decide import load_model

    model = load_model(directory)
    snippets = [e.snippet for e in load_dataset(VAL)] * 4
    model.scorer.score(snippets[:8])  # warm-up
    t0 = time.perf_counter()
    for start in range(0, len(snippets), 64):
        model.scorer.score(snippets[start : start + 64])
    per_s = len(snippets) / (time.perf_counter() - t0)
    loads = [float(subprocess.run([sys.executable, "-c", LOAD, str(directory)], capture_output=True, text=True,
                                  check=True).stdout) for _ in range(repeat)]
    evaluation = json.loads(subprocess.run([sys.executable, "-m", "iacfilter", "eval", "--json", "--model",
                                            str(directory), str(VAL)], capture_output=True, text=True,
                                           check=True).stdout)
    return {
        "model": model.id, "backend": model.champion.backend, "threshold": model.threshold,
        "val_f1": round(evaluation["f1"], 4), "val_recall": round(evaluation["recall"], 4),
        "findings_per_s": round(per_s), "cold_load_s": round(min(loads), 3),
        "size_mb": round(sum(p.stat().st_size for p in directory.rglob("*") if p.is_file()) / 2**20, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("champions", nargs="+", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(json.dumps([measure(d, args.repeat) for d in args.champions], indent=2))


if __name__ == "__main__":
    main()
