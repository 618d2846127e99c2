"""Champion directories: weights, tokenizer and ``champion.yaml`` (the manifest with the frozen threshold).

Loading checks the sha256 of every file the manifest lists and refuses a mismatch.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import IacfilterError

MANIFEST = "champion.yaml"
FORMAT = "iacfilter-champion/1"
UNSAFE_WEIGHTS = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".joblib")
REQUIRED = ("format", "name", "backend", "threshold", "smells", "technologies", "files")


@dataclass(frozen=True)
class Champion:
    path: Path
    name: str
    backend: str
    threshold: float
    smells: frozenset[str]
    technologies: frozenset[str]
    manifest: dict[str, Any] = field(hash=False, compare=False)

    def covers(self, smell: str | None, tech: str | None) -> bool:
        return smell in self.smells and tech in self.technologies


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_champion(directory: str | Path) -> Champion:
    where = str(directory)
    root = Path(directory)
    if not root.is_dir():
        raise IacfilterError(where, "model is not a champion directory")
    manifest_path = root / MANIFEST
    if not manifest_path.is_file():
        raise IacfilterError(where, f"model directory has no {MANIFEST}")
    try:
        manifest = yaml.safe_load(manifest_path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise IacfilterError(str(manifest_path), f"not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(manifest, dict):
        raise IacfilterError(str(manifest_path), "must be a mapping")
    missing = [k for k in REQUIRED if k not in manifest]
    if missing:
        raise IacfilterError(str(manifest_path), f"missing keys: {', '.join(missing)}")
    if manifest["format"] != FORMAT:
        raise IacfilterError(str(manifest_path), f"unknown format {manifest['format']!r} (expected {FORMAT})")
    threshold = manifest["threshold"]
    if not isinstance(threshold, (int, float)) or not 0.0 <= threshold <= 1.0:
        raise IacfilterError(str(manifest_path), "threshold must be a number between 0 and 1")
    files = manifest["files"]
    if not isinstance(files, dict) or not files:
        raise IacfilterError(str(manifest_path), "files must map each file to its sha256")
    for unsafe in sorted(p.name for p in root.iterdir() if p.suffix in UNSAFE_WEIGHTS):
        raise IacfilterError(str(root / unsafe), "weights must be safetensors; refusing a pickle-based file")
    for name, expected in sorted(files.items()):
        target = (root / name).resolve()
        if not target.is_relative_to(root.resolve()) or not target.is_file():
            raise IacfilterError(str(root / name), "listed in the champion manifest but missing")
        actual = sha256_file(target)
        if actual != expected:
            raise IacfilterError(
                str(root / name), f"sha256 mismatch (manifest {str(expected)[:12]}…, file {actual[:12]}…); refusing"
            )
    return Champion(
        path=root,
        name=str(manifest["name"]),
        backend=str(manifest["backend"]),
        threshold=float(threshold),
        smells=frozenset(manifest["smells"]),
        technologies=frozenset(manifest["technologies"]),
        manifest=manifest,
    )


def write_manifest(directory: str | Path, manifest: dict[str, Any]) -> Path:
    """Write ``champion.yaml`` with the sha256 of every other file in ``directory`` (recursively)."""
    root = Path(directory)
    files = {
        p.relative_to(root).as_posix(): sha256_file(p)
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }
    full = {"format": FORMAT, **{k: v for k, v in manifest.items() if k != "files"}, "files": files}
    path = root / MANIFEST
    path.write_text(yaml.safe_dump(full, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path
