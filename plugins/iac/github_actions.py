"""GitHub Actions: owns findings on workflow files (``.github/workflows/*.yml``, ``.yaml``) and composite actions
(``.github/actions/**/action.yml``), from GLITCH 2.x ``--tech github-actions``, checkov, Semgrep.

Workflows are YAML, which the Ansible technology also reads; ownership is decided by path, never by order:
Ansible declines exactly the paths this technology claims. No shipped model is trained on workflows yet, so
their findings are owned, mapped and explained, and kept as "not scored" with the reason.
"""

from iacfilter.hookspecs import hookimpl

from .technology import WORKFLOW, iac_technology

TECHNOLOGY = iac_technology("github-actions", "GitHub Actions workflows", (".yml", ".yaml"),
                             lambda path: bool(WORKFLOW.search(path)))


@hookimpl
def register_technologies(register):
    register(TECHNOLOGY)
