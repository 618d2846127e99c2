"""The ``iacfilter`` command line."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import click

from . import __version__, plugins
from .errors import IacfilterError, MissingPackage
from .findings import Finding, NoSnippet
from .output import check_destination, write_atomically
from .records import owner, technology
from .registry import SKIPPED, ScanJob, ScanRun
from .report import columns, summary
from .rules import load_rules_map
from .sarif import MODES
from .sources import SourceRoot


def one_line(text: str) -> str:
    """``text`` on one printable line: newlines, other line separators and control characters (from file names
    or input) are written as escapes, so an error is always exactly one line."""
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


class OneLineError(click.ClickException):
    """A usage or option error, shown as one line (click's own shows usage, a hint and the error: four lines)."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"iacfilter: error: {one_line(self.format_message())}", err=True)


def _usage(exc: click.UsageError) -> OneLineError:
    where = exc.ctx.command_path if exc.ctx is not None else "iacfilter"
    hint = f" (see '{where} --help')" if exc.ctx is not None else ""
    return OneLineError(f"{where}: {exc.format_message()}{hint}")


class Cli(click.Group):
    """Turns every IacfilterError, usage error, OS refusal and missing optional package into one line on stderr
    and exit code 2."""

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.UsageError as exc:
            raise _usage(exc) from None

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.UsageError as exc:  # a sub-command's options
            raise _usage(exc) from None
        except IacfilterError as exc:
            click.echo(f"iacfilter: error: {one_line(str(exc))}", err=True)
            ctx.exit(2)
        except ValueError as exc:  # a NUL byte in a name given to any command's path option (only in-process)
            if "null byte" not in str(exc):
                raise
            click.echo(f"iacfilter: error: {ctx.invoked_subcommand}: a file name holds a NUL byte ({exc})", err=True)
            ctx.exit(2)
        except OSError as exc:  # the environment refused something not checked earlier (disk full, permissions)
            where = f"{exc.filename}: " if exc.filename is not None else ""
            click.echo(f"iacfilter: error: {one_line(where + (exc.strerror or str(exc)))}", err=True)
            ctx.exit(2)
        except MissingPackage as exc:  # named with its extra by the plugin that imports it
            click.echo(f"iacfilter: error: {ctx.invoked_subcommand}: {exc}", err=True)
            ctx.exit(2)
        except ModuleNotFoundError as exc:
            click.echo(f"iacfilter: error: {ctx.invoked_subcommand}: needs the Python package "
                       f"{(exc.name or '').split('.')[0]!r}, which is not installed", err=True)
            ctx.exit(2)


class OsPath(click.Path):
    """click.Path that turns down a name the OS cannot take (an embedded NUL) as a usage error, not a traceback."""

    def convert(self, value, param, ctx):
        try:
            return super().convert(value, param, ctx)
        except ValueError as exc:
            if isinstance(exc, click.BadParameter):
                raise
            self.fail(f"{value!r}: {exc}.", param, ctx)


class Probability(click.FloatRange):
    """A number from 0 to 1; NaN, which click's FloatRange lets through, is refused."""

    def convert(self, value, param, ctx):
        rv = super().convert(value, param, ctx)
        if rv != rv:
            self.fail(f"{value!r} is not a number from 0 to 1.", param, ctx)
        return rv


@click.group(cls=Cli, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="iacfilter")
def cli():
    """Score security-scanner findings (IaC: GLITCH, SARIF; web: ZAP, Nuclei, Burp, Wapiti) and keep the real ones.

    Every finding gets p(true positive) from a trained model; a finding below the model's frozen threshold
    is marked filtered (or dropped). Output is SARIF 2.1.0 that GitHub code scanning accepts.
    """


def progress(length: int, label: str, show: bool = True):
    """A progress bar on stderr when a person is watching; silent otherwise."""
    return click.progressbar(length=length, label=label, file=sys.stderr, hidden=not (show and sys.stderr.isatty()))


class Progress:
    """Files done / total on stderr: redrawn on a terminal, else one line every ``every`` seconds. Called as
    every progress callback is, with (done so far, total)."""

    def __init__(self, label: str, stream=None, every: float | None = None, show: bool = True):
        self.label, self.done, self.total = label, 0, None
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.every = every if every is not None else float(os.environ.get("IACFILTER_PROGRESS_SECONDS", "5"))
        self.show = show
        self.start = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._tick, daemon=True)

    def __enter__(self):
        if self.show:
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
            if self.total is not None:
                self._line(final=True)

    def update(self, done: int, total: int) -> None:
        self.done, self.total = done, total

    def _line(self, final: bool = False) -> None:
        text = f"iacfilter: {self.label}: {self.done}/{self.total} files ({time.monotonic() - self.start:.0f} s)"
        if self.tty:
            self.stream.write("\r" + text + ("\n" if final else ""))
        elif not final:
            self.stream.write(text + "\n")
        self.stream.flush()

    def _tick(self) -> None:
        while not self._stop.wait(0.5 if self.tty else self.every):
            if self.total is not None:
                self._line()


