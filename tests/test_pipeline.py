"""The one pipeline: read -> classify -> score -> decide -> write, one record per finding."""

import json

import pytest
from conftest import EXAMPLES

from iacfilter.errors import IacfilterError
from iacfilter.findings import NO_SOURCE, Finding, Verdict
from iacfilter.pipeline import Settings, check_sources, read, run
from iacfilter.records import Decision
from iacfilter.sources import SourceRoot

CSV = EXAMPLES / "ansible" / "glitch.csv"
ROWS = len(CSV.read_text().splitlines()) - 1  # the real GLITCH's findings on the example


def test_one_record_per_finding_carries_what_the_writer_writes(champion):
    progress = []
    result = run(read([str(CSV)]), Settings(source_root=EXAMPLES / "ansible", model_dir=str(champion)),
                 progress=lambda done, total: progress.append((done, total)))
    decisions = result.decisions
    assert len(decisions) == ROWS
    assert all(d.rule is not None and d.technology == "ansible" and d.verdict is not None for d in decisions)
    assert len({d.fingerprint for d in decisions}) == ROWS
    results = json.loads(result.text)["runs"][0]["results"]
    assert [(r["ruleId"], r["properties"]["iacfilter"]["verdict"], r["partialFingerprints"]["iacfilterFinding/v1"])
            for r in results] == [(d.rule.id, d.verdict.verdict, d.fingerprint) for d in decisions]
    # one meaning for progress: how many are done so far, of how many
    done = [d for d, _ in progress]
    assert done == sorted(done) and progress[-1] == (ROWS, ROWS)


def test_a_missing_source_root_is_found_from_the_files_not_from_the_reasons(tmp_path):
    sources = SourceRoot(tmp_path)
    decisions = []
    for i in range(3):
        finding = Finding(tool="GLITCH", rule="sec_hard_pass", path=f"gone{i}.yml", line=1)
        assert sources.lines(finding.path)[0] is None
        decisions.append(Decision(finding, None, "ansible", verdict=Verdict(NO_SOURCE, "any wording at all")))
    warnings = []
    check_sources(decisions, sources, False, warnings.append)
    assert len(warnings) == 1 and "3 of 3 findings" in warnings[0]
    with pytest.raises(IacfilterError, match="--source-root"):
        check_sources(decisions, sources, True, warnings.append)
    other = Finding(tool="ZAP", rule="10038", path="https://example.com/", line=None)
    sources.lines(other.path)  # a URL is never a file under the root: not a wrong source root
    check_sources([Decision(other, None, "http", verdict=Verdict(NO_SOURCE, "file not found under the source root"))],
                  sources, True, warnings.append)
