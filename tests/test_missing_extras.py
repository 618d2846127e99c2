"""A missing optional package names the extra that provides everything the command needs."""

import sys

import pytest
from click.testing import CliRunner
from conftest import REPO

from iacfilter.cli import cli

ZAP = REPO / "tests" / "fixtures" / "http" / "zap-traditional-plus.json"


@pytest.mark.parametrize("package", ["torch", "peft"])
def test_dual_head_model_without_its_packages_names_the_dual_head_extra(monkeypatch, tmp_path, package):
    monkeypatch.setitem(sys.modules, package, None)  # as if the package were not installed
    monkeypatch.delitem(sys.modules, "iacfilter_plugins.dualhead.scorer", raising=False)
    monkeypatch.delitem(sys.modules, "iacfilter_plugins.dualhead.model", raising=False)
    res = CliRunner().invoke(cli, ["filter", str(ZAP), "--model", "dual-head-http-tiny", "-o", str(tmp_path / "o.sarif")])
    assert res.exit_code == 2, res.output
    [line] = res.stderr.splitlines()
    assert line.endswith(f": the dual-head backend needs the Python package {package!r}: "
                         "pip install 'iacfilter[dual-head]'")
    assert not (tmp_path / "o.sarif").exists()