FILTER_OPTIONS = {
    "source_root": click.option(
        "--source-root", type=OsPath(file_okay=False), default=".", show_default=True,
        help="Root the flagged paths are relative to. Files outside it are never read."),
    "tech": click.option(
        "--tech", default=None, metavar="NAME",
        help="Treat every finding as this technology (ansible, chef, puppet, ...) instead of deciding by file type."),
    "output": click.option(
        "-o", "--output", "output", default="-", show_default=True, metavar="FILE",
        help="Where to write the result ('-' for stdout). Written atomically."),
    "mode": click.option(
        "--mode", type=click.Choice(MODES), default="annotate", show_default=True,
        help="annotate: keep filtered results, marked as suppressed (the audit copy). drop: leave them out (for "
             "upload to GitHub code scanning, which ignores suppressions)."),
    "model_dir": click.option(
        "--model", "model_dir", envvar="IACFILTER_MODEL", default=None, metavar="NAME|DIR",
        help="Champion to score with: an installed champion's name (see 'iacfilter plugins') or a champion "
             "directory. Default: each finding goes to the installed default champion that covers its "
             "technology. Env: IACFILTER_MODEL."),
    "budget": click.option(
        "--budget", type=int, default=None, metavar="N",
        help="Tokens of written analysis a generative scorer (dual-head) may spend per finding; 0 classifies the "
             "prompt alone. Only for models whose backend takes a budget."),
    "threshold": click.option(
        "--threshold", type=Probability(0.0, 1.0), default=None,
        help="Override the model's frozen threshold: findings scoring below it are filtered."),
    "fmt": click.option(
        "--format", "fmt", type=click.Choice(["sarif", "json", "table", "html"]), default="sarif", show_default=True,
        help="Output format (html: one self-contained page with a sortable table and a chart per smell)."),
    "batch_size": click.option(
        "--batch-size", type=click.IntRange(1, 4096), default=64, show_default=True,
        help="Snippets scored per model call."),
    "quiet": click.option("-q", "--quiet", is_flag=True, help="No summary on stderr."),
    "strict": click.option(
        "--strict", is_flag=True,
        help="Exit with code 2 (and write nothing) when most findings have no readable source under --source-root "
             "(a forgotten or wrong --source-root), instead of only warning."),
    "fail_on_findings": click.option(
        "--fail-on-findings", is_flag=True,
        help="Exit with code 1 when any finding is still reported after filtering (for pre-commit and CI gates)."),
    # baselines, pattern filters, the code scanning category
    "baseline": click.option(
        "--baseline", default=None, metavar="OLD.sarif", type=click.Path(dir_okay=False),
        help="An earlier iacfilter output: mark each result new, unchanged, updated or absent (SARIF baselineState) "
             "by a fingerprint that ignores line numbers."),
    "only_new": click.option("--only-new", is_flag=True, help="With --baseline: report only new results."),
    "include": click.option(
        "--include", multiple=True, metavar="GLOB[:RULE]",
        help="Keep findings matching this filter-sarif pattern (repeatable; later patterns win)."),
    "exclude": click.option(
        "--exclude", multiple=True, metavar="GLOB[:RULE]",
        help="Leave out findings matching this filter-sarif pattern, before scoring (repeatable), e.g. "
             "'tests/**' or '**/*.pp:IAC-HARD-CODED-*'."),
    "patterns_file": click.option(
        "--patterns-file", multiple=True, metavar="FILE", type=click.Path(dir_okay=False),
        help="filter-sarif patterns, one per line ('+glob[:rule]' or '-glob[:rule]'; '#' comments), applied "
             "first; then every --exclude, then every --include (so an include takes back what an exclude left out)."),
    "category": click.option(
        "--category", default=None, metavar="NAME",
        help="Code scanning category: sets each run's automationDetails.id (NAME/, or NAME-i/ for several runs)."),
}


