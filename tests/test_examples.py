"""The example CSVs are the real GLITCH 2.0's output on the example scripts, byte for byte: each is rewritten by
the command examples/README.md gives, and this test runs that command again and compares."""

import shutil
import subprocess

import pytest
from conftest import EXAMPLES

GLITCH = shutil.which("glitch")
# The folder of scripts in each example, given to GLITCH as its PATH so the rows name paths relative to the
# example (``playbooks/site.yml``, not ``./playbooks/site.yml``).
SCRIPTS = {"ansible": "playbooks", "chef": "recipes", "puppet": "manifests"}


@pytest.mark.skipif(GLITCH is None, reason="GLITCH is not installed: bash ../shared/glitch/install/install.sh "
                                           "(.ci/run does it)")
@pytest.mark.parametrize("tech", sorted(SCRIPTS))
def test_example_csv_is_what_the_real_glitch_writes(tech, tmp_path):
    out = tmp_path / "glitch.csv"
    subprocess.run([GLITCH, "lint", "--tech", tech, "--folder-strategy", "include-all", "--csv", "--smell-types",
                    "security", SCRIPTS[tech], str(out)], cwd=EXAMPLES / tech, check=True, capture_output=True,
                   timeout=600)
    assert (EXAMPLES / tech / "glitch.csv").read_text() == out.read_text()


def test_every_example_is_covered():
    assert sorted(p.parent.name for p in EXAMPLES.glob("*/glitch.csv")) == sorted(SCRIPTS)
