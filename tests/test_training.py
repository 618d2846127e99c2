import json
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import EXAMPLES, REPO, data_subset, filter_scores, run_subprocess, run_trial_under_torchrun, shared

from iacfilter.decide import champion_path
from iacfilter.dataset import load_dataset
from iacfilter_plugins.iac.technology import split_context



def test_context_field_becomes_the_filters_window():
    context = "# Puppet file: x.pp\n\nclass a (\n6:   $auth_username = undef,\n$auth_password = undef,\n) {\n"
    assert split_context("$auth_username = undef,", context, 6, 3) == (["class a ("], ["$auth_password = undef,", ") {"])
    assert split_context("nothing", context, 9, 3) == ([], [])


def test_the_labelled_validation_split_loads_whole():
    examples = load_dataset(shared("data", "glitch-findings", "val.jsonl"))
    assert len(examples) == 172 and sum(e.label for e in examples) == 56


HEADER_CONTEXT = ("# Puppet file: x.pp\n# Target line: 6\n\n      4: \n      5: class a (\n>>>   6:   $auth_username = undef,\n"
                  "      7:   $auth_password = undef,\n      8: ) {")


def test_every_context_layout_gives_the_same_window():
    plain = "# Puppet file: x.pp\n\nclass a (\n6:   $auth_username = undef,\n$auth_password = undef,\n) {\n"
    want = (["", "class a ("], ["  $auth_password = undef,", ") {"])
    assert split_context("$auth_username = undef,", HEADER_CONTEXT, 6, 3) == want
    assert split_context("$auth_username = undef,", HEADER_CONTEXT, None, 3) == want  # the marker alone places it
    from iacfilter_plugins.iac.technology import render
    assert render("puppet", "s", "x", *split_context("$auth_username = undef,", plain, 6, 3)) == \
        render("puppet", "s", "x", *want)


def test_unaligned_rows_are_counted_and_reported_by_eval(tmp_path, run_cli):
    rows = [{"tech": "puppet", "smell": "hard_coded_secret", "line": 6, "content": "$auth_username = undef,",
             "context": HEADER_CONTEXT, "label": "FP"},
            {"tech": "puppet", "smell": "hard_coded_secret", "line": 9, "content": "$x = 'y'",
             "context": "a\nb\n", "label": "TP"},
            {"tech": "chef", "smell": "suspicious_comment", "content": "# TODO", "context": "", "label": "TP"}]
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    examples = load_dataset(data)
    assert [e.problems for e in examples] == [(), ("flagged line not found in the context",), ("no context lines",)]
    assert examples[1].snippet.line == "$x = 'y'"  # the row is kept, with the flagged line alone
    res = run_cli("eval", data, "--model", "features-default")
    assert res.exit_code == 0
    assert "2 of 3 rows could not be aligned with their context (1: flagged line not found in the context; " \
           "1: no context lines)" in res.output
    config = tmp_path / "t.yaml"
    config.write_text(yaml.safe_dump({"backend": "features", "train": str(data), "val": str(data),
                                      "params": {"bits": 10}}))
    res = run_subprocess("train", "--config", config, "--out", tmp_path / "trial")
    assert res.returncode == 0, res.stderr
    assert "train: 2 of 3 rows could not be aligned with their context" in res.stderr
    metrics = json.loads((tmp_path / "trial" / "metrics.json").read_text())
    assert metrics["alignment"]["val"]["unaligned"] == 2


def test_recall_first_threshold_is_cross_validated_on_train_and_val(tmp_path):
    train, val = data_subset(tmp_path, 200, 80)
    config = {"backend": "features", "train": str(train), "val": str(val), "seed": 2,
              "params": {"bits": 12, "context_weight": 0.5, "prior_weight": 4.0, "class_weight": "balanced"},
              "thresholds": {"start": 0.05, "stop": 0.95, "step": 0.01, "objective": "recall", "min_recall": 0.95,
                             "cv": 3}}
    (tmp_path / "t.yaml").write_text(yaml.safe_dump(config))
    res = run_subprocess("train", "--config", tmp_path / "t.yaml", "--out", tmp_path / "trial")
    assert res.returncode == 0, res.stderr
    m = json.loads((tmp_path / "trial" / "metrics.json").read_text())
    assert m["threshold_objective"] == {"objective": "recall", "min_recall": 0.95,
                                        "cross_validated": {"folds": 3, "grouped_by": "script", "on": "train + val"}}
    cv = m["cv"]
    assert cv["n"] == 280 and len(cv["per_fold"]) == 3 and m["best_threshold"] == cv["threshold"]
    assert cv["at_threshold"]["recall"] >= 0.95  # the pooled out-of-fold scores meet the recall floor
    assert 0 < cv["f1"]["mean"] <= 1 and cv["f1"]["sd"] >= 0


