"""iacfilter explain: snippet, score, threshold, verdict, rule, feature weights, nearest examples, rationale."""

import json

import pytest
from conftest import EXAMPLES, SHARED, make_champion, run_subprocess

from iacfilter.champion import load_champion
from iacfilter.decide import champion_path, load_model
from iacfilter.explain import contributions, nearest
from iacfilter.findings import Snippet

ROOT = EXAMPLES / "ansible"


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    path = tmp_path_factory.mktemp("explain") / "out.sarif"
    res = run_subprocess("filter", ROOT / "glitch.csv", "--source-root", ROOT, "-q", "-o", path)
    assert res.returncode == 0, res.stderr
    return path


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    rows = (SHARED / "data" / "glitch-findings" / "train.jsonl").read_text().splitlines()[:300]
    path = tmp_path_factory.mktemp("data") / "train.jsonl"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_explain_by_location_shows_everything_a_reviewer_needs(out, dataset):
    res = run_subprocess("explain", out, "playbooks/site.yml:8", "--source-root", ROOT, "--dataset", dataset)
    assert res.returncode == 0, res.stderr
    text = res.stdout
    assert "IAC-HARD-CODED-PASSWORD" in text and "CWE-259" in text and "security severity 7.5" in text
    assert ">>> replication_password: \"r3pl1c4t10n-2019\"" in text  # the snippet the model saw
    threshold = load_champion(champion_path("features-default")).threshold
    assert f"against threshold {threshold:.2f} (model features-default)" in text
    assert "verdict   kept: score" in text
    assert "what moved the score" in text and "key_secret" in text
    assert "nearest labelled examples:" in text
    assert "scored now" not in text  # the source did not change: the same score comes back


def test_explain_json_agrees_with_the_output_and_the_model(out, dataset):
    res = run_subprocess("explain", out, "1", "--source-root", ROOT, "--dataset", dataset, "--json", "-k", "5")
    assert res.returncode == 0, res.stderr
    [e] = json.loads(res.stdout)
    result = json.loads(out.read_text())["runs"][0]["results"][0]
    assert e["score"] == result["properties"]["iacfilter"]["score"] == e["score_now"]
    assert e["verdict"] == result["properties"]["iacfilter"]["verdict"]
    assert len(e["nearest"]) == 5 and all(n["smell"] == e["smell"] for n in e["nearest"])
    sims = [n["similarity"] for n in e["nearest"]]
    assert sims == sorted(sims, reverse=True) and all(n["label"] in ("TP", "FP") for n in e["nearest"])
    # The weights shown are the model's: their sum plus the bias is the logit of the score.
    model = load_model("features-default")
    import math

    snippet_text = e["snippet"]
    assert snippet_text.startswith("ansible hard coded secret")
    weights = [w for _, w in model.scorer.explain(Snippet("hard_coded_secret", "ansible", line='db_user: "{{ vault_db_user }}"'))]
    assert weights and all(isinstance(w, float) for w in weights)
    p = model.scorer.score([Snippet("hard_coded_secret", "ansible", line='db_user: "{{ vault_db_user }}"')])[0]
    assert abs(sum(weights) + model.scorer.bias - math.log(p / (1 - p))) < 1e-6


def test_a_line_with_two_findings_explains_both_and_not_scored_says_why(out, tmp_path):
    res = run_subprocess("explain", out, "playbooks/site.yml:9", "--source-root", ROOT)
    assert res.returncode == 0, res.stderr
    assert res.stdout.count("playbooks/site.yml:9") == 2
    assert "IAC-EMPTY-PASSWORD" in res.stdout and "catalogue prior: empty:empty_string" in res.stdout
    # a smell no model judges (no labelled finding of it exists) is passed through, and explain says why
    csv = tmp_path / "g.csv"
    csv.write_text("PATH,LINE,ERROR,DESCRIPTION,CODE\nplaybooks/site.yml,9,sec_full_permission_filesystem,"
                   "Full permission to the filesystem - x (CWE-732),api_token\n")
    sarif = tmp_path / "o.sarif"
    assert run_subprocess("filter", csv, "--source-root", ROOT, "-q", "-o", sarif).returncode == 0
    res = run_subprocess("explain", sarif, "playbooks/site.yml:9", "--source-root", ROOT)
    assert res.returncode == 0, res.stderr
    assert "not-scored" in res.stdout and "no installed model covers full_permission_filesystem" in res.stdout


def test_rationale_and_a_scorer_without_explain(tmp_path, out):
    doc = json.loads(out.read_text())
    doc["runs"][0]["results"][0]["properties"]["iacfilter"]["rationale"] = "The value is a vault reference."
    edited = tmp_path / "edited.sarif"
    edited.write_text(json.dumps(doc))
    champion = make_champion(tmp_path / "kw")
    res = run_subprocess("explain", edited, "1", "--source-root", ROOT, "--model", champion)
    assert res.returncode == 0, res.stderr
    assert "the model's rationale:\n  The value is a vault reference." in res.stdout
    assert "backend 'keyword-test' cannot say which features mattered" in res.stdout
    assert contributions(load_model(load_champion(champion)).scorer, Snippet("s", "t", line="x")) is None


def test_missing_source_and_bad_selectors(out, tmp_path):
    res = run_subprocess("explain", out, "1", "--source-root", tmp_path)
    assert res.returncode == 0 and "snippet   none: file not found under the source root" in res.stdout
    for selector, words in (("0", "out of range"), ("99", "out of range"), ("playbooks/site.yml:2", "no result at"),
                            ("nonsense", "expected INDEX")):
        res = run_subprocess("explain", out, selector, "--source-root", ROOT)
        assert res.returncode == 2 and words in res.stderr and res.stderr.count("\n") == 1, res.stderr
    res = run_subprocess("explain", ROOT / "glitch.csv", "1")
    assert res.returncode == 2 and "not SARIF" in res.stderr


def test_nearest_prefers_same_smell_and_similar_lines():
    class E:
        def __init__(self, smell, line, label):
            self.snippet = Snippet(smell, "ansible", line=line, text=f"ansible {smell}\n>>> {line}")
            self.label, self.row = label, {}

    pool = [E("hard_coded_secret", "db_password: changeme", 1), E("hard_coded_secret", "name: web", 0),
            E("suspicious_comment", "db_password: changeme", 1)]
    query = Snippet("hard_coded_secret", "ansible", line="db_password: hunter2", text="ansible hard_coded_secret\n>>> db_password: hunter2")
    got = nearest(query, pool, k=3)
    assert [g["line"] for g in got] == ["db_password: changeme", "name: web"]
