"""A scorer plugin that lives only in the tests (the product ships none like it).

It is a real, if simple, model: a champion directory holds ``keywords.json`` with marker strings and
their scores; a snippet whose flagged line holds a marker gets that score, anything else ``default``.
A marker ``"raise"`` makes the scorer fail, to test that failures keep findings.
"""

import json

from iacfilter import plugins
from iacfilter.hookspecs import hookimpl
from iacfilter.registry import ScorerBackend, refuse_options


class KeywordScorer:
    def __init__(self, table):
        self.markers = table["markers"]
        self.default = table["default"]

    def score(self, snippets):
        out = []
        for s in snippets:
            if "RAISE-IN-SCORER" in s.line:
                raise RuntimeError("scorer exploded")
            out.append(next((p for marker, p in self.markers.items() if marker in s.line), self.default))
        return out


def load(champion, options=None):
    refuse_options(champion, options or {})
    return KeywordScorer(json.loads((champion.path / "keywords.json").read_text()))


class Plugin:
    @staticmethod
    @hookimpl
    def register_scorers(register):
        register(ScorerBackend("keyword-test", "test-only keyword scorer", load))


def install():
    if not plugins.pm.has_plugin("keyword-test"):
        plugins.pm.register(Plugin, name="keyword-test")