def test_cross_validation_never_splits_a_script_over_two_folds():
    from iacfilter_training.crossval import group_of, grouped_folds

    examples = load_dataset(shared("data", "glitch-findings", "train.jsonl"))[:400] + load_dataset(shared("data", "glitch-findings", "val.jsonl"))
    folds = grouped_folds(examples, 5, seed=3)
    assert sorted(i for f in folds for i in f) == list(range(len(examples)))
    fold_of_group: dict[str, set[int]] = {}
    for k, fold in enumerate(folds):
        for i in fold:
            fold_of_group.setdefault(group_of(examples[i], i), set()).add(k)
    assert all(len(ks) == 1 for ks in fold_of_group.values())
    shared_scripts = {e.row["file"] for e in load_dataset(shared("data", "glitch-findings", "val.jsonl"))} & {e.row["file"] for e in examples[:400]}
    assert shared_scripts  # train and val share scripts: stratifying by row alone would leak them across folds


def test_a_recall_floor_holds_on_each_named_subset_not_only_on_the_pool():
    from iacfilter import plugins
    from iacfilter_training import metrics as m
    from iacfilter_training.crossval import cross_validate

    train = load_dataset(shared("data", "glitch-findings", "train.jsonl"))
    hard = [e for e in train if e.snippet.smell == "hard_coded_secret"][:240]
    easy = [e for e in train if e.snippet.smell == "use_of_http"][:120]  # nearly all TP: easy recall
    subsets = {"hard": list(range(len(hard))), "easy": list(range(len(hard), len(hard) + len(easy)))}
    kwargs = dict(folds=3, seed=1, grid=m.thresholds(0.05, 0.95, 0.01), objective="recall", min_recall=0.95,
                  log=lambda msg: None, subsets=subsets)
    backend = plugins.scorers()["features"]
    params = {"bits": 12, "context_weight": 0.5, "prior_weight": 4.0, "class_weight": "balanced"}
    floored = cross_validate(backend, params, hard + easy, floor_on=["hard", "easy"], **kwargs)
    labels, scores = floored["labels"], floored["scores"]
    for idx in subsets.values():
        assert m.metrics([labels[i] for i in idx], [scores[i] for i in idx], floored["threshold"])["recall"] >= 0.95
    pooled = cross_validate(backend, params, hard + easy, **kwargs)
    assert pooled["threshold"] >= floored["threshold"]
    assert set(floored["subsets"]) == {"hard", "easy"} and floored["subsets"]["hard"]["n"] == len(hard)


def test_features_pipeline_round_trip(tmp_path):
    train, val = data_subset(tmp_path, 200, 80)
    sweep = {"name": "t", "base": {"name": "feat", "backend": "features", "train": str(train), "val": str(val),
                                   "params": {"bits": 12}},
             "grid": {"params.C": [0.3, 1.0], "seed": [1, 2, 3]}}
    (tmp_path / "sweep.yaml").write_text(yaml.safe_dump(sweep))
    run = tmp_path / "run"
    res = run_subprocess("sweep", "--config", tmp_path / "sweep.yaml", "--run-dir", run, "--jobs", "2")
    assert res.returncode == 0, res.stderr
    assert len(list(run.glob("trials/*/metrics.json"))) == 6
    metrics = json.loads(next(run.glob("trials/*/metrics.json")).read_text())
    assert [row["threshold"] for row in metrics["threshold_sweep"]][:2] == [0.3, 0.31]
    assert metrics["threshold_sweep"][-1]["threshold"] == 0.7
    res = run_subprocess("champion", "select", run)
    selection = json.loads((run / "selection.json").read_text())
    assert res.returncode == 0 and selection["seeds"] == [1, 2, 3]
    champ = tmp_path / "champ"
    assert run_subprocess("champion", "freeze", run, "-o", champ).returncode == 0
    manifest = yaml.safe_load((champ / "champion.yaml").read_text())
    assert manifest["threshold"] == selection["threshold"] and manifest["backend"] == "features"
    assert manifest["data_fingerprint"]["train"].startswith("sha256:")
    assert set(manifest["files"]) == {"model.safetensors", "features.json"}
    out = tmp_path / "o.sarif"
    res = run_subprocess("filter", EXAMPLES / "puppet" / "glitch.csv", "--source-root", EXAMPLES / "puppet",
                         "--model", champ, "-o", out)
    assert res.returncode == 0, res.stderr
    assert json.loads(out.read_text())["runs"][0]["properties"]["iacfilter"]["models"] == [{"name": manifest["name"], "threshold": manifest["threshold"]}]
    # A second sweep over the same run directory reruns nothing.
    before = {p: p.stat().st_mtime_ns for p in run.glob("trials/*/metrics.json")}
    assert run_subprocess("sweep", "--config", tmp_path / "sweep.yaml", "--run-dir", run).returncode == 0
    assert before == {p: p.stat().st_mtime_ns for p in run.glob("trials/*/metrics.json")}


