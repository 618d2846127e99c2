"""Every command of the ``iacfilter`` tree (plugins' commands included) explains itself: no summary in a
command list is cut short at 80 columns, and every option has help text."""

import click
import pytest
from click.testing import CliRunner

from iacfilter.cli import cli


def tree(command, path=("iacfilter",)):
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from tree(sub, (*path, name))


COMMANDS = list(tree(cli))


def test_the_tree_holds_the_core_training_and_plugin_commands():
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"iacfilter filter", "iacfilter scan", "iacfilter champion build", "iacfilter sweep resume",
            "iacfilter dualhead pretrain", "iacfilter datagen http"} <= names


@pytest.mark.parametrize("path,command", COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_help_has_no_truncated_summary_and_every_option_has_help(path, command):
    res = CliRunner().invoke(cli, [*path[1:], "--help"], terminal_width=80, catch_exceptions=False)
    assert res.exit_code == 0, res.output
    if isinstance(command, click.Group):
        listing = res.output.split("\nCommands:\n", 1)[1]
        assert len(listing.splitlines()) == len(command.commands)  # one line each: nothing wrapped
        assert "..." not in listing and "\u2026" not in listing, listing
    silent = [p.opts[-1] for p in command.params if isinstance(p, click.Option) and not p.hidden and not p.help]
    assert silent == [], f"{' '.join(path)}: options without help: {silent}"
    assert command.help, f"{' '.join(path)} has no help text"
