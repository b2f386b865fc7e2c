"""Every benchmark, one after the other, each on the bench database (`make bench`).

Usage: python bench/run.py [NAME ...]   (names: provision transitions pages matching api scale volume)
Each script's whole output goes to var/bench/<name>.log; this prints its last line, with the machine's load
average before and after it (the machine is shared: a figure taken under load says so). Exits non-zero when a
script fails, after running the others.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ["provision", "transitions", "pages", "matching", "api", "scale", "volume"]
TIMEOUT_S = 3600


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f},{five:.2f},{fifteen:.2f}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("names", nargs="*", help=f"Scripts to run, among {' '.join(SCRIPTS)} (all by default).")
    args = parser.parse_args()
    names = args.names or SCRIPTS
    unknown = sorted(set(names) - set(SCRIPTS))
    if unknown:
        parser.error(f"unknown benchmark(s): {' '.join(unknown)}")
    logs = ROOT / "var" / "bench"
    logs.mkdir(parents=True, exist_ok=True)
    failed = []
    print(f"machine: {os.cpu_count()} cores; logs in {logs}", flush=True)
    for name in names:
        log = logs / f"{name}.log"
        before = _load()
        started = time.perf_counter()
        with log.open("w") as out:
            try:
                code = subprocess.run(
                    [sys.executable, str(ROOT / "bench" / f"{name}.py")],
                    cwd=ROOT,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    timeout=TIMEOUT_S,
                    check=False,
                ).returncode
            except subprocess.TimeoutExpired:
                code = "timeout"
        lines = [line for line in log.read_text().splitlines() if line.strip()]
        last = lines[-1] if lines else "(no output)"
        took = time.perf_counter() - started
        if code != 0:
            failed.append(name)
            last = f"FAILED ({code}): {last} — see {log}"
        print(f"{name:<12} {last}   [load {before} → {_load()}, {took:.0f} s]", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
