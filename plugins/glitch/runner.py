"""The GLITCH scanner (``iacfilter scan``, ``iacfilter hook``): run GLITCH over a tree in a few batched processes,
and know exactly what it scanned.

GLITCH's start-up costs about 3 s, so files go to it in batches: one ``glitch lint --folder-strategy
include-all`` per batch, over a temporary tree that holds the batch's files (hard links, or copies across file
systems; GLITCH skips symlinks) under their paths relative to the root. Batches run in parallel, one per job.

GLITCH has no timeout of its own: a batch in which no file finishes within the timeout is killed and split
in two, and the halves run again, so that only a file that hangs by itself is given up on. GLITCH reports
files it cannot analyse on stderr only (``Error: <Tech> - <what>: <path>``, between the redraws of its
progress bar, which is not a failure): a file GLITCH says is not of its kind (not a playbook, tasks or variables
file, or of no type it can detect) is *skipped* and does not fail a run; one GLITCH could not parse, crashed on
or gave up on is *not scanned*. Neither is ever taken for a clean file.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from iacfilter import programs
from iacfilter.errors import IacfilterError
from iacfilter.registry import NOT_SCANNED, SKIPPED, FileProblem, ScanJob, ScanOutcome
from iacfilter.validate import split_rows

INSTALL_HINT = (
    "GLITCH is not installed (not on PATH, or not where --glitch or IACFILTER_GLITCH says). "
    "Install GLITCH 2.x from its repository "
    "(https://github.com/sr-lab/GLITCH: git clone it, 'python -m pip install .' in a virtual environment, build "
    "or install its Rego library as its README says, and install Ruby for Chef), then pass --glitch CMD or put "
    "'glitch' on PATH; or run GLITCH yourself and give its CSV to 'iacfilter filter'"
)
HEADER = "PATH,LINE,ERROR,DESCRIPTION,CODE"
# GLITCH's words for a file that is not of its kind: YAML that is no Ansible playbook, tasks or variables file
# (a docker-compose file, a Zuul job list among Ansible). Any other error means GLITCH failed on the file.
NOT_OF_THE_TECHNOLOGY = ("Cannot detect file type", "File is not a playbook", "File is not a tasks file",
                         "File is not a variables file")
LINK = "a symbolic link (GLITCH does not follow them)"
PROGRESS = re.compile(r"\|\s*(\d+)/(\d+) \[")  # tqdm: "DESC:  37%|███▋      | 30/81 [00:05<00:09, ...]"
# One redraw of the bar. It can land between any two writes of GLITCH's other thread, even inside an error line
# ("Error:" + redraw + " Ansible - ...": print writes its arguments one by one): remove them all first.
# GLITCH's bars are titled "ANALYZING ...", which finds a redraw even in the middle of a line; one cut short at a
# screen width ("[00:00<?, ?it/") ends where tqdm's characters do.
TQDM_RENDER = re.compile(r"(?:(?:\r|^)(?!Error:)[^\r\n|]*|ANALYZING [^\r\n|]*)"
                         r"\|[^|\r\n]*\|\s*\d+/\d+(?: \[[\d:<?,. itsk/]*\]?)?", re.MULTILINE)
# GLITCH's environment: no screen size for tqdm to cut its bar to, and a width that leaves every redraw whole.
GLITCH_ENV = {"TQDM_NCOLS": "400"}
UNSET = ("COLUMNS", "LINES")
ERROR_LINE = re.compile(r"^Error: (?P<what>.+?): \./(?P<path>.+)$")
TRACEBACK_END = "=" * 51


@dataclass
class GlitchOutcome(ScanOutcome):
    rows: list[str] = field(default_factory=list)  # GLITCH CSV rows, paths relative to the root

    @property
    def csv_text(self) -> str:
        return "\n".join([HEADER, *self.rows]) + "\n"


def glitch_command(given: str | None) -> list[str]:
    return programs.command(given, "IACFILTER_GLITCH", "glitch", INSTALL_HINT)


def files_to_scan(root: Path, suffixes: tuple[str, ...]) -> tuple[list[str], list[FileProblem]]:
    """The files under ``root`` with one of ``suffixes`` (matched as GLITCH does, case and all), hidden files
    and folders left out; and the symlinks among them, which GLITCH never follows, as skipped."""
    if root.is_file():
        return ([], [FileProblem(root.name, SKIPPED, LINK)]) if root.is_symlink() else ([root.name], [])
    found, links = [], []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if Path(name).suffix in suffixes and not name.startswith("."):
                path = Path(dirpath, name)
                rel = path.relative_to(root).as_posix()
                if path.is_symlink():
                    links.append(FileProblem(rel, SKIPPED, LINK))
                elif path.is_file():
                    found.append(rel)
    return found, links


MIN_BATCH = 16  # files: a batch costs GLITCH's start-up (about 3 s), the time of some 15 Ansible files


def spare_cpus() -> int:
    """The CPUs this process may use less the load already on them (1-minute average); at least 1."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except (OSError, AttributeError):
        load = 0.0
    return max(1, min(cpus, int(cpus - load + 0.5)))


