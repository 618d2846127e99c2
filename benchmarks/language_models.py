"""Speed and memory of the language-model scorers beside ``http-default``, printed as JSON.

Each row runs in a fresh child process pinned to ``--threads`` CPU threads (its peak RSS is its own) and scores
the first ``--n`` findings of a labelled dataset after a one-finding warm-up:

- ``http-default``: the shipped linear HTTP champion (the speed any language model is compared with);
- ``dual-head`` champions (``--champion NAME|DIR``, repeatable) at each of ``--budgets`` through transformers
  (CPU, in the dtype the champion asks for): ``dual-head-http`` on Gemma 3 270M, the 1.3 M-parameter
  ``dual-head-http-tiny``, champions built elsewhere;
- ``llama.cpp`` on a known base's verified GGUF (``--gguf-base``, default gemma3-270m; needs ``llama-cpp-python``):
  greedy generation of the analysis under each budget (stopping at the separator's newline, as the scorer does)
  plus the mean-pooled last hidden state the head reads (an embedding pass), i.e. the work one finding needs.

    python benchmarks/language_models.py --data build/data/http/sub.val.jsonl --n 16 --threads 2 \\
        --champion dual-head-http --champion dual-head-http-tiny --budgets 0,64 --gguf-base ''
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

COMMON = r"""
import json, resource, sys, time
import torch
torch.set_num_threads({threads})
from iacfilter.dataset import load_dataset
examples = load_dataset({data!r})[: {n}]
def report(row, started):
    seconds = time.perf_counter() - started
    row.update(findings=len(examples), findings_per_s=round(len(examples) / seconds, 3),
               s_per_finding=round(seconds / len(examples), 3),
               peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1))
    print(json.dumps(row))
"""

LINEAR = COMMON + r"""
from iacfilter.decide import load_model
started = time.perf_counter()
model = load_model({model!r})
load_s = time.perf_counter() - started
model.scorer.score([examples[0].snippet])
started = time.perf_counter()
model.scorer.score([e.snippet for e in examples])
report({{"engine": "linear", "model": {model!r}, "budget": None, "load_s": round(load_s, 2)}}, started)
"""

DUAL_HEAD = COMMON + r"""
from iacfilter.champion import load_champion
from iacfilter.decide import champion_path
from iacfilter_plugins.dualhead.scorer import load
started = time.perf_counter()
scorer = load(load_champion(champion_path({model!r})), {{"budget": {budget}}})
load_s = time.perf_counter() - started
scorer.score([examples[0].snippet])
started = time.perf_counter()
scores = scorer.score([e.snippet for e in examples])
dtype = str(next(scorer.lm.model.parameters()).dtype).removeprefix("torch.")
report({{"engine": f"transformers {{dtype}}", "model": {model!r}, "budget": {budget}, "load_s": round(load_s, 2),
        "truncated": sum(1 for s in scores if s.note and "truncated" in s.note)}}, started)
"""

LLAMA = COMMON + r"""
import numpy as np
from llama_cpp import Llama, LLAMA_POOLING_TYPE_MEAN
from iacfilter_plugins.bases import gguf_path
from iacfilter_plugins.dualhead.prompt import prompt_parts
path = str(gguf_path({base!r}))
started = time.perf_counter()
gen = Llama(model_path=path, n_ctx=1024, n_threads={threads}, n_batch=256, verbose=False)
emb = Llama(model_path=path, n_ctx=1024, n_threads={threads}, n_batch=256, embedding=True,
            pooling_type=LLAMA_POOLING_TYPE_MEAN, verbose=False)
load_s = time.perf_counter() - started
def prompt(text):
    head, tail = prompt_parts(text, {budget})
    ids = gen.tokenize(head.encode(), add_bos=True, special=False)[: 1 + {max_prompt}]
    return ids + gen.tokenize(tail.encode(), add_bos=False, special=False)
newline = gen.tokenize(b"\n", add_bos=False, special=False)[-1]
def one(text):
    ids = prompt(text)
    out = []
    if {budget} > 0:
        for token in gen.generate(ids, temp=0.0, top_k=1, reset=True):
            if token in (newline, gen.token_eos()) or len(out) > {budget}:
                break
            out.append(token)
    emb.reset()
    vector = emb.embed(gen.detokenize(ids[1:] + out[: {budget}]).decode(errors="replace"))
    return out, np.asarray(vector)
one(examples[0].snippet.text)
started = time.perf_counter()
lengths = [len(one(e.snippet.text)[0]) for e in examples]
report({{"engine": "llama.cpp (GGUF Q4_K_M)", "model": {base!r}, "budget": {budget}, "load_s": round(load_s, 2),
        "mean_length": round(sum(lengths) / len(lengths), 1)}}, started)
"""


def run(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    if out.returncode:
        lines = out.stderr.strip().splitlines() or ["(no output)"]
        return {"error": lines[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(REPO / "build" / "data" / "http" / "sub.val.jsonl"))
    parser.add_argument("--n", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--budgets", default="0,16,64")
    parser.add_argument("--champion", action="append", default=None, help="dual-head champion (repeatable)")
    parser.add_argument("--gguf-base", default="gemma3-270m", help="known base for llama.cpp ('' to skip)")
    parser.add_argument("--max-prompt", type=int, default=128, help="tokens of the finding kept (llama.cpp rows)")
    args = parser.parse_args()
    if not Path(args.data).is_file():
        sys.exit(f"{args.data}: no such dataset (make it: iacfilter datagen http --n 2000 --seed 7 "
                 f"-o build/data/http/data.jsonl)")
    budgets = [int(b) for b in args.budgets.split(",")]
    fill = {"threads": args.threads, "data": args.data, "n": args.n}
    jobs = [LINEAR.format(model="http-default", **fill)]
    for champion in args.champion or ["dual-head-http-tiny"]:
        jobs += [DUAL_HEAD.format(model=champion, budget=b, **fill) for b in budgets]
    if args.gguf_base:
        try:
            import llama_cpp  # noqa: F401
        except ImportError:
            print(json.dumps({"engine": "llama.cpp", "error": "llama-cpp-python is not installed"}), file=sys.stderr)
        else:
            jobs += [LLAMA.format(base=args.gguf_base, budget=b, max_prompt=args.max_prompt, **fill) for b in budgets]
    rows = []
    for code in jobs:
        rows.append(run(code))
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    print(json.dumps({"data": args.data, "threads": args.threads, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