def filter_options(*skip: str):
    """The options of 'iacfilter filter', less those named in ``skip`` (for commands that set them)."""

    def decorate(f):
        for name, option in reversed(FILTER_OPTIONS.items()):
            if name not in skip:
                f = option(f)
        return f

    return decorate


def _warn(message: str) -> None:
    click.echo(f"iacfilter: warning: {message}", err=True)


class ScoringBar:
    """A progress bar for scoring on stderr, shown once there is enough to score and a person is watching;
    called with (done, total) like every progress callback of the pipeline."""

    def __init__(self, show: bool):
        self.show, self.bar = show, None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = progress(total, "scoring", show=self.show and total > 200).__enter__()
        self.bar.update(done - self.bar.pos)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)


def run_filter(runs: list[ScanRun], *, output, quiet, fail_on_findings=False, **options) -> int:
    """Filter ``runs`` (the pipeline), write the output, print the summary; return the findings still reported."""
    from .pipeline import Settings, run

    if options.get("only_new") and not options.get("baseline"):
        raise click.UsageError("--only-new needs --baseline OLD.sarif")
    check_destination(output)  # before any work, and before any warning: then its one line is all that is said
    settings = Settings(output=output, **options)
    note = (lambda message: None) if quiet else (lambda message: click.echo(f"iacfilter: {message}", err=True))
    with ScoringBar(show=not quiet) as bar:
        result = run(runs, settings, note=note, warn=_warn, progress=bar)
    for problem in result.problems:
        _warn(f"GitHub code scanning would reject this file: {problem}")
    write_atomically(output, result.text)
    if not quiet:
        click.echo(summary([d.finding for d in result.decisions], [d.verdict for d in result.decisions],
                           result.models, None if output == "-" else output), err=True)
    if fail_on_findings and result.reported:
        click.get_current_context().exit(1)
    return result.reported


@cli.command("filter", short_help="Score scanner output; write filtered SARIF.")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@filter_options()
def filter_cmd(inputs, **options):
    """Score the findings in scanner output files and write filtered SARIF.

    INPUT is GLITCH output (--csv, 2.x or 1.x, or --linter rows), SARIF 2.1.0 from any tool, or a web scanner's
    report (ZAP traditional-json(-plus), Nuclei JSONL, Burp XML, Wapiti JSON); the format is detected from the
    content; '-' reads it from standard input. Examples:

        iacfilter filter glitch.csv --source-root repo/ -o filtered.sarif

        iacfilter filter zap.json nuclei.jsonl -o web.sarif
    """
    if list(inputs).count("-") > 1:
        raise click.UsageError("'-' (standard input) can be given only once")
    from .pipeline import read

    run_filter(read(inputs), **options)


@cli.command("scan", short_help="Run a scanner (GLITCH, checkov), then filter its findings.")
@click.argument("path", type=OsPath(exists=True))
@click.option("--scanner", default=None, metavar="NAME",
              help="Scanner to run (see 'iacfilter plugins'): glitch (the default), checkov, ...")
