"""``iacfilter scan``: run GLITCH as a subprocess, one bounded process per file, and collect its CSV.

GLITCH has no per-file timeout and reports files it cannot parse on stderr only, so each file runs in its
own process with a time limit; a file that timed out or failed is reported as "not scanned", never as clean.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .errors import IacfilterError

INSTALL_HINT = (
    "GLITCH is not installed (no 'glitch' on PATH). Install it from its repository "
    "(git clone https://github.com/sr-lab/GLITCH; cd GLITCH; python -m pip install -e .; GLITCH 2.x also needs "
    "its policy library, and Ruby for Chef), pass --glitch CMD, or run GLITCH yourself and give its CSV to "
    "'iacfilter filter'"
)
HEADER = "PATH,LINE,ERROR,DESCRIPTION,CODE"


@dataclass
class ScanOutcome:
    csv_text: str
    files: list[str]
    not_scanned: list[tuple[str, str]] = field(default_factory=list)


def glitch_command(given: str | None) -> list[str]:
    words = shlex.split(given or os.environ.get("IACFILTER_GLITCH", "glitch"))
    if not words or shutil.which(words[0]) is None:
        raise IacfilterError(words[0] if words else "glitch", INSTALL_HINT)
    return words


def files_to_scan(root: Path, suffixes: tuple[str, ...]) -> list[str]:
    if root.is_file():
        return [root.name]
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if Path(name).suffix.lower() in suffixes:
                found.append(Path(dirpath, name).relative_to(root).as_posix())
    return found


def run_glitch(glitch: list[str], tech: str, root: Path, files: list[str], *, jobs: int, timeout: float,
               progress: Callable[[int], None] = lambda n: None) -> ScanOutcome:
    cwd = root if root.is_dir() else root.parent
    outcome = ScanOutcome(csv_text="", files=files)
    rows: list[str] = []
    with tempfile.TemporaryDirectory(prefix="iacfilter-scan-") as tmp:

        def one(item):
            index, rel = item
            out = Path(tmp, f"{index}.csv")
            cmd = [*glitch, "lint", "--tech", tech, "--csv", "--smell-types", "security", rel, str(out)]
            try:
                proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
            except subprocess.TimeoutExpired:
                return rel, [], f"GLITCH gave no answer within {timeout:g} s"
            finally:
                progress(1)
            found = [r for r in (out.read_text(errors="replace").splitlines() if out.exists() else [])
                     if r.strip() and r.strip() != HEADER]
            last = (proc.stderr.strip().splitlines() or [""])[-1][:200]
            if proc.returncode != 0:
                return rel, found, f"GLITCH exited with code {proc.returncode}: {last}"
            if not found and proc.stderr.strip():
                return rel, found, f"GLITCH could not analyse it: {last}"
            return rel, found, ""

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            for rel, found, problem in pool.map(one, enumerate(files)):
                rows.extend(found)
                if problem:
                    outcome.not_scanned.append((rel, problem))
    outcome.csv_text = "\n".join([HEADER, *sorted(rows)]) + "\n"
    return outcome
