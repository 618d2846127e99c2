"""Are a dual-head champion's analyses faithful? On labelled findings it never trained on, the share of analyses
that name what the finding is about, read as a sentence, state a conclusion, and whose conclusion agrees with the
verdict the champion decided (and with the label), beside the champion's precision, recall and F1 and its speed.

Rows: labelled JSONL whose rows carry ``about`` (the header, cookie, method or file: ``web_real_rows.py`` writes
it). Prints JSON.

    python benchmarks/rationale_faithfulness.py --model dual-head-http --data build/http-real/test.jsonl
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="dual-head-http", help="a dual-head champion (name or directory)")
    ap.add_argument("--data", required=True, help="labelled JSONL with an 'about' list per row")
    ap.add_argument("--budget", type=int, default=None, help="the analysis budget (default: the champion's)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--examples", type=int, default=6, help="analyses to print beside the figures")
    args = ap.parse_args()

    import torch

    from iacfilter.dataset import load_dataset
    from iacfilter.decide import load_model
    from iacfilter_training.generation_metrics import faithfulness
    from iacfilter_training.metrics import decisions

    torch.set_num_threads(args.threads)
    examples = load_dataset(args.data)
    started = time.perf_counter()
    model = load_model(args.model, options={"budget": args.budget} if args.budget is not None else {})
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    scores = model.scorer.score([e.snippet for e in examples])
    seconds = time.perf_counter() - started
    labels = [int(e.label) for e in examples]
    verdicts = [int(not s.p < model.threshold) for s in scores]  # unscored (nan): kept
    m = decisions(labels, verdicts)
    report = {
        "model": args.model, "data": args.data, "budget": model.scorer.budget, "threshold": model.threshold,
        "rows": len(examples), "load_s": round(loaded, 1), "findings_per_s": round(len(examples) / seconds, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "precision": round(m["precision"], 4), "recall": round(m["recall"], 4), "f1": round(m["f1"], 4),
        "truncated": sum(1 for s in scores if s.note and "truncated" in s.note),
        **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in faithfulness(
            [s.rationale for s in scores], [e.row.get("about") or [] for e in examples], verdicts, labels).items()},
        "examples": [{"id": e.row.get("id"), "label": e.row["label"], "p": round(s.p, 3), "rationale": s.rationale}
                     for e, s in list(zip(examples, scores))[: args.examples]],
    }
    print(json.dumps(report, indent=2))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
