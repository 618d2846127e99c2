"""Ansible: owns findings on .yml, .yaml files -- except GitHub Actions workflows (``.github/workflows/*.yml``),
which the github-actions technology owns -- or every finding with `--tech ansible`."""

from iacfilter.hookspecs import hookimpl

from pathlib import PurePosixPath

from .technology import WORKFLOW, iac_technology

SUFFIXES = (".yml", ".yaml")


def claims(path: str) -> bool:
    return PurePosixPath(path).suffix.lower() in SUFFIXES and not WORKFLOW.search(path)


TECHNOLOGY = iac_technology("ansible", "Ansible scripts", SUFFIXES, claims)


@hookimpl
def register_technologies(register):
    register(TECHNOLOGY)
