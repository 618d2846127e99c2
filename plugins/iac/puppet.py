"""Puppet: owns findings on .pp files (or every finding with `--tech puppet`)."""

from iacfilter.hookspecs import hookimpl

from .technology import iac_technology

TECHNOLOGY = iac_technology("puppet", "Puppet scripts", (".pp",))


@hookimpl
def register_technologies(register):
    register(TECHNOLOGY)
