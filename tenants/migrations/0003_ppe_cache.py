"""The table of the `throttle` cache (Django's DatabaseCache, as `createcachetable` makes it), in the public
schema: rate-limit counters shared by every web worker when there is no Redis. `createcachetable` itself skips
it (django-tenants' router knows no `django_cache` app)."""

from django.db import migrations

SQL = """
CREATE TABLE IF NOT EXISTS "ppe_cache" (
    "cache_key" varchar(255) NOT NULL PRIMARY KEY,
    "value" text NOT NULL,
    "expires" timestamp with time zone NOT NULL
);
CREATE INDEX IF NOT EXISTS "ppe_cache_expires" ON "ppe_cache" ("expires");
"""


class Migration(migrations.Migration):
    dependencies = [("tenants", "0002_draft_and_jobs")]

    operations = [migrations.RunSQL(SQL, reverse_sql='DROP TABLE IF EXISTS "ppe_cache";')]
