"""The ``dual-head`` scorer backend: a causal LM with a LoRA adapter that writes an analysis of each finding under
a token budget, and an MLP head on its hidden states that gives p(true positive).

Needs the ``dual-head`` extra (torch, transformers, tokenizers, peft). ``params.model`` names the base causal LM
(a local directory, ``package:NAME`` or a hub id); weights are read from safetensors only. See ``training`` for
the two training phases, ``scorer`` for inference with ``--budget``, ``pretrain`` for the small base model
pre-trained from scratch that the shipped ``dual-head-http-tiny`` champion builds on (its base ships inside it;
``dual-head-http`` builds on Gemma 3 270M from the ``base-gemma3-270m`` extra).
"""

from __future__ import annotations

from pathlib import Path

from iacfilter.errors import IacfilterError
from iacfilter.hookspecs import hookimpl
from iacfilter.registry import ScorerBackend

CHAMPIONS = Path(__file__).resolve().parent / "champions"


# What the backend imports from the ``dual-head`` extra. A missing one is named with that extra: the
# ``encoder`` extra, which the CLI would name for torch or transformers alone, lacks peft.
EXTRA_PACKAGES = ("torch", "transformers", "tokenizers", "peft")


def _missing_extra(exc: ModuleNotFoundError, where: str) -> IacfilterError:
    top = (exc.name or "").split(".")[0]
    if top not in EXTRA_PACKAGES:
        raise exc
    return IacfilterError(where, f"the dual-head backend needs the Python package {top!r}: "
                                 "pip install 'iacfilter[dual-head]'")


def _load(champion, options=None):
    try:
        from .scorer import load

        return load(champion, options)
    except ModuleNotFoundError as exc:
        raise _missing_extra(exc, str(champion.path)) from None


def _train(params, train_set, val_set, out_dir, seed, log=print):
    try:
        from .training import train

        return train(params, train_set, val_set, out_dir, seed, log)
    except ModuleNotFoundError as exc:
        raise _missing_extra(exc, "dual-head backend") from None


@hookimpl
def register_scorers(register):
    register(ScorerBackend("dual-head", "causal LM + LoRA adapter writing an analysis under a token budget, MLP head "
                                        "on its hidden states (torch, peft)", _load, _train, extra="dual-head"))


@hookimpl
def register_champions(register):
    for name in ("dual-head-http", "dual-head-http-tiny"):
        if (CHAMPIONS / name / "champion.yaml").is_file():
            register(name, CHAMPIONS / name, default=False)


@hookimpl
def register_commands(cli):
    from .cli import dualhead

    cli.add_command(dualhead)
