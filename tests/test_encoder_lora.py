"""The ``encoder`` backend on tiny random-init models (tokenizers trained here): a decoder trained as a LoRA
sequence classifier (adapter + head stored as safetensors, reloaded on its base, refused on another), and an
MPNet encoder (all-mpnet-base-v2's architecture) fine-tuned in full."""

import json
from types import SimpleNamespace

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("peft")

from safetensors import safe_open  # noqa: E402
from tiny_encoder import build_tiny_decoder, build_tiny_mpnet  # noqa: E402

from iacfilter.errors import IacfilterError  # noqa: E402
from iacfilter_plugins.encoder import scorer as encoder  # noqa: E402

POSITIVE = ["ansible hard coded secret\n>>> password: {}", "puppet hard coded secret\n>>> $pass = '{}'"]
NEGATIVE = ["ansible hard coded secret\n>>> password: \"{{{{ vault_{} }}}}\"", "puppet hard coded secret\n>>> $pass = lookup('{}')"]
WORDS = ["hunter2", "s3cret", "admin123", "letmein", "qwerty", "passw0rd", "dragon", "monkey"]


def rows():
    out = []
    for i, word in enumerate(WORDS):
        out.append(SimpleNamespace(snippet=SimpleNamespace(text=POSITIVE[i % 2].format(word)), label=1))
        out.append(SimpleNamespace(snippet=SimpleNamespace(text=NEGATIVE[i % 2].format(word)), label=0))
    return out


def auc(labels, scores):
    pos = [s for s, y in zip(scores, labels) if y]
    neg = [s for s, y in zip(scores, labels) if not y]
    return sum((p > n) + 0.5 * (p == n) for p in pos for n in neg) / (len(pos) * len(neg))


LORA = {"r": 4, "alpha": 8, "dropout": 0.0, "target_modules": ["q_proj", "v_proj"]}


@pytest.fixture(scope="module")
def lora_champion(tmp_path_factory):
    root = tmp_path_factory.mktemp("lora")
    data = rows()
    base = build_tiny_decoder(root / "base", [e.snippet.text for e in data] * 3)
    before = {k: v.clone() for k, v in encoder.load_base_classifier(str(base))[0].state_dict().items()
              if not k.startswith("score")}
    params = {"model": str(base), "lora": LORA, "epochs": 30, "batch_size": 8, "learning_rate": 1.0e-2,
              "max_length": 48, "early_stopping": False, "warmup": 0.0, "threads": 1}
    out = root / "champion"
    out.mkdir()
    scores = encoder.train(params, data, data, out, seed=1, log=lambda m: None)
    return SimpleNamespace(base=base, out=out, data=data, scores=scores, before=before, root=root)


def test_lora_sequence_classifier_trains_and_stores_adapter_and_head_only(lora_champion):
    c = lora_champion
    assert len(c.scores) == len(c.data) and all(0.0 <= s <= 1.0 for s in c.scores)
    assert auc([e.label for e in c.data], c.scores) >= 0.9  # learnt the rows it was trained on
    files = {p.name for p in c.out.iterdir()}
    assert encoder.ADAPTER in files and "model.safetensors" not in files
    assert not [n for n in files if n.endswith((".bin", ".pt", ".pkl", ".pth"))]
    with safe_open(str(c.out / encoder.ADAPTER), "pt") as fh:
        keys = list(fh.keys())
        lora_b = [fh.get_tensor(k) for k in keys if "lora_B" in k]
    assert any("score" in k for k in keys)  # the classification head, trained in full
    assert lora_b and any(t.abs().sum() > 0 for t in lora_b)  # LoRA B starts at zero: it moved
    assert not [k for k in keys if "embed_tokens" in k or "mlp" in k]  # no base weight is stored
    config = json.loads((c.out / encoder.CONFIG).read_text())
    assert config["lora"] == LORA and config["base_identity"]["files_sha256"]["model.safetensors"]
    # The base itself stayed frozen.
    model = encoder.load_base_classifier(str(c.base))[0]
    for key, value in model.state_dict().items():
        if key in c.before:
            assert torch.equal(value, c.before[key]), key


