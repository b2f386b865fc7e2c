"""How long it takes to create a territory: by cloning the template schema, and by running the migrations.

Usage: python bench/provision.py [--runs N]
Last line: clone_s=<median> migrate_s=<median> speedup=<migrate/clone>
"""

import argparse
import statistics
import time

from _django import setup

setup()

from django.db import connection  # noqa: E402
from django_tenants.utils import schema_exists  # noqa: E402

from tenants.models import Territory  # noqa: E402
from tenants.services import schema_name_for, template_ensure, territory_create  # noqa: E402

CODES = ["971", "972", "973", "974", "975", "976", "2A", "2B", "90", "91"]


def _drop(code: str) -> None:
    existing = Territory.objects.filter(code=code).first()
    if existing is not None:
        existing.delete(force_drop=True)
    elif schema_exists(schema_name_for(code)):
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA "{schema_name_for(code)}" CASCADE')


def _by_migrations(code: str) -> float:
    started = time.perf_counter()
    territory = Territory(schema_name=schema_name_for(code), name=f"Bench {code}", code=code, slug=f"bench-{code}")
    territory.provision_by_migrations = True
    territory.save(verbosity=0)
    return time.perf_counter() - started


def _by_clone(code: str) -> float:
    started = time.perf_counter()
    territory_create(code=code, name=f"Bench {code}", slug=f"bench-{code.lower()}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    template_ensure()
    codes = CODES[: args.runs]
    clone_times, migrate_times = [], []
    try:
        for code in codes:
            _drop(code)
            clone_times.append(_by_clone(code))
            print(f"clone   {code}: {clone_times[-1]:.2f} s", flush=True)
            _drop(code)
            migrate_times.append(_by_migrations(code))
            print(f"migrate {code}: {migrate_times[-1]:.2f} s", flush=True)
            _drop(code)
    finally:
        connection.set_schema_to_public()
        for code in codes:
            _drop(code)
    clone_s = statistics.median(clone_times)
    migrate_s = statistics.median(migrate_times)
    print(f"clone_s={clone_s:.3f} migrate_s={migrate_s:.3f} speedup={migrate_s / clone_s:.1f}")


if __name__ == "__main__":
    main()
