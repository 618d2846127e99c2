"""The one plugin manager. Built-in plugins load through the ``iacfilter`` entry points like any other.

Set ``IACFILTER_LOAD_PLUGINS`` to a comma-separated list of entry-point names to load only those
(an empty string loads none).
"""

from __future__ import annotations

import inspect
import os
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

import pluggy

from . import hookspecs
from .errors import IacfilterError
from .registry import Reader, RulesFile, Scanner, ScorerBackend, ShippedChampion, Technology

pm = pluggy.PluginManager("iacfilter")
pm.add_hookspecs(hookspecs)

_loaded = False


def load_plugins() -> None:
    """Load entry-point plugins once (respecting ``IACFILTER_LOAD_PLUGINS``)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    wanted = os.environ.get("IACFILTER_LOAD_PLUGINS")
    if wanted is None:
        pm.load_setuptools_entrypoints("iacfilter")
        return
    names = {n.strip() for n in wanted.split(",") if n.strip()}
    for ep in entry_points(group="iacfilter"):
        if ep.name in names and not pm.has_plugin(ep.name):
            pm.register(ep.load(), name=ep.name)


@dataclass(frozen=True)
class Registered:
    kind: str
    name: str
    module: str
    item: Any
    plugin: str = ""  # the plugin's name (its entry point's)


def _collect(hook_name: str, kind: str) -> list[Registered]:
    load_plugins()
    found: list[Registered] = []
    seen: dict[str, str] = {}
    hook = getattr(pm.hook, hook_name)
    for impl in reversed(hook.get_hookimpls()):  # registration order
        plugin = impl.plugin
        module = plugin.__name__ if inspect.ismodule(plugin) else getattr(plugin, "__module__", impl.plugin_name)

        def register(item, *args, _module=module, _plugin=impl.plugin_name, **kwargs):
            if kind == "champion":
                item = ShippedChampion(item, *args, **kwargs)
            if item.name in seen:
                raise IacfilterError(
                    f"plugin {_module}", f"{kind} {item.name!r} is already registered by {seen[item.name]}"
                )
            seen[item.name] = _module
            found.append(Registered(kind, item.name, _module, item, _plugin))

        impl.function(register=register)
    return found


def readers() -> dict[str, Reader]:
    return {r.name: r.item for r in _collect("register_readers", "reader")}


def scanners() -> dict[str, Scanner]:
    return {r.name: r.item for r in _collect("register_scanners", "scanner")}


def scanner(name: str | None) -> Scanner:
    """The scanner a user named (``--scanner``), else the default one; or a one-line error listing the
    installed ones."""
    found = scanners()
    if name is None:
        defaults = sorted(n for n, s in found.items() if s.default)
        if len(defaults) != 1:
            raise IacfilterError("--scanner", f"name one (installed: {', '.join(sorted(found)) or 'none'}; "
                                              f"{len(defaults)} of them say they are the default)")
        name = defaults[0]
    if name not in found:
        raise IacfilterError(f"--scanner {name}", f"no such scanner (installed: {', '.join(sorted(found)) or 'none'})")
    return found[name]


def technologies() -> dict[str, Technology]:
    return {r.name: r.item for r in _collect("register_technologies", "technology")}


def scorers() -> dict[str, ScorerBackend]:
    return {r.name: r.item for r in _collect("register_scorers", "scorer")}


def rules_files() -> dict[str, RulesFile]:
    return {r.name: r.item for r in _collect("register_rules", "rules map")}


def champions() -> dict[str, ShippedChampion]:
    return {r.name: r.item for r in _collect("register_champions", "champion")}


def add_commands(cli) -> None:
    """Let every plugin add its commands to the click group ``cli``."""
    load_plugins()
    pm.hook.register_commands(cli=cli)


KINDS = (("register_scanners", "scanner"), ("register_readers", "reader"), ("register_technologies", "technology"),
         ("register_scorers", "scorer"), ("register_rules", "rules map"), ("register_champions", "champion"))


def everything() -> list[Registered]:
    """Every registered item, for ``iacfilter plugins``: by plugin, then by kind (as in KINDS), then by name."""
    order = {kind: i for i, (_, kind) in enumerate(KINDS)}
    items = [item for hook, kind in KINDS for item in _collect(hook, kind)]
    return sorted(items, key=lambda r: (r.plugin, order[r.kind], r.name))