@click.option("--tech", default=None, metavar="NAME",
              help="Technology to scan for (ansible, chef, puppet, ...); GLITCH needs it, checkov scans every "
                   "technology it covers without it.")
@click.option("--command", "--glitch", "command", default=None, metavar="CMD",
              help="How to run the scanner (default: its program on PATH, or env IACFILTER_GLITCH / "
                   "IACFILTER_CHECKOV).")
@click.option("--jobs", type=click.IntRange(1, 64), default=None, show_default="the CPUs not busy",
              help="GLITCH processes at once, each over its own batch of at least 16 files (GLITCH's own "
                   "--n-workers gives no speed-up).")
@click.option("--file-timeout", type=click.FloatRange(1), default=300, show_default=True,
              help="Seconds GLITCH may spend on one file. A batch in which no file finishes for that long is "
                   "split and run again until the file that hangs is alone; that file is reported as not scanned. "
                   "A scanner that reports no progress (checkov) gets this long for the whole run.")
@click.option("--allow-unscanned", is_flag=True,
              help="Exit 0 even when some files could not be scanned (they are still listed, and marked in the "
                   "SARIF). Without it such a run exits 2; a run in which the scanner analysed no file always does.")
@filter_options("source_root", "tech")
def scan_cmd(path, scanner, tech, command, jobs, file_timeout, allow_unscanned, fail_on_findings, **options):
    """Run a scanner (GLITCH by default, or checkov) on PATH (a folder or file), then filter its findings like
    'iacfilter filter'.

    GLITCH runs once per batch of files (--jobs batches in parallel), bounded by --file-timeout. Files GLITCH
    could not parse, crashed on or gave up on are *not scanned*: listed on stderr and as notifications in the
    SARIF run, which then says executionSuccessful: false, and the exit code is 2 unless --allow-unscanned.
    Files GLITCH says are not of its kind ("Cannot detect file type", "File is not a tasks file", ...) are
    *skipped*: listed, and they do not fail the run. Hidden files and folders are left out. The filter options
    are those of 'iacfilter filter'.
    """
    chosen = plugins.scanner(scanner)
    root = Path(path)
    outcome = run_scanner(chosen, ScanJob(root, tech, command=command, jobs=jobs, timeout=file_timeout),
                          quiet=options["quiet"])
    from .pipeline import read_scan

    source_root = root if root.is_dir() else root.parent
    reported = run_filter(read_scan(chosen, outcome, tech), source_root=source_root, **options)
    unscanned_check(path, outcome, allow_unscanned, program=chosen.program)
    if fail_on_findings and reported:
        click.get_current_context().exit(1)


def run_scanner(scanner, job, *, quiet: bool, all_problems: bool = False):
    """Run ``scanner`` for the job's technology (checked, its file types filled in); say on stderr what it could
    not scan, and why (``all_problems``: skipped files as warnings too)."""
    techs = plugins.technologies()
    if job.technology is not None:
        technology(techs, job.technology)
        if job.technology not in scanner.technologies:
            raise IacfilterError(f"--tech {job.technology}", f"{scanner.program} does not scan it (it scans "
                                                             f"{', '.join(scanner.technologies)})")
    elif scanner.needs_technology:
        raise click.UsageError(f"--scanner {scanner.name} needs --tech NAME ({', '.join(scanner.technologies)})")
    wanted = [job.technology] if job.technology else [t for t in scanner.technologies if t in techs]
    job.suffixes = tuple(dict.fromkeys(s for t in wanted for s in techs[t].suffixes))
    label = scanner.program + (f" ({job.technology})" if job.technology else "")
    with Progress(label, show=not quiet) as bar:
        job.progress = bar.update
        outcome = scanner.run(job)
    for problem in outcome.problems:
        if problem.status != SKIPPED or all_problems:
            _warn(f"{problem.status}: {problem.path}: {problem.reason}")
        elif not quiet:
            click.echo(f"iacfilter: {problem.status}: {problem.path}: {problem.reason}", err=True)
    if not quiet and not all_problems:
        skipped = len(outcome.skipped)
        what = f"{job.technology} files" if job.technology else "files"
        click.echo(f"iacfilter: {scanner.program} analysed {outcome.analysed} of {len(outcome.files)} {what}"
                   + (f", skipped {skipped}" if skipped else "")
                   + (f", could not scan {len(outcome.not_scanned)}" if outcome.not_scanned else ""), err=True)
    return outcome