def test_encoder_pipeline_round_trip_with_a_tiny_model(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from tiny_encoder import build_tiny_encoder

    train, val = data_subset(tmp_path, 96, 48)
    texts = [e.snippet.text for e in load_dataset(train)]
    base = build_tiny_encoder(tmp_path / "tiny", texts)
    sweep = {"name": "enc", "base": {"name": "tiny", "backend": "encoder", "train": str(train), "val": str(val),
                                     "params": {"model": str(base), "epochs": 2, "max_length": 64,
                                                "class_weight": "balanced",
                                                "early_stopping": {"patience": 1, "min_delta": 0.0}}},
             "grid": {"params.learning_rate": [1.0e-3, 3.0e-3], "params.batch_size": [16], "seed": [1, 2]}}
    (tmp_path / "sweep.yaml").write_text(yaml.safe_dump(sweep))
    run, champ = tmp_path / "run", tmp_path / "champ"
    res = run_subprocess("champion", "build", "--config", tmp_path / "sweep.yaml", "--run-dir", run, "-o", champ,
                         "--jobs", "2")
    assert res.returncode == 0, res.stderr + res.stdout
    assert len(list(run.glob("trials/*/metrics.json"))) == 4
    manifest = yaml.safe_load((champ / "champion.yaml").read_text())
    assert manifest["backend"] == "encoder" and "model.safetensors" in manifest["files"]
    assert not [p for p in champ.iterdir() if p.suffix in (".bin", ".pt", ".pkl")]
    filter_scores(champ, "ansible", tmp_path / "o.json")
    # Tampered weights are refused.
    with open(champ / "model.safetensors", "r+b") as fh:
        fh.seek(-4, 2)
        fh.write(b"\x00\x00\x00\x01")
    res = run_subprocess("filter", EXAMPLES / "ansible" / "glitch.csv", "--model", champ)
    assert res.returncode == 2 and "model.safetensors: sha256 mismatch" in res.stderr


def test_slurm_script_has_the_options_and_one_trial_per_task(tmp_path):
    from iacfilter_training.slurm import write_script

    trials = [tmp_path / "trials" / f"t{i}" for i in range(3)]
    options = {"partition": "gpu", "time": "01:00:00", "mem": "16G", "cpus_per_task": 4, "gpus": 2,
               "extra": ["--qos=normal"]}
    script = write_script(tmp_path, trials, options, 0).read_text()
    for line in ("#SBATCH --array=0-2", "#SBATCH --partition=gpu", "#SBATCH --time=01:00:00", "#SBATCH --mem=16G",
                 "#SBATCH --cpus-per-task=4", "#SBATCH --gpus-per-task=2", "#SBATCH --qos=normal",
                 "-m torch.distributed.run --standalone --nproc_per_node=2 -m iacfilter train --config"):
        assert line in script
    listed = (tmp_path / "slurm" / "submit-0" / "trials.txt").read_text().splitlines()
    assert listed == [str(t.resolve()) for t in trials]
    single = write_script(tmp_path, trials[:1], {"gpus": 1}, 1).read_text()
    assert "torch.distributed.run" not in single and "-m iacfilter train" in single


def test_default_model_ships_offline_and_meets_the_bars(tmp_path):
    res = run_subprocess("eval", shared("data", "glitch-findings", "val.jsonl"), "--json", "--plot", tmp_path / "plots")
    assert res.returncode == 0, res.stderr
    result = json.loads(res.stdout)
    for key in ("precision", "recall", "f1", "fp_removed", "tp_kept", "per_tech", "per_smell", "confusion"):
        assert key in result
    assert result["f1"] >= 0.82 and result["recall"] >= 0.85
    assert set(result["per_tech"]) == {"ansible", "chef", "puppet"}
    for png in ("pr_curve.png", "threshold_sweep.png"):
        assert (tmp_path / "plots" / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_default_model_is_used_without_model_flag_and_passes_unseen_smells(tmp_path):
    out = tmp_path / "o.json"
    csv = tmp_path / "glitch.csv"  # the example's findings and one of a smell no labelled row covers
    csv.write_text((EXAMPLES / "chef" / "glitch.csv").read_text() + "recipes/default.rb,10,"
                   "sec_full_permission_filesystem,Full permission to the filesystem - x (CWE-732),mode\n")
    res = run_subprocess("filter", csv, "--source-root", EXAMPLES / "chef", "--format", "json", "-o", out)
    assert res.returncode == 0, res.stderr
    records = json.loads(out.read_text())
    assert [r["verdict"] for r in records if r["smell"] == "no_integrity_check"] == ["kept"]  # judged now
    unseen = [r for r in records if r["smell"] == "full_permission_filesystem"]
    assert unseen and all(r["verdict"] == "not-scored" and r["score"] is None for r in unseen)
    assert all(r["model"] == "features-default" for r in records if r["score"] is not None)


def test_default_champion_copy_with_a_changed_file_is_refused(tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(champion_path("features-default"), copy)
    (copy / "features.json").write_text('{"version": 1, "bits": 16}\n')
    res = run_subprocess("eval", shared("data", "glitch-findings", "val.jsonl"), "--model", copy)
    assert res.returncode == 2 and "features.json: sha256 mismatch" in res.stderr


def test_encoder_trains_data_parallel_under_torchrun(tmp_path):
    """The multi-GPU path (torchrun, DistributedDataParallel) run on CPU with two gloo processes."""
    pytest.importorskip("torch")
    from tiny_encoder import build_tiny_encoder

    train, val = data_subset(tmp_path, 64, 32)
    base = build_tiny_encoder(tmp_path / "tiny", [e.snippet.text for e in load_dataset(train)])
    config = {"name": "ddp", "backend": "encoder", "train": str(train), "val": str(val), "seed": 1,
              "params": {"model": str(base), "epochs": 2, "max_length": 48, "batch_size": 8, "threads": 1}}
    out, stderr = run_trial_under_torchrun(config, tmp_path, timeout=180)
    assert "(2 processes)" in stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["n_val"] == 32 and 0.0 <= metrics["val"]["f1"] <= 1.0
    assert (out / "model" / "model.safetensors").is_file()


def test_missing_optional_package_and_wrong_config_are_one_line_errors(tmp_path, monkeypatch):
    import sys

    from click.testing import CliRunner

    from iacfilter.cli import cli

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if the 'train' extra were not installed
    rows = tmp_path / "rows.jsonl"
    rows.write_text("".join(json.dumps({"tech": "ansible", "smell": "hard_coded_secret", "content": f'password: "{v}"',
                                        "context": f'password: "{v}"', "label": label}) + "\n"
                            for v, label in (("S3cr3tP4ss", "TP"), ("{{ vault_pw }}", "FP"))))
    res = CliRunner().invoke(cli, ["eval", str(rows), "--plot", str(tmp_path / "p")])
    assert res.exit_code == 2
    assert "eval: needs the Python package 'matplotlib': pip install 'iacfilter[train]'" in res.stderr
    from iacfilter.champion import write_manifest

    champ = tmp_path / "encoder-champion"
    champ.mkdir()
    (champ / "encoder.json").write_text('{"max_length": 64}')
    write_manifest(champ, {"name": "enc", "backend": "encoder", "threshold": 0.5, "smells": ["use_of_http"],
                           "technologies": ["chef"]})
    monkeypatch.setitem(sys.modules, "torch", None)  # as if the 'encoder' extra were not installed
    res = CliRunner().invoke(cli, ["filter", str(EXAMPLES / "chef" / "glitch.csv"), "--model", str(champ)])
    assert res.exit_code == 2
    assert "filter: needs the Python package 'torch': pip install 'iacfilter[encoder]'" in res.stderr
    res = CliRunner().invoke(cli, ["train", "--config", str(REPO / "training/configs/default.yaml"), "--out", str(tmp_path / "t")])
    assert res.exit_code == 2 and "this is a sweep config" in res.stderr
