"""``iacfilter datagen http``: write labelled HTTP rows and their train/val split files."""

from __future__ import annotations

import time
from pathlib import Path

import click

from iacfilter.errors import IacfilterError
from iacfilter.output import write_atomically


@click.group("datagen")
def datagen():
    """Generate labelled training data for a technology."""


@datagen.command("http", short_help="Labelled HTTP scanner findings (POLICY.md).")
@click.option("--n", "n", type=click.IntRange(1, 1_000_000), required=True, help="Number of rows to write.")
@click.option("--seed", type=int, default=7, show_default=True, help="Random seed (same seed: same bytes).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="All rows go here; DATA.train.jsonl and DATA.val.jsonl are written beside it.")
@click.option("--llm-url", default=None, metavar="URL",
              help="OpenAI-compatible endpoint (POST URL/chat/completions) whose agents rewrite pages and analyses.")
@click.option("--llm-model", default="local", show_default=True, help="Model name sent to --llm-url.")
@click.option("--llm-timeout", type=click.FloatRange(1, 600), default=60, show_default=True,
              help="Seconds per --llm-url request (each is retried twice).")
def http(n, seed, output, llm_url, llm_model, llm_timeout):
    """Labelled HTTP scanner findings from site templates, labelled by POLICY.md.

    Covers every canonical HTTP smell with web-server default pages, login/admin pages, JSON APIs, static
    assets, redirects, error pages, wikis, notebooks, dashboards, CMS/shop pages and backup probes, each with
    the findings ZAP, Nuclei, Burp, Wapiti, drheader or the HTTP Observatory would raise on it. Rows are
    deduplicated and split train/val by template family.
    """
    from .generate import Progress, Stats, balance, generate, to_jsonl

    out = Path(output)
    if out.suffix != ".jsonl":
        raise IacfilterError(output, "output must end in .jsonl (the split files are written beside it)")
    rewriter = None
    if llm_url:
        from .agents import Agents

        rewriter = Agents(llm_url, llm_model, timeout=llm_timeout, seed=seed)
    stats = Stats()
    start = time.monotonic()
    try:
        rows = generate(n, seed, rewriter=rewriter, progress=Progress(n, "datagen http"), stats=stats)
    except RuntimeError as exc:
        raise IacfilterError("datagen http", str(exc)) from None
    if stats.mismatches:
        raise IacfilterError("datagen http", f"{len(stats.mismatches)} case(s) got a label other than their "
                                             f"template meant, e.g. {stats.mismatches[0]} (a generator bug)")
    train = [r for r in rows if r["split"] == "train"]
    val = [r for r in rows if r["split"] == "val"]
    write_atomically(str(out.with_suffix(".train.jsonl")), to_jsonl(train))
    write_atomically(str(out.with_suffix(".val.jsonl")), to_jsonl(val))
    write_atomically(str(out), to_jsonl(rows))
    took = time.monotonic() - start
    click.echo(f"datagen http: {len(rows)} rows ({len(train)} train, {len(val)} val) from {stats.attempts} cases, "
               f"{stats.duplicates} duplicates dropped, {took:.1f}s -> {out}", err=True)
    if llm_url:
        click.echo(f"datagen http: llm rewrites kept {stats.rewrites['kept']}, dropped {stats.rewrites['dropped']} "
                   f"(label changed or unusable), {stats.rewrites['no page']} without a page, analyses rewritten "
                   f"{stats.rewrites['analyses']}", err=True)
    click.echo(f"{'smell':<28} {'TP':>5} {'FP':>5} {'train':>6} {'val':>5}", err=True)
    for smell, tp, fp, tr, va in balance(rows):
        click.echo(f"{smell:<28} {tp:>5} {fp:>5} {tr:>6} {va:>5}", err=True)
