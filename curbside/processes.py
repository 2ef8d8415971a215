"""Background processes of the local runtime, tracked through pid files."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path


def running_pid(pid_file: Path) -> int | None:
    """The pid in `pid_file` if that process is alive, else None."""
    try:
        pid = int(pid_file.read_text())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def spawn(
    argv: list[str], log_file: Path, pid_file: Path, env: Mapping[str, str] | None = None
) -> int:
    """Start `argv` in its own session, output to `log_file`; it outlives this process."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        process = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env=None if env is None else dict(env),
        )
    pid_file.write_text(str(process.pid))
    # The process is meant to outlive this Popen object: `terminate` reaps it by pid.
    process.returncode = 0
    return process.pid


def terminate(pid_file: Path, timeout_s: float = 15.0) -> bool:
    """Stop the process of `pid_file` (SIGTERM, then SIGKILL); True if one was running."""
    pid = running_pid(pid_file)
    if pid is None:
        pid_file.unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)
    return True


def _alive(pid: int) -> bool:
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False  # our own child, now reaped
    except ChildProcessError:
        pass  # started by an earlier command: not ours to reap
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True
