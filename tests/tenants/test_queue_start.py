"""A process starts when the database does not answer yet: huey's PostgreSQL queue makes its tables at its first
use, not while Django loads its apps (the database-restart fault test found a workers' supervisor that never
started, every effect left waiting)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.live import ROOT


def test_django_starts_with_the_postgresql_queue_while_the_database_does_not_answer():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "core.settings.test",
        "HUEY_IMMEDIATE": "false",  # the real queue, as gunicorn and run_workers have it
        "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/absente",  # nothing listens on port 1
    }
    env.pop("REDIS_URL", None)
    program = "import django; django.setup(); from huey.contrib.djhuey import HUEY; print(type(HUEY).__name__)"
    started = subprocess.run(
        [sys.executable, "-c", program],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert started.returncode == 0, started.stderr[-2000:]
    assert started.stdout.strip() == "PostgresHuey"
