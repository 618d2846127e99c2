"""The training commands of the ``iacfilter`` CLI: train, sweep, champion, eval."""

from __future__ import annotations

import json
from pathlib import Path

import click

from iacfilter.errors import IacfilterError
from iacfilter.hookspecs import hookimpl


@click.command("train")
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False),
              help="Trial config (YAML): backend, params, seed, train/val datasets.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Trial directory: model/, val_scores.json, metrics.json.")
def train_cmd(config_path, out_dir):
    """Train one trial and write its model and metrics JSON."""
    from .trial import load_config, run_trial

    run_trial(load_config(config_path), out_dir, log=lambda msg: click.echo(msg, err=True))


SLURM_OPTIONS = [
    click.option("--partition", default=None, help="SLURM partition (overrides the sweep config's slurm block)."),
    click.option("--time", "time_limit", default=None, metavar="T", help="SLURM time limit per task, e.g. 02:00:00."),
    click.option("--mem", default=None, help="SLURM memory per task, e.g. 16G."),
    click.option("--cpus-per-task", type=int, default=None, help="SLURM CPUs per task."),
    click.option("--gpus", type=int, default=None, help="GPUs per task; more than 1 runs the trial through torchrun."),
    click.option("--sbatch", "sbatch_extra", multiple=True, metavar="LINE",
                 help="Extra #SBATCH line, e.g. --sbatch=--qos=high (repeatable)."),
    click.option("--no-wait", is_flag=True, help="Submit and return; check later with 'iacfilter sweep status RUN_DIR'."),
    click.option("--poll", type=click.FloatRange(0.1), default=10.0, show_default=True, help="Seconds between queue checks."),
]


def slurm_options(f):
    for option in reversed(SLURM_OPTIONS):
        f = option(f)
    return f


@click.group("sweep", invoke_without_command=True, short_help="Run a sweep of trials (local or SLURM).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Sweep config (YAML).")
@click.option("--run-dir", type=click.Path(file_okay=False), default=None,
              help="Where trials go (default: runs/<sweep name>).")
@click.option("--executor", type=click.Choice(["local", "slurm"]), default="local", show_default=True,
              help="local: trials run here; slurm: one job array of 'iacfilter train' tasks.")
@click.option("--jobs", type=click.IntRange(1, 256), default=1, show_default=True, help="Local trials at once.")
@click.option("--only", default=None, metavar="NAMES",
              help="Comma-separated candidate names to run (e.g. the ones that work offline).")
@slurm_options
@click.pass_context
def sweep_cmd(ctx, config_path, run_dir, executor, jobs, only, partition, time_limit, mem, cpus_per_task, gpus,
              sbatch_extra, no_wait, poll):
    """Expand a sweep grid into trials and run them: here (local) or as a SLURM job array (slurm).

    Finished trials (with metrics.json) are never rerun. A failed trial is reported by name and can be rerun
    alone with 'iacfilter sweep resume RUN_DIR'.
    """
    if ctx.invoked_subcommand is not None:
        return
    if not config_path:
        raise click.UsageError("give --config SWEEP.yaml (or a subcommand)")
    from .sweep import prepare
    from .trial import load_config, write_json_atomically

    sweep = load_config(config_path)
    run = Path(run_dir or Path("runs") / str(sweep.get("name", Path(config_path).stem)))
    trials = prepare(sweep, run, config_path, only=set(only.split(",")) if only else None)
    slurm = {**(sweep.get("slurm") or {})}
    overrides = {"partition": partition, "time": time_limit, "mem": mem, "cpus_per_task": cpus_per_task, "gpus": gpus}
    slurm.update({k: v for k, v in overrides.items() if v is not None})
    if sbatch_extra:
        slurm["extra"] = list(slurm.get("extra") or []) + list(sbatch_extra)
    write_json_atomically(run / "run.json", {"executor": executor, "slurm": slurm, "jobs": jobs,
                                             "trials": [t.name for t in trials]})
    _execute(run, trials, no_wait=no_wait, poll=poll)


