"""Two-phase training of the dual-head model (one ``train`` call, so trials, sweeps and SLURM runs need nothing new).

Phase 1: LoRA fine-tuning of the base on ``prompt | analysis | separator | verdict | eos`` with the loss only on
the analysis, separator, verdict and eos tokens. Each example gets a budget drawn from ``phase1.budgets`` (stated
in the prompt); its analysis is cut to the whole sentences that fit, so the model learns what a budget means.
Rows without a written ``analysis`` (IaC rows) get a rule-free template rationale from the label
(``prompt.template_analysis``), or are left out of phase 1 with ``phase1.rows: with_analysis``.
The adapter of the epoch with the lowest validation loss is kept.

Phase 2: the adapter frozen (merged), every example's analysis is generated at the budget(s) of
``phase2.budgets``, the masked mean of the last hidden state over prompt + analysis is cached, and the MLP head is
trained on it with early stopping on validation F1 at the champion's budget (``budget``). Returns the head's
validation probabilities at that budget (the trial freezes the threshold on them).
"""

from __future__ import annotations

import gc
import json
import random
import shutil
import time
from pathlib import Path

from .model import (ADAPTER, CONFIG, HEAD, LM, base_hashes, build_head, device_and_dtype, load_base, lora_config, resolve_base,
                    save_adapter, OWN_FILES)
from .prompt import fit_analysis, normalise, template_analysis

DEFAULTS = {
    "budget": 64,
    "policy": False,
    "lora": {"r": 8, "alpha": 16, "dropout": 0.05, "target_modules": ["q_proj", "v_proj"]},
    "head": {"hidden": [64], "dropout": 0.1},
    "phase1": {"epochs": 3, "learning_rate": 1e-3, "batch_size": 8, "budgets": [0, 16, 32, 64, 128],
               "rows": "all", "patience": 1, "weight_decay": 0.0, "max_rows": None},
    "phase2": {"epochs": 60, "learning_rate": 1e-3, "batch_size": 32, "patience": 8, "budgets": None,
               "weight_decay": 0.01, "max_rows": None},
    "generation_batch": 16,
    "max_prompt": None,  # tokens of the finding kept in the prompt (None: what the context allows)
    "bos": "auto",  # a BOS token before every prompt where the tokenizer has one
    "ship_base": "auto",  # copy the base into the model directory when it is small (< 100 MB)
    "cpu_dtype": "float32",  # bfloat16: train (autocast) and score in bf16 on a CPU (fast where it has AMX)
    "head_reads": "analysis",  # or "prompt": the head reads the base without its adapter, over the prompt alone
}


class Ticker:
    """A progress line every few seconds, whatever stderr is."""

    def __init__(self, log, what: str, total: int, every: float = 10.0):
        self.log, self.what, self.total, self.every = log, what, total, every
        self.last = time.monotonic()

    def __call__(self, done: int) -> None:
        if time.monotonic() - self.last >= self.every:
            self.last = time.monotonic()
            self.log(f"dual-head: {self.what} {done}/{self.total}")


def settings(params: dict) -> dict:
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in DEFAULTS.items()}
    for key, value in params.items():
        out[key] = {**out[key], **value} if isinstance(out.get(key), dict) and isinstance(value, dict) else value
    if "model" not in out:
        raise ValueError("dual-head needs params.model (the base causal LM: a directory, package:NAME or hub id)")
    if out["head_reads"] not in ("analysis", "prompt"):
        raise ValueError(f"head_reads must be analysis or prompt, not {out['head_reads']!r}")
    return out


def analysis_of(row: dict, rows: str) -> str | None:
    text = row.get("analysis")
    if text:
        return normalise(text)
    return template_analysis(row) if rows == "all" else None


def sequence(lm: LM, snippet_text: str, analysis: str, label: int, budget: int, policy: bool):
    prompt = lm.prompt_ids(snippet_text, budget, policy)
    target = fit_analysis(lm.tokenizer, analysis, budget) + lm.sep + [lm.verdict[0 if label else 1], lm.eos]
    return prompt + target, [-100] * len(prompt) + target


