"""The SLURM executor against a real one-node SLURM (slurmctld + slurmd + munge), not a mock."""

import json
import subprocess
import time

import pytest
import yaml
from conftest import data_subset, run_subprocess
from slurm_cluster import Cluster, unavailable_reason

from iacfilter.dataset import load_dataset

pytestmark = pytest.mark.slurm


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    c = Cluster(tmp_path_factory.mktemp("slurm")).start()
    yield c
    c.stop()


def _until(check, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_sweep_on_slurm_resumes_a_killed_task_and_picks_the_local_champion(tmp_path, cluster):
    from tiny_encoder import build_tiny_encoder

    train, val = data_subset(tmp_path, 96, 48)
    base = build_tiny_encoder(tmp_path / "tiny", [e.snippet.text for e in load_dataset(train)])
    sweep = {"name": "slurm-test", "base": {"name": "tiny", "backend": "encoder", "train": str(train), "val": str(val),
                                            "params": {"model": str(base), "epochs": 2, "max_length": 64, "threads": 1,
                                                       "class_weight": "balanced"}},
             "grid": {"params.learning_rate": [1.0e-3, 3.0e-3], "seed": [1, 2]},
             "slurm": {"time": "00:10:00", "job_name": "iacfilter-test"}}
    config = tmp_path / "sweep.yaml"
    config.write_text(yaml.safe_dump(sweep))

    local, remote = tmp_path / "local", tmp_path / "slurm"
    res = run_subprocess("sweep", "--config", config, "--run-dir", local, "--jobs", "2")
    assert res.returncode == 0, res.stderr

    res = run_subprocess("sweep", "--config", config, "--run-dir", remote, "--executor", "slurm", "--no-wait",
                         env=cluster.env)
    assert res.returncode == 0, res.stderr
    [first] = json.loads((remote / "slurm" / "submissions.json").read_text())
    job, victim = first["job_id"], first["trials"][0]
    assert len(first["trials"]) == 4 and "#SBATCH --time=00:10:00" in (remote / "slurm" / "submit-0" / "array.sbatch").read_text()

    _until(lambda: cluster.squeue(job).get(0) == "RUNNING", 60, "task 0 to start")
    time.sleep(1.0)  # part-way: python is importing torch or training
    subprocess.run(["scancel", f"{job}_0"], check=True, env=cluster.env)
    _until(lambda: not cluster.squeue(job), 180, "the array to drain")
    assert not (remote / "trials" / victim / "metrics.json").exists()  # no half-written metrics

    status = run_subprocess("sweep", "status", remote, env=cluster.env)
    assert status.returncode == 0, status.stderr
    assert "4 trials: 1 failed, 3 finished" in status.stdout
    assert f"failed: {victim} (job {job}_0: cancelled)" in status.stdout

    done = {p: p.stat().st_mtime_ns for p in remote.glob("trials/*/metrics.json")}
    res = run_subprocess("sweep", "resume", remote, "--poll", "0.5", env=cluster.env)
    assert res.returncode == 0, res.stderr
    second = json.loads((remote / "slurm" / "submissions.json").read_text())[1]
    assert second["trials"] == [victim]  # only the killed trial was resubmitted
    assert {p: p.stat().st_mtime_ns for p in done} == done  # finished trials were not rerun
    assert len(list(remote.glob("trials/*/metrics.json"))) == 4

    picks = []
    for run in (local, remote):
        res = run_subprocess("champion", "select", run)
        assert res.returncode == 0, res.stderr
        picks.append(json.loads((run / "selection.json").read_text()))
    keys = ("trial", "seed", "threshold", "f1_mean", "seeds")
    assert {k: picks[0][k] for k in keys} == {k: picks[1][k] for k in keys}
