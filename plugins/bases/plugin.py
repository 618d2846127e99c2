"""``iacfilter bases list|prepare``: the pretrained bases known to iacfilter, and building one into the cache."""

from __future__ import annotations

import click

from iacfilter.hookspecs import hookimpl


@click.group("bases", short_help="Pretrained base models from chunk packages.")
def bases():
    """Pretrained base models installed from chunk packages (extras ``base-NAME``)."""


@bases.command("list", short_help="Each known base and whether it is converted.")
def list_cmd():
    """Each known base: parameters, pinned sha256, extra, licence, and whether it is converted in the cache."""
    from . import KNOWN, MANIFEST, location

    for base in KNOWN.values():
        ready = "converted" if (location(base) / MANIFEST).is_file() else "not converted"
        click.echo(f"{base.name}\t{base.parameters / 1e6:.0f}M params\tsha256 {base.sha256}\t"
                   f"pip install 'iacfilter[{base.extra}]'\t{ready}\n  {base.title}; from {base.source}\n"
                   f"  licence: {base.licence}")


@bases.command("prepare", short_help="Convert a base once into the cache.")
@click.argument("name")
def prepare_cmd(name):
    """Reassemble, verify and convert NAME once into the cache; prints its directory."""
    from iacfilter.errors import IacfilterError

    from . import KNOWN, known, materialize

    base = known(name)
    if base is None:
        raise IacfilterError(name, f"unknown base; known: {', '.join(sorted(KNOWN))}")
    click.echo(materialize(base, log=lambda m: click.echo(m, err=True)))


@hookimpl
def register_commands(cli):
    cli.add_command(bases)
