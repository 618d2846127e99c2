"""Pre-train a small decoder from scratch (no pretrained causal LM can be had offline on these machines).

A byte-level BPE tokenizer is trained with ``tokenizers`` on the same text the model learns from: the rendered
snippets of labelled datasets (through each technology's ``example(row)``, the layout the filter uses) and the
written analyses where rows carry them. Only the files given are read: pass training splits, never validation.
The model is a Llama-style decoder from a local ``transformers`` config; training is plain next-token prediction
on blocks of concatenated text, bounded in wall-clock minutes; the result is a directory any ``dual-head``
config can name as ``params.model``.
"""

from __future__ import annotations

import json
import math
import random
import time
from pathlib import Path

EOS = "<|endoftext|>"


def corpus(paths) -> list[str]:
    from iacfilter.dataset import load_dataset

    texts = []
    for path in paths:
        for example in load_dataset(path):
            texts.append(example.snippet.text)
            if example.row.get("analysis"):
                texts.append(" ".join(str(example.row["analysis"]).split()))
    return texts


def build_tokenizer(texts: list[str], vocab_size: int):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=[EOS],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts + [" TP", " FP", "\n### Verdict: TP", "\n### Verdict: FP"], trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token=EOS, bos_token=EOS, pad_token=EOS, unk_token=EOS)


def build_model(vocab_size: int, eos_id: int, hidden: int, layers: int, heads: int, context: int, seed: int):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(vocab_size=vocab_size, hidden_size=hidden, intermediate_size=int(hidden * 8 / 3) // 8 * 8,
                         num_hidden_layers=layers, num_attention_heads=heads, num_key_value_heads=heads,
                         max_position_embeddings=context, tie_word_embeddings=True, bos_token_id=eos_id,
                         eos_token_id=eos_id, pad_token_id=eos_id)
    torch.manual_seed(seed)
    return LlamaForCausalLM(config)


def pretrain(data, out: Path, *, minutes: float = 20.0, max_steps: int = 100000, vocab_size: int = 4096,
             hidden: int = 192, layers: int = 4, heads: int = 4, context: int = 512, block: int = 256,
             batch_size: int = 16, learning_rate: float = 3e-3, seed: int = 0, threads: int | None = None,
             log=print) -> dict:
    import torch

    if threads:
        torch.set_num_threads(threads)
    random.seed(seed)
    texts = corpus(data)
    log(f"pretrain: {len(texts)} texts from {len(data)} file(s)")
    tokenizer = build_tokenizer(texts, vocab_size)
    eos = tokenizer.eos_token_id
    stream: list[int] = []
    for text in texts:
        stream += tokenizer.encode(text) + [eos]
    blocks = [stream[i : i + block] for i in range(0, len(stream) - block + 1, block // 2)]
    log(f"pretrain: {len(stream)} tokens, {len(blocks)} blocks of {block}, vocab {len(tokenizer)}")
    model = build_model(len(tokenizer), eos, hidden, layers, heads, context, seed)
    n_params = sum(p.numel() for p in model.parameters())
    log(f"pretrain: Llama-style decoder, {n_params / 1e6:.2f} M parameters ({hidden} wide, {layers} layers)")
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=0.1, betas=(0.9, 0.95))
    started = last = time.monotonic()
    planned, step, losses = max_steps, 0, []
    warmup = 50
    model.train()
    rng = random.Random(seed)
    while step < planned:
        if step == 20:  # plan the schedule from the measured step time so the budget in minutes is honoured
            per_step = (time.monotonic() - started) / 20
            planned = max(21, min(max_steps, int(minutes * 60 / per_step)))
            log(f"pretrain: {per_step:.2f} s/step, {planned} steps planned ({minutes:g} min)")
        lr = learning_rate * min(1.0, (step + 1) / warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(step, planned) / planned)))
        for group in optimizer.param_groups:
            group["lr"] = lr
        batch = torch.tensor([rng.choice(blocks) for _ in range(batch_size)])
        loss = model(input_ids=batch, labels=batch).loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(float(loss.detach()))
        step += 1
        if time.monotonic() - last >= 10 or step == planned:
            last = time.monotonic()
            recent = losses[-20:]
            log(f"pretrain: step {step}/{planned} loss {sum(recent) / len(recent):.3f} "
                f"({(last - started) / 60:.1f} min)")
        if time.monotonic() - started > minutes * 60 * 1.1:
            log("pretrain: time budget reached")
            break
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    stats = {"parameters": n_params, "steps": step, "tokens_seen": step * batch_size * block,
             "corpus_tokens": len(stream), "final_loss": round(sum(losses[-50:]) / max(len(losses[-50:]), 1), 4),
             "minutes": round((time.monotonic() - started) / 60, 2), "hidden": hidden, "layers": layers,
             "heads": heads, "context": context, "vocab": len(tokenizer), "seed": seed,
             "data": [str(p) for p in data]}
    (out / "pretrain.json").write_text(json.dumps(stats, indent=2) + "\n")
    log(f"pretrain: saved to {out}: {json.dumps(stats)}")
    return stats
