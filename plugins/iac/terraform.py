"""Terraform: owns findings on .tf and .tf.json files (GLITCH 2.x ``--tech terraform``, checkov, KICS, Trivy).

Snippets are built like every line-based IaC technology's (plugins/iac/technology.py). No shipped model is trained on
Terraform yet, so its findings are owned, mapped (the rules maps) and explained, and kept as "not scored" with
the reason.
"""

from iacfilter.hookspecs import hookimpl

from .technology import iac_technology

SUFFIXES = (".tf", ".tf.json")


def claims(path: str) -> bool:
    return path.lower().endswith(SUFFIXES)


TECHNOLOGY = iac_technology("terraform", "Terraform configurations", SUFFIXES, claims)


@hookimpl
def register_technologies(register):
    register(TECHNOLOGY)
