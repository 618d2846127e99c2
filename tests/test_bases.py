"""Bases from chunk packages (``iacfilter_plugins.bases``), tested on tiny fake chunk packages built here: they test
our reassembly, hash check, cache and refusals, not a model. One slow test loads the real Gemma 3 270M from its
packages (marker ``slow_real_base``; skipped unless the extra ``base-gemma3-270m`` is installed)."""

import hashlib
import importlib.metadata
import json

import pytest

from iacfilter.errors import IacfilterError
from iacfilter_plugins import bases
from iacfilter_plugins.bases import Base, Chunk

CHUNKS = [b"GGUF" + bytes(range(200)) * 3, bytes(reversed(range(256))) * 2, b"tail of the file"]


def fake_packages(site, chunks=CHUNKS, version="1.0.0", prefix="fakebase_part"):
    """Installed-looking chunk packages: a module directory with its chunk and a dist-info with its version."""
    for i, data in enumerate(chunks, 1):
        module = site / f"{prefix}{i}"
        (module / "data").mkdir(parents=True, exist_ok=True)
        (module / "__init__.py").write_text("raise RuntimeError('chunk package code must not run')\n")
        (module / "data" / f"chunk{i:02d}").write_bytes(data)
        info = site / f"{prefix}{i}-{version}.dist-info"
        info.mkdir(exist_ok=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {prefix}{i}\nVersion: {version}\n")
    return site


def fake_base(chunks=CHUNKS, prefix="fakebase_part", name="fake"):
    whole = b"".join(chunks)
    return Base(name=name, title="a fake base", kind="gguf-causal-lm", assembled="fake.gguf",
                sha256=hashlib.sha256(whole).hexdigest(), size=len(whole), parameters=1,
                chunks=tuple(Chunk(f"{prefix}{i}", "1.0.0", f"{prefix}{i}/data/chunk{i:02d}")
                             for i in range(1, len(chunks) + 1)),
                licence="none")


@pytest.fixture
def site(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    monkeypatch.setenv(bases.CACHE_ENV, str(tmp_path / "cache"))
    return site


def test_reassembles_in_order_and_checks_the_pinned_hash(site, tmp_path):
    fake_packages(site)
    target = tmp_path / "out.gguf"
    bases.reassemble(fake_base(), target)
    assert target.read_bytes() == b"".join(CHUNKS)


@pytest.mark.parametrize("damage", ["wrong", "truncated", "swapped"])
def test_a_wrong_or_truncated_chunk_is_refused_and_nothing_is_left(site, tmp_path, damage):
    chunks = list(CHUNKS)
    if damage == "wrong":
        chunks[1] = chunks[1][:10] + b"X" + chunks[1][11:]
    elif damage == "truncated":
        chunks[2] = chunks[2][:-3]
    else:
        chunks[0], chunks[1] = chunks[1], chunks[0]
    fake_packages(site, chunks)
    base = fake_base()  # pinned to the good chunks
    with pytest.raises(IacfilterError, match="wrong or truncated; refusing") as err:
        bases.materialize(base)
    assert "\n" not in str(err.value)
    cache = tmp_path / "cache" / "bases"
    assert not bases.location(base).exists() and not any(cache.iterdir())  # no half-built base, no temp dir


def test_missing_or_unpinned_package_says_how_to_install(site):
    fake_packages(site, CHUNKS[:2])
    with pytest.raises(IacfilterError, match=r"fakebase_part3 is not installed; install it with: pip install "
                                             r"'iacfilter\[base-fake\]'"):
        bases.chunk_paths(fake_base())
    fake_packages(site, CHUNKS, version="2.0.0", prefix="otherbase_part")
    with pytest.raises(IacfilterError, match="otherbase_part1 is 2.0.0, not the pinned 1.0.0"):
        bases.chunk_paths(fake_base(prefix="otherbase_part"))


def test_first_use_converts_once_atomically_and_records_a_manifest(site, tmp_path, monkeypatch):
    fake_packages(site)
    base = fake_base()
    calls = []

    def convert(b, assembled, out):  # the GGUF conversion stands in for transformers here: a tiny weight file
        from safetensors.numpy import save_file
        import numpy as np

        calls.append(assembled.read_bytes())
        save_file({"w": np.zeros((3, 4), dtype=np.float32)}, str(out / "model.safetensors"))

    monkeypatch.setattr(bases, "_convert", convert)
    monkeypatch.setitem(bases.KNOWN, "fake", base)
    first = bases.resolve("base:fake")
    assert bases.resolve("fake") == first and len(calls) == 1 and calls[0] == b"".join(CHUNKS)
    manifest = json.loads((bases.location(base) / bases.MANIFEST).read_text())
    assert manifest["name"] == "fake" and manifest["sha256"] == base.sha256 and manifest["parameters"] == 12
    assert bases.describe(first)["sha256"] == base.sha256
    assert [p.name for p in (tmp_path / "cache" / "bases").iterdir()] == [bases.location(base).name]
    assert bases.provenance("fake")["base_sha256"] == base.sha256 and bases.provenance("elsewhere") == {}


def test_resolve_passes_other_names_through(tmp_path):
    assert bases.resolve(str(tmp_path)) == str(tmp_path)
    assert bases.resolve("org/some-model") == "org/some-model"
    with pytest.raises(IacfilterError, match="unknown base"):
        bases.resolve("base:no-such-base")


def test_cli_refuses_a_bad_chunk_with_one_line_exit_2(site, tmp_path):
    """``iacfilter bases prepare`` in a fresh process on a known base whose chunk packages are damaged."""
    import subprocess
    import sys

    chunks = list(CHUNKS)
    chunks[1] = chunks[1][:-1]
    fake_packages(site, chunks)
    base = fake_base()
    code = ("import sys; from iacfilter_plugins import bases; from iacfilter_plugins.bases import Base, Chunk; "
            f"bases.KNOWN['fake'] = eval({repr(repr(base))}); from iacfilter.cli import main; "
            "sys.argv[0] = 'iacfilter'; main()")
    env = {**__import__("os").environ, "PYTHONPATH": str(site), bases.CACHE_ENV: str(tmp_path / "cache")}
    res = subprocess.run([sys.executable, "-c", code, "bases", "prepare", "fake"], capture_output=True, text=True,
                         env=env)
    assert res.returncode == 2, res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr
    assert "wrong or truncated" in res.stderr and res.stdout == ""


def _installed(dist):
    try:
        importlib.metadata.version(dist)
        return True
    except importlib.metadata.PackageNotFoundError:
        return False


@pytest.mark.slow_real_base
@pytest.mark.skipif(not all(_installed(c.distribution) for c in bases.KNOWN["gemma3-270m"].chunks),
                    reason="the extra base-gemma3-270m is not installed (pip install 'iacfilter[base-gemma3-270m]')")
def test_real_gemma_from_its_packages_scores_three_findings(tmp_path_factory):
    """The real Gemma 3 270M: reassembled, verified and converted (or found in IACFILTER_CACHE), a frozen-base
    head trained on 24 generated HTTP rows, three held-back findings scored with an analysis."""
    pytest.importorskip("gguf")
    from iacfilter_plugins.dualhead.model import load_base
    from iacfilter_plugins.dualhead.training import features
    import torch

    directory = bases.resolve("base:gemma3-270m")
    manifest = bases.describe(directory)
    assert manifest["sha256"] == bases.KNOWN["gemma3-270m"].sha256 and manifest["parameters"] > 250_000_000
    lm = load_base(directory)
    lm.max_prompt = 96
    texts = ["http missing header\nGET / HTTP/1.1\nHTTP/1.1 200 OK\nContent-Type: text/html\n"
             "(X-Frame-Options is not set)",
             "http cookie flags\nSet-Cookie: sessionid=[MASKED]; Path=/\n(cookie without Secure flag)",
             "http version banner\nServer: nginx/1.18.0\n(server leaks its version)"]
    x, p_verdict, gens = features(lm, texts, 8, False, 3, lambda m: None, "real base")
    assert x.shape == (3, lm.model.config.hidden_size) and torch.isfinite(x).all()
    assert all(0.0 <= p <= 1.0 for p in p_verdict) and all(len(g.ids) <= 8 for g in gens)
    assert any(lm.tokenizer.decode(g.ids).strip() for g in gens)
