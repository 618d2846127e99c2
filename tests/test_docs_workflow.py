"""docs/workflow.md (the GitHub Action, baselines, explain, triage, patterns, HTML and stdin), run as a user
would: every sh block of it, in order, in one bash session from the repository root."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import EXAMPLES, REPO, needs_shared

PAGE = REPO.joinpath("docs", "workflow.md").read_text()


@needs_shared("data", "glitch-findings", "train.jsonl")  # explain's --dataset
def test_workflow_page_runs_as_written(tmp_path):
    blocks = re.findall(r"```sh\n(.*?)```", PAGE, re.S)
    assert len(blocks) == 6
    demo = tmp_path / "demo"
    script = "set -euo pipefail\n" + "\n".join(blocks).replace("/tmp/iacfilter-demo", str(demo))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    res = subprocess.run(["bash", "-c", script], cwd=REPO, capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    rows = len((EXAMPLES / "ansible" / "glitch.csv").read_text().splitlines()) - 1
    assert f"0 new, {rows} unchanged, 0 updated, 0 absent" in res.stderr
    assert "IAC-HARD-CODED-PASSWORD" in res.stdout and "nearest labelled examples:" in res.stdout
    assert json.loads((demo / "explained.json").read_text())[0]["index"] == 1
    assert len((demo / "team.jsonl").read_text().splitlines()) == 1 + 3  # label, then t, f, t in triage (q quits)
    assert (demo / "report.html").read_text().count("<tr class=") == rows
    table = res.stdout.split("VERDICT")[-1]  # the stdin block's table: same decisions as the file gave
    assert table.count("playbooks/site.yml:") == rows and "filtered" in table