def batches(root: Path, files: Sequence[str], count: int) -> list[list[str]]:
    """``files`` in at most ``count`` batches (none under MIN_BATCH files unless there is only one) of about
    equal size in bytes: largest file first, each to the lightest batch."""
    count = max(1, min(count, len(files) // MIN_BATCH))
    sizes = {rel: (root / rel).stat().st_size if root.is_dir() else root.stat().st_size for rel in files}
    loads, out = [0] * count, [[] for _ in range(count)]
    for rel in sorted(files, key=lambda r: (-sizes[r], r)):
        lightest = loads.index(min(loads))
        out[lightest].append(rel)
        loads[lightest] += sizes[rel] + 4096  # a file costs GLITCH time even when small
    return [sorted(b) for b in out if b]


def _link_or_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EACCES, errno.EMLINK, errno.ENOTSUP):
            raise
        shutil.copyfile(source, target)


@dataclass
class BatchResult:
    rows: list[str] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)
    retry: str = ""  # why the batch should be split and run again (it hung, or crashed mid-way)


def _exception_of(block: list[str]) -> str:
    """The exception (all its lines, joined) at the end of a traceback GLITCH printed after an error line."""
    block = [line for line in block if line.strip()]
    last_frame = max((i for i, line in enumerate(block) if line.startswith("  File ")), default=-1)
    tail = block[last_frame + 1:]
    while tail and tail[0][:1].isspace():  # the source lines of the last frame
        tail = tail[1:]
    detail = " ".join(line.strip() for line in tail)
    return "" if detail == "NoneType: None" else detail  # GLITCH raised nothing: it printed no real traceback


def stderr_lines(stderr: str) -> list[str]:
    """GLITCH's stderr as lines, the redraws of its progress bar taken out."""
    return TQDM_RENDER.sub("", stderr).replace("\r", "\n").split("\n")


def _rejoined(lines: list[str]) -> list[str]:
    """GLITCH prints "Error:" and its message in separate writes, and its progress bar's closing newline can land
    between them ("Error:" + bar + newline + " Ansible - ...: path"): put such an error line back together."""
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("Error:") and not ERROR_LINE.match(line):
            j = i + 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            whole = " ".join(["Error:", *(part for part in (line[6:].strip(), lines[min(j, len(lines) - 1)].strip()) if part)])
            if j < len(lines) and ERROR_LINE.match(whole):
                line, i = whole, j
        out.append(line)
        i += 1
    return out


def glitch_errors(stderr: str, tree: str) -> dict[str, tuple[str, str]]:
    """``{relative path: (GLITCH's message, the exception behind it)}`` from GLITCH's stderr."""
    lines = _rejoined(stderr_lines(stderr))
    found: dict[str, tuple[str, str]] = {}
    for i, line in enumerate(lines):
        m = ERROR_LINE.match(line)
        if not m:
            continue
        block = []
        if i + 1 < len(lines) and lines[i + 1].startswith("=" * 20 + " Traceback"):
            for later in lines[i + 2:]:
                if later == TRACEBACK_END:
                    break
                block.append(later)
        detail = _exception_of(block).replace(tree + os.sep, "").replace('"./', '"')
        found.setdefault(m.group("path"), (m.group("what"), detail[:300]))
    return found


def _status(what: str) -> str:
    return SKIPPED if any(words in what for words in NOT_OF_THE_TECHNOLOGY) else NOT_SCANNED


def _last_words(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr_lines(stderr)]
    lines = [ln for ln in lines if ln and ln != TRACEBACK_END]
    return lines[-1][:200] if lines else "no message"


