"""Chef: owns findings on .rb files (or every finding with `--tech chef`)."""

from iacfilter.hookspecs import hookimpl

from .technology import iac_technology

TECHNOLOGY = iac_technology("chef", "Chef scripts", (".rb",))


@hookimpl
def register_technologies(register):
    register(TECHNOLOGY)
