"""IaC stage-1 candidates: a frozen language model's features plus a logistic head, beside ``features-default``,
cross-validated exactly as the default, printed as JSON.

Rows: the shipped IaC set, ``../shared/data/glitch-findings`` train + val, each finding's snippet exactly as its
technology renders it (``Technology.example(row)``, the text every IaC scorer reads). ``--rows N`` keeps a
subsample of whole scripts (drawn with ``--seed``) and runs every candidate on those rows only.

Cross-validation: ``iacfilter_training.crossval.cross_validate``, the default's own: 5 folds grouped by script and
stratified by (technology, smell, label), threshold grid 0.05..0.95 step 0.01, recall floor 0.93 then the best
precision, each row decided at the threshold chosen without its fold, mean over fold shuffles ``--seeds``. The
default's configuration (backend ``features`` and the params of ``features-default``'s champion.yaml) is refitted
on the same folds in the same run.

LM candidate (``--base``, repeatable, with ``--features`` for each): the masked mean of the base's last hidden
state over the snippet's tokens (truncated to ``--max-length``), computed once per row and checkpointed by the
text's hash to an .npz (a stopped run resumes; a changed snippet is recomputed); the head is a class-balanced
logistic regression on standardised features, trained on each fold's training rows, its C chosen by an inner
grouped CV on those rows only (``FrozenHead``). Besides the thresholded figures, the out-of-fold ranking quality
(ROC AUC, average precision), which no threshold grid limits.

Fine-tuned candidate (``--finetune NAME``, repeatable): a stage-1 candidate of
``training/configs/stage1_candidates.yaml`` (backend ``encoder``: ``mpnet-ft`` fine-tunes all-mpnet-base-v2 in
full, ``qwen-coder-0.5b-lora`` trains Qwen2.5-Coder-0.5B as a LoRA sequence classifier), trained by its own backend
on each fold's training rows and scoring the held-out fold, through the same ``cross_validate``. It runs exactly
``epochs`` epochs (``--epochs``, ``--ft-max-length`` override the config; early stopping is off, since the rows a
backend is handed for validation are the held-out fold). Each fold's scores are checkpointed under
``--checkpoints`` (keyed by the candidate's params, the fold-shuffle seed and the held-out rows), so a stopped run
resumes at the next fold; the first fold's model is kept there for the speed measurement. ``--max-folds K`` stops a
candidate after K trained folds and reports those folds only (ranking quality on each held-out fold beside the
default's on the same rows), never as a cross-validation.

Speed and memory: a fresh child process per candidate loads it and scores ``--speed-rows`` findings (the LM:
tokenise, base, head); findings/s is the scoring rate after loading, peak memory the child's max RSS.

    OMP_NUM_THREADS=2 python benchmarks/iac_language_models.py --base base:mpnet --features build/iac-mpnet.npz
    OMP_NUM_THREADS=1 python benchmarks/iac_language_models.py --rows 600 --seed 0 --seeds 1 --threads 1 \
        --finetune mpnet-ft --epochs 1 --checkpoints build/iac-ft
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "glitch-findings"
CANDIDATES = REPO / "training" / "configs" / "stage1_candidates.yaml"


def text_key(text: str, max_length: int) -> str:
    return f"{max_length}:{hashlib.sha256(text.encode()).hexdigest()}"


def load_encoder(model: str):
    """Tokenizer and bare model (no task head) of a base: ``base:NAME``, a local directory, ..."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    from iacfilter_plugins.bases import resolve

    directory = resolve(model)
    tokenizer = AutoTokenizer.from_pretrained(directory)
    if tokenizer.pad_token is None:  # decoder tokenizers without one: pad with end-of-text (masked out anyway)
        tokenizer.pad_token = tokenizer.eos_token
    encoder = AutoModel.from_pretrained(directory, dtype=torch.float32)
    encoder.eval()
    return tokenizer, encoder