def lm_loss(model, ids, mask, labels):
    """Next-token cross-entropy on the labelled positions (the analysis, separator, verdict and eos), with the
    vocabulary's logits computed from the first labelled position on only: a real base's vocabulary (Gemma 3:
    262k tokens) makes the prompt's logits the costliest part of a step, and no loss is taken there."""
    import torch

    labelled = (labels != -100).any(0).nonzero()
    first = max(int(labelled[0]) if len(labelled) else labels.shape[1] - 1, 1)
    logits = model(input_ids=ids, attention_mask=mask, logits_to_keep=labels.shape[1] - first + 1).logits[:, :-1]
    target = labels[:, first:]
    return torch.nn.functional.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), target.reshape(-1),
                                             ignore_index=-100)


def _batches(seqs, batch_size, pad_id, device):
    import torch

    for start in range(0, len(seqs), batch_size):
        chunk = seqs[start : start + batch_size]
        width = max(len(ids) for ids, _ in chunk)
        ids = torch.full((len(chunk), width), pad_id, dtype=torch.long)
        labels = torch.full((len(chunk), width), -100, dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for i, (s, lab) in enumerate(chunk):
            ids[i, : len(s)] = torch.tensor(s)
            labels[i, : len(lab)] = torch.tensor(lab)
            mask[i, : len(s)] = 1
        yield ids.to(device), mask.to(device), labels.to(device)


def phase1(cfg: dict, base: str, train_set, val_set, out_dir: Path, seed: int, log) -> None:
    import torch
    from peft import get_peft_model
    from transformers import get_linear_schedule_with_warmup

    from iacfilter_plugins.encoder.scorer import distributed

    world, rank, local_rank = distributed()
    p1, lora = cfg["phase1"], cfg["lora"]
    device, amp_dtype = device_and_dtype(None if world == 1 or not torch.cuda.is_available() else f"cuda:{local_rank}",
                                         cfg["cpu_dtype"])
    if world > 1:
        import torch.distributed as dist

        if device.type == "cuda":
            torch.cuda.set_device(device)
        if not dist.is_initialized():
            dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    lm = load_base(base, device=device, trainable=True)
    lm.max_prompt = cfg.get("max_prompt")
    lm.use_bos(cfg["bos"])
    import warnings

    with warnings.catch_warnings():  # peft calls a transformers API deprecated for v6
        warnings.simplefilter("ignore", FutureWarning)
        model = get_peft_model(lm.model, lora_config(lora))
    model.to(device)
    trained = model
    if world > 1:
        trained = torch.nn.parallel.DistributedDataParallel(model, device_ids=[local_rank] if device.type == "cuda" else None)
    rows = [(e.snippet.text, analysis_of(e.row, p1["rows"]), e.label) for e in train_set]
    rows = [r for r in rows if r[1] is not None]
    if p1.get("max_rows") and len(rows) > int(p1["max_rows"]):  # a random subset (CPU time), the same on every rank
        rows = random.Random(seed).sample(rows, int(p1["max_rows"]))
    val_rows = [(e.snippet.text, analysis_of(e.row, p1["rows"]), e.label) for e in val_set]
    val_rows = [r for r in val_rows if r[1] is not None]
    if not rows:
        raise ValueError("phase 1 has no rows with an analysis (set phase1.rows: all to write template rationales)")
    budgets = [int(b) for b in p1["budgets"]]
    for b in budgets + [int(cfg["budget"])]:
        lm.check_budget(b)
    rng = random.Random(seed)
    val_seqs = [sequence(lm, s, a, y, int(cfg["budget"]), cfg["policy"]) for s, a, y in val_rows]
    batch_size, epochs = int(p1["batch_size"]), int(p1["epochs"])
    global_batch = batch_size * world
    steps = epochs * max(1, -(-len(rows) // global_batch))
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=float(p1["learning_rate"]), weight_decay=float(p1["weight_decay"]))
    scheduler = get_linear_schedule_with_warmup(optimizer, max(1, steps // 10), steps)
    use_amp = device.type == "cuda" or amp_dtype == torch.bfloat16  # CPU: bf16 autocast where asked for
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp and amp_dtype == torch.float16)
    pad = lm.tokenizer.pad_token_id
    best, waited = float("inf"), 0
    for epoch in range(1, epochs + 1):
        trained.train()
        order = list(range(len(rows)))
        rng.shuffle(order)  # the same order on every rank (same seed)
        seqs = [sequence(lm, rows[i][0], rows[i][1], rows[i][2], rng.choice(budgets), cfg["policy"]) for i in order]
        # length-sorted within chunks of 8 batches: less padding, order still random between chunks
        chunk = global_batch * 8
        seqs = [s for c in range(0, len(seqs), chunk) for s in sorted(seqs[c : c + chunk], key=lambda x: len(x[0]))]
        total, count = 0.0, 0
        tick = Ticker(log, f"phase 1 epoch {epoch}/{epochs} sequences", len(seqs))
        for start in range(0, len(seqs), global_batch):
            mine = seqs[start : start + global_batch][rank::world]
            if not mine:
                continue
            ids, mask, labels = next(_batches(mine, len(mine), pad, device))
            with torch.autocast(device.type, dtype=amp_dtype, enabled=use_amp):
                loss = lm_loss(trained, ids, mask, labels)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            scaler.step(optimizer)
            scaler.update()
            scheduler.step()
            total, count = total + float(loss.detach()), count + 1
            tick(start + len(mine))
        stop = False
        if rank == 0:
            model.eval()
            val_loss, n = 0.0, 0
            with torch.inference_mode():
                for ids, mask, labels in _batches(val_seqs, batch_size, pad, device):
                    with torch.autocast(device.type, dtype=amp_dtype, enabled=use_amp):
                        val_loss += float(lm_loss(model, ids, mask, labels)) * len(ids)
                    n += len(ids)
            val_loss = val_loss / max(n, 1) if n else total / max(count, 1)
            log(f"dual-head: phase 1 epoch {epoch}: train loss {total / max(count, 1):.4f}, val loss {val_loss:.4f} "
                f"(analysis + verdict tokens{f', {world} processes' if world > 1 else ''})")
            if val_loss < best:
                best, waited = val_loss, 0
                save_adapter(model, out_dir)
                lm.tokenizer.save_pretrained(out_dir)
                (out_dir / CONFIG).write_text(json.dumps({"lora": lora}, indent=2) + "\n")
            else:
                waited += 1
                stop = waited > int(p1["patience"])
                if stop:
                    log(f"dual-head: phase 1 early stop after epoch {epoch} (best val loss {best:.4f})")
        if world > 1:
            flag = [stop]
            dist.broadcast_object_list(flag, src=0)
            stop = flag[0]
        if stop:
            break
    if world > 1:
        del trained
        gc.collect()
        dist.barrier()


def features(lm: LM, snippets: list[str], budget: int, policy: bool, batch: int, log, what: str):
    """(features, p_verdict, generations) of each snippet at ``budget``."""
    import torch

    feats, pv, gens = [], [], []
    tick = Ticker(log, f"{what} at budget {budget}", len(snippets))
    order = sorted(range(len(snippets)), key=lambda i: len(snippets[i]))  # less padding
    out: dict[int, tuple] = {}
    for start in range(0, len(order), batch):
        idx = order[start : start + batch]
        prompts = [lm.prompt_ids(snippets[i], budget, policy) for i in idx]
        generated = lm.generate(prompts, budget)
        f, p = lm.forward(prompts, [g.ids for g in generated])
        for j, i in enumerate(idx):
            out[i] = (f[j].cpu(), float(p[j]), generated[j])
        tick(start + len(idx))
    for i in range(len(snippets)):
        feats.append(out[i][0])
        pv.append(out[i][1])
        gens.append(out[i][2])
    return torch.stack(feats), pv, gens


def phase2(cfg: dict, base: str, train_set, val_set, out_dir: Path, seed: int, log) -> list[float]:
    import torch
    from safetensors.torch import save_file

    from iacfilter_training import metrics as training_metrics

    torch.manual_seed(seed)
    # head_reads "prompt": the head reads the base alone over the prompt (budget 0), whatever the adapter writes
    prompt_head = cfg["head_reads"] == "prompt"
    adapter = out_dir if (out_dir / ADAPTER).is_file() and not prompt_head else None
    lm = load_base(base, adapter=adapter, tokenizer=out_dir, cpu_dtype=cfg["cpu_dtype"])
    lm.max_prompt = cfg.get("max_prompt")
    cfg["bos"] = lm.use_bos(cfg["bos"])  # recorded as chosen
    p2, head_cfg = cfg["phase2"], cfg["head"]
    budget = 0 if prompt_head else int(cfg["budget"])
    budgets = [0] if prompt_head else [int(b) for b in (p2.get("budgets") or [budget])]
    gb = int(cfg["generation_batch"])
    if p2.get("max_rows") and len(train_set) > int(p2["max_rows"]):  # CPU time: a random subset, both labels kept
        rng = random.Random(seed)
        by_label = [[e for e in train_set if e.label == y] for y in (1, 0)]
        share = int(p2["max_rows"]) / len(train_set)
        train_set = [e for group in by_label for e in rng.sample(group, max(1, round(len(group) * share)))]
        log(f"dual-head: phase 2 on {len(train_set)} training rows drawn with seed {seed} (phase2.max_rows)")
    texts = [e.snippet.text for e in train_set]
    x_parts, y_parts = [], []
    for b in budgets:
        x, _, _ = features(lm, texts, b, cfg["policy"], gb, log, "phase 2: caching train features")
        x_parts.append(x)
        y_parts.append(torch.tensor([float(e.label) for e in train_set]))
    x_train, y_train = torch.cat(x_parts), torch.cat(y_parts)
    x_val, _, _ = features(lm, [e.snippet.text for e in val_set], budget, cfg["policy"], gb, log,
                           "phase 2: caching val features")
    val_labels = [e.label for e in val_set]
    mean, std = x_train.mean(0), x_train.std(0).clamp(min=1e-6)
    head = build_head(x_train.shape[1], head_cfg["hidden"], head_cfg["dropout"])
    positives = float(y_train.sum())
    pos_weight = torch.tensor((len(y_train) - positives) / positives if 0 < positives < len(y_train) else 1.0)
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    optimizer = torch.optim.AdamW(head.parameters(), lr=float(p2["learning_rate"]), weight_decay=float(p2["weight_decay"]))
    gen = torch.Generator().manual_seed(seed)
    best_f1, best_scores, waited = -1.0, [], 0
    batch_size = int(p2["batch_size"])
    for epoch in range(1, int(p2["epochs"]) + 1):
        head.train()
        order = torch.randperm(len(x_train), generator=gen)
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            loss = loss_fn(head((x_train[idx] - mean) / std).squeeze(-1), y_train[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        head.eval()
        with torch.inference_mode():
            scores = torch.sigmoid(head((x_val - mean) / std).squeeze(-1)).tolist()
        f1 = training_metrics.best_f1(val_labels, scores)
        if f1 > best_f1 or not best_scores:
            best_f1, best_scores, waited, best_epoch = f1, scores, 0, epoch
            state = {f"mlp.{k}": v.detach().contiguous() for k, v in head.state_dict().items()}
            save_file({**state, "norm.mean": mean.contiguous(), "norm.std": std.contiguous()}, str(out_dir / HEAD))
        else:
            waited += 1
            if waited >= int(p2["patience"]):
                break
    log(f"dual-head: phase 2: head val F1 {best_f1:.4f} at budget {budget} (epoch {best_epoch}, stopped at {epoch})")
    return best_scores


def ship(base_dir: Path, out_dir: Path) -> None:
    for path in sorted(base_dir.iterdir()):
        if path.name in ("config.json", "generation_config.json") or (
                path.suffix == ".safetensors" and not path.name.startswith(OWN_FILES)) or path.name == "pretrain.json":
            shutil.copy2(path, out_dir / path.name)


def reuse_adapter(source: Path, cfg: dict, out_dir: Path, log) -> None:
    """Phase 1 from another run: the adapter (and its tokenizer) of ``source``, a dual-head model directory
    trained on the same base with the same LoRA settings, so that phase 2 alone can be redone (another head, what
    it reads). Refused when the settings differ."""
    if not (source / ADAPTER).is_file():
        raise ValueError(f"phase1.adapter: {source} has no {ADAPTER}")
    theirs = json.loads((source / CONFIG).read_text())
    if theirs.get("lora") != cfg["lora"]:
        raise ValueError(f"phase1.adapter: {source} was trained with lora {theirs.get('lora')}, not {cfg['lora']}")
    name = (theirs.get("base") or {}).get("name")
    if name is not None and name != str(cfg["model"]):
        raise ValueError(f"phase1.adapter: {source} was trained on {name}, not {cfg['model']}")
    from transformers import AutoTokenizer

    shutil.copy2(source / ADAPTER, out_dir / ADAPTER)
    (out_dir / CONFIG).write_text(json.dumps({"lora": cfg["lora"]}, indent=2) + "\n")
    AutoTokenizer.from_pretrained(source if (source / "tokenizer_config.json").is_file()
                                  else resolve_base(str(cfg["model"]))).save_pretrained(out_dir)
    log(f"dual-head: phase 1 reused from {source}")


TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model",
                   "chat_template.jinja")


def share_base_tokenizer(out_dir: Path, base_dir: Path) -> bool:
    """Leave the tokenizer to the base when it is the base's own (a real base's, e.g. Gemma 3's 33 MB, need not
    travel with every adapter): the tokenizer files are removed and ``dualhead.json`` says ``"tokenizer":
    "base"``. Returns whether it did."""
    from transformers import AutoTokenizer

    ours, theirs = AutoTokenizer.from_pretrained(out_dir), AutoTokenizer.from_pretrained(base_dir)
    if ours.get_vocab() != theirs.get_vocab() or ours.all_special_ids != theirs.all_special_ids:
        return False
    for name in TOKENIZER_FILES:
        (out_dir / name).unlink(missing_ok=True)
    manifest = json.loads((out_dir / CONFIG).read_text())
    manifest["tokenizer"] = "base"
    (out_dir / CONFIG).write_text(json.dumps(manifest, indent=2) + "\n")
    return True


def train(params: dict, train_set, val_set, out_dir: Path, seed: int, log=print) -> list[float]:
    import torch
    from transformers import set_seed

    from iacfilter_plugins.encoder.scorer import distributed

    cfg = settings(params)
    set_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    if cfg.get("threads"):
        torch.set_num_threads(int(cfg["threads"]))
    out_dir = Path(out_dir)
    base = resolve_base(str(cfg["model"]))
    started = time.perf_counter()
    reuse = cfg["phase1"].get("adapter")  # phase 1 already done: the adapter of that model directory
    frozen = int(cfg["phase1"]["epochs"]) == 0 and not reuse  # the frozen base + head: no adapter, phase 2 only
    if frozen:
        from transformers import AutoTokenizer

        AutoTokenizer.from_pretrained(base).save_pretrained(out_dir)
    elif reuse:
        reuse_adapter(Path(reuse), cfg, out_dir, log)
    else:
        phase1(cfg, base, train_set, val_set, out_dir, seed, log)
    world, rank, _ = distributed()
    if rank != 0:
        if world > 1:
            import torch.distributed as dist

            dist.destroy_process_group()
        return []
    log(f"dual-head: phase 1 done in {time.perf_counter() - started:.0f} s")
    scores = phase2(cfg, base, train_set, val_set, out_dir, seed, log)
    base_dir = Path(base)
    size = sum(p.stat().st_size for p in base_dir.glob("*.safetensors")) if base_dir.is_dir() else None
    shipped = cfg["ship_base"] is True or (cfg["ship_base"] == "auto" and size is not None and size < 100 * 2**20)
    if shipped:
        ship(base_dir, out_dir)
    from transformers import AutoConfig

    from iacfilter_plugins.bases import describe

    config = AutoConfig.from_pretrained(base)
    known = None if shipped else describe(base_dir)  # a base built from chunk packages: its manifest
    base_info = {"name": str(cfg["model"]), "shipped": bool(shipped), "model_type": config.model_type}
    if known:  # pinned by the hash of the chunk packages' GGUF (the conversion may differ by transformers version)
        base_info.update({"known": known["name"], "parameters": known["parameters"], "gguf_sha256": known["sha256"]})
    else:
        base_info["sha256"] = base_hashes(base_dir) if base_dir.is_dir() else {}
    manifest = {
        "format": "iacfilter-dual-head/1",
        "base": base_info,
        "budget": int(cfg["budget"]),
        "max_prompt": cfg["max_prompt"],
        "bos": bool(cfg["bos"]),
        "policy": bool(cfg["policy"]),
        "cpu_dtype": cfg["cpu_dtype"],
        "head_reads": cfg["head_reads"],
        "lora": None if frozen else cfg["lora"],
        "head": {"hidden": [int(h) for h in cfg["head"]["hidden"]], "dropout": float(cfg["head"]["dropout"])},
        "phase1": cfg["phase1"],
        "phase2": cfg["phase2"],
    }
    (out_dir / CONFIG).write_text(json.dumps(manifest, indent=2) + "\n")
    if known:
        share_base_tokenizer(out_dir, base_dir)
    if world > 1:
        import torch.distributed as dist

        dist.destroy_process_group()
    return scores
