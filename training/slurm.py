"""The SLURM executor: one job array per submission, one ``iacfilter train`` trial per task.

A run directory keeps what it needs to be checked and resumed later: ``run.json`` (executor and SLURM
options) and ``slurm/submissions.json`` (each array's job id and its trials, task i = trials[i]). A trial is
finished when its ``metrics.json`` exists (written atomically, last); a submitted trial that is neither
finished nor in the queue has failed, and its task log says why. Finished trials are never resubmitted.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from iacfilter.errors import IacfilterError

from .sweep import finished
from .trial import write_json_atomically

OPTION_KEYS = ("partition", "time", "mem", "cpus_per_task", "gpus", "job_name")
ACTIVE = {"PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED", "REQUEUED", "RESIZING", "STAGE_OUT",
          "SIGNALING", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD"}


def _command(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise IacfilterError(name, "SLURM's command is not on PATH: run this on a SLURM login node (or install slurm-client)")
    return path


def _run(args: list[str]) -> str:
    proc = subprocess.run(args, capture_output=True, text=True)
    if proc.returncode != 0:
        raise IacfilterError(Path(args[0]).name, f"failed (exit {proc.returncode}): {proc.stderr.strip()[:300]}")
    return proc.stdout


def write_script(run_dir: Path, trials: list[Path], options: dict, index: int) -> Path:
    """The sbatch script of submission ``index``: an array over ``trials``."""
    out = run_dir / "slurm" / f"submit-{index}"
    (out / "logs").mkdir(parents=True, exist_ok=True)
    (out / "trials.txt").write_text("".join(f"{t.resolve()}\n" for t in trials), encoding="utf-8")
    lines = ["#!/bin/bash", f"#SBATCH --job-name={options.get('job_name') or 'iacfilter-sweep'}",
             f"#SBATCH --array=0-{len(trials) - 1}", f"#SBATCH --output={(out / 'logs').resolve()}/%a.log"]
    for key in ("partition", "time", "mem", "cpus_per_task"):
        if options.get(key) is not None:
            lines.append(f"#SBATCH --{key.replace('_', '-')}={options[key]}")
    gpus = int(options.get("gpus") or 0)
    if gpus:
        lines.append(f"#SBATCH --gpus-per-task={gpus}")
    lines += [f"#SBATCH {extra}" for extra in options.get("extra") or []]
    python = shlex.quote(sys.executable)
    # More than one GPU: one process per GPU through torchrun (the encoder trainer runs data-parallel).
    launcher = f"{python} -m torch.distributed.run --standalone --nproc_per_node={gpus} -m" if gpus > 1 else f"{python} -m"
    lines += ["set -euo pipefail",
              f'TRIAL=$(sed -n "$((SLURM_ARRAY_TASK_ID + 1))p" {shlex.quote(str((out / "trials.txt").resolve()))})',
              f'exec {launcher} iacfilter train --config "$TRIAL/config.yaml" --out "$TRIAL"', ""]
    script = out / "array.sbatch"
    script.write_text("\n".join(lines), encoding="utf-8")
    return script


def submissions(run_dir: Path) -> list[dict]:
    path = run_dir / "slurm" / "submissions.json"
    return json.loads(path.read_text()) if path.is_file() else []


def submit(run_dir: Path, trials: list[Path], options: dict) -> dict:
    """Submit the unfinished ``trials`` as one job array; record it; return the submission."""
    pending = [t for t in trials if not finished(t)]
    if not pending:
        return {}
    done = submissions(run_dir)
    script = write_script(run_dir, pending, options, len(done))
    job_id = _run([_command("sbatch"), "--parsable", str(script)]).strip().split(";")[0]
    if not re.fullmatch(r"\d+", job_id):
        raise IacfilterError("sbatch", f"unexpected answer {job_id!r}")
    record = {"job_id": job_id, "script": str(script), "trials": [t.name for t in pending]}
    write_json_atomically(run_dir / "slurm" / "submissions.json", done + [record])
    return record


def queued(job_ids: list[str]) -> dict[tuple[str, int], str]:
    """(job id, array task id) -> state, for tasks still in the queue."""
    if not job_ids:
        return {}
    out = _run([_command("squeue"), "-h", "-r", "-j", ",".join(job_ids), "-o", "%F %K %T"])
    states = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1].isdigit():
            states[(parts[0], int(parts[1]))] = parts[2]
    return states


@dataclass
class TrialState:
    trial: str
    state: str  # finished | queued | failed | not-submitted
    detail: str = ""


def _failure_reason(log: Path) -> str:
    if not log.is_file():
        return "the task left no log (it never started, or was cancelled while pending)"
    text = log.read_text(errors="replace")
    if "DUE TO TIME LIMIT" in text:
        return "timed out (SLURM time limit)"
    if re.search(r"CANCELLED|DUE TO PREEMPTION", text):
        return "cancelled"
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return f"ended without metrics: {lines[-1][:200]}" if lines else "ended without metrics and an empty log"


def states(run_dir: Path) -> list[TrialState]:
    subs = submissions(run_dir)
    in_queue = queued([s["job_id"] for s in subs])
    last: dict[str, tuple[dict, int]] = {}
    for sub in subs:
        for i, name in enumerate(sub["trials"]):
            last[name] = (sub, i)
    result = []
    for tdir in sorted(p.parent for p in (run_dir / "trials").glob("*/config.yaml")):
        if finished(tdir):
            result.append(TrialState(tdir.name, "finished"))
        elif tdir.name not in last:
            result.append(TrialState(tdir.name, "not-submitted"))
        else:
            sub, task = last[tdir.name]
            state = in_queue.get((sub["job_id"], task))
            if state in ACTIVE:
                result.append(TrialState(tdir.name, "queued", f"job {sub['job_id']}_{task} {state.lower()}"))
            else:
                log = Path(sub["script"]).parent / "logs" / f"{task}.log"
                result.append(TrialState(tdir.name, "failed", f"job {sub['job_id']}_{task}: {_failure_reason(log)}"))
    return result


def wait(run_dir: Path, poll: float, timeout: float | None = None, progress: Callable[[int], None] = lambda n: None) -> None:
    """Until no task of this run is in the queue (or ``timeout`` seconds pass)."""
    started, reported = time.monotonic(), 0
    while True:
        current = states(run_dir)
        done = sum(1 for s in current if s.state == "finished")
        progress(done - reported)
        reported = done
        if not any(s.state == "queued" for s in current):
            return
        if timeout is not None and time.monotonic() - started > timeout:
            raise IacfilterError(str(run_dir), f"tasks still queued after {timeout:g} s; check with 'iacfilter sweep status {run_dir}'")
        time.sleep(poll)
