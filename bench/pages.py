"""Requests per second for a public page (the values charter) against a static file, both served by the same
gunicorn (2 sync workers) on the loopback interface, with the demo territory of the dev database.

The page is the cached one an anonymous visitor gets (cms.cache); the static file is the site's stylesheet,
served by WhiteNoise behind the same middleware stack. Load comes from `wrk` (Debian package `wrk`) when it is
installed, else from a bounded Python client (keep-alive connections in threads).

Usage: python bench/pages.py [--seconds 5] [--connections 8] [--rounds 2]
Last line: page_rps=<n> static_rps=<n> ratio=<page/static>
"""

import argparse
import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from _django import ROOT, setup

setup()

from core.services.demo import demo_setup  # noqa: E402

PAGE = "/charte/"
STATIC = "/static/ppe/site.css"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_up(port: int, host: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited before answering")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", PAGE, headers={"Host": host})
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer in time")


def _wrk(port: int, host: str, path: str, seconds: int, connections: int) -> float:
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "5s",
            "-H",
            f"Host: {host}",
            f"http://127.0.0.1:{port}{path}",
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=True,
    ).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"errors while loading {path}:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def _python_client(port: int, host: str, path: str, seconds: int, connections: int) -> float:
    deadline = time.monotonic() + seconds
    counts = [0] * connections

    def worker(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        while time.monotonic() < deadline:
            conn.request("GET", path, headers={"Host": host})
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{path} answered {response.status}")
            counts[index] += 1
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    territory, _credentials = demo_setup()
    host = territory.primary_domain
    env = {**os.environ, "DEBUG": "false", "HUEY_IMMEDIATE": "true"}
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    port = _free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn), "core.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT,
        env=env,
    )
    load = _wrk if shutil.which("wrk") else _python_client
    print(f"load: {'wrk' if load is _wrk else 'python client'}, {args.connections} connections", flush=True)
    try:
        _wait_up(port, host, server)
        for path in (PAGE, STATIC):  # warm both workers' caches
            load(port, host, path, 1, args.connections)
        page_runs, static_runs = [], []
        for _ in range(args.rounds):
            page_runs.append(load(port, host, PAGE, args.seconds, args.connections))
            static_runs.append(load(port, host, STATIC, args.seconds, args.connections))
            print(f"page {page_runs[-1]:.0f} req/s, static {static_runs[-1]:.0f} req/s", flush=True)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    page_rps, static_rps = statistics.median(page_runs), statistics.median(static_runs)
    print(f"page_rps={page_rps:.0f} static_rps={static_rps:.0f} ratio={page_rps / static_rps:.2f}")


if __name__ == "__main__":
    main()
