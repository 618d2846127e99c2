"""Scoring with a dual-head champion: generate an analysis under the budget, then the head decides."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Sequence

from iacfilter.errors import IacfilterError
from iacfilter.findings import Score, Snippet
from iacfilter.registry import refuse_options

from .model import CONFIG, HEAD, LM, base_hashes, build_head, load_base, resolve_base
from .rationale import mask_rationale

BASE_ENV = "IACFILTER_DUAL_HEAD_BASE"  # where the base model lies when it is not where training found it


class DualHeadScorer:
    def __init__(self, lm: LM, head, mean, std, budget: int, policy: bool, batch_size: int = 16,
                 head_reads: str = "analysis"):
        self.lm, self.head, self.mean, self.std = lm, head, mean, std
        self.budget, self.policy, self.batch_size = budget, policy, batch_size
        self.head_reads = head_reads  # "prompt": the head reads the base without its adapter, over the prompt

    def head_features(self, snippets: Sequence[Snippet], generations):
        if self.head_reads == "prompt":
            with self.lm.without_adapter():
                return self.lm.forward([self.lm.prompt_ids(s.text, 0, self.policy) for s in snippets],
                                       [[] for _ in snippets])[0]
        prompts = [self.lm.prompt_ids(s.text, self.budget, self.policy) for s in snippets]
        return self.lm.forward(prompts, [g.ids for g in generations])[0]

    def probabilities(self, features) -> list[float]:
        import torch

        with torch.inference_mode():
            return torch.sigmoid(self.head(((features - self.mean) / self.std)).squeeze(-1)).tolist()

    def score(self, snippets: Sequence[Snippet]) -> list[Score]:
        out: list[Score] = []
        for start in range(0, len(snippets), self.batch_size):
            out.extend(self._batch(list(snippets[start : start + self.batch_size])))
        return out

    def _batch(self, snippets: list[Snippet]) -> list[Score]:
        prompts = [self.lm.prompt_ids(s.text, self.budget, self.policy) for s in snippets]
        try:
            generations = self.lm.generate(prompts, self.budget)
        except Exception as exc:  # a failed batch: each finding on its own, a failing one kept unscored
            if len(snippets) == 1:
                return [Score(math.nan, None, f"generation failed: {type(exc).__name__}: {exc}")]
            return [score for s in snippets for score in self._batch([s])]
        features = self.head_features(snippets, generations)
        scores = []
        for snippet, generation, p in zip(snippets, generations, self.probabilities(features)):
            rationale, note = None, None
            if self.budget > 0:
                text = self.lm.tokenizer.decode(generation.ids, skip_special_tokens=True).strip()
                rationale = mask_rationale(text, snippet.text)
                if generation.truncated:
                    note = f"analysis truncated at the budget of {self.budget} tokens"
                elif not text:
                    note = "the model wrote no analysis"
            scores.append(Score(float(p), rationale, note))
        return scores


def read_config(champion) -> dict:
    path = Path(champion.path) / CONFIG
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise IacfilterError(str(path), f"cannot read the dual-head configuration: {exc}") from None


def load(champion, options=None, device=None) -> DualHeadScorer:
    options = dict(options or {})
    refuse_options(champion, options, accepted=("budget",))
    import torch
    from safetensors.torch import load_file

    root = Path(champion.path)
    config = read_config(champion)
    base_info = config["base"]
    override = os.environ.get(BASE_ENV)
    base = override or (str(root) if base_info.get("shipped") else resolve_base(str(base_info["name"])))
    if not Path(base).is_dir():
        raise IacfilterError(base, f"base model not found: the champion's adapter needs its base model as a local "
                                   f"directory (set {BASE_ENV} to where it lies)")
    if base_info.get("known"):  # a base built from chunk packages: the GGUF hash its cache manifest records
        from iacfilter_plugins.bases import describe

        manifest = describe(base) or {}
        if manifest.get("sha256") != base_info.get("gguf_sha256"):
            raise IacfilterError(str(root), f"adapter was trained for base {base_info['known']} (GGUF sha256 "
                                            f"{base_info.get('gguf_sha256')}), {base} is not it")
    expected = base_info.get("sha256") or {}
    actual = base_hashes(base) if expected else {}
    if expected and actual != expected:
        raise IacfilterError(str(root), f"adapter was trained for another base model: {base} does not match the "
                                        f"sha256 of {base_info['name']} recorded in {CONFIG}")
    budget = options.get("budget")
    budget = int(config["budget"]) if budget is None else int(budget)
    if budget < 0:
        raise IacfilterError("--budget", f"must be 0 or more, not {budget}")
    try:
        tokenizer = base if config.get("tokenizer") == "base" else root  # a real base's own tokenizer stays there
        lm = load_base(base, device=device, adapter=root if config.get("lora") else None, tokenizer=tokenizer,
                       merge=config.get("head_reads", "analysis") != "prompt", cpu_dtype=config.get("cpu_dtype"))
    except (OSError, ValueError) as exc:
        raise IacfilterError(base, f"cannot load the base model: {str(exc).splitlines()[0]}") from None
    lm.max_prompt = config.get("max_prompt")
    lm.use_bos(bool(config.get("bos", False)))  # champions from before the setting have none
    try:
        lm.check_budget(budget)
    except ValueError as exc:
        raise IacfilterError("--budget", str(exc)) from None
    tensors = load_file(str(root / HEAD))
    head_cfg = config["head"]
    mean, std = tensors.pop("norm.mean"), tensors.pop("norm.std")
    head = build_head(mean.shape[0], head_cfg["hidden"], head_cfg["dropout"])
    head.load_state_dict({k.removeprefix("mlp."): v for k, v in tensors.items()})
    head.eval()
    return DualHeadScorer(lm, head.to(torch.float32), mean, std, budget, bool(config.get("policy", False)),
                          head_reads=config.get("head_reads", "analysis"))
