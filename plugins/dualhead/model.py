"""The dual-head model: a causal LM (+ LoRA adapter) that writes an analysis, and an MLP head on its hidden states.

Everything here is shared by training, scoring and the variant table: how a base is found and fingerprinted,
how sequences are built from ids, greedy batched generation under a budget, and the features the head reads
(the masked mean of the last hidden state over prompt + analysis).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from iacfilter_plugins.bases import resolve as resolve_base  # known base, local dir, package:NAME or hub id

from .prompt import SEPARATOR, VERDICTS, prompt_parts

CONFIG = "dualhead.json"
HEAD = "head.safetensors"
ADAPTER = "lora.safetensors"
BASE_FILES = ("config.json",)  # plus every *.safetensors of the base
OWN_FILES = ("lora", "head", "adapter_")  # safetensors files in a champion that are not the base's


def base_hashes(directory: str | Path) -> dict[str, str]:
    """sha256 of the base's config and weight files (what an adapter was trained against)."""
    root = Path(directory)
    names = [n for n in BASE_FILES if (root / n).is_file()]
    names += sorted(p.name for p in root.glob("*.safetensors") if not p.name.startswith(OWN_FILES))
    out = {}
    for name in names:
        digest = hashlib.sha256()
        with open(root / name, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        out[name] = digest.hexdigest()
    return out


def device_and_dtype(device=None, cpu_dtype: str | None = None):
    """cuda with bf16 (fp16 where bf16 is missing) when a GPU is present, else the CPU in fp32, or in bf16 when
    ``cpu_dtype`` is ``"bfloat16"`` (a CPU with AMX or AVX-512 BF16 runs it several times faster)."""
    import torch

    device = torch.device(device) if device else torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.type == "cuda":
        return device, torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if cpu_dtype not in (None, "float32", "bfloat16"):
        raise ValueError(f"cpu_dtype must be float32 or bfloat16, not {cpu_dtype!r}")
    return device, torch.bfloat16 if cpu_dtype == "bfloat16" else torch.float32


def context_size(model) -> int:
    config = model.config
    for key in ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length"):
        value = getattr(config, key, None)
        if isinstance(value, int) and value > 0:
            return value
    return 2048


def build_head(hidden: int, sizes: Sequence[int], dropout: float):
    """MLP: hidden -> sizes... -> 1 logit (GELU, dropout between layers)."""
    import torch

    layers, width = [], hidden
    for size in sizes:
        layers += [torch.nn.Linear(width, int(size)), torch.nn.GELU(), torch.nn.Dropout(float(dropout))]
        width = int(size)
    layers.append(torch.nn.Linear(width, 1))
    return torch.nn.Sequential(*layers)


@dataclass
class Generation:
    ids: list[int]  # the analysis ids kept (at most the budget)
    length: int  # tokens the model wrote before ending the analysis (budget + 1 when it ran past)
    truncated: bool  # the model did not end the analysis within the budget


class LM:
    """A causal LM with its tokenizer, and the ids of the fixed parts of every sequence."""

    def __init__(self, model, tokenizer, device, dtype=None):
        self.model, self.tokenizer, self.device = model, tokenizer, device
        self.dtype = dtype
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        tp, fp = (tokenizer.encode(v, add_special_tokens=False) for v in VERDICTS)
        k = next((i for i, (a, b) in enumerate(zip(tp, fp)) if a != b), None)
        if k is None:
            raise ValueError("the tokenizer cannot tell ' TP' from ' FP'")
        # tokens " TP" and " FP" share (e.g. a lone space) belong to the separator; the verdict is the first
        # token where they differ
        self.sep = tokenizer.encode(SEPARATOR, add_special_tokens=False) + tp[:k]
        self.stop = self.sep[0]
        self.verdict = [tp[k], fp[k]]
        self.eos = tokenizer.eos_token_id if tokenizer.eos_token_id is not None else self.stop
        self.context = context_size(model)
        self.max_prompt: int | None = None  # tokens of the finding kept (a speed knob; None: what the context allows)
        self.bos: list[int] = []  # the begin-of-sequence id before every prompt (a pretrained base expects one)

    def without_adapter(self):
        """A context in which the model is its base alone (an unmerged LoRA adapter switched off)."""
        import contextlib

        off = getattr(self.model, "disable_adapter", None)
        return off() if off is not None else contextlib.nullcontext()

    def use_bos(self, setting) -> bool:
        """``True``/``False``, or ``"auto"``: a BOS token where the tokenizer has one. Returns what was chosen."""
        bos = self.tokenizer.bos_token_id
        on = bos is not None if setting == "auto" else bool(setting) and bos is not None
        self.bos = [bos] if on else []
        return on

    def encode(self, text: str) -> list[int]:
        return self.tokenizer.encode(text, add_special_tokens=False)

    def reserve(self, budget: int) -> int:
        """Tokens a sequence needs beyond the cut-able head: tail, budget + 1, separator, verdict, eos."""
        return len(self.bos) + len(self.encode(prompt_parts("", budget)[1])) + budget + 1 + len(self.sep) + 2

    def check_budget(self, budget: int, min_prompt: int = 16) -> None:
        if budget < 0:
            raise ValueError(f"budget must be >= 0, not {budget}")
        if self.reserve(budget) + min_prompt > self.context:
            raise ValueError(f"budget {budget} does not fit the model's context of {self.context} tokens "
                             f"(at most {self.context - min_prompt - self.reserve(0)})")

    def prompt_ids(self, snippet_text: str, budget: int, policy: bool = False) -> list[int]:
        head, tail = prompt_parts(snippet_text, budget, policy)
        head_ids, tail_ids = self.encode(head), self.encode(tail)
        room = max(self.context - self.reserve(budget), 1)
        if self.max_prompt:
            room = min(room, self.max_prompt)
        return self.bos + head_ids[:room] + tail_ids

    # -- generation and features ---------------------------------------------------------------------------
    def _pad_left(self, seqs: Sequence[Sequence[int]]):
        import torch

        width = max(len(s) for s in seqs)
        ids = torch.full((len(seqs), width), self.tokenizer.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(seqs), width), dtype=torch.long)
        for i, s in enumerate(seqs):
            if s:
                ids[i, width - len(s):] = torch.tensor(list(s), dtype=torch.long)
                mask[i, width - len(s):] = 1
        return ids.to(self.device), mask.to(self.device)

    def generate(self, prompts: Sequence[Sequence[int]], budget: int) -> list[Generation]:
        """Greedy analyses of at most ``budget`` tokens; budget + 1 are generated to see whether it ran past."""
        import torch

        if budget == 0:
            return [Generation([], 0, False) for _ in prompts]
        ids, mask = self._pad_left(prompts)
        with torch.inference_mode():
            out = self.model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=budget + 1, do_sample=False,
                                      num_beams=1, eos_token_id=[self.stop, self.eos], pad_token_id=self.tokenizer.pad_token_id)
        result = []
        for row in out[:, ids.shape[1]:].tolist():
            end = next((i for i, t in enumerate(row) if t in (self.stop, self.eos)), None)
            if end is None:  # no end within budget + 1 tokens: ran past the budget
                result.append(Generation(row[:budget], budget + 1, True))
            else:
                result.append(Generation(row[:end], end, end > budget))
        return result

    def forward(self, prompts: Sequence[Sequence[int]], analyses: Sequence[Sequence[int]]):
        """(features, p_verdict): the masked mean of the last hidden state over prompt + analysis, and
        p(TP) from the verdict token after the separator (the SC reading of the same pass)."""
        import torch

        seqs = [list(p) + list(a) + self.sep for p, a in zip(prompts, analyses)]
        ids, mask = self._pad_left(seqs)
        body = mask.clone()
        body[:, -len(self.sep):] = 0  # the separator is not part of prompt + analysis
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        with torch.inference_mode(), torch.autocast(self.device.type, dtype=self.dtype or torch.float32,
                                                    enabled=self.device.type == "cuda"):
            # the decoder alone, and the logits of the two verdict tokens only: a real base's vocabulary (Gemma 3:
            # 262k tokens) makes any row of full logits cost more than the transformer itself
            out = self.model.get_decoder()(input_ids=ids, attention_mask=mask, position_ids=positions,
                                           output_hidden_states=True)
            last = out.last_hidden_state[:, -1, :]
            logits = last @ self.model.get_output_embeddings().weight[self.verdict].T
        cap = getattr(self.model.config, "final_logit_softcapping", None)
        logits = logits.float()
        if cap:
            logits = torch.tanh(logits / cap) * cap
        hidden = out.hidden_states[-1].float()
        weights = body.unsqueeze(-1).to(hidden.dtype)
        features = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)
        p_verdict = torch.softmax(logits, dim=-1)[:, 0]
        return features, p_verdict