def _execute(run: Path, trials: list[Path], *, no_wait: bool, poll: float, jobs: int | None = None) -> None:
    from iacfilter.cli import progress

    from .sweep import collect, run_local, summarise

    settings = json.loads((run / "run.json").read_text())
    if settings["executor"] == "slurm":
        from . import slurm

        active = {s.trial for s in slurm.states(run) if s.state == "queued"}
        record = slurm.submit(run, [t for t in trials if t.name not in active], settings["slurm"])
        if record:
            click.echo(f"submitted job array {record['job_id']} ({len(record['trials'])} trial(s)) from {run}", err=True)
        if no_wait:
            click.echo(f"check with: iacfilter sweep status {run}", err=True)
            return
        with progress(len(trials), "trials") as bar:
            slurm.wait(run, poll, progress=bar.update)
        names = {t.name for t in trials}
        failures = [(s.trial, s.detail) for s in slurm.states(run) if s.state != "finished" and s.trial in names]
    else:
        # run_local reports every trial it ran that left no metrics.json
        with progress(len(trials), "trials") as bar:
            failures = [(t.name, why) for t, why in run_local(trials, jobs or settings.get("jobs", 1), progress=bar.update)]
    _print_summary(summarise(collect(run)))
    for name, why in failures:
        click.echo(f"iacfilter: trial failed: {name}: {why}", err=True)
    if failures:
        raise IacfilterError(str(run), f"{len(failures)} of {len(trials)} trial(s) did not finish; "
                                       f"rerun them alone with 'iacfilter sweep resume {run}'")


@sweep_cmd.command("status", short_help="Each trial's state, and the summary so far.")
@click.argument("run_dir", type=click.Path(file_okay=False, exists=True))
def sweep_status(run_dir):
    """Each trial's state (finished, queued, failed and why), and the summary so far."""
    from .sweep import collect, finished, summarise

    run = Path(run_dir)
    settings = json.loads((run / "run.json").read_text()) if (run / "run.json").is_file() else {"executor": "local"}
    if settings["executor"] == "slurm":
        from .slurm import states

        rows = [(s.trial, s.state, s.detail) for s in states(run)]
    else:
        rows = [(t.parent.name, "finished" if finished(t.parent) else "pending", "")
                for t in sorted(run.glob("trials/*/config.yaml"))]
    counts = {state: sum(1 for _, st, _ in rows if st == state) for state in sorted({st for _, st, _ in rows})}
    click.echo(f"{len(rows)} trials: " + ", ".join(f"{n} {state}" for state, n in counts.items()))
    for name, state, detail in rows:
        if state != "finished":
            click.echo(f"  {state}: {name}" + (f" ({detail})" if detail else ""))
    _print_summary(summarise(collect(run)))


@sweep_cmd.command("resume", short_help="Rerun the trials that did not finish.")
@click.argument("run_dir", type=click.Path(file_okay=False, exists=True))
@click.option("--jobs", type=click.IntRange(1, 256), default=None, help="Local trials at once (local runs).")
@click.option("--no-wait", is_flag=True, help="Submit and return (SLURM runs).")
@click.option("--poll", type=click.FloatRange(0.1), default=10.0, show_default=True,
              help="Seconds between queue checks (SLURM runs).")
def sweep_resume(run_dir, jobs, no_wait, poll):
    """Rerun only the trials of a sweep that did not finish, with the executor it was started with."""
    run = Path(run_dir)
    if not (run / "run.json").is_file():
        raise IacfilterError(run_dir, "not a sweep run directory (no run.json)")
    names = json.loads((run / "run.json").read_text())["trials"]
    _execute(run, [run / "trials" / n for n in names], no_wait=no_wait, poll=poll, jobs=jobs)


def _print_summary(rows):
    if not rows:
        return
    click.echo(f"{'configuration':<60} {'seeds':>5} {'F1 mean':>8} {'± sd':>6} {'recall':>7} {'thr':>5}")
    for row in rows:
        cfg = row["config"]
        label = f"{cfg['name']} {json.dumps(cfg['params'], sort_keys=True)}"
        click.echo(f"{label[:60]:<60} {row['seeds']:>5} {row['f1_mean']:>8.3f} {row['f1_sd']:>6.3f} "
                   f"{row['recall_mean']:>7.3f} {row['threshold_mean']:>5.2f}")


