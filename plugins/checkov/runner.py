"""Run checkov on a path, bounded in time, and know what it could not scan.

checkov runs once over the root (``-d .``), or over the files given (``-f``), with the frameworks of the
technologies asked for and ``secrets``, offline (``--skip-download``), writing SARIF and JSON. It reports no
progress, so the whole run is bounded by the job's timeout; a run that times out, exits with an error
(``--soft-fail``: findings are not one) or writes no SARIF leaves every file *not scanned*. Files checkov names as
parsing errors (its JSON report) are not scanned; the others were analysed.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from iacfilter import programs
from iacfilter.errors import IacfilterError
from iacfilter.records import normalise_path
from iacfilter.registry import NOT_SCANNED, FileProblem, ScanJob, ScanOutcome
from iacfilter.validate import load_json

INSTALL_HINT = (
    "checkov is not installed (not on PATH, or not where --command or IACFILTER_CHECKOV says). Install it in a "
    "virtual environment of its own, since it pins exact versions of its dependencies: 'python3 -m venv "
    "~/.venvs/checkov && ~/.venvs/checkov/bin/pip install checkov', then put that bin folder on PATH or set "
    "IACFILTER_CHECKOV=~/.venvs/checkov/bin/checkov; or run checkov yourself (-o sarif) and give its SARIF to "
    "'iacfilter filter'"
)
# iacfilter's technologies -> checkov's frameworks
FRAMEWORKS = {"ansible": "ansible", "terraform": "terraform", "github-actions": "github_actions"}
OUTPUT = "results_sarif.sarif"
REPORT = "results_json.json"
EMPTY = '{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "Checkov"}}, "results": []}]}'  # nothing scanned




def files_to_scan(root: Path, suffixes: tuple[str, ...]) -> list[str]:
    """The files of the technologies asked for under ``root`` (hidden folders left out, but for ``.github``,
    where workflows live), relative to it: what checkov is expected to analyse."""
    if root.is_file():
        return [root.name]
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") or d == ".github")
        for name in sorted(filenames):
            path = Path(dirpath, name)
            if name.lower().endswith(suffixes) and path.is_file() and not path.is_symlink():
                found.append(path.relative_to(root).as_posix())
    return found


def _last_words(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1][:200] if lines else "no message"


def parsing_errors(report: str, base: Path) -> list[str]:
    """The files checkov could not parse, relative to ``base``, from its JSON report (one object per framework,
    or a list of them). checkov names them by absolute path, or from the root as ``/path``."""
    doc = load_json(report)
    found = []
    for part in doc if isinstance(doc, list) else [doc]:
        results = part.get("results") if isinstance(part, dict) else None
        for path in (results or {}).get("parsing_errors") or []:
            p = Path(str(path))
            rel = p.relative_to(base).as_posix() if p.is_relative_to(base) else normalise_path(str(path)).lstrip("/")
            found.append(rel)
    return sorted(set(found))


def scan(job: ScanJob) -> ScanOutcome:
    """The scanner hook's ``run``: checkov over the job's root (or its files)."""
    command = programs.command(job.command, "IACFILTER_CHECKOV", "checkov", INSTALL_HINT)
    technologies = [job.technology] if job.technology else list(FRAMEWORKS)
    base = (job.root if job.root.is_dir() else job.root.parent).resolve()
    files = list(job.files) if job.files is not None else files_to_scan(job.root, job.suffixes)
    if not files:
        raise IacfilterError(str(job.root), f"no {' or '.join(technologies)} files ({', '.join(job.suffixes)}) to scan")
    target = ["-d", "."] if job.root.is_dir() and job.files is None else [a for f in files for a in ("-f", f)]
    frameworks = [FRAMEWORKS[t] for t in technologies] + ["secrets"]
    job.progress(0, len(files))
    with tempfile.TemporaryDirectory(prefix="iacfilter-checkov-") as tmp:
        cmd = [*command, *target, "--framework", *frameworks, "--skip-download", "--soft-fail",
               "-o", "sarif", "-o", "json", "--output-file-path", tmp]
        outcome = ScanOutcome(files=files, origin="checkov.sarif")
        why = _run(cmd, base, Path(tmp), job.timeout)
        sarif, report = Path(tmp, OUTPUT), Path(tmp, REPORT)
        if not why and not sarif.is_file():
            why = "checkov wrote no SARIF"
        if why:
            outcome.problems = [FileProblem(f, NOT_SCANNED, why) for f in files]
            outcome.output = EMPTY
            return outcome
        outcome.output = sarif.read_text(encoding="utf-8")
        broken = parsing_errors(report.read_text(encoding="utf-8"), base) if report.is_file() else []
    given = set(files)
    outcome.files += [p for p in broken if p not in given]
    outcome.problems = [FileProblem(p, NOT_SCANNED, "checkov could not parse it") for p in broken]
    job.progress(len(outcome.files), len(outcome.files))
    return outcome


def _run(cmd: list[str], cwd: Path, tmp: Path, timeout: float) -> str:
    """Run checkov in a session of its own; "" when it finished, else why it did not. It is killed, with
    whatever it started, when it runs past ``timeout`` or the caller is interrupted."""
    with open(tmp / "stdout.txt", "wb") as stdout, open(tmp / "stderr.txt", "wb") as stderr:
        try:
            proc = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                                    start_new_session=True)
        except OSError as exc:
            return f"checkov could not start: {exc}"
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            programs.kill(proc)
            proc.wait()
            return f"checkov gave no answer within {timeout:g} s"
        except BaseException:
            programs.kill(proc)
            proc.wait()
            raise
    if proc.returncode != 0:
        how = (f"checkov was killed by signal {-proc.returncode}" if proc.returncode < 0
               else f"checkov exited with code {proc.returncode}")
        return f"{how}: {_last_words((tmp / 'stderr.txt').read_text(encoding='utf-8', errors='replace'))}"
    return ""
