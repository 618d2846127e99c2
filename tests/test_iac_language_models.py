"""The frozen-LM candidate of the IaC benchmark (``benchmarks/iac_language_models.py``) on a tiny random encoder
(tokenizer trained here): masked-mean features, the resumable feature cache, the cross-validation head."""

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import pytest

np = pytest.importorskip("numpy")
torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from tiny_encoder import build_tiny_encoder  # noqa: E402

SPEC = importlib.util.spec_from_file_location(
    "iac_language_models", Path(__file__).resolve().parents[1] / "benchmarks" / "iac_language_models.py")
bench = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(bench)

TEXTS = ["ansible hard coded secret\n>>> password: hunter2", "puppet use of http\n>>> source => 'http://x/y.tar.gz'",
         "chef suspicious comment\n>>> # TODO: fix the admin password before release, it is still the default one"]


@pytest.fixture(scope="module")
def encoder(tmp_path_factory):
    return build_tiny_encoder(tmp_path_factory.mktemp("enc"), TEXTS * 5)


def test_features_ignore_padding_and_respect_the_length(encoder):
    tokenizer, model = bench.load_encoder(str(encoder))
    batched = bench.embed_batch(tokenizer, model, TEXTS, 64)
    alone = np.stack([bench.embed_batch(tokenizer, model, [t], 64)[0] for t in TEXTS])
    assert batched.shape == (3, 32)
    np.testing.assert_allclose(batched, alone, atol=1e-5)  # padding is masked out of the mean
    short = bench.embed_batch(tokenizer, model, [TEXTS[2]], 6)
    assert not np.allclose(short, alone[2:3], atol=1e-4)  # truncated to 6 tokens: another text


def test_feature_cache_resumes_and_recomputes_a_changed_text(encoder, tmp_path, monkeypatch):
    cache = tmp_path / "f.npz"
    first = bench.embed(TEXTS, str(encoder), 64, cache, batch=2)
    monkeypatch.setattr(bench, "load_encoder", lambda model: pytest.fail("the cache was not used"))
    np.testing.assert_array_equal(bench.embed(TEXTS[::-1], str(encoder), 64, cache), first[::-1])
    monkeypatch.undo()
    calls = []
    real = bench.load_encoder
    monkeypatch.setattr(bench, "load_encoder", lambda model: calls.append(model) or real(model))
    again = bench.embed([TEXTS[0] + " changed", TEXTS[1]], str(encoder), 64, cache)
    assert calls == [str(encoder)] and again.shape == (2, 32)
    np.testing.assert_array_equal(again[1], first[1])
    with np.load(cache) as saved:
        assert len(saved["key"]) == 4  # three texts, and the changed one


def test_frozen_head_learns_from_a_folds_training_rows_only():
    rng = np.random.default_rng(0)
    labels = [i % 2 for i in range(40)]
    x = rng.normal(size=(40, 8))
    x[:, 0] += 3 * np.array(labels)  # one informative dimension
    examples = [SimpleNamespace(label=y) for y in labels]
    head = bench.FrozenHead(examples, x)
    scores = head.train({}, examples[:30], examples[30:], None, 0, print)
    assert head.chosen and head.chosen[0] in head.CS  # C chosen on the training rows by an inner CV
    assert len(scores) == 10 and all(0 <= s <= 1 for s in scores)
    positives = [s for s, e in zip(scores, examples[30:]) if e.label]
    negatives = [s for s, e in zip(scores, examples[30:]) if not e.label]
    assert min(positives) > max(negatives)


def test_fine_tuned_folds_are_checkpointed_and_resumed(tmp_path):
    from iacfilter_training.crossval import cross_validate

    rng = np.random.default_rng(1)
    labels = [i % 2 for i in range(60)]
    x = rng.normal(size=(60, 4))
    x[:, 0] += 3 * np.array(labels)
    examples = [SimpleNamespace(label=y, snippet=SimpleNamespace(text=f"row {i}", tech="ansible", smell="s"), row={})
                for i, y in enumerate(labels)]
    logged = []
    first = bench.Checkpointed(bench.FrozenHead(examples, x), tmp_path / "cand", max_folds=2, log=logged.append)
    with pytest.raises(bench.FoldsDone):
        cross_validate(first, {"C": 1.0}, examples, folds=3, seed=1, log=lambda m: None)
    assert len(first.done) == 2 and len(list((tmp_path / "cand").glob("fold-*.json"))) == 2
    default = cross_validate(bench.FrozenHead(examples, x), {"C": 1.0}, examples, folds=3, seed=1, log=lambda m: None)
    partial = bench.partial_folds(examples, first.done, {1: default["scores"]})["folds_done"]
    assert [p["fold"] for p in partial] == [1, 2] and sum(p["rows"] for p in partial) == 40
    assert partial[0]["all"]["candidate"] == partial[0]["all"]["features-default"]  # same head, same rows

    class Untrainable:
        name, extra = "untrainable", None

        def train(self, *args):
            pytest.fail("a checkpointed fold was trained again")

    resumed = bench.Checkpointed(Untrainable(), tmp_path / "cand", max_folds=0)
    with pytest.raises(pytest.fail.Exception):  # the two stored folds are reused, the third must train
        cross_validate(resumed, {"C": 1.0}, examples, folds=3, seed=1, log=lambda m: None)
    assert len(resumed.done) == 2
    again = bench.Checkpointed(bench.FrozenHead(examples, x), tmp_path / "cand")
    full = cross_validate(again, {"C": 1.0}, examples, folds=3, seed=1, log=lambda m: None)
    assert full["scores"] == pytest.approx(default["scores"])