def embed_batch(tokenizer, encoder, texts: list[str], max_length: int):
    """The masked mean of the last hidden state over each text's tokens (truncated to ``max_length``)."""
    import torch

    enc = tokenizer(texts, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
    with torch.inference_mode():
        hidden = encoder(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).last_hidden_state
    mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    return ((hidden * mask).sum(1) / mask.sum(1).clamp(min=1)).float().numpy()


def embed(texts: list[str], model: str, max_length: int, cache: Path, batch: int = 8, log=lambda m: None):
    """Features of every text, from ``cache`` where present, else computed (shortest first) and checkpointed after
    each batch; the array's rows are in the order of ``texts``."""
    import numpy as np

    stored: dict[str, np.ndarray] = {}
    if cache.is_file():
        with np.load(cache) as saved:
            stored = dict(zip(saved["key"].tolist(), saved["x"]))
    keys = [text_key(t, max_length) for t in texts]
    todo = sorted({k: t for k, t in zip(keys, texts) if k not in stored}.items(), key=lambda kt: len(kt[1]))
    if todo:
        tokenizer, encoder = load_encoder(model)
        started = time.perf_counter()
        for start in range(0, len(todo), batch):
            part = todo[start : start + batch]
            for (k, _), x in zip(part, embed_batch(tokenizer, encoder, [t for _, t in part], max_length)):
                stored[k] = x
            cache.parent.mkdir(parents=True, exist_ok=True)
            names = sorted(stored)
            tmp = cache.with_name(cache.name + ".tmp.npz")
            np.savez(tmp, key=np.array(names), x=np.stack([stored[n] for n in names]))
            tmp.replace(cache)
            done = start + len(part)
            log(f"{model}: {done}/{len(todo)} embedded ({(time.perf_counter() - started) / done:.2f} s/finding)")
    return np.stack([stored[k] for k in keys])


class FrozenHead:
    """A cross-validation backend over precomputed features: a class-balanced logistic head on standardised
    features, fitted on a fold's training rows only; its C is chosen among ``CS`` by an inner 3-fold CV grouped by
    script on those same rows (average precision), so the held-out fold never chooses anything."""

    name = "frozen-lm-head"
    extra = None
    CS = (0.001, 0.01, 0.1, 1.0)

    def __init__(self, examples, x):
        self.row = {id(e): i for i, e in enumerate(examples)}
        self.x = x
        self.chosen: list[float] = []

    def train(self, params, train, test, workdir, seed, log):
        from sklearn.linear_model import LogisticRegression
        from sklearn.metrics import average_precision_score
        from sklearn.model_selection import GroupKFold
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        from iacfilter_training.crossval import group_of

        def head(c):
            return make_pipeline(StandardScaler(), LogisticRegression(class_weight="balanced", C=c, max_iter=3000))

        x = self.x[[self.row[id(e)] for e in train]]
        y = [int(e.label) for e in train]
        c = params.get("C")
        if not c:
            groups = [group_of(e, self.row[id(e)]) for e in train]
            splits = list(GroupKFold(n_splits=3).split(x, y, groups))
            quality = {c: sum(average_precision_score([y[i] for i in held], head(c).fit(x[fit], [y[i] for i in fit])
                                                      .predict_proba(x[held])[:, 1]) for fit, held in splits)
                       for c in self.CS}
            c = max(self.CS, key=lambda k: (quality[k], -k))  # ties: the stronger regularisation
            self.chosen.append(c)
        model = head(c).fit(x, y)
        return model.predict_proba(self.x[[self.row[id(e)] for e in test]])[:, 1].tolist()


class FoldsDone(Exception):
    """A candidate reached ``--max-folds`` trained folds."""


class Checkpointed:
    """A backend whose per-fold scores are stored in ``directory`` (one JSON per fold, keyed by the params, the
    fold-shuffle seed and the held-out rows' texts) and reused on a rerun; the first fold's model is kept."""

    def __init__(self, backend, directory: Path, max_folds: int = 0, log=lambda m: None):
        self.backend, self.directory, self.max_folds, self.log = backend, directory, max_folds, log
        self.name, self.extra = backend.name, backend.extra
        self.trained = 0
        self.done: list[dict] = []  # {"key", "seed", "rows" (texts' hashes), "scores", "seconds"} in fold order
        self.model_dir = directory / "fold1-model"

    def key(self, params: dict, seed: int, test) -> str:
        digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode())
        digest.update(f"|{seed}|".encode())
        for e in test:
            digest.update(hashlib.sha256(e.snippet.text.encode()).digest())
        return digest.hexdigest()[:20]

    def train(self, params, train, test, workdir, seed, log):
        key = self.key(params, seed, test)
        path = self.directory / f"fold-{key}.json"
        if path.is_file():
            stored = json.loads(path.read_text())
            self.done.append(stored)
            self.log(f"{self.directory.name}: fold {len(self.done)} (seed {seed}) from {path}")
            return stored["scores"]
        if self.max_folds and self.trained >= self.max_folds:
            raise FoldsDone()
        first = not self.model_dir.is_dir()
        out = self.model_dir.with_name("fold1-model.partial") if first else workdir
        if first:
            import shutil

            shutil.rmtree(out, ignore_errors=True)
            out.mkdir(parents=True)
        started = time.perf_counter()
        scores = self.backend.train(dict(params), train, test, out, seed,
                                    lambda m: self.log(f"{self.directory.name}: fold {len(self.done) + 1}: {m}"))
        stored = {"key": key, "seed": seed, "train_rows": len(train), "scores": [float(x) for x in scores],
                  "rows": [hashlib.sha256(e.snippet.text.encode()).hexdigest()[:16] for e in test],
                  "seconds": round(time.perf_counter() - started, 1)}
        if first:
            out.replace(self.model_dir)
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(stored))
        tmp.replace(path)
        self.trained += 1
        self.done.append(stored)
        self.log(f"{self.directory.name}: fold {len(self.done)} (seed {seed}) trained in {stored['seconds']} s")
        return stored["scores"]