def unscanned_check(where, outcome, allow_unscanned: bool, listed: str = "listed above and in the output", *,
                    program: str) -> None:
    """Fail closed: files the scanner could not scan fail the run unless allowed; no file analysed always does."""
    missing = len(outcome.not_scanned)
    if missing and outcome.analysed == 0:
        raise IacfilterError(str(where), f"{program} analysed none of the {len(outcome.files)} files (see above)")
    if missing and not allow_unscanned:
        raise IacfilterError(str(where), f"{missing} of {len(outcome.files)} files not scanned ({listed}); "
                                         "--allow-unscanned accepts that")


@cli.command("hook", short_help="pre-commit: scan changed files, fail on kept ones.")
@click.argument("files", nargs=-1, metavar="FILE...")
@click.option("--reports", is_flag=True,
              help="FILEs are scanner output (GLITCH CSV or --linter rows, SARIF from any tool), not IaC scripts.")
@click.option("--severity", type=click.Choice(["low", "medium", "high", "critical"]), default="low",
              show_default=True,
              help="Fail only on kept findings at or above this security severity (GitHub's bands: medium >= 4.0, "
                   "high >= 7.0, critical >= 9.0); a finding of unknown severity fails.")
@click.option("--scanner", default=None, metavar="NAME",
              help="Scanner to run on the changed files (see 'iacfilter plugins'; default: glitch).")
@click.option("--command", "--glitch", "command", default=None, metavar="CMD",
              help="How to run the scanner (default: its program on PATH, or env IACFILTER_GLITCH / "
                   "IACFILTER_CHECKOV).")
@click.option("--jobs", type=click.IntRange(1, 64), default=None, show_default="the CPUs not busy",
              help="GLITCH processes at once.")
@click.option("--file-timeout", type=click.FloatRange(1), default=300, show_default=True,
              help="Seconds GLITCH may spend on one file before it is given up on (not scanned).")
@click.option("--allow-unscanned", is_flag=True,
              help="Do not fail when GLITCH could not scan a changed file (it is still listed).")
@filter_options(*(name for name in FILTER_OPTIONS if name not in ("model_dir", "budget", "threshold", "batch_size",
                                                                   "quiet")))
def hook_cmd(files, reports, severity, scanner, command, jobs, file_timeout, allow_unscanned, model_dir, threshold,
             batch_size, quiet, budget):
    """For pre-commit: scan the changed FILEs with GLITCH (or read changed scanner reports with --reports),
    filter the findings, and print each finding kept as 'path:line: rule message (score)'.

    Only the technologies of the changed files are scanned, each once, over those files (hidden files and
    folders are left out). Exit 1 when a kept finding is at or above --severity, 2 when a file could not be
    scanned (unless --allow-unscanned) or GLITCH is not installed, else 0. Run from the repository root.
    """
    from .hook import files_by_technology, report_lines, technologies
    from .pipeline import Settings, decide_runs, read, read_scan

    runs, outcomes = [], []
    if reports:
        runs = read(files)
    else:
        chosen = plugins.scanner(scanner)
        scanned = {name: t for name, t in technologies().items() if name in chosen.technologies}
        for tech, mine in files_by_technology(files, scanned).items():
            job = ScanJob(Path("."), tech, files=mine, command=command, jobs=jobs, timeout=file_timeout)
            outcome = run_scanner(chosen, job, quiet=quiet, all_problems=True)
            runs += read_scan(chosen, outcome, tech)
            outcomes.append((chosen, outcome))
    settings = Settings(model_dir=model_dir, threshold=threshold, batch_size=batch_size, budget=budget)
    decisions = decide_runs(runs, settings, warn=_warn)
    lines = report_lines(decisions, severity)
    for line in lines:
        click.echo(line.text)
    failing = sum(line.fails for line in lines)
    if not quiet and decisions:
        click.echo(f"iacfilter: {len(decisions)} findings, {len(lines)} reported, {len(decisions) - len(lines)} "
                   f"filtered, {failing} at or above {severity}", err=True)
    for chosen, outcome in outcomes:
        unscanned_check("changed files", outcome, allow_unscanned, listed="listed above", program=chosen.program)
    if failing:
        click.get_current_context().exit(1)


