"""Speed and memory of a dual-head champion at each budget, printed as JSON.

Each budget runs in a fresh child process (so its peak RSS is its own) pinned to ``--threads`` CPU threads:
load time (hash checks, base + adapter merge, head), findings/s over ``--n`` findings of a labelled dataset
(generation + scoring, batch 16), peak RSS. On a GPU, when one is present, the same on it (``--device cuda``).

    python benchmarks/dual_head.py [--model dual-head-http-tiny] [--data build/data/http/data.val.jsonl] \\
        [--n 64] [--budgets 0,16,32,64,128] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
import torch
torch.set_num_threads({threads})
from iacfilter.champion import load_champion
from iacfilter.dataset import load_dataset
from iacfilter.decide import champion_path
from iacfilter_plugins.dualhead.scorer import load
examples = load_dataset({data!r})[: {n}]
started = time.perf_counter()
scorer = load(load_champion(champion_path({model!r})), {{"budget": {budget}}}, device={device!r})
loaded = time.perf_counter() - started
scorer.score([e.snippet for e in examples[:2]])  # warm-up (allocator, kernels)
started = time.perf_counter()
scores = scorer.score([e.snippet for e in examples])
seconds = time.perf_counter() - started
gpu = torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() else None
print(json.dumps({{"budget": {budget}, "device": str(scorer.lm.device), "load_s": round(loaded, 2),
                  "findings_per_s": round(len(examples) / seconds, 2), "findings": len(examples),
                  "truncated": sum(1 for s in scores if s.note and "truncated" in s.note),
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                  "peak_gpu_mb": None if gpu is None else round(gpu, 1)}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="dual-head-http-tiny")
    parser.add_argument("--data", default=str(REPO / "build" / "data" / "http" / "data.val.jsonl"))
    parser.add_argument("--n", type=int, default=64)
    parser.add_argument("--budgets", default="0,16,32,64,128")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda when present)")
    args = parser.parse_args()
    if not Path(args.data).is_file():
        sys.exit(f"{args.data}: no such dataset (make it: iacfilter datagen http --n 2000 --seed 7 "
                 f"-o build/data/http/data.jsonl)")
    rows = []
    for budget in [int(b) for b in args.budgets.split(",")]:
        code = CHILD.format(threads=args.threads, data=args.data, n=args.n, model=args.model, budget=budget,
                            device=args.device)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        if out.returncode:
            sys.exit(f"budget {budget}: {out.stderr.strip().splitlines()[-1]}")
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    print(json.dumps({"model": args.model, "threads": args.threads, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
