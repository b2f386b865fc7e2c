"""The run commands stop their children the same way: ask, wait at most a shared time, then kill."""

from __future__ import annotations

import signal
import subprocess
import sys

from core.processes import processes_stop

IGNORES_TERM = (
    "import signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ok', flush=True); time.sleep(60)"
)


def _started(code: str) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "ok"  # its signal handlers are in place
    return process


def test_a_child_that_stops_when_asked_stops_and_one_that_ignores_it_is_killed():
    polite = _started("import time; print('ok', flush=True); time.sleep(60)")
    deaf = _started(IGNORES_TERM)
    processes_stop([polite, None, deaf], seconds=1)
    assert polite.returncode == -signal.SIGTERM
    assert deaf.wait(timeout=10) == -signal.SIGKILL


def test_huey_consumers_are_asked_with_sigint_so_they_finish_their_tasks():
    consumer = _started(
        "import signal, sys, time\n"
        "signal.signal(signal.SIGINT, lambda *a: sys.exit(3))\n"
        "print('ok', flush=True); time.sleep(60)"
    )
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    processes_stop([consumer, finished], signum=signal.SIGINT, seconds=10)
    assert consumer.returncode == 3  # its own handler ran: asked, not killed
