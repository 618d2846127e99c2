"""``iacfilter champion select|freeze``: pick the best configuration, its median-F1 seed, and freeze it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from iacfilter.champion import write_manifest
from iacfilter.errors import IacfilterError

from .sweep import collect, summarise
from .trial import write_json_atomically


def _selection_f1(result: dict) -> float:
    """What the seed is chosen by: the cross-validated F1 where the trial has one, else its validation F1."""
    return result["cv"]["f1"]["mean"] if result.get("cv") else result["val"]["f1"]


def _rounded(value):
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def select(run_dir: Path) -> dict:
    results = collect(run_dir)
    if not results:
        raise IacfilterError(str(run_dir), "no finished trials (no trials/*/metrics.json)")
    best = summarise(results)[0]
    members = sorted((r for r in results if r["trial"] in best["trials"]), key=lambda r: (_selection_f1(r), r["seed"]))
    median = members[(len(members) - 1) // 2]
    selection = {
        "trial": median["trial"], "seed": median["seed"], "threshold": median["best_threshold"],
        "val": median["val"], "config": best["config"], "seeds": [r["seed"] for r in members],
        "f1_mean": best["f1_mean"], "f1_sd": best["f1_sd"], "recall_mean": best["recall_mean"],
    }
    write_json_atomically(run_dir / "selection.json", selection)
    return selection


def _base_provenance(model) -> dict:
    """base_model, base_parameters, base_sha256 (and licence, extra) of a base built from chunk packages."""
    if not model:
        return {}
    try:
        from iacfilter_plugins.bases import provenance
    except ImportError:
        return {}
    return provenance(str(model))


def freeze(run_dir: Path, out_dir: Path, name: str | None = None) -> Path:
    selection_path = run_dir / "selection.json"
    selection = json.loads(selection_path.read_text()) if selection_path.is_file() else select(run_dir)
    trial = run_dir / "trials" / selection["trial"]
    metrics = json.loads((trial / "metrics.json").read_text())
    config = (trial / "config.yaml").read_text(encoding="utf-8")
    config_dict = yaml.safe_load(config) or {}
    if out_dir.exists():
        shutil.rmtree(out_dir)
    shutil.copytree(trial / "model", out_dir)
    manifest = {
        "name": name or f"{metrics['name']}-s{metrics['seed']}",
        "backend": metrics["backend"],
        "base_model": (metrics["params"] or {}).get("model", "none (trained from scratch)"),
        **_base_provenance((metrics["params"] or {}).get("model")),
        "threshold": selection["threshold"],
        "threshold_objective": metrics.get("threshold_objective", {"objective": "f1"}),
        "smells": metrics["smells"],
        "technologies": metrics["technologies"],
        # smells the scanner raises for these technologies that no labelled row taught the model: passed
        # through untouched (listed by `iacfilter plugins`)
        **({"passes_through": sorted(set(config_dict["scanner_smells"]) - set(metrics["smells"]))}
           if config_dict.get("scanner_smells") else {}),
        "metrics": {
            "split": "val",
            "val_is": "in the cross-validation pool that chose the seed and the threshold: not unseen data",
            "at_threshold": {k: round(v, 4) if isinstance(v, float) else v for k, v in metrics["val"].items()},
            "f1_mean_over_seeds": round(selection["f1_mean"], 4),
            "f1_sd_over_seeds": round(selection["f1_sd"], 4),
            "seeds": selection["seeds"],
            **({"cross_validation": {
                k: _rounded(v) for k, v in metrics["cv"].items()
                if k in ("folds", "n", "objective", "min_recall", "threshold", "f1", "recall", "precision",
                         "out_of_fold", "subsets")}} if metrics.get("cv") else {}),
        },
        "seed": metrics["seed"],
        "training": config_dict,
        "data_fingerprint": metrics["data"],
    }
    write_manifest(out_dir, manifest)
    return out_dir