def finetune_params(name: str, epochs: int, max_length: int, threads: int) -> dict:
    """A stage-1 candidate's params, for cross-validation: fixed epochs, no early stopping, fixed threads."""
    import yaml

    config = yaml.safe_load(CANDIDATES.read_text())
    found = [c for c in config["candidates"] if c["name"] == name]
    if not found or found[0]["backend"] != "encoder":
        raise SystemExit(f"{CANDIDATES}: no encoder candidate named {name}")
    params = dict(found[0]["params"])
    params |= {"early_stopping": False, "threads": threads, "progress_every": 120}
    if epochs:
        params["epochs"] = epochs
    if max_length:
        params["max_length"] = max_length
    return params


def partial_folds(examples, parts_done: list[dict], default_runs: dict) -> dict:
    """Ranking quality on each held-out fold a stopped candidate finished, beside the default's on the same rows."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    index = {hashlib.sha256(e.snippet.text.encode()).hexdigest()[:16]: i for i, e in enumerate(examples)}
    out = []
    for k, fold in enumerate(parts_done, 1):
        rows = [index[h] for h in fold["rows"]]
        labels = [int(examples[i].label) for i in rows]
        default = [default_runs[fold["seed"]][i] for i in rows]
        entry = {"fold": k, "seed": fold["seed"], "rows": len(rows), "positives": sum(labels),
                 "train_seconds": fold.get("seconds")}
        for tech in [None] + sorted({examples[i].snippet.tech for i in rows}):
            pick = [j for j, i in enumerate(rows) if tech is None or examples[i].snippet.tech == tech]
            y = [labels[j] for j in pick]
            if len(set(y)) < 2:
                continue
            entry[tech or "all"] = {
                who: {"roc_auc": round(roc_auc_score(y, [sc[j] for j in pick]), 4),
                      "average_precision": round(average_precision_score(y, [sc[j] for j in pick]), 4)}
                for who, sc in (("candidate", fold["scores"]), ("features-default", default))}
        out.append(entry)
    return {"folds_done": out}


def subsample(examples, rows: int, seed: int):
    """Whole scripts, drawn at random, until at least ``rows`` findings."""
    from iacfilter_training.crossval import group_of

    groups: dict[str, list[int]] = {}
    for i, e in enumerate(examples):
        groups.setdefault(group_of(e, i), []).append(i)
    order = sorted(groups)
    random.Random(seed).shuffle(order)
    keep: list[int] = []
    for g in order:
        if len(keep) >= rows:
            break
        keep += groups[g]
    return [examples[i] for i in sorted(keep)]


def cross_validate(backend, params: dict, examples, seeds, folds: int, choice: dict) -> dict:
    from iacfilter_training import metrics as m
    from iacfilter_training.crossval import cross_validate as grouped_cv

    choice = dict(choice)
    objective, min_recall = choice.pop("objective", "recall"), float(choice.pop("min_recall", 0.95))
    choice.pop("cv", None)
    subsets = {tech: [i for i, e in enumerate(examples) if e.snippet.tech == tech]
               for tech in sorted({e.snippet.tech for e in examples})}
    runs = [grouped_cv(backend, params, examples, folds=folds, seed=seed, grid=m.thresholds(**choice),
                       objective=objective, min_recall=min_recall, log=lambda msg: None, subsets=subsets)
            for seed in seeds]

    def ranking(idx):
        from sklearn.metrics import average_precision_score, roc_auc_score

        labels = [[r["labels"][i] for i in idx] for r in runs]
        scores = [[r["scores"][i] for i in idx] for r in runs]
        return {"roc_auc": round(statistics.mean(roc_auc_score(y, s) for y, s in zip(labels, scores)), 4),
                "average_precision": round(statistics.mean(average_precision_score(y, s)
                                                           for y, s in zip(labels, scores)), 4)}

    def summary(rows):
        return {key: round(statistics.mean(r[key] for r in rows), 4) for key in ("precision", "recall", "f1")} | {
            "f1_sd_over_seeds": round(statistics.pstdev(r["f1"] for r in rows), 4), "n": rows[0]["n"],
            "confusion_mean": {c: round(statistics.mean(r["confusion"][c] for r in rows), 1)
                               for c in ("tp", "fn", "tn", "fp")}}

    return {"thresholds_per_seed": [r["threshold"] for r in runs],
            "_scores": {seed: r["scores"] for seed, r in zip(seeds, runs)},
            "all": summary([r["out_of_fold"] for r in runs]) | ranking(range(len(examples))),
            **{tech: summary([r["subsets"][tech] for r in runs]) | ranking(subsets[tech]) for tech in subsets}}


def speed_child(spec: dict) -> dict:
    """Run in a fresh process: load the candidate, score the rows, report the rate and the peak RSS."""
    import torch

    from iacfilter.dataset import load_dataset

    torch.set_num_threads(spec["threads"])
    snippets = [e.snippet for e in load_dataset([str(DATA / "train.jsonl"), str(DATA / "val.jsonl")])]
    snippets = snippets[: spec["rows"]]
    t0 = time.perf_counter()
    if spec["model"] == "features-default":
        from iacfilter.decide import load_model

        model = load_model("features-default")
        loaded = time.perf_counter()
        for start in range(0, len(snippets), 64):
            model.scorer.score(snippets[start : start + 64])
    elif spec.get("champion"):
        from types import SimpleNamespace

        from iacfilter_plugins.encoder.scorer import load

        scorer = load(SimpleNamespace(path=Path(spec["champion"]), name="fold-1 model", backend="encoder"))
        loaded = time.perf_counter()
        for start in range(0, len(snippets), spec["batch"]):
            scorer.score(snippets[start : start + spec["batch"]])
    else:
        tokenizer, encoder = load_encoder(spec["model"])
        loaded = time.perf_counter()
        for start in range(0, len(snippets), spec["batch"]):
            texts = [s.text for s in snippets[start : start + spec["batch"]]]
            embed_batch(tokenizer, encoder, texts, spec["max_length"])
    seconds = time.perf_counter() - loaded
    return {"findings_per_s": round(len(snippets) / seconds, 2), "load_s": round(loaded - t0, 2),
            "scored": len(snippets), "peak_rss_mb": peak_rss_mb()}


def peak_rss_mb() -> float:
    """This process's peak resident memory: Linux's VmHWM (its own, where ru_maxrss also carries the high-water
    mark of the process it was started from across exec), else ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def measure_speed(spec: dict) -> dict:
    out = subprocess.run([sys.executable, __file__, "--speed-child", json.dumps(spec)], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", action="append", default=[], help="a base for frozen features (e.g. base:mpnet)")
    ap.add_argument("--features", action="append", default=[], help="the .npz feature cache of each --base")
    ap.add_argument("--max-length", type=int, action="append", default=[],
                    help="tokens of the snippet each --base reads (default 256)")
    ap.add_argument("--rows", type=int, default=0, help="subsample of whole scripts, at least this many rows")
    ap.add_argument("--seed", type=int, default=0, help="seed of the --rows subsample")
    ap.add_argument("--seeds", default="1,2,3", help="fold shuffles")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--speed-rows", type=int, default=128)
    ap.add_argument("--embed-only", action="store_true", help="compute the feature caches and stop")
    ap.add_argument("--finetune", action="append", default=[],
                    help="a stage-1 encoder candidate to fine-tune per fold (e.g. mpnet-ft, qwen-coder-0.5b-lora)")
    ap.add_argument("--epochs", type=int, default=0, help="epochs of every --finetune candidate (default: its config)")
    ap.add_argument("--ft-max-length", type=int, default=0, help="tokens a --finetune candidate reads (default: config)")
    ap.add_argument("--checkpoints", default="build/iac-ft", help="per-fold scores of the --finetune candidates")
    ap.add_argument("--max-folds", type=int, default=0, help="stop a --finetune candidate after this many trained folds")
    ap.add_argument("--speed-child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.speed_child:
        print(json.dumps(speed_child(json.loads(args.speed_child))))
        return
    if len(args.features) != len(args.base):
        ap.error("one --features per --base")
    lengths = args.max_length + [256] * (len(args.base) - len(args.max_length))

    import torch
    import yaml

    from iacfilter import plugins
    from iacfilter.dataset import load_dataset
    from iacfilter.decide import champion_path

    torch.set_num_threads(args.threads)
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    examples = load_dataset([str(DATA / "train.jsonl"), str(DATA / "val.jsonl")])
    if args.rows:
        examples = subsample(examples, args.rows, args.seed)
    xs = [embed([e.snippet.text for e in examples], base, n, Path(cache), args.batch, log)
          for base, cache, n in zip(args.base, args.features, lengths)]
    if args.embed_only:
        return
    seeds = [int(s) for s in args.seeds.split(",")]
    training = yaml.safe_load((champion_path("features-default") / "champion.yaml").read_text())["training"]
    choice = dict(training.get("thresholds") or {})
    result = {"data": "../shared/data/glitch-findings train + val", "rows": len(examples),
              **({"subsample": {"rows_at_least": args.rows, "seed": args.seed, "whole_scripts": True}}
                 if args.rows else {}),
              "cv": {"folds": args.folds, "grouped_by": "script", "seeds": seeds, "objective": choice.get("objective"),
                     "min_recall": choice.get("min_recall")},
              "candidates": []}
    started = time.perf_counter()
    default = cross_validate(plugins.scorers()[training["backend"]], training["params"], examples, seeds, args.folds,
                             choice)
    default_scores = default.pop("_scores")
    result["candidates"].append({"model": "features-default (its config refitted per fold)", **default,
                                 "cv_seconds": round(time.perf_counter() - started, 1),
                                 "speed": measure_speed({"model": "features-default", "rows": args.speed_rows,
                                                         "threads": args.threads})})
    log(json.dumps(result["candidates"][-1]["all"]))
    for name in args.finetune:
        params = finetune_params(name, args.epochs, args.ft_max_length, args.threads)
        backend = Checkpointed(plugins.scorers()["encoder"], Path(args.checkpoints) / name, args.max_folds, log)
        started = time.perf_counter()
        entry = {"model": f"{name} (backend encoder, fine-tuned per fold)", "params": params}
        try:
            cv = cross_validate(backend, params, examples, seeds, args.folds, choice)
            cv.pop("_scores")
            entry |= cv
        except FoldsDone:
            entry |= {"partial": f"stopped after {len(backend.done)} of {args.folds * len(seeds)} folds: not a "
                                 f"cross-validation"} | partial_folds(examples, backend.done, default_scores)
        entry |= {"cv_seconds": round(time.perf_counter() - started, 1),
                  "fold_train_seconds": [f.get("seconds") for f in backend.done]}
        if backend.model_dir.is_dir():
            entry["speed"] = measure_speed({"champion": str(backend.model_dir), "model": name, "rows": args.speed_rows,
                                            "batch": args.batch, "threads": args.threads})
        result["candidates"].append(entry)
        log(json.dumps({k: v for k, v in entry.items() if k in ("all", "partial", "speed")}))
    for base, x, n in zip(args.base, xs, lengths):
        started = time.perf_counter()
        cv = cross_validate(head := FrozenHead(examples, x), {}, examples, seeds, args.folds, choice)
        cv.pop("_scores")
        result["candidates"].append({"model": f"{base} frozen (mean of last hidden state, {n} tokens) + logistic head",
                                     **cv, "head_C_chosen": dict(sorted(Counter(head.chosen).items())),
                                     "cv_seconds": round(time.perf_counter() - started, 1),
                                     "speed": measure_speed({"model": base, "rows": args.speed_rows, "max_length": n,
                                                             "batch": args.batch, "threads": args.threads})})
        log(json.dumps(result["candidates"][-1]["all"]))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
