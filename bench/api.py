"""The API under load, through the production topology of `make prod` (PgBouncer in transaction pooling mode
in front of the bench database, gunicorn with 2 workers and 2 huey consumers through it, production settings),
driven by wrk on 127.0.0.1: the case list (50 a page) and the transition endpoint; and, in the same run, the
raw-SQL transition limit of bench/transitions.py. `--direct`: gunicorn straight on the database, effects run
inline (no PgBouncer, no consumers), as the earlier figures were measured.

Usage: python bench/api.py [--seconds S] [--connections C] [--cases N] [--direct]
Needs `wrk` (Debian: apt-get install wrk) and, without --direct, PgBouncer (apt-get install pgbouncer).
Everything runs on loopback and stops after a bounded time. Rates count 2xx answers only; the others are
counted apart (`non_2xx=<list>/<transitions>`).
Last line: list_rps=<n> transition_rps=<n> transition_p99_ms=<n> raw_tps=<n> ratio=<transition_rps/raw_tps>
non_2xx=<n>/<n> topology=<prod|direct>
"""

import argparse
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from _django import ROOT, setup, wait_quiet

setup()

from django.db import connection  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

BENCH_CODE = "91"
BENCH_SLUG = "banc-api"
WORKFLOW = {
    "format": "ppe-workflow/1",
    "code": "banc-api",
    "name": "Banc d'essai de l'API",
    "open_form": "ouverture",
    "open_roles": ["case_worker"],
    "forms": [
        {"code": "ouverture", "name": "Ouverture", "fields": [{"code": "title", "type": "text", "label": "Objet",
                                                                "required": True}]},
        {"code": "note", "name": "Note", "fields": [{"code": "note", "type": "integer", "label": "Note",
                                                      "required": True, "min": 0}]},
    ],
    "states": [
        {"code": "a", "label": "A", "kind": "initial", "sla_days": 5},
        {"code": "b", "label": "B", "kind": "normal", "sla_days": 5},
        {"code": "z", "label": "Z", "kind": "final"},
    ],
    "transitions": [
        {"code": "aller", "label": "Aller", "from": ["a"], "to": "b", "roles": ["case_worker"],
         "guard": "size(data.title) > 0", "form": "note"},
        {"code": "retour", "label": "Retour", "from": ["b"], "to": "a", "roles": ["case_worker"],
         "guard": "data.note >= 0", "form": "note"},
        {"code": "fin", "label": "Fin", "from": ["b"], "to": "z", "roles": ["case_worker"]},
    ],
}  # fmt: skip