def test_lora_champion_reloads_and_scores_as_trained(lora_champion):
    c = lora_champion
    scorer = encoder.load(SimpleNamespace(path=c.out, name="lora", backend="encoder"))
    again = scorer.score([e.snippet for e in c.data])
    assert again == pytest.approx(c.scores, abs=1e-4)


def test_lora_champion_refuses_another_base_in_one_line(lora_champion, tmp_path):
    c = lora_champion
    other = build_tiny_decoder(tmp_path / "other", [e.snippet.text for e in c.data] * 3, seed=7)
    moved = tmp_path / "champion"
    moved.mkdir()
    for path in c.out.iterdir():
        (moved / path.name).write_bytes(path.read_bytes())
    config = json.loads((moved / encoder.CONFIG).read_text())
    config["base"] = str(other)
    (moved / encoder.CONFIG).write_text(json.dumps(config))
    with pytest.raises(IacfilterError) as err:
        encoder.load(SimpleNamespace(path=moved, name="lora", backend="encoder"))
    message = str(err.value)
    assert "\n" not in message and "trained on base" in message and str(other) in message
    # Without its safetensors adapter it refuses too, rather than look for another format.
    config["base"] = str(c.base)
    (moved / encoder.CONFIG).write_text(json.dumps(config))
    (moved / encoder.ADAPTER).unlink()
    with pytest.raises(IacfilterError, match="adapter_model.safetensors"):
        encoder.load(SimpleNamespace(path=moved, name="lora", backend="encoder"))


def test_mpnet_fine_tunes_in_full_for_fixed_epochs(tmp_path):
    data = rows()
    base = build_tiny_mpnet(tmp_path / "mpnet", [e.snippet.text for e in data] * 3)
    logged = []
    params = {"model": str(base), "epochs": 2, "batch_size": 8, "learning_rate": 1.0e-3, "max_length": 48,
              "early_stopping": False}
    out = tmp_path / "champion"
    out.mkdir()
    scores = encoder.train(params, data, data, out, seed=1, log=logged.append)
    assert [m for m in logged if "val F1" in m] == []  # fixed epochs: the validation rows choose nothing
    assert sum("epoch" in m for m in logged) == 2
    assert json.loads((out / "config.json").read_text())["architectures"] == ["MPNetForSequenceClassification"]
    scorer = encoder.load(SimpleNamespace(path=out, name="mpnet", backend="encoder"))
    assert scorer.score([e.snippet for e in data]) == pytest.approx(scores, abs=1e-5)


def test_filter_scores_with_a_lora_champion_and_refuses_a_replaced_base(lora_champion, tmp_path):
    from conftest import EXAMPLES, filter_scores, run_subprocess

    from iacfilter.champion import write_manifest

    c = lora_champion
    base = tmp_path / "base"
    base.mkdir()
    for path in c.base.iterdir():
        (base / path.name).write_bytes(path.read_bytes())
    champ = tmp_path / "champ"
    champ.mkdir()
    for path in c.out.iterdir():
        (champ / path.name).write_bytes(path.read_bytes())
    config = json.loads((champ / encoder.CONFIG).read_text())
    (champ / encoder.CONFIG).write_text(json.dumps(config | {"base": str(base)}))
    write_manifest(champ, {"name": "lora", "backend": "encoder", "threshold": 0.5,
                           "smells": ["hard_coded_secret", "use_of_http", "empty_password"], "technologies": ["ansible"]})
    out = tmp_path / "o.json"
    filter_scores(champ, "ansible", out)
    other = build_tiny_decoder(tmp_path / "other", [e.snippet.text for e in c.data] * 3, seed=7)
    (base / "model.safetensors").write_bytes((other / "model.safetensors").read_bytes())
    out.unlink()
    res = run_subprocess("filter", EXAMPLES / "ansible" / "glitch.csv", "--model", champ, "-o", out)
    assert res.returncode == 2 and not out.exists()
    assert len(res.stderr.strip().splitlines()) == 1 and "trained on base" in res.stderr, res.stderr
