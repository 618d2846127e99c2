"""The training commands of the ``iacfilter`` CLI: train, sweep, champion, eval."""

from __future__ import annotations

import json
from pathlib import Path

import click

from iacfilter.errors import IacfilterError


@click.command("train")
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False),
              help="Trial config (YAML): backend, params, seed, train/val datasets.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Trial directory: model/, val_scores.json, metrics.json.")
def train_cmd(config_path, out_dir):
    """Train one trial and write its model and metrics JSON."""
    from .trial import load_config, run_trial

    run_trial(load_config(config_path), out_dir, log=lambda msg: click.echo(msg, err=True))


@click.group("sweep", invoke_without_command=True)
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Sweep config (YAML).")
@click.option("--run-dir", type=click.Path(file_okay=False), default=None,
              help="Where trials go (default: runs/<sweep name>).")
@click.option("--executor", type=click.Choice(["local", "slurm"]), default="local", show_default=True)
@click.option("--jobs", type=click.IntRange(1, 256), default=1, show_default=True, help="Local trials at once.")
@click.option("--only", default=None, metavar="NAMES",
              help="Comma-separated candidate names to run (e.g. the ones that work offline).")
@click.pass_context
def sweep_cmd(ctx, config_path, run_dir, executor, jobs, only):
    """Expand a sweep grid into trials and run them (local) or write a SLURM job array (slurm)."""
    if ctx.invoked_subcommand is not None:
        return
    if not config_path:
        raise click.UsageError("give --config SWEEP.yaml (or a subcommand)")
    from .sweep import prepare, run_local, summarise, collect, write_slurm_script
    from .trial import load_config

    sweep = load_config(config_path)
    run = Path(run_dir or Path("runs") / str(sweep.get("name", Path(config_path).stem)))
    trials = prepare(sweep, run, config_path, only=set(only.split(",")) if only else None)
    if executor == "slurm":
        script = write_slurm_script(run, trials, sweep.get("slurm") or {})
        click.echo(f"wrote {script}: submit it with 'sbatch {script}', then 'iacfilter sweep status {run}'")
        return
    from iacfilter.cli import progress

    with progress(len(trials), "trials") as bar:
        failures = run_local(trials, jobs, progress=bar.update)
    _print_summary(summarise(collect(run)))
    for tdir, why in failures:
        click.echo(f"iacfilter: trial failed: {tdir.name}: {why} (log: {tdir / 'train.log'})", err=True)
    if failures:
        raise IacfilterError(str(run), f"{len(failures)} of {len(trials)} trial(s) failed")


@sweep_cmd.command("status")
@click.argument("run_dir", type=click.Path(file_okay=False, exists=True))
def sweep_status(run_dir):
    """Finished and pending trials of a sweep, with the summary so far."""
    from .sweep import collect, finished, summarise

    trials = sorted(Path(run_dir, "trials").glob("*/config.yaml"))
    done = [t.parent for t in trials if finished(t.parent)]
    click.echo(f"{len(done)} of {len(trials)} trials finished")
    for t in trials:
        if not finished(t.parent):
            click.echo(f"  pending: {t.parent.name}")
    _print_summary(summarise(collect(Path(run_dir))))


def _print_summary(rows):
    if not rows:
        return
    click.echo(f"{'configuration':<60} {'seeds':>5} {'F1 mean':>8} {'± sd':>6} {'recall':>7} {'thr':>5}")
    for row in rows:
        cfg = row["config"]
        label = f"{cfg['name']} {json.dumps(cfg['params'], sort_keys=True)}"
        click.echo(f"{label[:60]:<60} {row['seeds']:>5} {row['f1_mean']:>8.3f} {row['f1_sd']:>6.3f} "
                   f"{row['recall_mean']:>7.3f} {row['threshold_mean']:>5.2f}")


@click.group("champion")
def champion_cmd():
    """Select the best trial of a sweep (median-F1 seed of the best configuration) and freeze it."""


@champion_cmd.command("select")
@click.argument("run_dir", type=click.Path(file_okay=False, exists=True))
def champion_select(run_dir):
    """Write RUN_DIR/selection.json: best configuration by mean validation F1, its median-F1 seed."""
    from .champions import select

    s = select(Path(run_dir))
    click.echo(json.dumps({k: s[k] for k in ("trial", "seed", "threshold", "f1_mean", "f1_sd", "seeds")}, indent=2))


@champion_cmd.command("freeze")
@click.argument("run_dir", type=click.Path(file_okay=False, exists=True))
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False))
@click.option("--name", default=None, help="Champion name (default: trial name and seed).")
def champion_freeze(run_dir, out_dir, name):
    """Copy the selected trial's model into a champion directory with champion.yaml and hashes."""
    from .champions import freeze

    click.echo(f"froze {freeze(Path(run_dir), Path(out_dir), name)}")


@champion_cmd.command("build")
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False))
@click.option("--run-dir", type=click.Path(file_okay=False), default=None)
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False))
@click.option("--name", default=None)
@click.option("--jobs", type=click.IntRange(1, 256), default=1, show_default=True)
@click.pass_context
def champion_build(ctx, config_path, run_dir, out_dir, name, jobs):
    """Sweep locally, select and freeze, in one command (how the embedded default is reproduced)."""
    from .trial import load_config

    sweep = load_config(config_path)
    run = run_dir or str(Path("runs") / str(sweep.get("name", Path(config_path).stem)))
    ctx.invoke(sweep_cmd, config_path=config_path, run_dir=run, executor="local", jobs=jobs, only=None)
    ctx.invoke(champion_select, run_dir=run)
    ctx.invoke(champion_freeze, run_dir=run, out_dir=out_dir, name=name)


@click.command("eval")
@click.argument("dataset", type=click.Path())
@click.option("--model", "model_dir", envvar="IACFILTER_MODEL", default=None, metavar="DIR",
              help="Champion directory (default: the embedded default model).")
@click.option("--threshold", type=click.FloatRange(0.0, 1.0), default=None, help="Override the frozen threshold.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--plot", "plot_dir", type=click.Path(file_okay=False), default=None,
              help="Write pr_curve.png and threshold_sweep.png here.")
def eval_cmd(dataset, model_dir, threshold, as_json, plot_dir):
    """Precision, recall, F1, FP removed and TP kept of a model on a labelled JSONL dataset."""
    from iacfilter.cli import default_model
    from iacfilter.decide import load_model

    from .evaluate import evaluate, render

    model = load_model(model_dir or default_model(), threshold)
    result = evaluate(dataset, model)
    labels, scores = result.pop("_labels"), result.pop("_scores")
    if plot_dir:
        from .plots import plot

        for path in plot(Path(plot_dir), labels, scores, result["threshold_sweep"], model.threshold,
                         f"{model.id} on {Path(dataset).name}"):
            click.echo(f"wrote {path}", err=True)
    click.echo(json.dumps(result, indent=2) if as_json else render(result))


COMMANDS = [train_cmd, sweep_cmd, champion_cmd, eval_cmd]
