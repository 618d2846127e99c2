"""checkov as a scanner iacfilter runs itself (``iacfilter scan PATH --scanner checkov``), and its rules map.

checkov runs as a program from its own environment (it pins exact versions of its dependencies): ``checkov`` on
PATH, or the command in ``IACFILTER_CHECKOV`` or ``--command``. Its SARIF is read by the SARIF reader.
"""

from pathlib import Path

from iacfilter.hookspecs import hookimpl
from iacfilter.registry import RulesFile, Scanner

from .runner import FRAMEWORKS, scan


@hookimpl
def register_scanners(register):
    register(Scanner("checkov", "checkov (its SARIF), every framework of the technologies asked for plus secrets; "
                     "the whole run bounded by --file-timeout", "checkov", tuple(FRAMEWORKS), "sarif", scan))


@hookimpl
def register_rules(register):
    register(RulesFile("checkov", Path(__file__).with_name("rules.yaml")))
