"""iacfilter explain: snippet, score, threshold, verdict, rule, feature weights, nearest examples, rationale."""

import json

import pytest
from conftest import EXAMPLES, make_champion, run_subprocess, shared

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
    rows = shared("data", "glitch-findings", "train.jsonl").read_text().splitlines()[:300]
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
    # The numbers shown add up: the features named, the rest summed and the intercept give the logit of the score.
    import math

    shown = sum(w for _, w in e["contributions"]) + e["other_features"]["sum"] + e["intercept"]
    assert abs(shown - e["logit"]) < 1e-3 and e["intercept"] != 0
    assert abs(1 / (1 + math.exp(-e["logit"])) - e["score_now"]) < 1e-3
    # The weights are the model's: with its intercept they sum to the logit of the score.
    model = load_model("features-default")
    snippet_text = e["snippet"]
    assert snippet_text.startswith("ansible hard coded secret")
    pairs = model.scorer.explain(Snippet("hard_coded_secret", "ansible", line='db_user: "{{ vault_db_user }}"'))
    assert pairs[-1] == ("(intercept)", model.scorer.bias) and all(isinstance(w, float) for _, w in pairs)
    p = model.scorer.score([Snippet("hard_coded_secret", "ansible", line='db_user: "{{ vault_db_user }}"')])[0]
    assert abs(sum(w for _, w in pairs) - math.log(p / (1 - p))) < 1e-6


def test_explain_of_a_filtered_web_finding_shows_numbers_that_add_up_to_its_score(tmp_path):
    import math
    import re

    from conftest import REPO

    out = tmp_path / "web.sarif"
    zap = REPO / "tests" / "fixtures" / "http" / "zap-traditional-plus.json"
    res = run_subprocess("filter", zap, "-q", "-o", out)
    assert res.returncode == 0, res.stderr
    results = json.loads(out.read_text())["runs"][0]["results"]
    index = next(i for i, r in enumerate(results, 1) if r["properties"]["iacfilter"]["verdict"] == "filtered")
    res = run_subprocess("explain", out, index)
    assert res.returncode == 0, res.stderr
    block = res.stdout.split("what moved the score (contributions to the logit; > 0 towards true positive):\n")[1]
    rows = block.split("\n\n")[0].splitlines()
    numbers = [float(row.split()[0]) for row in rows]
    assert "intercept" in rows[-2] and "= logit" in rows[-1]
    assert abs(sum(numbers[:-1]) - numbers[-1]) < 0.01  # what is shown adds up to the logit
    score = float(re.search(r"= (\d\.\d+)$", rows[-1]).group(1))
    assert abs(score - 1 / (1 + math.exp(-numbers[-1]))) < 1e-3
    assert abs(score - results[index - 1]["properties"]["iacfilter"]["score"]) < 1e-3


def test_a_line_with_two_findings_explains_both_and_not_scored_says_why(tmp_path):
    puppet, out = EXAMPLES / "puppet", tmp_path / "puppet.sarif"
    res = run_subprocess("filter", puppet / "glitch.csv", "--source-root", puppet, "-q", "-o", out)
    assert res.returncode == 0, res.stderr
    res = run_subprocess("explain", out, "manifests/init.pp:15", "--source-root", puppet)
    assert res.returncode == 0, res.stderr
    assert res.stdout.count("manifests/init.pp:15") == 2  # admin by default and a hard-coded user
    assert "IAC-ADMIN-BY-DEFAULT" in res.stdout and "IAC-HARD-CODED-USER" in res.stdout
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
