"""The rules map: scanner rule codes -> canonical smell, stable SARIF rule id, CWE, severity, help.

The data lives in YAML files, one per scanner, that plugins ship beside their code and register through the
``register_rules`` hook. The core only merges them: loaded once, each validated against ``RULES_SCHEMA``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import yaml

from .errors import IacfilterError
from .registry import RulesFile

RULES_SCHEMA = {
    "type": "object",
    "required": ["tool", "rules"],
    "additionalProperties": False,
    "properties": {
        "tool": {"type": "string", "minLength": 1},
        "tool_aliases": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "information_uri": {"type": "string"},
        "rules": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["code", "id", "name", "smell", "short", "cwe", "security_severity", "help"],
                "additionalProperties": False,
                "properties": {
                    "code": {"type": "string", "minLength": 1},
                    "aliases": {"type": "array", "items": {"type": "string"}},
                    "id": {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9./_-]*$"},
                    "name": {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9]*$"},
                    "smell": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
                    "short": {"type": "string", "minLength": 1},
                    "cwe": {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": "^CWE-[0-9]+$"}},
                    "security_severity": {"type": "number", "minimum": 0, "maximum": 10},
                    "help": {"type": "string", "minLength": 1},
                },
            },
        },
    },
}


@dataclass(frozen=True)
class Rule:
    tool: str
    code: str
    id: str
    name: str
    smell: str
    short: str
    cwe: tuple[str, ...]
    security_severity: float
    help: str
    aliases: tuple[str, ...] = ()
    information_uri: str = ""
    tool_aliases: tuple[str, ...] = ()  # other names of the scanner ("OWASP ZAP" for "ZAP")

    @property
    def level(self) -> str:
        """SARIF level from the security severity."""
        if self.security_severity >= 7.0:
            return "error"
        if self.security_severity >= 4.0:
            return "warning"
        return "note"


class RulesMap:
    def __init__(self, rules: list[Rule]):
        self.rules = rules
        self._index: dict[tuple[str, str], Rule] = {}
        self._tools: dict[str, str] = {}
        for rule in rules:
            for name in (rule.tool, *rule.tool_aliases):
                self._tools[" ".join(name.lower().split())] = rule.tool.lower()
            for key in (rule.code, rule.id, *rule.aliases):
                slot = (rule.tool.lower(), key.lower())
                if slot in self._index and self._index[slot] is not rule:
                    raise IacfilterError(f"rules map {rule.tool}", f"{key!r} names two rules")
                self._index[slot] = rule

    def tool(self, name: str) -> str:
        """The scanner's name as its rules map spells it (lower case), its aliases resolved."""
        key = " ".join(name.lower().split())
        return self._tools.get(key, key)

    def lookup(self, tool: str, rule: str) -> Rule | None:
        """The rule a scanner's rule id stands for (by code, stable id or alias), or None."""
        return self._index.get((self.tool(tool), rule.lower()))

    def tool_info(self, tool: str) -> str:
        return next((r.information_uri for r in self.rules if r.tool.lower() == self.tool(tool)), "")


def parse_rules_file(name: str, text: str) -> list[Rule]:
    try:
        data = yaml.safe_load(text)
        jsonschema.validate(data, RULES_SCHEMA)
    except (yaml.YAMLError, jsonschema.ValidationError) as exc:
        detail = exc.message if isinstance(exc, jsonschema.ValidationError) else str(exc).splitlines()[0]
        where = "/".join(str(p) for p in getattr(exc, "absolute_path", []))
        raise IacfilterError(f"rules map {name}", f"invalid{' at ' + where if where else ''}: {detail}") from None
    return [
        Rule(
            tool=data["tool"],
            code=r["code"],
            id=r["id"],
            name=r["name"],
            smell=r["smell"],
            short=r["short"],
            cwe=tuple(r["cwe"]),
            security_severity=float(r["security_severity"]),
            help=r["help"],
            aliases=tuple(r.get("aliases", ())),
            information_uri=data.get("information_uri", ""),
            tool_aliases=tuple(data.get("tool_aliases", ())),
        )
        for r in data["rules"]
    ]


def rules_files_in(folder: Path) -> list[RulesFile]:
    """A plugin's rules maps: every ``*.yaml`` file in ``folder``, each named after its file."""
    return [RulesFile(path.stem, path) for path in sorted(folder.glob("*.yaml"))]


@functools.cache
def load_rules_map() -> RulesMap:
    """Merge every rules map the plugins register, once (in name order, so lookups never depend on load order)."""
    from . import plugins

    rules: list[Rule] = []
    for name, entry in sorted(plugins.rules_files().items()):
        rules.extend(parse_rules_file(name, entry.path.read_text(encoding="utf-8")))
    return RulesMap(rules)