def load_base(base: str, device=None, adapter: str | Path | None = None, tokenizer: str | Path | None = None,
              merge: bool = True, trainable: bool = False, cpu_dtype: str | None = None) -> LM:
    """The base causal LM (safetensors only), with a LoRA adapter from ``adapter`` when given (merged into the
    weights for inference unless ``trainable`` or not ``merge``: then ``LM.without_adapter`` can switch it off)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    device, dtype = device_and_dtype(device, cpu_dtype)
    model = AutoModelForCausalLM.from_pretrained(resolve_base(base), use_safetensors=True,
                                                 dtype=dtype if not trainable else None)
    tok = AutoTokenizer.from_pretrained(str(tokenizer or resolve_base(base)))
    if adapter is not None:
        model = attach_adapter(model, Path(adapter), trainable=trainable)
        if merge and not trainable:
            model = model.merge_and_unload()
    model.to(device).eval()
    _contiguous_head_input(model)
    return LM(model, tok, device, dtype)


def _contiguous_head_input(model) -> None:
    """The output layer gets a contiguous input. Given the last position's slice of the hidden states (what
    generation and ``logits_to_keep`` pass it), a model whose layers carry LoRA wrappers otherwise multiplies by
    a batch-expanded copy of the whole output matrix (Gemma 3: 262k x 640, seconds on a CPU) every prefill."""
    head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    if head is not None:
        head.register_forward_pre_hook(lambda module, args: (args[0].contiguous(), *args[1:]))


def lora_config(lora: dict):
    from peft import LoraConfig

    return LoraConfig(task_type="CAUSAL_LM", r=int(lora["r"]), lora_alpha=int(lora["alpha"]),
                      lora_dropout=float(lora["dropout"]), target_modules=list(lora["target_modules"]))


def attach_adapter(model, directory: Path, trainable: bool = False):
    """The LoRA adapter of ``directory`` (``lora.safetensors``, its config in ``dualhead.json``) on ``model``.

    Stored under its own names, not peft's ``adapter_config.json``, so that ``from_pretrained`` on a champion that
    ships its base beside the adapter loads the bare base, and nothing falls back to a pickle."""
    import json

    from peft import get_peft_model, set_peft_model_state_dict
    from safetensors.torch import load_file

    weights = directory / ADAPTER
    if not weights.is_file():
        raise FileNotFoundError(f"{directory}: no {ADAPTER}")
    import warnings

    config = json.loads((directory / CONFIG).read_text())
    with warnings.catch_warnings():  # peft calls a transformers API deprecated for v6: not the user's business
        warnings.simplefilter("ignore", FutureWarning)
        peft_model = get_peft_model(model, lora_config(config["lora"]))
    result = set_peft_model_state_dict(peft_model, load_file(str(weights)))
    unexpected = getattr(result, "unexpected_keys", None)
    if unexpected:
        raise ValueError(f"{weights}: adapter does not fit this base (unexpected {unexpected[0]})")
    if not trainable:
        for p in peft_model.parameters():
            p.requires_grad_(False)
    return peft_model


def save_adapter(peft_model, directory: Path) -> None:
    from peft import get_peft_model_state_dict
    from safetensors.torch import save_file

    state = {k: v.detach().contiguous().cpu() for k, v in get_peft_model_state_dict(peft_model).items()}
    save_file(state, str(directory / ADAPTER))
