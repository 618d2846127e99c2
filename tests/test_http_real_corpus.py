"""datasets/http-real: every labelled finding points at a real finding of a kept report, and labels.jsonl is what
scripts/label.py makes from the reports, the fetched exchanges and the reviewed decisions (nothing hand-edited)."""

import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path

import pytest

from iacfilter.inputs import read_scanner_output
from iacfilter_plugins.http.exchange import SMELLS

CORPUS = Path(__file__).resolve().parent.parent / "datasets" / "http-real"
LABELS = [json.loads(line) for line in (CORPUS / "labels.jsonl").read_text().splitlines()]
KEYS = {"id", "app", "app_family", "scanner", "scanner_version", "report", "report_format", "locator", "url", "method",
        "rule_id", "rule_title", "severity", "subject", "smell", "smell_source", "exchange_in_report", "exchange_ref",
        "report_edits", "site", "proposed", "label", "reason"}
BODY_LIMIT = 32768


def resolve(doc, pointer: str):
    for part in pointer.split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


def load_label_script():
    spec = importlib.util.spec_from_file_location("http_real_label", CORPUS / "scripts" / "label.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_corpus_is_big_and_varied_enough():
    assert len(LABELS) >= 500
    assert len({r["app"] for r in LABELS}) >= 10
    assert {r["scanner"] for r in LABELS} >= {"wapiti", "drheader", "observatory"}
    labels = Counter(r["label"] for r in LABELS)
    assert labels["TP"] >= 100 and labels["FP"] >= 100
    assert any(r["smell"] == "cookie_flags" and r["label"] == "TP" and r["site"]["https_host"]
               and r["url"].startswith("http://") and r["subject"].get("flag") == "secure" for r in LABELS)


def test_every_record_is_complete_and_says_why():
    assert len({r["id"] for r in LABELS}) == len(LABELS)
    for r in LABELS:
        assert KEYS <= set(r) <= KEYS | {"review_note"}, r["id"]
        assert r["id"].startswith(f"{r['app']}/{r['scanner']}/")
        assert r["label"] in ("TP", "FP") and r["smell"] in SMELLS
        assert r["reason"].startswith("POLICY.md, "), r["id"]
        changed = r["proposed"] is None or r["proposed"]["label"] != r["label"]
        assert ("review_note" in r) == changed, r["id"]
        if changed:
            assert len(r["review_note"]) > 40, r["id"]


def test_every_locator_and_exchange_ref_resolves():
    docs, exchanges = {}, {}
    for r in LABELS:
        if r["report"] not in docs:
            docs[r["report"]] = json.loads((CORPUS / r["report"]).read_text())
        item = resolve(docs[r["report"]], r["locator"])
        assert isinstance(item, dict), r["id"]
        if r["scanner"] == "drheader":
            assert item["rule"].split(" - ")[0] in r["rule_id"] and resolve(docs[r["report"]], r["locator"].split(
                "/report/")[0])["url"] == r["url"]
        elif r["scanner"] == "observatory":
            assert item["result"] == r["rule_id"] and item["pass"] is False
        elif r["scanner"] == "testssl":
            assert item["id"] == r["rule_id"]
        else:
            assert r["locator"].split("/")[2] == r["rule_id"] and item["path"] in r["url"]
        if r["exchange_ref"]:
            file, _, xid = r["exchange_ref"].partition("#")
            if file not in exchanges:
                exchanges[file] = {x["id"]: x for x in map(json.loads, (CORPUS / file).read_text().splitlines())}
            assert xid in exchanges[file], r["id"]


def test_reader_findings_line_up_with_the_records():
    """The n of an id is the finding's index in what iacfilter's reader yields for that report."""
    by_report = {}
    for r in LABELS:
        if r["scanner"] in ("wapiti", "drheader", "observatory"):
            by_report.setdefault(r["report"], []).append(r)
    counts = Counter()
    for report, records in by_report.items():
        findings = read_scanner_output(str(CORPUS / report))[0].findings
        assert len(findings) == len(records), report
        for f, r in zip(findings, records):
            assert f.details["url"] == r["url"], (report, r["id"])
            counts[r["scanner"]] += 1
    assert counts["wapiti"] and counts["drheader"] and counts["observatory"]


def test_kept_bodies_are_cut_at_32_kib():
    def bodies(doc):
        if isinstance(doc, dict):
            for k, v in doc.items():
                if k == "body" and isinstance(v, str):
                    yield v
                else:
                    yield from bodies(v)
        elif isinstance(doc, list):
            for v in doc:
                yield from bodies(v)

    for path in list(CORPUS.glob("reports/*/*.json")) + list(CORPUS.glob("exchanges/*.jsonl")):
        docs = [json.loads(x) for x in path.read_text().splitlines()] if path.suffix == ".jsonl" else \
            [json.loads(path.read_text())]
        for doc in docs:
            assert all(len(b) <= BODY_LIMIT and "\x00" not in b for b in bodies(doc)), path


def test_labels_are_what_the_label_script_makes():
    label = load_label_script()
    made = label.build()
    for r in made:
        r.pop("_ev")
    key = lambda r: r["id"]  # noqa: E731
    assert sorted(made, key=key) == sorted(LABELS, key=key)
