"""``iacfilter scan`` against one plain GLITCH run over the same folder, in the same process of measurement.

    python benchmarks/scan.py [FOLDER] [--tech ansible] [--rounds 1] [--jobs N]

Runs, alternately, ``glitch lint --tech T --folder-strategy include-all --csv --smell-types security FOLDER``
and ``iacfilter scan FOLDER --tech T --format json --allow-unscanned``; prints both wall times (best of
--rounds), their ratio, whether the findings (path, line, smell code) are identical, and whether the files scan
reported as skipped / not scanned are exactly those GLITCH printed an error for. Default FOLDER: the Ansible
corpus in ../shared/glitch/corpus/ansible (260 files of openstack-ansible).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = Path(os.environ.get("IACFILTER_SHARED", HERE.parents[1] / "shared")) / "glitch" / "corpus"
REPORTED = re.compile(r"^iacfilter: (?:warning: )?(?:not scanned|skipped): (.+?): ")
ERROR = re.compile(r"(?:^|(?<=\]))Error: (.+?): \./(.+)$")


def timed(cmd, cwd) -> tuple[float, subprocess.CompletedProcess]:
    """Wall seconds, and the CPU seconds of the command and its children (user + system) in proc.cpu."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc.cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, proc


def plain_glitch(glitch: str, folder: Path, tech: str, out: Path):
    cmd = [glitch, "lint", "--tech", tech, "--folder-strategy", "include-all", "--csv", "--smell-types", "security",
           ".", str(out)]
    seconds, proc = timed(cmd, folder)
    if proc.returncode != 0:
        sys.exit(f"glitch failed ({proc.returncode}): {proc.stderr[-500:]}")
    rows = out.read_text().splitlines()[1:]
    findings = Counter(tuple(r.split(",", 3)[:3]) for r in rows if r.strip())
    findings = Counter({(p.removeprefix("./"), line, code): n for (p, line, code), n in findings.items()})
    errors = {m.group(2) for line in proc.stderr.replace("\r", "\n").splitlines() if (m := ERROR.search(line))}
    return (seconds, proc.cpu), findings, errors


def iacfilter_scan(folder: Path, tech: str, out: Path, jobs: int | None):
    exe = shutil.which("iacfilter", path=os.path.dirname(sys.executable)) or shutil.which("iacfilter")
    cmd = [exe, "scan", str(folder), "--tech", tech, "--format", "json", "--allow-unscanned", "-o", str(out)]
    cmd += ["--jobs", str(jobs)] if jobs else []
    seconds, proc = timed(cmd, folder)
    if proc.returncode != 0:
        sys.exit(f"iacfilter scan failed ({proc.returncode}): {proc.stderr[-500:]}")
    records = json.loads(out.read_text())
    findings = Counter((r["path"], str(r["line"] if r["line"] is not None else -33550336), r["rule"]) for r in records)
    reported = {m.group(1) for line in proc.stderr.splitlines() if (m := REPORTED.match(line))}
    return (seconds, proc.cpu), findings, reported


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", nargs="?", type=Path, default=CORPUS / "ansible")
    parser.add_argument("--tech", default="ansible")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=None, help="iacfilter scan --jobs (default: its own, CPU count)")
    parser.add_argument("--glitch", default=shutil.which("glitch") or "glitch")
    args = parser.parse_args()
    folder = args.folder.resolve()
    plain, scan = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.rounds):
            seconds, glitch_findings, glitch_errors = plain_glitch(args.glitch, folder, args.tech, Path(tmp, "g.csv"))
            plain.append(seconds)
            seconds, scan_findings, scan_reported = iacfilter_scan(folder, args.tech, Path(tmp, "s.json"), args.jobs)
            scan.append(seconds)
    files = sum(1 for p in folder.rglob("*") if p.is_file() and not p.is_symlink()
                and p.suffix in {"ansible": (".yml", ".yaml"), "chef": (".rb",), "puppet": (".pp",),
                                 "terraform": (".tf",)}.get(args.tech, ()))
    load = os.getloadavg()[0]
    print(f"folder: {folder} ({files} {args.tech} files), {os.cpu_count()} CPUs (load {load:.1f}), "
          f"best of {args.rounds}")
    for name, times in (("plain glitch lint --folder-strategy include-all", plain),
                        ("iacfilter scan (GLITCH + filter)", scan)):
        walls = ", ".join(f"{w:.1f}" for w, _ in times)
        print(f"{name:<48} wall {min(w for w, _ in times):5.1f} s  CPU {min(c for _, c in times):5.1f} s  "
              f"(walls: {walls})")
    ratio = min(w for w, _ in scan) / min(w for w, _ in plain)
    cpu_ratio = min(c for _, c in scan) / min(c for _, c in plain)
    print(f"ratio scan / glitch: wall {ratio:.2f}x (aim <= 1.1x), CPU {cpu_ratio:.2f}x")
    same = glitch_findings == scan_findings
    print(f"findings identical: {same} ({sum(glitch_findings.values())} GLITCH, {sum(scan_findings.values())} scan)")
    if not same:
        print(f"  only GLITCH: {sorted((glitch_findings - scan_findings).elements())[:10]}")
        print(f"  only scan:   {sorted((scan_findings - glitch_findings).elements())[:10]}")
    print(f"files GLITCH reported errors for: {sorted(glitch_errors)}")
    print(f"files scan reported skipped/not scanned: {sorted(scan_reported)} "
          f"-> identical: {glitch_errors == scan_reported}")


if __name__ == "__main__":
    main()
