"""The shipped HTTP champion (``http-default``), measured here and printed as JSON.

- findings/s end to end on 2 cores: masking + snippet (the http technology) + scoring, batch 64, on the
  validation findings repeated to --findings (wall clock, best of 5; and per second of CPU time the process
  got, which does not depend on what else shares the cores);
- cold load time of the champion in a fresh process (hash check + weights), best of 5;
- peak RSS of that process after scoring --findings findings (ru_maxrss);
- validation precision, recall, F1, FP removed and TP kept at the frozen threshold (``iacfilter eval``), next
  to keep-all (no filter: every finding reported), overall and per smell.

The validation data is the generator's family-split val file (not committed; regenerate it with the command
in docs/models.md):

    python benchmarks/http_model.py --val data/http/data.val.jsonl [--findings 20000] [--model http-default]
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
os.environ.setdefault("MKL_NUM_THREADS", "2")

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parents[1]

SPEED = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from iacfilter.decide import load_model
from iacfilter.findings import Finding
from iacfilter import plugins
model = load_model(sys.argv[1])
load_s = time.perf_counter() - t0
rows = [json.loads(line) for line in open(sys.argv[2], encoding="utf-8") if line.strip()]
n = int(sys.argv[3])
findings = []
for i in range(n):
    row = rows[i % len(rows)]
    f = Finding(tool=row["finding"]["scanner"], rule=row["finding"]["check_id"], path=row["finding"]["url"],
                line=None, details=row["finding"])
    f.smell, f.tech = row["smell"], "http"
    findings.append(f)
http = plugins.technologies()["http"]
t, cpu = time.perf_counter(), time.process_time()
for start in range(0, n, 64):
    batch = findings[start:start + 64]
    model.scorer.score([http.snippet(f, None) for f in batch])
seconds, cpu_seconds = time.perf_counter() - t, time.process_time() - cpu
print(json.dumps({"load_s": load_s, "score_s": seconds, "findings_per_s": n / seconds,
                  "findings_per_cpu_s": n / cpu_seconds,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def two_cores() -> str:
    cores = sorted(os.sched_getaffinity(0))[:2]
    os.sched_setaffinity(0, cores)  # inherited by the child processes below
    return ",".join(map(str, cores))


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--val", default=str(REPO / "data/http/data.val.jsonl"), help="labelled HTTP validation JSONL")
    ap.add_argument("--model", default="http-default", help="champion name or directory")
    ap.add_argument("--findings", type=int, default=20_000)
    args = ap.parse_args()
    if not Path(args.val).is_file():
        sys.exit(f"{args.val}: no such file; generate it with 'mkdir -p data/http && iacfilter datagen http --n 6000 "
                 f"--seed 7 -o data/http/data.jsonl' (see docs/models.md)")
    cores = two_cores()

    from iacfilter.decide import champion_path

    runs = []
    for _ in range(5):
        out = subprocess.run([sys.executable, "-c", SPEED, args.model, args.val, str(args.findings)],
                             capture_output=True, text=True, check=True).stdout
        runs.append(json.loads(out))
    evaluation = json.loads(subprocess.run([sys.executable, "-m", "iacfilter", "eval", "--json", "--model", args.model,
                                            args.val], capture_output=True, text=True, check=True).stdout)
    c = evaluation["confusion"]
    tp, fp = c["tp"] + c["fn"], c["fp"] + c["tn"]
    keep_all = {"precision": round(tp / (tp + fp), 4) if tp + fp else 0.0, "recall": 1.0,
                "f1": round(2 * tp / (2 * tp + fp), 4) if tp else 0.0, "fp_removed": 0.0, "tp_kept": 1.0}
    model_dir = champion_path(args.model)
    report = {
        "model": args.model, "cores": cores, "findings": args.findings,
        "findings_per_s": round(max(r["findings_per_s"] for r in runs), 1),
        # per second of CPU time this process got: the same figure on a machine others do not share
        "findings_per_cpu_s": round(max(r["findings_per_cpu_s"] for r in runs), 1),
        "load_s_best_of_5": round(min(r["load_s"] for r in runs), 3),
        "peak_rss_mb": round(max(r["peak_rss_mb"] for r in runs), 1),
        "champion_size_kb": round(dir_size(model_dir) / 1024, 1),
        "validation": {"dataset": args.val, "n": evaluation["n"], "threshold": evaluation["threshold"],
                       "tp": tp, "fp": fp,
                       "model": {k: round(evaluation[k], 4) for k in ("precision", "recall", "f1", "fp_removed", "tp_kept")},
                       "keep_all": keep_all,
                       "per_smell": {s: {k: round(v[k], 3) if isinstance(v[k], float) else v[k]
                                         for k in ("n", "precision", "recall", "f1", "fp_removed") if k in v}
                                     for s, v in sorted(evaluation["per_smell"].items())}},
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