@cli.command("rules", short_help="Scanner rules -> SARIF rule, smell, CWE, severity.")
@click.option("--json", "as_json_", is_flag=True, help="Print JSON instead of a table.")
def rules_cmd(as_json_):
    """Print the rules map: scanner rule -> SARIF rule id, canonical smell, CWE, security severity."""
    rules = load_rules_map().rules
    if as_json_:
        click.echo(json.dumps([{"tool": r.tool, "code": r.code, "aliases": list(r.aliases), "id": r.id,
                                "name": r.name, "smell": r.smell, "cwe": list(r.cwe),
                                "security_severity": r.security_severity, "help": r.help} for r in rules], indent=2))
        return
    rows = [("TOOL", "CODE", "RULE ID", "SMELL", "CWE", "SEVERITY")]
    rows += [(r.tool, r.code, r.id, r.smell, ",".join(r.cwe), f"{r.security_severity:.1f}") for r in rules]
    click.echo(columns(rows), nl=False)


@cli.command("plugins", short_help="The loaded plugins and what they register.")
@click.option("--json", "as_json_", is_flag=True, help="Print JSON instead of a table.")
def plugins_cmd(as_json_):
    """List the loaded plugins: what each registers (scanners, readers, technologies, scorers, rules maps,
    champions: name, kind) and from which module."""
    items = plugins.everything()
    covers = {i.name: _champion_coverage(i.item) for i in items if i.kind == "champion"}
    if as_json_:
        click.echo(json.dumps([{"plugin": i.plugin, "name": i.name, "kind": i.kind, "module": i.module,
                                **(covers.get(i.name, {}) if i.kind == "champion" else {})} for i in items], indent=2))
        return
    rows = [("PLUGIN", "NAME", "KIND", "MODULE", "JUDGES / PASSES THROUGH")]
    for i in items:
        c = covers.get(i.name) if i.kind == "champion" else None
        rows.append((i.plugin, i.name, i.kind, i.module, _coverage_text(c) if c else ""))
    click.echo(columns(rows), nl=False)


