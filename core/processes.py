"""Stopping the child processes of the run commands (`make run`, `make prod`, the huey workers' supervisor)."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterable


def processes_stop(
    processes: Iterable[subprocess.Popen | None], *, signum: int = signal.SIGTERM, seconds: float = 30
) -> None:
    """Ask each of `processes` still running to stop (`signum`: SIGINT lets huey finish the tasks in hand),
    wait for them all at most `seconds` in total, then kill whichever is still running."""
    running = [process for process in processes if process is not None and process.poll() is None]
    for process in running:
        process.send_signal(signum)
    deadline = time.monotonic() + seconds
    for process in running:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
