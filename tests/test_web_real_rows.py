"""The real-scanner corpus as training rows (``benchmarks/web_real_rows.py``): every label's written reason said as
an analysis that names what the finding is about and ends in the label's verdict; splits by app family."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "datasets" / "http-real"
sys.path.insert(0, str(REPO / "benchmarks"))
SPEC = importlib.util.spec_from_file_location("web_real_rows", REPO / "benchmarks" / "web_real_rows.py")
rows_module = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(rows_module)

LABELS = [json.loads(line) for line in (CORPUS / "labels.jsonl").read_text(encoding="utf-8").splitlines()]


def test_every_analysis_names_its_subject_and_says_the_label():
    for record in LABELS:
        text = rows_module.analysis(record)
        subject = record.get("subject") or {}
        named = subject.get("header") or subject.get("cookie")
        if named:
            assert named in text, (record["id"], text)
        real = " is a real weakness here" in text
        assert real == (record["label"] == "TP") and (" is not a real weakness here" in text) != real, text
        assert "http://" not in text and "https://" not in text, text  # app-specific URLs are left out
        assert text.endswith(".") and "\n" not in text
    # the policy's condition is said, not only the verdict
    hsts = next(r for r in LABELS if "plain HTTP, where the header has no effect" in r["reason"])
    assert rows_module.analysis(hsts) == ("Strict-Transport-Security is not a real weakness here: the response is "
                                          "plain HTTP, where the header has no effect.")


def test_rows_split_by_family_and_render_as_snippets(tmp_path, monkeypatch):
    pytest.importorskip("numpy")
    from iacfilter.dataset import load_dataset

    monkeypatch.setattr(sys, "argv", ["web_real_rows", "--real", str(CORPUS), "-o", str(tmp_path),
                                      "--test", "radicale", "--val", "jupyter"])
    rows_module.main()
    parts = {name: [json.loads(x) for x in (tmp_path / f"{name}.jsonl").read_text().splitlines()]
             for name in ("all", "train", "val", "test")}
    assert {r["app_family"] for r in parts["test"]} == {"radicale"}
    assert {r["app_family"] for r in parts["val"]} == {"jupyter"}
    assert not {"radicale", "jupyter"} & {r["app_family"] for r in parts["train"]}
    assert len(parts["all"]) == sum(len(parts[n]) for n in ("train", "val", "test")) > 1000
    examples = load_dataset(tmp_path / "test.jsonl")
    assert len(examples) == len(parts["test"]) and all(e.snippet.text.startswith("http ") for e in examples)
    monkeypatch.setattr(sys, "argv", ["web_real_rows", "--real", str(CORPUS), "-o", str(tmp_path), "--test", "nope"])
    with pytest.raises(SystemExit, match="no app family"):
        rows_module.main()
