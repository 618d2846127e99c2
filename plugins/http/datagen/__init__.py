"""Labelled HTTP data: ``iacfilter datagen http`` (templates, mutations, scanner wordings, POLICY.md labels)."""

from iacfilter.hookspecs import hookimpl


@hookimpl
def register_commands(cli):
    from .command import datagen

    cli.add_command(datagen)
