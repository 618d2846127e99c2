"""docs/plugins.md is generated from the hookspecs and the registry's types, and must say what the code says."""

import importlib.util
from pathlib import Path

from iacfilter import hookspecs

DOCS = Path(__file__).resolve().parents[1] / "docs"


def generator():
    spec = importlib.util.spec_from_file_location("docs_generate", DOCS / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_plugin_page_is_what_the_hookspecs_generate():
    page = (DOCS / "plugins.md").read_text()
    assert page == generator().render(), "docs/plugins.md is out of date: run 'python docs/generate.py'"
    for name in (n for n in vars(hookspecs) if n.startswith("register_")):
        assert f"## `{name}(" in page