# Each wrk connection owns its cases and moves them one after the other (aller on the first pass, retour on
# the next...), so no two requests ever race for the same case. The next case is taken when an answer came,
# not when a request is written: wrk calls request() once more in its first thread, to check what it returns,
# and never sends that one (counted in request(), it made one case skip its « aller » and answer 409 to its
# « retour »: one non-2xx in every run).
TRANSITION_LUA = """
local refs = {REFS}
local per = {PER}
local counter = 0
local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end
function init(args)
  counter = 0
end
function request()
  local first = id * per
  local i = counter % per
  local pass = math.floor(counter / per)
  local name = (pass % 2 == 0) and "aller" or "retour"
  local path = "/api/v1/cases/" .. refs[first + i + 1] .. "/transitions/" .. name .. "/"
  return wrk.format("POST", path, nil, '{"data": {"note": ' .. (counter + 1) .. '}}')
end
function response(status, headers, body)
  counter = counter + 1
end
function done(summary, latency, requests)
  io.write(string.format("p99_us=%d\\n", latency:percentile(99)))
end
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _prepare(cases: int):
    from core.api.services import api_token_create
    from core.services.cases import case_open
    from core.services.users import user_create
    from tenants.models import Territory
    from tenants.services import template_ensure, territory_create
    from workflows.services import workflow_import

    template_ensure()
    _drop()
    territory = territory_create(code=BENCH_CODE, name="Banc d'essai de l'API", slug=BENCH_SLUG)
    with schema_context(territory.schema_name):
        workflow_import(source=WORKFLOW, publish=True)
        actor = user_create(email="bench-api@example.org", groups=["case_worker"], send_welcome=False)
        _, token = api_token_create(user=actor, name="banc", scope="read_write")
        references = [
            case_open(workflow="banc-api", data={"title": f"Dossier {i}"}, actor=actor, channel="api").reference
            for i in range(cases)
        ]
    connection.set_schema_to_public()
    return Territory.objects.get(pk=territory.pk).primary_domain, token, references


def _drop() -> None:
    from tenants.models import Territory

    connection.set_schema_to_public()
    existing = Territory.objects.filter(code=BENCH_CODE).first()
    if existing is not None:
        existing.delete(force_drop=True)


def _env(**extra: str) -> dict[str, str]:
    from django.conf import settings

    from core.settings.database import database_url

    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "core.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": ".localhost,127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": database_url(settings.DATABASES["default"]),
        "API_THROTTLE_TOKEN": "10000000/min",
        "HUEY_IMMEDIATE": "true",
        "DB_CONN_MAX_AGE": "600",
        **extra,
    }


def _gunicorn(port: int, env: dict[str, str]) -> subprocess.Popen:
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    return subprocess.Popen(
        [gunicorn, "core.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT,
        env=env,
    )


def _topology(port: int) -> tuple[list[subprocess.Popen], object | None]:
    """`make prod`'s processes on the bench database: PgBouncer, gunicorn (2 workers), 2 huey consumers."""
    from django.conf import settings

    from core.management.commands.run_prod import topology_env
    from core.pgbouncer import PgBouncer

    server = dict(settings.DATABASES["default"])
    bouncer = PgBouncer(ROOT / "var" / "bench" / "pgbouncer", server, port=_free_port(), pool_size=10).start()
    env = topology_env(bouncer, server, **{k: v for k, v in _env().items() if k != "DATABASE_URL"})
    env.update(HUEY_IMMEDIATE="false", DB_CONN_MAX_AGE="0", DB_POOL_MAX_SIZE="2")
    web = _gunicorn(port, env)
    workers = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "run_workers", "--consumers", "2"],
        cwd=ROOT,
        env={**env, "DB_POOL_MAX_SIZE": "3"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return [web, workers], bouncer


def _stop(processes: list[subprocess.Popen], bouncer) -> None:
    from core.processes import processes_stop

    processes_stop(processes, seconds=30)
    if bouncer is not None:
        bouncer.stop()


def _wait(port: int, host: str, token: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/territory/", headers={"Host": host, "Authorization": f"Bearer {token}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer in time")


def _wrk(url: str, headers: list[str], seconds: int, connections: int, script: str | None = None) -> str:
    command = ["wrk", "-t", str(connections), "-c", str(connections), "-d", f"{seconds}s", "--latency"]
    for header in headers:
        command += ["-H", header]
    if script:
        command += ["-s", script]
    out = subprocess.run([*command, url], capture_output=True, text=True, timeout=seconds + 60, check=True)
    return out.stdout


def _rps(output: str) -> float:
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def _non_2xx(output: str) -> int:
    match = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return int(match.group(1)) if match else 0


_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def _ok_rps(output: str) -> float:
    """Answers a second, the non-2xx ones left out (counted apart by `_non_2xx`)."""
    match = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m|h),", output)
    if match is None:
        return _rps(output)
    seconds = float(match.group(2)) * _UNITS[match.group(3)]
    return (int(match.group(1)) - _non_2xx(output)) / seconds


def _raw_tps(seconds: int) -> float:
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "transitions.py"), "--seconds", str(seconds), "--clients", "2"],
        capture_output=True, text=True, timeout=seconds * 4 + 300, check=True, cwd=ROOT,
    )  # fmt: skip
    last = out.stdout.strip().splitlines()[-1]
    return float(re.search(r"raw_tps=([\d.]+)", last).group(1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--cases", type=int, default=400)
    parser.add_argument("--direct", action="store_true", help="gunicorn straight on the database")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk est absent : apt-get install wrk")
    host, token, references = _prepare(args.cases)
    port = _free_port()
    if args.direct:
        processes, bouncer = [_gunicorn(port, _env())], None
    else:
        processes, bouncer = _topology(port)
    headers = [f"Host: {host}", f"Authorization: Bearer {token}", "Content-Type: application/json"]
    try:
        _wait(port, host, token)
        # measured at rest, not while the consumers start (their imports and first sweep share the 2 cores)
        print(f"processes at rest after {wait_quiet([process.pid for process in processes]):.0f} s", flush=True)
        base = f"http://127.0.0.1:{port}"
        _wrk(f"{base}/api/v1/cases/", headers, 2, args.connections)  # warm up both workers
        listing = _wrk(f"{base}/api/v1/cases/", headers, args.seconds, args.connections)
        list_rps, list_failed = _ok_rps(listing), _non_2xx(listing)
        print(f"list (50 a page): {list_rps:.0f} req/s (2xx), non-2xx {list_failed}", flush=True)

        per = len(references) // args.connections
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            lua = TRANSITION_LUA.replace("{REFS}", "{" + ",".join(json.dumps(r) for r in references) + "}")
            script.write(lua.replace("{PER}", str(per)))
        try:
            moving = _wrk(f"{base}/", headers, args.seconds, args.connections, script=script.name)
        finally:
            os.unlink(script.name)
        transition_rps, moving_failed = _ok_rps(moving), _non_2xx(moving)
        p99_ms = int(re.search(r"p99_us=(\d+)", moving).group(1)) / 1000
        print(
            f"transitions: {transition_rps:.0f} req/s (2xx), p99 {p99_ms:.1f} ms, non-2xx {moving_failed}", flush=True
        )
    finally:
        _stop(processes, bouncer)
        _drop()
    raw = _raw_tps(max(3, args.seconds // 2))
    print(f"raw (bench/transitions.py): {raw:.0f} transitions/s", flush=True)
    print(
        f"list_rps={list_rps:.0f} transition_rps={transition_rps:.0f} transition_p99_ms={p99_ms:.1f} "
        f"raw_tps={raw:.0f} ratio={transition_rps / raw:.3f} non_2xx={list_failed}/{moving_failed} "
        f"topology={'direct' if args.direct else 'prod'}"
    )


if __name__ == "__main__":
    main()
