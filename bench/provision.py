"""How long it takes to create a territory: by cloning the template schema, by running the migrations, and
by cloning the demo territory (Ille-et-Vilaine as `make run` builds it: its pages, images and documents, and
the data the clone leaves behind).

Usage: python bench/provision.py [--runs N]
Last line: clone_s=<median> migrate_s=<median> speedup=<migrate/clone> demo_clone_s=<median>

It works on the benchmark's own database (bench/_django.py), never on the data of `make run`: the demo is
built there first if needed, and only territories this script created (identifier `bench-…`) are dropped.
"""

import argparse
import statistics
import time

from _django import setup

setup()

from django.db import connection  # noqa: E402
from django_tenants.utils import schema_exists  # noqa: E402

from core.services.demo import DEMO_CODE, DEMO_NAME, DEMO_SLUG, demo_territory_ensure  # noqa: E402
from tenants.models import Territory  # noqa: E402
from tenants.services import schema_name_for, template_ensure, territory_clone, territory_delete  # noqa: E402

CODES = ["971", "972", "973", "974", "975", "976", "2A", "2B", "90", "91"]


def _drop(code: str) -> None:
    existing = Territory.objects.filter(code=code).first()
    if existing is not None:
        if not existing.slug.startswith("bench-"):
            raise SystemExit(f"Le territoire {code} ({existing.name}) n'a pas été créé par ce banc : il reste.")
        territory_delete(territory=existing)
    elif schema_exists(schema_name_for(code)):
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA "{schema_name_for(code)}" CASCADE')


def _by_migrations(code: str) -> float:
    started = time.perf_counter()
    territory = Territory(
        schema_name=schema_name_for(code), name=f"Bench {code}", code=code, slug=f"bench-{code.lower()}"
    )
    territory.provision_by_migrations = True
    territory.save(verbosity=0)
    return time.perf_counter() - started


def _by_clone(code: str, source: Territory | None = None) -> float:
    started = time.perf_counter()
    territory_clone(code=code, name=f"Bench {code}", slug=f"bench-{code.lower()}", source=source)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    template_ensure()
    demo = demo_territory_ensure(code=DEMO_CODE, name=DEMO_NAME, slug=DEMO_SLUG)
    codes = CODES[: args.runs]
    clone_times, migrate_times, demo_times = [], [], []
    try:
        for code in codes:
            _drop(code)
            clone_times.append(_by_clone(code))
            print(f"clone   {code}: {clone_times[-1]:.2f} s", flush=True)
            _drop(code)
            migrate_times.append(_by_migrations(code))
            print(f"migrate {code}: {migrate_times[-1]:.2f} s", flush=True)
            _drop(code)
            demo_times.append(_by_clone(code, source=demo))
            print(f"demo    {code}: {demo_times[-1]:.2f} s", flush=True)
            _drop(code)
    finally:
        connection.set_schema_to_public()
        for code in codes:
            _drop(code)
    clone_s = statistics.median(clone_times)
    migrate_s = statistics.median(migrate_times)
    demo_clone_s = statistics.median(demo_times)
    print(
        f"clone_s={clone_s:.3f} migrate_s={migrate_s:.3f} speedup={migrate_s / clone_s:.1f} "
        f"demo_clone_s={demo_clone_s:.3f}"
    )


if __name__ == "__main__":
    main()
