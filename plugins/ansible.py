"""Ansible: owns findings on .yml, .yaml files (or every finding with `--tech ansible`)."""

from iacfilter.hookspecs import hookimpl

from .iac import iac_technology

TECHNOLOGY = iac_technology("ansible", "Ansible scripts", (".yml", ".yaml"))


@hookimpl
def register_technologies(register):
    register(TECHNOLOGY)
