"""``iacfilter train --config C.yaml``: train one trial, write its model directory and metrics JSON.

A trial directory holds ``config.yaml``, ``model/`` (what the backend's ``load`` reads), ``val_scores.json``
and, written last and atomically, ``metrics.json``: a trial without it did not finish.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import time
from pathlib import Path
from typing import Any, Callable

import yaml

from iacfilter import plugins
from iacfilter.dataset import describe_problems, fingerprint, load_dataset, problem_counts
from iacfilter.errors import IacfilterError, needs_extra
from iacfilter.output import write_atomically

from . import metrics as m

DEFAULT_THRESHOLDS = {"start": 0.30, "stop": 0.70, "step": 0.01}



def floor_subsets(train_files) -> list[str]:
    """Where a recall floor must hold: the first train file with val, and each further train file."""
    stems = [Path(str(f)).stem for f in train_files]
    return [f"{stems[0]}+val", *stems[1:]] if len(stems) > 1 else []


def dataset_subsets(train_files, sizes: list[int], n_val: int) -> dict[str, list[int]]:
    """Row indices of train + val (rows in that order) per dataset file, and of the first train file with val
    (the shipped split the headline figures are quoted on)."""
    out, start = {}, 0
    for f, n in zip(train_files, sizes):
        out[Path(str(f)).stem] = list(range(start, start + n))
        start += n
    out["val"] = list(range(start, start + n_val))
    if len(train_files) > 1:
        out[f"{Path(str(train_files[0])).stem}+val"] = out[Path(str(train_files[0])).stem] + out["val"]
    return out


def load_config(path: str | Path) -> dict[str, Any]:
    try:
        config = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise IacfilterError(str(path), f"cannot read config: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise IacfilterError(str(path), f"not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(config, dict):
        raise IacfilterError(str(path), "config must be a mapping")
    return config


def check_trial_config(config: dict[str, Any], where: str) -> None:
    if "backend" not in config and ("grid" in config or "base" in config or "candidates" in config):
        raise IacfilterError(where, "this is a sweep config (base/grid/candidates): run it with 'iacfilter sweep "
                                    "--config' (or 'iacfilter champion build --config')")
    for key in ("backend", "train", "val"):
        if key not in config:
            raise IacfilterError(where, f"trial config needs {key!r}")
    backends = plugins.scorers()
    backend = backends.get(config["backend"])
    if backend is None:
        raise IacfilterError(where, f"unknown backend {config['backend']!r} (loaded: {', '.join(sorted(backends))})")
    if backend.train is None:
        raise IacfilterError(where, f"backend {config['backend']!r} cannot be trained")


def seed_everything(seed: int) -> None:
    random.seed(seed)
    try:
        import numpy as np

        np.random.seed(seed)
    except ImportError:  # pragma: no cover
        pass


def write_json_atomically(path: Path, data: Any) -> None:
    write_atomically(str(path), json.dumps(data, indent=2) + "\n")


def run_trial(config: dict[str, Any], out_dir: str | Path, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Train one trial into ``out_dir``; return (and write) its metrics."""
    out = Path(out_dir)
    check_trial_config(config, str(out))
    seed = int(config.get("seed", 0))
    seed_everything(seed)
    main_process = int(os.environ.get("RANK", "0")) == 0  # under torchrun only rank 0 touches the trial directory
    model_dir = out / "model"
    if main_process:
        out.mkdir(parents=True, exist_ok=True)
        (out / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        if model_dir.exists():
            shutil.rmtree(model_dir)
        model_dir.mkdir()
    train_files = config["train"] if isinstance(config["train"], (list, tuple)) else [config["train"]]
    parts = [load_dataset(f) for f in train_files]
    train_set, val_set = [e for p in parts for e in p], load_dataset(config["val"])
    log(describe_problems(train_set, "train"))
    log(describe_problems(val_set, "val"))
    backend = plugins.scorers()[config["backend"]]
    started = time.perf_counter()
    with needs_extra(backend.extra):
        scores = [float(p) for p in backend.train(dict(config.get("params") or {}), train_set, val_set, model_dir,
                                                  seed, log)]
    seconds = time.perf_counter() - started
    if not main_process:
        return {}
    labels = [e.label for e in val_set]
    choice = {**DEFAULT_THRESHOLDS, **(config.get("thresholds") or {})}
    objective, min_recall = choice.pop("objective", "f1"), float(choice.pop("min_recall", 0.95))
    folds = int(choice.pop("cv", 0) or 0)
    grid = m.thresholds(**choice)
    sweep = m.threshold_sweep(labels, scores, grid)
    best = m.best_threshold(sweep, objective, min_recall)
    cv = None
    if folds > 1:  # the threshold is chosen on out-of-fold scores of train + val, not on one split's luck
        from .crossval import cross_validate

        cv = cross_validate(backend, dict(config.get("params") or {}), train_set + val_set, folds=folds, seed=seed,
                            grid=grid, objective=objective, min_recall=min_recall, log=log,
                            subsets=dataset_subsets(train_files, [len(p) for p in parts], len(val_set)),
                            floor_on=floor_subsets(train_files))
        best = {"threshold": cv["threshold"]}
        log(f"cross-validation ({folds} folds on train + val): threshold {cv['threshold']:.2f}, F1 "
            f"{cv['f1']['mean']:.3f} ± {cv['f1']['sd']:.3f}, recall {cv['recall']['mean']:.3f} ± {cv['recall']['sd']:.3f}")
    result = {
        "trial": out.name,
        "name": config.get("name", out.name),
        "backend": config["backend"],
        "params": config.get("params") or {},
        "seed": seed,
        "train_seconds": round(seconds, 2),
        "n_train": len(train_set),
        "n_val": len(val_set),
        "smells": sorted({e.snippet.smell for e in train_set}),
        "technologies": sorted({e.snippet.tech for e in train_set}),
        "data": {"train": fingerprint(config["train"]), "val": fingerprint(config["val"])},
        "alignment": {"train": problem_counts(train_set), "val": problem_counts(val_set)},
        "val_at_0.5": m.metrics(labels, scores, 0.5),
        "best_threshold": best["threshold"],
        "threshold_objective": {"objective": objective, **({"min_recall": min_recall} if objective == "recall" else {}),
                                **({"cross_validated": {"folds": folds, "grouped_by": "script", "on": " + ".join(
                                    [*(Path(str(f)).stem for f in train_files), "val"])}} if cv else {})},
        **({"cv": {k: v for k, v in cv.items() if k not in ("scores", "labels")}} if cv else {}),
        "val": m.metrics(labels, scores, best["threshold"]),
        "threshold_sweep": sweep,
    }
    write_json_atomically(out / "val_scores.json", {"labels": labels, "scores": scores,
                                                    "tech": [e.snippet.tech for e in val_set],
                                                    "smell": [e.snippet.smell for e in val_set]})
    write_json_atomically(out / "metrics.json", result)
    log(f"trial {out.name}: val F1 {result['val']['f1']:.3f} (P {result['val']['precision']:.3f}, "
        f"R {result['val']['recall']:.3f}) at threshold {best['threshold']:.2f}; {seconds:.1f} s")
    return result
