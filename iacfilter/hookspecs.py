"""The hooks a plugin may implement. Each takes a ``register`` callback and hands the core what it provides."""

import pluggy

hookspec = pluggy.HookspecMarker("iacfilter")
hookimpl = pluggy.HookimplMarker("iacfilter")


@hookspec
def register_readers(register):
    """Register input readers: ``register(Reader(...))`` for each scanner output format."""


@hookspec
def register_scanners(register):
    """Register scanners iacfilter runs itself: ``register(Scanner(...))`` -- the technologies covered, how to run
    it on a path (bounded, fail closed), which reader reads its output."""


@hookspec
def register_technologies(register):
    """Register technologies: ``register(Technology(...))`` -- which findings they own, how to build snippets."""


@hookspec
def register_scorers(register):
    """Register scorer backends: ``register(ScorerBackend(...))`` -- load a champion, score snippets."""


@hookspec
def register_rules(register):
    """Register rules maps shipped with a plugin: ``register(RulesFile(name, path))`` -- a YAML file per scanner."""


@hookspec
def register_champions(register):
    """Register champion directories shipped with a plugin: ``register(name, path, default=False)``, kept as a
    ``ShippedChampion``; the default ones are what ``filter`` scores with when no ``--model`` is given."""


@hookspec
def register_commands(cli):
    """Add commands to the ``iacfilter`` command line: ``cli`` is the click group (as in ``llm``)."""