def read_rows(csv_path: Path, files: set[str]) -> list[str]:
    """GLITCH's CSV rows with their paths made relative to the root; ValueError when it is not GLITCH CSV."""
    if not csv_path.exists():
        raise ValueError("GLITCH wrote no output file")
    lines = split_rows(csv_path.read_text(encoding="utf-8", errors="replace"))
    if not lines or lines[0].strip() != HEADER:
        raise ValueError(f"GLITCH's output does not start with {HEADER!r}: {(lines or [''])[0][:80]!r}")
    rows = []
    for number, row in enumerate(lines[1:], start=2):
        if not row.strip():
            continue
        path, _, rest = row.partition(",")
        rel = path[2:] if path.startswith("./") else path
        if rel not in files:  # a path holding a comma: the longest batch file the row starts with
            rel = max((f for f in files if row.startswith(f"./{f},")), key=len, default="")
            rest = row[len(rel) + 3:]
        fields = rest.split(",", 3)
        if not rel or len(fields) < 4 or not re.fullmatch(r"-?\d+", fields[0]):
            raise ValueError(f"GLITCH's output line {number} is not a row for one of its files: {row[:80]!r}")
        rows.append(f"{rel},{rest}")
    return rows


def run_batch(glitch: Sequence[str], tech: str, root: Path, files: Sequence[str], *, timeout: float,
              progress: Callable[[int], None] = lambda done: None,
              cancel: threading.Event | None = None) -> BatchResult:
    """One GLITCH process over ``files``; ``timeout`` bounds the wait for each next file to finish. GLITCH is
    killed when ``cancel`` is set (the caller was interrupted): it runs in a session of its own."""
    cancel = cancel or threading.Event()
    with tempfile.TemporaryDirectory(prefix="iacfilter-scan-") as tmp:
        tree = os.path.join(tmp, "tree")
        for rel in files:
            _link_or_copy(root / rel if root.is_dir() else root, Path(tree, rel))
        out = Path(tmp, "glitch.csv")
        cmd = [*glitch, "lint", "--tech", tech, "--folder-strategy", "include-all", "--csv",
               "--smell-types", "security", ".", str(out)]
        try:
            with open(os.path.join(tmp, "stdout.txt"), "wb") as stdout:  # its stats tables
                env = {**{k: v for k, v in os.environ.items() if k not in UNSET}, **GLITCH_ENV}
                proc = subprocess.Popen(cmd, cwd=tree, stdin=subprocess.DEVNULL, stdout=stdout, env=env,
                                        stderr=subprocess.PIPE, start_new_session=True)
        except OSError as exc:
            return BatchResult(problems=[FileProblem(f, NOT_SCANNED, f"GLITCH could not start: {exc}") for f in files])
        state = {"seen": 0, "total": None, "moved": time.monotonic()}
        chunks: list[bytes] = []

        def read_stderr():
            tail = ""
            while chunk := os.read(proc.stderr.fileno(), 65536):
                chunks.append(chunk)
                tail = (tail + chunk.decode("utf-8", "replace"))[-4096:]
                counts = PROGRESS.findall(tail)
                if counts:
                    done, total = map(int, counts[-1])
                    if state["total"] is None or done > state["seen"]:
                        state["moved"] = time.monotonic()
                        progress(done)
                    state["seen"], state["total"] = done, total

        reader = threading.Thread(target=read_stderr, daemon=True)
        reader.start()
        hung = False
        while proc.poll() is None:
            if time.monotonic() - state["moved"] > timeout:
                hung = True
                programs.kill(proc)
                break
            if cancel.wait(0.1):
                programs.kill(proc)
                proc.wait()
                return BatchResult(retry="cancelled")
        proc.wait()
        reader.join(timeout=10)
        proc.stderr.close()
        stderr = b"".join(chunks).decode("utf-8", "replace")
        if hung:
            return BatchResult(retry=f"GLITCH gave no answer within {timeout:g} s")
        started = state["total"] is not None
        if proc.returncode != 0:
            how = (f"GLITCH was killed by signal {-proc.returncode}" if proc.returncode < 0
                   else f"GLITCH exited with code {proc.returncode}")
            why = f"{how}: {_last_words(stderr)}"
            if started:  # it crashed while analysing: maybe on one file, so split
                return BatchResult(retry=why)
            return BatchResult(problems=[FileProblem(f, NOT_SCANNED, why) for f in files])
        try:
            rows = read_rows(out, set(files))
        except ValueError as exc:
            return BatchResult(problems=[FileProblem(f, NOT_SCANNED, str(exc)) for f in files])
        analysed = stats_count(Path(tmp, "stdout.txt").read_text(encoding="utf-8", errors="replace"))
    result = BatchResult(rows=rows)
    errors = glitch_errors(stderr, tree)
    for rel in sorted(errors):
        if rel in files:
            what, detail = errors[rel]
            reason = f"GLITCH: {what}" + (f" ({detail})" if detail else "")
            result.problems.append(FileProblem(rel, _status(what), reason))
    # Every file GLITCH was given is analysed (its stats count it) or named in an error: else split until the
    # silent one is alone, and report it as not scanned.
    walked = state["total"]
    expected = len(files) - len(result.problems)
    if (walked is not None and walked != len(files)) or (analysed is not None and analysed < expected):
        why = (f"GLITCH's counts do not add up: given {len(files)} files, it walked {walked}, analysed "
               f"{analysed} and named {len(result.problems)} in errors")
        if len(files) > 1:
            return BatchResult(retry=why)
        if not result.problems:
            reason = f"GLITCH did not analyse it and said nothing ({why})"
            result.problems.append(FileProblem(files[0], NOT_SCANNED, reason))
    return result


