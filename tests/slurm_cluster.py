"""A real one-node SLURM cluster for the tests: munged, slurmctld and slurmd on loopback, in a temp dir.

Needs Debian's slurmctld, slurmd, slurm-client and munge (``.ci/run`` installs them) and root (the daemons run
as root here, with SlurmUser=root). Every daemon is a child process of the test and is stopped at the end.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

BINARIES = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scancel", "sinfo")


def unavailable_reason() -> str | None:
    missing = [b for b in BINARIES if shutil.which(b) is None]
    if missing:
        return f"SLURM is not installed here (missing {', '.join(missing)}); .ci/run installs slurm-wlm"
    if os.geteuid() != 0:
        return "the one-node test cluster runs its daemons as root"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self, base: Path):
        self.base = base
        self.procs: list[subprocess.Popen] = []
        self.env = {**os.environ, "SLURM_CONF": str(base / "slurm.conf")}

    def start(self, timeout: float = 30.0) -> "Cluster":
        base = self.base
        for sub in ("munge", "state", "spool", "logs"):
            (base / sub).mkdir(parents=True, exist_ok=True)
        key = base / "munge" / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o600)
        sock = base / "munge" / "munge.sock"
        self._spawn(["munged", "--foreground", "--force", f"--socket={sock}", f"--key-file={key}",
                     f"--pid-file={base / 'munge' / 'munged.pid'}", f"--log-file={base / 'munge' / 'munged.log'}",
                     f"--seed-file={base / 'munge' / 'munge.seed'}"], "munged")
        self._until(lambda: sock.exists(), timeout, "munged did not start")
        host = socket.gethostname()
        cpus = os.cpu_count() or 1
        (base / "slurm.conf").write_text("\n".join([
            "ClusterName=iacfiltertest", f"SlurmctldHost={host}(127.0.0.1)", "SlurmUser=root", "SlurmdUser=root",
            "AuthType=auth/munge", f"AuthInfo=socket={sock}", "CredType=cred/munge",
            f"SlurmctldPort={_free_port()}", f"SlurmdPort={_free_port()}",
            f"StateSaveLocation={base / 'state'}", f"SlurmdSpoolDir={base / 'spool'}",
            f"SlurmctldPidFile={base / 'slurmctld.pid'}", f"SlurmdPidFile={base / 'slurmd.pid'}",
            f"SlurmctldLogFile={base / 'logs' / 'slurmctld.log'}", f"SlurmdLogFile={base / 'logs' / 'slurmd.log'}",
            "ProctrackType=proctrack/linuxproc", "TaskPlugin=task/none", "JobAcctGatherType=jobacct_gather/none",
            "AccountingStorageType=accounting_storage/none", "SchedulerType=sched/backfill",
            "SelectType=select/cons_tres", "SelectTypeParameters=CR_Core", "ReturnToService=2", "MpiDefault=none",
            "MinJobAge=600", "SchedulerParameters=sched_interval=1",
            f"NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory=2000 State=UNKNOWN",
            "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP", ""]))
        self._spawn(["slurmctld", "-D", "-i", "-f", str(base / "slurm.conf")], "slurmctld")
        self._spawn(["slurmd", "-D", "-f", str(base / "slurm.conf")], "slurmd")
        self._until(self._idle, timeout, "the SLURM node did not come up")
        return self

    def _spawn(self, args: list[str], name: str) -> None:
        log = open(self.base / "logs" / f"{name}.out", "w")
        self.procs.append(subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=self.env,
                                           start_new_session=True))

    def _idle(self) -> bool:
        out = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, env=self.env)
        return out.returncode == 0 and out.stdout.strip() in ("idle", "mixed", "allocated")

    def _until(self, check, timeout: float, message: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return
            if any(p.poll() is not None for p in self.procs):
                break
            time.sleep(0.2)
        logs = "\n".join(p.read_text(errors="replace")[-800:] for p in sorted((self.base / "logs").glob("*")))
        self.stop()
        raise RuntimeError(f"{message}\n{logs}")

    def squeue(self, job: str) -> dict[int, str]:
        out = subprocess.run(["squeue", "-h", "-r", "-j", job, "-o", "%K %T"], capture_output=True, text=True, env=self.env)
        return {int(k): v for k, v in (line.split() for line in out.stdout.splitlines() if line.strip())}

    def stop(self) -> None:
        subprocess.run(["scancel", "--user=root"], capture_output=True, env=self.env)
        deadline = time.monotonic() + 15  # let job steps report their end before the daemons go
        while time.monotonic() < deadline and self._step_daemons():
            time.sleep(0.2)
        for p in reversed(self.procs):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in reversed(self.procs):
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
        self.procs.clear()
        for pid in self._step_daemons():  # slurmstepd daemonizes: not in the daemons' process groups
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def _step_daemons(self) -> list[int]:
        """slurmstepd processes of this cluster: they hold files under its base directory open."""
        found = []
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                if (proc / "comm").read_text().strip() != "slurmstepd":
                    continue
                links = [os.readlink(fd) for fd in (proc / "fd").iterdir()]
            except OSError:
                continue
            if any(link.startswith(str(self.base)) for link in links):
                found.append(int(proc.name))
        return found
