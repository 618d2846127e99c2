"""The README is the first hour: short, and its test command is the one CI runs."""

import re

from conftest import REPO

README = (REPO / "README.md").read_text()


def test_readme_fits_the_first_hour():
    assert len(README.splitlines()) <= 250


def test_ci_runs_exactly_the_readme_test_command():
    first_block = re.search(r"```sh\n(.*?)```", README, re.S).group(1).splitlines()
    assert len(first_block) == 2 and first_block[1].endswith("python -m pytest -q")
    ci = [line for line in (REPO / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    assert ci[-1] == first_block[1]


def test_docs_pages_the_readme_names_for_this_repository_exist():
    for page in ("install", "shared", "workflow", "scanners", "models", "benchmarks", "reliability"):
        assert f"](docs/{page}.md)" in README and (REPO / "docs" / f"{page}.md").is_file(), page