STATS_FILES = re.compile(r"Total IaC files[^\n]*\n\+[-+]+\+\n\|\s*(\d+)\s*\|")


def stats_count(stdout: str) -> int | None:
    """The files GLITCH analysed, from its stats table ("Total IaC files"); None when it printed none."""
    m = STATS_FILES.search(stdout)
    return int(m.group(1)) if m else None


def scan(job: ScanJob) -> ScanOutcome:
    """GLITCH over the job's files (by default the technology's files under the root, symlinks listed as
    skipped): the scanner hook's ``run``."""
    if job.technology is None:
        raise IacfilterError("--tech", "GLITCH scans one technology at a time: give --tech NAME")
    command = glitch_command(job.command)
    links: list[FileProblem] = []
    if job.files is None:
        files, links = files_to_scan(job.root, job.suffixes)
        if not files:
            raise IacfilterError(str(job.root), f"no {job.technology} files ({', '.join(job.suffixes)}) to scan")
    else:
        files = list(job.files)
    outcome = run_glitch(command, job.technology, job.root, files, jobs=job.jobs, timeout=job.timeout,
                         progress=lambda done: job.progress(done, len(files)))
    outcome.files[:0] = [link.path for link in links]
    outcome.problems[:0] = links
    outcome.output, outcome.origin = outcome.csv_text, f"glitch-{job.technology}.csv"
    return outcome


def run_glitch(glitch: Sequence[str], tech: str, root: Path, files: Sequence[str], *, jobs: int | None,
               timeout: float, progress: Callable[[int], None] = lambda done: None) -> GlitchOutcome:
    """GLITCH over ``files`` (relative to ``root``) in ``jobs`` parallel batches; a batch that hangs or crashes
    is bisected until the file at fault is alone, and only that file is reported as not scanned.
    ``progress(done)`` hears how many files are done so far."""
    outcome = GlitchOutcome(files=list(files))
    jobs = jobs or spare_cpus()
    done: dict[int, int] = {}
    lock = threading.Lock()

    def counted(key: int, size: int):
        def update(n: int):
            with lock:
                done[key] = min(n, size)
                progress(sum(done.values()))
        return update

    def forget(key: int):
        with lock:
            done.pop(key, None)
            progress(sum(done.values()))

    cancel = threading.Event()
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        keys = iter(range(1 << 62))
        pending = {}

        def submit(batch):
            key = next(keys)
            pending[pool.submit(run_batch, glitch, tech, root, batch, timeout=timeout,
                                progress=counted(key, len(batch)), cancel=cancel)] = (key, batch)

        for batch in batches(root, files, jobs):
            submit(batch)
        try:
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    key, batch = pending.pop(future)
                    _take(future.result(), key, batch, outcome, submit, counted, forget)
        except BaseException:  # Ctrl-C, or a failure here: leave no GLITCH running
            cancel.set()
            raise
    outcome.rows.sort(key=_row_order)
    outcome.problems.sort(key=lambda p: p.path)
    return outcome


def _take(result: BatchResult, key, batch, outcome, submit, counted, forget) -> None:
    """One finished batch: split it again if it hung or crashed, else keep its rows and problems."""
    if result.retry and len(batch) > 1:
        forget(key)
        half = len(batch) // 2
        submit(batch[:half])
        submit(batch[half:])
        return
    if result.retry:
        result.problems.append(FileProblem(batch[0], NOT_SCANNED, result.retry))
    counted(key, len(batch))(len(batch))
    outcome.rows.extend(result.rows)
    outcome.problems.extend(result.problems)


def _row_order(row: str):
    path, line, rest = row.split(",", 2)
    return path, int(line), rest