def _champion_coverage(champion) -> dict:
    """What a registered champion judges (smells, technologies) and what it passes through untouched."""
    import yaml

    try:
        manifest = yaml.safe_load((Path(champion.path) / "champion.yaml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return {"smells": [], "technologies": [], "passes_through": []}
    return {"smells": list(manifest.get("smells") or []), "technologies": list(manifest.get("technologies") or []),
            "passes_through": list(manifest.get("passes_through") or [])}


def _coverage_text(c: dict) -> str:
    text = f"{len(c['smells'])} smells on {', '.join(c['technologies']) or '-'}"
    return text + (f"; not judged: {', '.join(c['passes_through'])}" if c["passes_through"] else "")


def main():
    cli(prog_name="iacfilter")


def _add_commands() -> None:
    plugins.add_commands(cli)  # the training commands come from their plugin too


_add_commands()


# --- explain a decision, label findings, triage in the terminal ----------------------------------------------

def _split_location(location: str) -> tuple[str, int]:
    path, sep, line = location.rpartition(":")
    if not sep or not path or not line.isdigit() or int(line) < 1:
        raise IacfilterError(location, "expected PATH:LINE (LINE counts from 1)")
    return path, int(line)


def _load_examples(datasets) -> list:
    from .dataset import load_dataset

    return [e for d in datasets for e in load_dataset(d)]


@cli.command("explain")
@click.argument("output_file", metavar="OUT.sarif", type=click.Path(dir_okay=False))
@click.argument("selector", metavar="INDEX|PATH:LINE")
@click.option("--source-root", type=click.Path(file_okay=False), default=".", show_default=True,
              help="Root the flagged paths are relative to (as given to 'filter').")
@click.option("--model", "model_dir", default=None, metavar="NAME|DIR",
              help="Champion to explain with (default: the one named in the output).")
@click.option("--dataset", "datasets", multiple=True, type=click.Path(dir_okay=False), metavar="D.jsonl",
              help="Labelled dataset(s) to show the nearest examples from (repeatable).")
@click.option("-k", "--nearest", "k", type=click.IntRange(1, 50), default=3, show_default=True,
              help="How many nearest examples to show.")
@click.option("--tech", default=None, metavar="NAME", help="Technology, as given to 'filter --tech'.")
@click.option("--json", "as_json_", is_flag=True, help="Print JSON instead of text.")
def explain_cmd(output_file, selector, source_root, model_dir, datasets, k, tech, as_json_):
    """Why a finding of an iacfilter output was kept or filtered.

    INDEX counts the output's results from 1 in file order; PATH:LINE picks every result on that line. Shows
    the snippet the model saw, score and threshold, verdict and reason, the rule (CWE, severity), the features
    that moved the score (where the model can say), the nearest labelled examples (--dataset) and a dual-head
    model's rationale. Example:

        iacfilter explain out.sarif playbooks/site.yml:8 --source-root repo/ --dataset train.jsonl
    """
    from . import explain

    rules, techs = load_rules_map(), plugins.technologies()
    if tech is not None:
        technology(techs, tech)
    chosen = explain.select(explain.read_output(output_file), selector, output_file)
    sources = SourceRoot(source_root)
    examples = _load_examples(datasets)
    explain.classify_found(chosen, rules, techs, tech)
    items = [explain.explain_one(o, techs=techs, sources=sources, model_name=model_dir, examples=examples, k=k)
             for o in chosen]
    click.echo(explain.as_json(items) if as_json_ else "\n".join(explain.render(e) for e in items), nl=False)


@cli.command("label", short_help="Label a finding TP or FP in a dataset.")
@click.argument("location", metavar="PATH:LINE")
@click.argument("label", type=click.Choice(["tp", "fp"], case_sensitive=False))
@click.option("--dataset", required=True, type=click.Path(dir_okay=False), metavar="D.jsonl",
              help="Dataset to add the row to (created if missing; an earlier label of the same finding is replaced).")
@click.option("--source-root", type=click.Path(file_okay=False), default=".", show_default=True,
              help="Root PATH is relative to.")
@click.option("--tech", default=None, metavar="NAME", help="Technology (default: decided by file type).")
@click.option("--smell", default=None, metavar="NAME",
              help="Canonical smell (hard_coded_secret, suspicious_comment, ...); default: the smell of the result at "
                   "PATH:LINE in --sarif.")
@click.option("--sarif", "sarif_file", default=None, type=click.Path(dir_okay=False), metavar="OUT.sarif",
              help="An iacfilter output to take the finding's smell and technology from.")
def label_cmd(location, label, dataset, source_root, tech, smell, sarif_file):
    """Label the finding at PATH:LINE a true (tp) or false (fp) positive in a dataset.

    The row is built from the source file by the technology's own snippet code, exactly what the filter shows
    the model, so 'iacfilter train' learns from it. Example:

        iacfilter label playbooks/site.yml:8 fp --smell hard_coded_secret --dataset team.jsonl --source-root repo/
    """
    from . import explain, triage

    path, line = _split_location(location)
    rules, techs = load_rules_map(), plugins.technologies()
    if tech is not None:
        technology(techs, tech)
    known = {r.smell for r in rules.rules}
    if sarif_file:
        hits = explain.select(explain.read_output(sarif_file), location, sarif_file)
        explain.classify_found(hits, rules, techs, tech)
        smells = sorted({o.finding.smell for o in hits if o.finding.smell})
        if smell is None:
            if len(smells) != 1:
                raise IacfilterError(location, f"several smells here ({', '.join(smells) or 'none known'}): pick one with --smell")
            smell = smells[0]
        tech = tech or next((o.finding.tech for o in hits if o.finding.smell == smell), None)
    if smell is None:
        raise click.UsageError("give --smell NAME, or --sarif OUT.sarif to take it from an iacfilter output")
    if smell not in known:
        raise IacfilterError(f"--smell {smell}", f"unknown smell (known: {', '.join(sorted(known))})")
    finding = Finding(tool="iacfilter", rule=smell, path=path, line=line, smell=smell)
    finding.tech = tech or owner(techs, finding)
    try:
        snippet = triage.snippet_of(finding, techs, SourceRoot(source_root))
    except NoSnippet as exc:
        raise IacfilterError(location, str(exc)) from None
    row = triage.row_for(finding, snippet, triage.LABELS[label.lower()], techs[finding.tech], "iacfilter label")
    before = triage.upsert(dataset, row)
    was = "" if before is None else f" (was {before})"
    click.echo(f"labelled {location} {row['label']}{was}: {finding.smell} in {finding.tech} -> {dataset}", err=True)


@cli.command("triage", short_help="Label an output's findings one key at a time.")
@click.argument("output_file", metavar="OUT.sarif", type=click.Path(dir_okay=False))
@click.option("--dataset", required=True, type=click.Path(dir_okay=False), metavar="D.jsonl",
              help="Dataset the answers go to (created if missing). Findings it already holds are skipped.")
@click.option("--source-root", type=click.Path(file_okay=False), default=".", show_default=True,
              help="Root the flagged paths are relative to (as given to 'filter').")
@click.option("--tech", default=None, metavar="NAME", help="Technology, as given to 'filter --tech'.")
@click.option("--only", type=click.Choice(["all", "kept", "filtered"]), default="all", show_default=True,
              help="Which verdicts to walk.")
def triage_cmd(output_file, dataset, source_root, tech, only):
    """Walk the findings of an iacfilter output and label each in the terminal.

    Keys: t true positive, f false positive, s skip, q quit. Every answer is written at once; run it again
    to go on where you stopped. Retrain with the team's dataset next to the shipped one
    ('train: [train.jsonl, team.jsonl]' in a trial config) and check it with 'iacfilter eval team.jsonl'.
    """
    from . import explain, triage

    rules, techs = load_rules_map(), plugins.technologies()
    if tech is not None:
        technology(techs, tech)
    found = explain.read_output(output_file)
    explain.classify_found(found, rules, techs, tech)
    items = []
    for o in found:
        verdict = o.recorded.get("verdict")
        if only == "all" or (only == "filtered") == (verdict == "filtered"):
            items.append((o.finding, o.recorded))
    with _keys() as read_key:
        counts = triage.walk(items, dataset, techs, SourceRoot(source_root), getchar=read_key, echo=click.echo)
    parts = [f"{counts[k]} {k}" for k in ("TP", "FP", "skipped", "left", "already labelled", "no snippet") if counts[k]]
    click.echo(f"triage: {', '.join(parts) or 'nothing to label'} -> {dataset}", err=True)



@contextmanager
def _keys():
    """A function returning one key press. On a terminal, it stays in cbreak mode (no line buffering, no echo)
    for the whole session, so keys typed ahead are never lost or echoed; from a pipe, the next non-blank
    character. End of input (or Ctrl-D) reads as 'q'."""
    if not sys.stdin.isatty():
        def piped() -> str:
            while True:
                ch = sys.stdin.read(1)
                if not ch:
                    return "q"
                if not ch.isspace():
                    return ch

        yield piped
        return
    import termios
    import tty

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    tty.setcbreak(fd)

    def pressed() -> str:
        ch = os.read(fd, 1).decode("utf-8", errors="replace")
        return "q" if ch in ("", "\x04") else ch

    try:
        yield pressed
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
