"""``iacfilter sweep``: expand a grid into trials and run them locally, or write a SLURM job array.

A sweep config has a ``base`` trial config, optional ``candidates`` (each merged over the base, each with an
optional ``grid`` of its own) and a ``grid`` of dotted keys -> values (``params.C``, ``params.learning_rate``,
``params.batch_size``, ``seed`` ...). Every combination is one trial, named by its content, so a trial that
already finished (its ``metrics.json`` exists) is never rerun.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from statistics import mean, pstdev
from typing import Any, Callable

import yaml

from iacfilter.errors import IacfilterError

from .trial import check_trial_config


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else copy.deepcopy(value)
    return out


def _set(config: dict, dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for part in parents:
        config = config.setdefault(part, {})
    config[last] = value


def config_key(config: dict) -> str:
    """Identity of a configuration, seeds aside."""
    return json.dumps({k: v for k, v in config.items() if k != "seed"}, sort_keys=True, default=str)


def trial_id(config: dict) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", str(config.get("name", config["backend"])).lower()).strip("-")
    digest = hashlib.sha256(config_key(config).encode()).hexdigest()[:8]
    return f"{slug}-{digest}-s{config.get('seed', 0)}"


def expand(sweep: dict, where: str) -> list[tuple[str, dict]]:
    base = sweep.get("base") or {}
    trials: dict[str, dict] = {}
    for candidate in sweep.get("candidates") or [{}]:
        candidate = dict(candidate)
        grid = {**(sweep.get("grid") or {}), **(candidate.pop("grid", None) or {})}
        merged = _merge(base, candidate)
        for key, values in grid.items():
            if not isinstance(values, list) or not values:
                raise IacfilterError(where, f"grid value for {key!r} must be a non-empty list")
        for combo in itertools.product(*grid.values()) if grid else [()]:
            config = copy.deepcopy(merged)
            for key, value in zip(grid, combo):
                _set(config, key, value)
            check_trial_config(config, where)
            trials.setdefault(trial_id(config), config)
    return sorted(trials.items())


def prepare(sweep: dict, run_dir: Path, where: str, only: set[str] | None = None) -> list[Path]:
    """Write the run directory: the sweep config and one folder per trial with its config."""
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "sweep.yaml").write_text(yaml.safe_dump(sweep, sort_keys=False), encoding="utf-8")
    trials = [(tid, c) for tid, c in expand(sweep, where) if only is None or c.get("name") in only]
    if not trials:
        raise IacfilterError(where, f"no candidate named {', '.join(sorted(only or ()))}")
    dirs = []
    for tid, config in trials:
        tdir = run_dir / "trials" / tid
        tdir.mkdir(parents=True, exist_ok=True)
        (tdir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        dirs.append(tdir)
    return dirs


def train_command(trial_dir: Path) -> list[str]:
    return [sys.executable, "-m", "iacfilter", "train", "--config", str(trial_dir / "config.yaml"), "--out", str(trial_dir)]


def finished(trial_dir: Path) -> bool:
    return (trial_dir / "metrics.json").is_file()


def run_local(trial_dirs: list[Path], jobs: int, progress: Callable[[int], None] = lambda n: None) -> list[tuple[Path, str]]:
    """Run every unfinished trial as its own ``iacfilter train`` process; return the failures."""

    def one(tdir: Path):
        with open(tdir / "train.log", "w", encoding="utf-8") as log:
            proc = subprocess.run(train_command(tdir), stdout=log, stderr=subprocess.STDOUT)
        progress(1)
        if proc.returncode != 0 or not finished(tdir):
            lines = (tdir / "train.log").read_text(errors="replace").strip().splitlines() or [""]
            return tdir, f"exit code {proc.returncode}: {lines[-1][:200]}"
        return tdir, ""

    pending = [t for t in trial_dirs if not finished(t)]
    progress(len(trial_dirs) - len(pending))
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return [(t, why) for t, why in pool.map(one, pending) if why]


def collect(run_dir: Path) -> list[dict]:
    results = []
    for path in sorted((run_dir / "trials").glob("*/metrics.json")):
        results.append(json.loads(path.read_text(encoding="utf-8")))
    return results


def summarise(results: list[dict]) -> list[dict]:
    """One row per configuration (seeds pooled): mean and sd of validation F1 and recall."""
    groups: dict[str, list[dict]] = {}
    for r in results:
        groups.setdefault(json.dumps({"name": r["name"], "backend": r["backend"], "params": r["params"]},
                                     sort_keys=True, default=str), []).append(r)
    rows = []
    for key, members in groups.items():
        f1s = [r["val"]["f1"] for r in members]
        rows.append({
            "config": json.loads(key), "trials": sorted(r["trial"] for r in members), "seeds": len(members),
            "f1_mean": mean(f1s), "f1_sd": pstdev(f1s), "recall_mean": mean(r["val"]["recall"] for r in members),
            "precision_mean": mean(r["val"]["precision"] for r in members),
            "threshold_mean": mean(r["best_threshold"] for r in members),
        })
    return sorted(rows, key=lambda row: (-round(row["f1_mean"], 12), -row["recall_mean"], json.dumps(row["config"], sort_keys=True)))
