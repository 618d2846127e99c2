"""Who may import whom: the core imports neither plugins nor training; plugins import training only when they
train; no plugin reaches into another plugin's private names; the core keeps no table of plugins' extras."""

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def imported_after(code: str) -> set[str]:
    """The top-level packages of ours in sys.modules after ``code`` runs in a fresh interpreter, no plugin loaded."""
    probe = code + "; import sys; print(' '.join(sorted({m.split('.')[0] for m in sys.modules if m.startswith('iacfilter')})))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO,
                         env={"IACFILTER_LOAD_PLUGINS": "", "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    return set(out.stdout.split())


def modules(package: str, folder: Path) -> list[str]:
    return sorted(".".join((package, *p.relative_to(folder).with_suffix("").parts)).removesuffix(".__init__")
                  for p in folder.rglob("*.py") if p.name != "__main__.py")


def test_the_core_imports_neither_plugins_nor_training():
    assert imported_after("import " + ", ".join(modules("iacfilter", REPO / "iacfilter"))) == {"iacfilter"}


def test_no_plugin_imports_training_when_it_is_imported():
    plugins = modules("iacfilter_plugins", REPO / "plugins")
    assert len(plugins) > 40 and "iacfilter_training" not in imported_after("import " + ", ".join(plugins))


def test_no_plugin_imports_a_private_name_of_another():
    found = []
    for path in (REPO / "plugins").rglob("*.py"):
        family = path.relative_to(REPO / "plugins").parts[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("iacfilter_plugins."):
                other = node.module.split(".")[1]
                found += [f"{path.relative_to(REPO)}: {node.module}.{a.name}" for a in node.names
                          if other != family and a.name.startswith("_")]
    assert not found


def test_the_core_names_no_plugins_extra():
    source = (REPO / "iacfilter" / "cli.py").read_text()
    assert "EXTRAS" not in source and "iacfilter[" not in source
