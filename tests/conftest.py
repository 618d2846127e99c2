import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))
import keyword_scorer  # noqa: E402

from iacfilter.champion import write_manifest  # noqa: E402
from iacfilter.cli import cli  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
# ../shared beside the checkout (IACFILTER_SHARED elsewhere): the team's labelled data sets, real GLITCH output on
# real code, the GLITCH installer and the SARIF schema (docs/shared.md). It is not part of the repository: a
# test that needs it skips, saying so, when it is missing; every other test runs from the repository alone.
SHARED = Path(os.environ.get("IACFILTER_SHARED", REPO.parent / "shared"))
GLITCH = SHARED / "glitch"
# The official SARIF 2.1.0 schema: ../shared's copy, an independent one, where it is; else the copy iacfilter
# ships, checked against the official file's sha256.
SARIF_SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"
SARIF_SCHEMA = next(p for p in (SHARED / "data" / "sarif" / "sarif-schema-2.1.0.json",
                                REPO / "iacfilter" / "schemas" / "sarif-schema-2.1.0.json") if p.is_file())


def shared_missing(*parts: str) -> str | None:
    """Why a test needing ``../shared/PARTS`` cannot run (the reason it skips with), or None when it is there."""
    path = SHARED.joinpath(*parts)
    if path.exists():
        return None
    return (f"needs {path} from ../shared (the team's labelled data sets, real GLITCH output and the GLITCH "
            "installer; not part of the repository, see docs/shared.md)")


def needs_shared(*parts: str):
    """Mark: skip, saying why, when ``../shared/PARTS`` is missing."""
    reason = shared_missing(*parts)
    return pytest.mark.skipif(reason is not None, reason=reason or "")


def shared(*parts: str) -> Path:
    """``../shared/PARTS``; the calling test skips, saying why, when it is missing."""
    reason = shared_missing(*parts)
    if reason:
        pytest.skip(reason)
    return SHARED.joinpath(*parts)

keyword_scorer.install()

# Template references, variables and node attributes are not hard-coded: score them low.
KEYWORDS = {"markers": {"{{": 0.1, "$db_password": 0.2, "node[": 0.15, "todo items": 0.3, "EXACT": 0.5},
            "default": 0.9}


def make_champion(directory: Path, *, threshold=0.5, smells=("hard_coded_secret", "suspicious_comment",
                  "use_of_http", "weak_cryptography_algorithms"), techs=("ansible", "chef", "puppet"), keywords=None):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "keywords.json").write_text(json.dumps(keywords or KEYWORDS))
    write_manifest(directory, {"name": "keyword-test-v1", "backend": "keyword-test", "threshold": threshold,
                               "smells": list(smells), "technologies": list(techs)})
    return directory


@pytest.fixture
def champion(tmp_path):
    return make_champion(tmp_path / "champion")


@pytest.fixture
def run_cli():
    def run(*args):
        result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
        return result

    return run


def run_subprocess(*args, cwd=None, env=None):
    """The CLI in a fresh process (with the test scorer registered), to see exactly what a user sees."""
    code = (f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import keyword_scorer; "
            "keyword_scorer.install(); from iacfilter.cli import main; sys.argv[0] = 'iacfilter'; main()")
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          env=env)


def filter_scores(champion: Path, tech: str, out: Path) -> list[dict]:
    """``filter`` on the example of ``tech`` with ``champion`` (JSON out): the scored results, each in [0, 1]."""
    res = run_subprocess("filter", EXAMPLES / tech / "glitch.csv", "--source-root", EXAMPLES / tech,
                         "--model", champion, "--format", "json", "-o", out)
    assert res.returncode == 0, res.stderr
    scored = [r for r in json.loads(out.read_text()) if r["score"] is not None]
    assert scored and all(0.0 <= r["score"] <= 1.0 for r in scored)
    return scored


def data_subset(tmp_path: Path, n_train: int, n_val: int) -> tuple[Path, Path]:
    """Small stratified slices of the real data, so the tests train in seconds."""
    out = []
    for name, n in (("train", n_train), ("val", n_val)):
        rows = shared("data", "glitch-findings", f"{name}.jsonl").read_text().splitlines()
        tp = [r for r in rows if '"label": "TP"' in r][: n // 2]
        fp = [r for r in rows if '"label": "FP"' in r][: n - len(tp)]
        path = tmp_path / f"{name}.jsonl"
        path.write_text("\n".join(tp + fp) + "\n")
        out.append(path)
    return out[0], out[1]


# -- Property-based tests (tests/test_fuzz.py): a bounded run in CI, many more examples with --long -----------

# Examples per property test; test_fuzz.py has 5, so --long runs 12,500 (IACFILTER_FUZZ_EXAMPLES changes it).
FUZZ_EXAMPLES = {"ci": 80, "long": int(os.environ.get("IACFILTER_FUZZ_EXAMPLES", "2500"))}


def pytest_addoption(parser):
    parser.addoption("--long", action="store_true", default=False,
                     help=f"run the property tests with {FUZZ_EXAMPLES['long']} random examples each instead of the "
                          f"same {FUZZ_EXAMPLES['ci']} every time")


def pytest_configure(config):
    from hypothesis import HealthCheck, settings

    common = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    # CI: the same examples every run (no flaky CI), nothing written to a .hypothesis directory.
    settings.register_profile("iacfilter-ci", max_examples=FUZZ_EXAMPLES["ci"], derandomize=True, database=None,
                              **common)
    settings.register_profile("iacfilter-long", max_examples=FUZZ_EXAMPLES["long"], **common)
    settings.load_profile("iacfilter-long" if config.getoption("--long") else "iacfilter-ci")


def run_trial_under_torchrun(config: dict, tmp_path: Path, timeout: float) -> tuple[Path, str]:
    """'iacfilter train' of ``config`` as 2 data-parallel CPU processes under torchrun; the trial directory and
    stderr. Fails the test (and kills torchrun with its workers) when it does not finish within ``timeout``."""
    import signal

    import yaml

    (tmp_path / "trial.yaml").write_text(yaml.safe_dump(config))
    out = tmp_path / "trial"
    proc = subprocess.Popen([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                             "-m", "iacfilter", "train", "--config", str(tmp_path / "trial.yaml"), "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # torchrun and its workers: leave nothing behind
        _, stderr = proc.communicate()
        pytest.fail(f"torchrun did not finish in {timeout:g} s:\n{stderr[-2000:]}")
    assert proc.returncode == 0, stderr[-2000:]
    return out, stderr
