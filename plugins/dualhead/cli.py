"""``iacfilter dualhead pretrain|variants``: the offline base model and the variant table."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click


def _log(message: str) -> None:
    click.echo(message, err=True)


@click.group("dualhead", short_help="Pre-train a dual-head base; evaluate variants.")
def dualhead():
    """The dual-head scorer: pre-train a small base model, evaluate its variants."""


@dualhead.command("pretrain", short_help="Pre-train a small decoder and tokenizer on CPU.")
@click.option("--data", "data", multiple=True, required=True, type=click.Path(dir_okay=False, exists=True),
              help="Labelled JSONL (repeatable); training splits only. Snippets and analyses are the text.")
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Base model directory.")
@click.option("--minutes", type=click.FloatRange(0.1), default=20.0, show_default=True, help="Wall-clock budget.")
@click.option("--max-steps", type=click.IntRange(21), default=100000, show_default=True,
              help="Most optimiser steps (fewer when --minutes runs out first).")
@click.option("--hidden", type=click.IntRange(16), default=192, show_default=True, help="Hidden size of the decoder.")
@click.option("--layers", type=click.IntRange(1), default=4, show_default=True, help="Decoder layers.")
@click.option("--heads", type=click.IntRange(1), default=4, show_default=True, help="Attention heads per layer.")
@click.option("--vocab", type=click.IntRange(300), default=4096, show_default=True,
              help="Vocabulary size of the BPE tokenizer trained on --data.")
@click.option("--context", type=click.IntRange(64), default=512, show_default=True,
              help="Longest sequence the model takes, in tokens (its position embeddings).")
@click.option("--block", type=click.IntRange(16), default=256, show_default=True,
              help="Tokens per training block (blocks overlap by half).")
@click.option("--batch-size", type=click.IntRange(1), default=16, show_default=True, help="Blocks per step.")
@click.option("--learning-rate", type=click.FloatRange(0, min_open=True), default=3e-3, show_default=True,
              help="Peak learning rate of the optimiser.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed (weights, block order).")
@click.option("--threads", type=click.IntRange(1), default=1, show_default=True, help="CPU threads.")
def pretrain_cmd(data, out_dir, minutes, max_steps, hidden, layers, heads, vocab, context, block, batch_size,
                 learning_rate, seed, threads):
    """Pre-train a small Llama-style decoder and its BPE tokenizer from scratch on CPU."""
    from .pretrain import pretrain

    pretrain([Path(d) for d in data], Path(out_dir), minutes=minutes, max_steps=max_steps, vocab_size=vocab,
             hidden=hidden, layers=layers, heads=heads, context=context, block=block, batch_size=batch_size,
             learning_rate=learning_rate, seed=seed, threads=threads, log=_log)


@dualhead.command("variants", short_help="Evaluate one dual-head variant on a dataset.")
@click.argument("dataset", type=click.Path(dir_okay=False))
@click.option("--variant", type=click.Choice(["SC", "PE-SC", "FT-SC", "FT-CH", "FT", "other"]), required=True,
              help="FT: FT-SC and FT-CH from the same generations; other: any champion by its own backend.")
@click.option("--base", default=None, metavar="DIR", help="Base model (SC, PE-SC).")
@click.option("--model", default=None, metavar="NAME|DIR", help="Champion (FT-SC, FT-CH, other).")
@click.option("--budgets", default="0,16,32,64,128", show_default=True, help="Comma-separated budgets (FT-SC, FT-CH).")
@click.option("--max-prompt", type=click.IntRange(16), default=None,
              help="Tokens of the finding kept in the prompt (SC, PE-SC; champions use their own).")
@click.option("--threads", type=click.IntRange(1), default=2, show_default=True, help="CPU threads.")
@click.option("--cpu-dtype", type=click.Choice(["float32", "bfloat16"]), default="float32", show_default=True,
              help="The base's weights on the CPU (SC, PE-SC; champions use their own).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON rows instead of Markdown table rows.")
def variants_cmd(dataset, variant, base, model, budgets, max_prompt, threads, cpu_dtype, as_json):
    """Precision, recall, F1, findings/s, Control and Scaling of one variant on a labelled dataset."""
    import torch

    from iacfilter.dataset import load_dataset
    from iacfilter.decide import champion_path
    from iacfilter.errors import IacfilterError

    from .variants import evaluate, markdown

    torch.set_num_threads(threads)
    if variant in ("SC", "PE-SC") and not base:
        raise IacfilterError("--base", f"{variant} needs the base model directory")
    if variant not in ("SC", "PE-SC") and not model:
        raise IacfilterError("--model", f"{variant} needs a champion")
    try:
        budget_list = sorted({int(b) for b in budgets.split(",") if b.strip()})
    except ValueError:
        raise IacfilterError("--budgets", f"not a comma-separated list of integers: {budgets!r}") from None
    examples = load_dataset(dataset)
    rows = evaluate(variant, examples, budget_list, base=base, model=str(champion_path(model)) if model else None,
                    max_prompt=max_prompt, cpu_dtype=cpu_dtype, log=_log)
    click.echo(json.dumps(rows, indent=2) if as_json else markdown(rows, dataset))
    sys.stdout.flush()
