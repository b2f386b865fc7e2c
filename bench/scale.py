"""101 territories on one database: clone time, a migration across all of them with the parallel executor,
and a territory's page and API latency with 1 and with 101 territories present.

Usage: python bench/scale.py [--requests N] [--processes P] [--limit N]
Runs on the bench database (bench/_django.py: `ppe_bench`, never the one of `make run`), creates the 101
départements (names and codes from django-localflavor), adds a throwaway app whose second migration adds a
field to a table in every territory (generated in a temporary folder, never in the project's apps), and drops
everything it made at the end. Latency: p50 of the best of 5 rounds, in a fresh connection, of the first
territory's home page and API (the case list when it exists, else /api/v1/territory/); the 1-territory reference
is the mean of the measures taken before the 100 others are created and after they are dropped, since the load
of a shared machine drifts during a run; the ratio is the worse of the two pages.
Last line: territories=101 clone_s=<median> migrate_all_s=<n> latency_ratio=<p50 at 101 / p50 at 1>
"""

from __future__ import annotations

import argparse
import os
import re
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
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.urls import NoReverseMatch, reverse
    from django_tenants.utils import schema_context

    connection.close()  # a fresh backend, as a web worker has: not the one that ran the clones' DDL
    with schema_context(territory.schema_name):
        User = get_user_model()
        user = User.objects.filter(username="bench").first() or User.objects.create_superuser(
            "bench", "bench@example.org", "bench-password-1"
        )
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


def _bench_app(folder: Path) -> None:
    """A throwaway tenant app: 0001 creates a table, 0002 (the one timed) adds a field to it."""
    app = folder / BENCH_APP
    (app / "migrations").mkdir(parents=True)
    (app / "__init__.py").write_text("")
    (app / "migrations" / "__init__.py").write_text("")
    (app / "models.py").write_text(
        textwrap.dedent(
            """
            from django.db import models


            class Probe(models.Model):
                label = models.CharField(max_length=50, default="")
                added = models.IntegerField(default=0)
            """
        )
    )
    (app / "migrations" / "0001_initial.py").write_text(
        textwrap.dedent(
            """
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
        )
    )
    (app / "migrations" / "0002_probe_added.py").write_text(
        textwrap.dedent(
            """
            from django.db import migrations, models


            class Migration(migrations.Migration):
                dependencies = [("ppe_bench_scale", "0001_initial")]
                operations = [migrations.AddField("probe", "added", models.IntegerField(default=0))]
            """
        )
    )
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


def _migrate(folder: Path, target: str, processes: int) -> float:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(folder), str(ROOT)]),
        "DJANGO_SETTINGS_MODULE": "bench_scale_settings",
        "BENCH_PROCESSES": str(processes),
    }
    command = [sys.executable, str(ROOT / "manage.py"), "migrate_schemas", BENCH_APP, target]
    command += ["--executor=multiprocessing", "-v", "0"]
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, cwd=ROOT)
    return time.perf_counter() - started


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--limit", type=int, default=101, help="Fewer territories, for a quick try.")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT / "bench"))
    from _django import setup

    setup()  # the bench database, brought up to date (the template included)
    from django.db import connection

    from tenants.models import Territory
    from tenants.services import territory_clone

    for stale in Territory.objects.filter(slug__startswith="bench-"):  # left by an interrupted run
        stale.delete(force_drop=True)
    _bench_app_remove(list(Territory.objects.values_list("schema_name", flat=True)))
    departements = _departements()
    assert len(departements) == 101, len(departements)
    departements = departements[: args.limit]
    existing = set(Territory.objects.values_list("code", flat=True))
    made: list[Territory] = []
    clone_times: list[float] = []
    folder = Path(tempfile.mkdtemp(prefix="ppe-bench-"))
    migrate_all_s = 0.0
    at_1 = at_1_after = at_101 = {}
    try:
        for index, (code, name) in enumerate(departements, 1):
            if code in existing:
                continue
            started = time.perf_counter()
            made.append(territory_clone(code=code, name=name, slug=f"bench-{code.lower()}"))
            clone_times.append(time.perf_counter() - started)
            if len(made) == 1:
                first = made[0]
                at_1 = _latency(first, args.requests)
                count = Territory.objects.filter(is_template=False).exclude(schema_name="public").count()
                print(_describe(at_1, count), flush=True)
            if index % 10 == 0:
                print(f"{index}/{len(departements)} territories, last clone {clone_times[-1]:.2f} s", flush=True)
        count = Territory.objects.filter(is_template=False).exclude(schema_name="public").count()
        at_101 = _latency(first, args.requests)
        print(_describe(at_101, count), flush=True)
        _bench_app(folder)
        _migrate(folder, "0001", args.processes)
        migrate_all_s = _migrate(folder, "0002", args.processes)
        print(f"migration adding a field in {count + 1} schemas ({args.processes} processes): {migrate_all_s:.1f} s")
        connection.set_schema_to_public()
        for territory in made[1:]:
            territory.delete(force_drop=True)
        del made[1:]
        # Measured again with 1 territory: the load of a shared machine drifts during the run, so the
        # reference is the mean of the measures taken before and after the 101.
        at_1_after = _latency(first, args.requests)
        print(_describe(at_1_after, 1), "(after)", flush=True)
    finally:
        connection.set_schema_to_public()
        for territory in made:
            territory.delete(force_drop=True)
        remaining = list(Territory.objects.values_list("schema_name", flat=True))
        _bench_app_remove(remaining)
    clone_s = statistics.median(clone_times)
    for name in ("home", "api"):
        at_1[name] = (at_1[name] + at_1_after[name]) / 2
    ratio = max(at_101["home"] / at_1["home"], at_101["api"] / at_1["api"])  # the worse of the two
    print(
        f"clone: median {clone_s:.2f} s, p90 {statistics.quantiles(clone_times, n=10)[-1]:.2f} s; "
        f"home ratio {at_101['home'] / at_1['home']:.2f}, api ratio {at_101['api'] / at_1['api']:.2f}"
    )
    figures = f"clone_s={clone_s:.3f} migrate_all_s={migrate_all_s:.1f} latency_ratio={ratio:.2f}"
    print(f"territories={len(departements)} {figures}")


if __name__ == "__main__":
    main()
