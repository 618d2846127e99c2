"""Programs a scanner plugin runs: how a user said to run one, and stopping one with everything it started."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess

from .errors import IacfilterError


def command(given: str | None, env: str, default: str, install_hint: str) -> list[str]:
    """The command words to run a program: ``given`` (an option), else the environment variable ``env``, else
    ``default`` on PATH; a one-line error with ``install_hint`` when its first word is not a program."""
    words = shlex.split(given or os.environ.get(env, default))
    if not words or shutil.which(words[0]) is None:
        raise IacfilterError(words[0] if words else default, install_hint)
    return words


def kill(proc: subprocess.Popen) -> None:
    """Kill a program started with ``start_new_session=True`` and whatever it started (its session)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