@click.group("champion", short_help="Select, freeze or build a champion model.")
def champion_cmd():
    """Select the best trial of a sweep (median-F1 seed of the best configuration) and freeze it."""


@champion_cmd.command("select", short_help="Pick the best trial of a sweep.")
@click.argument("run_dir", type=click.Path(file_okay=False, exists=True))
def champion_select(run_dir):
    """Write RUN_DIR/selection.json: best configuration by mean validation F1, its median-F1 seed."""
    from .champions import select

    s = select(Path(run_dir))
    click.echo(json.dumps({k: s[k] for k in ("trial", "seed", "threshold", "f1_mean", "f1_sd", "seeds")}, indent=2))


@champion_cmd.command("freeze", short_help="Freeze the selected trial into a champion.")
@click.argument("run_dir", type=click.Path(file_okay=False, exists=True))
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Champion directory to write (weights, champion.yaml with hashes).")
@click.option("--name", default=None, help="Champion name (default: trial name and seed).")
def champion_freeze(run_dir, out_dir, name):
    """Copy the selected trial's model into a champion directory with champion.yaml and hashes."""
    from .champions import freeze

    click.echo(f"froze {freeze(Path(run_dir), Path(out_dir), name)}")


@champion_cmd.command("build", short_help="Sweep, select and freeze in one command.")
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False),
              help="Sweep config (YAML), e.g. training/configs/default.yaml.")
@click.option("--run-dir", type=click.Path(file_okay=False), default=None,
              help="Where the trials go (default: runs/<sweep name>).")
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Champion directory to write (weights, champion.yaml with hashes).")
@click.option("--name", default=None, help="Champion name (default: trial name and seed).")
@click.option("--jobs", type=click.IntRange(1, 256), default=1, show_default=True, help="Local trials at once.")
@click.pass_context
def champion_build(ctx, config_path, run_dir, out_dir, name, jobs):
    """Sweep locally, select and freeze, in one command (how the embedded default is reproduced)."""
    from .trial import load_config

    sweep = load_config(config_path)
    run = run_dir or str(Path("runs") / str(sweep.get("name", Path(config_path).stem)))
    ctx.invoke(sweep_cmd, config_path=config_path, run_dir=run, executor="local", jobs=jobs, only=None,
               partition=None, time_limit=None, mem=None, cpus_per_task=None, gpus=None, sbatch_extra=(),
               no_wait=False, poll=10.0)
    ctx.invoke(champion_select, run_dir=run)
    ctx.invoke(champion_freeze, run_dir=run, out_dir=out_dir, name=name)


@click.command("eval", short_help="Precision, recall and F1 of a model on a dataset.")
@click.argument("dataset", type=click.Path())
@click.option("--model", "model_dir", envvar="IACFILTER_MODEL", default=None, metavar="NAME|DIR",
              help="Champion name or directory (default: the installed default champion covering each example).")
@click.option("--threshold", type=click.FloatRange(0.0, 1.0), default=None, help="Override the frozen threshold.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--plot", "plot_dir", type=click.Path(file_okay=False), default=None,
              help="Write pr_curve.png and threshold_sweep.png here.")
def eval_cmd(dataset, model_dir, threshold, as_json, plot_dir):
    """Precision, recall, F1, FP removed and TP kept of a model on a labelled JSONL dataset."""
    from iacfilter.decide import Models

    from .evaluate import evaluate, render

    models = Models.open(model_dir, threshold)
    result = evaluate(dataset, models)
    labels, scores = result.pop("_labels"), result.pop("_scores")
    if plot_dir:
        from .plots import plot

        for path in plot(Path(plot_dir), labels, scores, result["threshold_sweep"], result["threshold"],
                         f"{result['model']} on {Path(dataset).name}"):
            click.echo(f"wrote {path}", err=True)
    if as_json:
        click.echo(result["alignment_line"], err=True)
    click.echo(json.dumps(result, indent=2) if as_json else render(result))


COMMANDS = [train_cmd, sweep_cmd, champion_cmd, eval_cmd]


@hookimpl
def register_commands(cli):
    for command in COMMANDS:
        cli.add_command(command)
