"""101 territories on one database: clone time, `make run`'s start, a migration across all of them with the
parallel executor, and a territory's page and API latency with 1 and with 101 territories present.

Usage: python bench/scale.py [--requests N] [--processes P] [--rows R] [--limit N]
Runs on the bench database (bench/_django.py: `ppe_bench`, never the one of `make run`), makes the demo territory
as `make run` does, creates the 101 départements (names and codes from django-localflavor) and drops what it made
at the end. With all of them present:
- `startup_s`: seconds from `make run` (nothing pending) to the first answer of the demo's home page;
- `migrate_all_s`: a throwaway app (generated in a temporary folder, never in the project's apps) creates a table
  in every schema, R rows are put in each, then its second migration adds a field with a default to it, applied
  by `migrate_territories` (what `make run` runs) with the parallel executor on P processes;
- latency: p50 of the best of 5 rounds, in a fresh connection, of the first territory's home page and API (the
  case list), measured 3 times with 1 territory (before the 100 others are created), 3 times with 101 and 3
  times with 1 again (after they are dropped): each repetition's ratio is p50 at 101 over the mean of the two
  references (the load of a shared machine drifts during a run), the worse of the two pages; `latency_ratio` is
  the median of the 3 ratios, `latency_spread` their range.
- `worker_rss_mb`: resident memory of one gunicorn worker (production settings) that has served every
  territory's home page, case list and workflows (compiling them all) through the API, twice over.
Last line: territories=101 clone_s=<median> migrate_all_s=<n> startup_s=<n> latency_ratio=<n> latency_spread=<min-max>
worker_rss_mb=<n>
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_APP = "ppe_bench_scale"
ROUNDS = 5
REPEATS = 3  # latency measured 3 times in each state: the ratio is their median, the spread their range
DEPARTEMENT = re.compile(r"^(0[1-9]|[1-8][0-9]|9[0-5]|2[AB]|97[1-6])$")


def _departements() -> list[tuple[str, str]]:
    from localflavor.fr.fr_department import DEPARTMENT_CHOICES

    # The 101 départements: the validator's codes, without Saint-Pierre-et-Miquelon (975, a collectivity).
    return [
        (code, label.split(" - ", 1)[1])
        for code, label in DEPARTMENT_CHOICES
        if DEPARTEMENT.match(code) and code != "975"
    ]


def _p50(samples: list[float]) -> float:
    return statistics.median(samples)


def _latency(territory, requests: int) -> dict[str, float]:
    """p50 (ms) of the territory's home page and of its API (case list when the engine is there)."""
    from _django import user_ensure
    from django.db import connection
    from django.test import Client
    from django.urls import NoReverseMatch, reverse
    from django_tenants.utils import schema_context

    connection.close()  # a fresh backend, as a web worker has: not the one that ran the clones' DDL
    with schema_context(territory.schema_name):
        # A case worker made the product's way (a superuser would first be sent to set up TOTP).
        user = user_ensure("latency-bench@example.org", ["case_worker"])
        client = Client(HTTP_HOST=territory.primary_domain)
        client.force_login(user)  # the session lives in the territory's schema
    connection.set_schema_to_public()
    api = "/api/v1/territory/"
    for name in ("v1:cases-list", "v1:case-list"):
        try:
            api = reverse(name, urlconf="core.urls")
            break
        except NoReverseMatch:
            continue
    results = {}
    for name, url in (("home", "/"), ("api", api)):
        for _ in range(10):  # warm-up
            client.get(url)
        # The machine is shared: the p50 of each of ROUNDS rounds, and the best round, so that a burst of
        # someone else's work does not pass for the cost of 100 more schemas.
        medians = []
        for _ in range(ROUNDS):
            samples = []
            for _ in range(max(1, requests // ROUNDS)):
                started = time.perf_counter()
                response = client.get(url)
                samples.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (url, response.status_code)
            medians.append(_p50(samples))
        results[name] = min(medians)
        results[f"{name}_url"] = url
    connection.set_schema_to_public()
    return results


def _describe(latency: dict[str, float], count: int) -> str:
    return (
        f"with {count} territories: home p50={latency['home']:.1f} ms, {latency['api_url']} p50={latency['api']:.1f} ms"
    )


PROBE_MODEL = """
from django.db import models


class Probe(models.Model):
    label = models.CharField(max_length=50, default="")
{extra}"""
PROBE_0001 = """
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Probe",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("label", models.CharField(default="", max_length=50)),
            ],
        ),
    ]
"""
PROBE_0002 = """
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("ppe_bench_scale", "0001_initial")]
    operations = [migrations.AddField("probe", "added", models.IntegerField(default=0))]
"""


def _bench_app(folder: Path, *, step: int) -> None:
    """A throwaway tenant app: step 1 creates a table (0001), step 2 adds a field with a default to it (0002)."""
    app = folder / BENCH_APP
    (app / "migrations").mkdir(parents=True, exist_ok=True)
    (app / "__init__.py").write_text("")
    (app / "migrations" / "__init__.py").write_text("")
    (app / "migrations" / "0001_initial.py").write_text(PROBE_0001)
    extra = "    added = models.IntegerField(default=0)\n" if step == 2 else ""
    (app / "models.py").write_text(PROBE_MODEL.format(extra=extra))
    if step == 2:
        (app / "migrations" / "0002_probe_added.py").write_text(PROBE_0002)
    (folder / "bench_scale_settings.py").write_text(
        textwrap.dedent(
            f"""
            from core.settings.dev import *  # noqa

            TENANT_APPS = [*TENANT_APPS, "{BENCH_APP}"]
            INSTALLED_APPS = [*INSTALLED_APPS, "{BENCH_APP}"]
            TENANT_MULTIPROCESSING_MAX_PROCESSES = int(__import__("os").environ.get("BENCH_PROCESSES", "2"))
            TENANT_MULTIPROCESSING_CHUNKS = 4
            """
        )
    )


def _migrate(folder: Path, processes: int) -> float:
    """What `make run` runs at start (`migrate_territories`): the pending migration in every schema, found in
    one query and applied with the parallel executor."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(folder), str(ROOT)]),
        "DJANGO_SETTINGS_MODULE": "bench_scale_settings",
        "BENCH_PROCESSES": str(processes),
    }
    command = [sys.executable, str(ROOT / "manage.py"), "migrate_territories", "-v", "0"]
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, cwd=ROOT)
    return time.perf_counter() - started


def _probe_fill(schemas: list[str], rows: int) -> None:
    """`rows` rows in the probe table of every schema, so that the timed migration alters tables that hold data."""
    from django.db import connection

    with connection.cursor() as cursor:
        for schema in schemas:
            cursor.execute(
                f'INSERT INTO "{schema}".{BENCH_APP}_probe (label) '  # noqa: S608
                "SELECT 'ligne ' || g FROM generate_series(1, %s) AS g",
                [rows],
            )


def _startup(host: str) -> float:
    """Seconds from `make run` to the first answer of the territory's home page, nothing being pending."""
    port = _free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        ["make", "-s", "run", f"PORT={port}"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = started + 120
        while time.perf_counter() < deadline:
            if process.poll() is not None:
                raise RuntimeError("make run stopped before answering")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/", headers={"Host": f"{host}:{port}"})
                status = conn.getresponse().status
                conn.close()
                if status < 500:
                    return time.perf_counter() - started
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("make run did not answer within 120 s")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def _worker_rss(territories: list) -> tuple[float, float]:
    """(RSS now, peak RSS) in MB of one gunicorn worker (production settings) that has served every territory:
    its home page, its case list and its workflows (which compiles them all) through the API, twice over."""
    from _django import (
        collectstatic,
        gunicorn_start,
        gunicorn_stop,
        memory_mb,
        production_env,
        user_ensure,
        wait_http,
        worker_pids,
    )
    from django.db import connection
    from django_tenants.utils import schema_context

    from core.api.services import api_token_create

    tokens = {}
    for territory in territories:
        with schema_context(territory.schema_name):
            user = user_ensure("rss-bench@example.org", ["case_worker"])  # the demo territory is kept between runs
            tokens[territory.primary_domain] = api_token_create(user=user, name="banc mémoire")[1]
    connection.set_schema_to_public()
    env = production_env()
    collectstatic(env)
    server, port = gunicorn_start(env, workers=1)
    try:
        wait_http(port, territories[0].primary_domain)
        for _ in range(2):
            for host, token in tokens.items():
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                for path, auth in (("/", {}), ("/api/v1/cases/", True), ("/api/v1/workflows/", True)):
                    headers = {"Host": host, **({"Authorization": f"Bearer {token}"} if auth else {})}
                    conn.request("GET", path, headers=headers)
                    response = conn.getresponse()
                    response.read()
                    if response.status != 200:
                        raise RuntimeError(f"{host}{path} answered {response.status}")
                conn.close()
        (worker,) = worker_pids(server.pid)
        return memory_mb(worker)
    finally:
        gunicorn_stop(server)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _bench_app_remove(schemas: list[str]) -> None:
    """Forget the throwaway app in the schemas that stay (template, public, territories not made here)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for schema in schemas:
            cursor.execute(f'DROP TABLE IF EXISTS "{schema}".{BENCH_APP}_probe')
            cursor.execute(f"SELECT to_regclass('\"{schema}\".django_migrations')")
            if cursor.fetchone()[0]:
                cursor.execute(f'DELETE FROM "{schema}".django_migrations WHERE app = %s', [BENCH_APP])  # noqa: S608
            cursor.execute(f"SELECT to_regclass('\"{schema}\".django_content_type')")
            if cursor.fetchone()[0]:
                cursor.execute(
                    f'DELETE FROM "{schema}".auth_permission WHERE content_type_id IN '  # noqa: S608
                    f'(SELECT id FROM "{schema}".django_content_type WHERE app_label = %s)',
                    [BENCH_APP],
                )
                cursor.execute(f'DELETE FROM "{schema}".django_content_type WHERE app_label = %s', [BENCH_APP])  # noqa: S608


def _ratios(at_1_before: list[dict], at_101: list[dict], at_1_after: list[dict]) -> list[float]:
    """One ratio per repetition (the worse of the two pages), against the mean of the references taken before
    the 100 others were created and after they were dropped (the load of a shared machine drifts)."""
    ratios = []
    for before, many, after in zip(at_1_before, at_101, at_1_after, strict=True):
        ratios.append(max(many[name] / ((before[name] + after[name]) / 2) for name in ("home", "api")))
    return ratios


def _settle(timeout: float = 180) -> None:
    """Wait until PostgreSQL's autovacuum has finished with the tables the clones just filled (it works on 100
    new schemas for a minute or more after they are made: measured then, the latencies were its load's), then
    write the checkpoint the clones' WAL calls for now rather than in the middle of a measurement (the bench
    database's server only)."""
    from django.db import DatabaseError, connection

    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'")
            if cursor.fetchone()[0] == 0:
                break
            time.sleep(1)
        else:
            print("autovacuum still running: latencies measured anyway", flush=True)
        try:
            cursor.execute("CHECKPOINT")
        except DatabaseError:  # neither a superuser nor pg_checkpoint on an external server: measured anyway
            print("no CHECKPOINT allowed: latencies measured without it", flush=True)


def _latencies(territory, requests: int, count: int, label: str = "") -> list[dict]:
    _settle()
    measures = []
    for _ in range(REPEATS):
        measures.append(_latency(territory, requests))
        print(_describe(measures[-1], count), label, flush=True)
    return measures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--rows", type=int, default=2000, help="Rows of the migrated table in each territory.")
    parser.add_argument("--limit", type=int, default=101, help="Fewer territories, for a quick try.")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT / "bench"))
    # The latencies are measured with thousands of requests a minute by one person: not the throttle's business.
    os.environ.setdefault("API_THROTTLE_USER", "10000000/min")
    from _django import load_average, setup

    setup()  # the bench database, brought up to date (the template included)
    from django.db import connection

    from core.services.demo import demo_setup
    from tenants.models import Territory
    from tenants.services import territory_clone

    for stale in Territory.objects.filter(slug__startswith="bench-"):  # left by an interrupted run
        stale.delete(force_drop=True)
    _bench_app_remove(list(Territory.objects.values_list("schema_name", flat=True)))
    demo, _credentials = demo_setup()  # what make run serves: its start is timed with 101 territories
    departements = _departements()
    assert len(departements) == 101, len(departements)
    departements = departements[: args.limit]
    existing = set(Territory.objects.values_list("code", flat=True))
    made: list[Territory] = []
    clone_times: list[float] = []
    folder = Path(tempfile.mkdtemp(prefix="ppe-bench-"))  # the throwaway app, removed at the end
    at_1: list[dict] = []
    try:
        for index, (code, name) in enumerate(departements, 1):
            if code in existing:
                continue
            started = time.perf_counter()
            made.append(territory_clone(code=code, name=name, slug=f"bench-{code.lower()}"))
            clone_times.append(time.perf_counter() - started)
            if len(made) == 1:
                first = made[0]
                at_1 = _latencies(first, args.requests, _territory_count())
            if index % 10 == 0:
                print(f"{index}/{len(departements)} territories, last clone {clone_times[-1]:.2f} s", flush=True)
        count = _territory_count()
        at_101 = _latencies(first, args.requests, count)
        startup_s = _startup(demo.primary_domain)
        print(f"make run with {count} territories, nothing pending: answers after {startup_s:.1f} s", flush=True)
        served = list(Territory.objects.filter(is_template=False).exclude(schema_name="public"))
        rss_mb, rss_peak_mb = _worker_rss(served)
        print(f"a gunicorn worker that served {len(served)} territories: RSS {rss_mb:.0f} MB (peak {rss_peak_mb:.0f})")
        schemas = list(Territory.objects.exclude(schema_name="public").values_list("schema_name", flat=True))
        _bench_app(folder, step=1)
        create_s = _migrate(folder, args.processes)
        _probe_fill(schemas, args.rows)
        _bench_app(folder, step=2)
        migrate_all_s = _migrate(folder, args.processes)
        print(
            f"migration creating a table in {len(schemas)} schemas: {create_s:.1f} s; adding a field with a default "
            f"to it, {args.rows} rows in each ({args.processes} processes): {migrate_all_s:.1f} s",
            flush=True,
        )
        connection.set_schema_to_public()
        for territory in made[1:]:
            territory.delete(force_drop=True)
        del made[1:]
        at_1_after = _latencies(first, args.requests, _territory_count(), "(after)")
    finally:
        connection.set_schema_to_public()
        for territory in made:
            territory.delete(force_drop=True)
        _bench_app_remove(list(Territory.objects.values_list("schema_name", flat=True)))
        shutil.rmtree(folder, ignore_errors=True)
    clone_s = statistics.median(clone_times)
    ratios = _ratios(at_1, at_101, at_1_after)
    ratio = statistics.median(ratios)
    print(
        f"clone: median {clone_s:.2f} s, p90 {statistics.quantiles(clone_times, n=10)[-1]:.2f} s; "
        f"latency ratios of the {REPEATS} repetitions: {', '.join(f'{r:.2f}' for r in ratios)}; {load_average()}"
    )
    figures = (
        f"clone_s={clone_s:.3f} migrate_all_s={migrate_all_s:.1f} startup_s={startup_s:.1f} "
        f"latency_ratio={ratio:.2f} latency_spread={min(ratios):.2f}-{max(ratios):.2f} worker_rss_mb={rss_mb:.0f}"
    )
    print(f"territories={len(departements)} {figures}")


def _territory_count() -> int:
    from tenants.models import Territory

    return Territory.objects.filter(is_template=False).exclude(schema_name="public").count()


if __name__ == "__main__":
    main()
