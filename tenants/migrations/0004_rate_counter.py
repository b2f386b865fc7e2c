"""The rate-limit counters of the API (core.api.throttling) when there is no Redis: one row per counted key
(territory, scope, token / user / address), in the public schema, updated by one atomic upsert per request.
It replaces the `ppe_cache` table (Django's DatabaseCache), whose every write counted the whole table
(`SELECT COUNT(*)`) and stored the list of every request's time."""

from django.db import migrations

SQL = """
CREATE TABLE IF NOT EXISTS "ppe_rate_counter" (
    "key" varchar(255) NOT NULL PRIMARY KEY,
    "window" bigint NOT NULL,
    "hits" integer NOT NULL,
    "previous" integer NOT NULL,
    "expires" timestamp with time zone NOT NULL
);
CREATE INDEX IF NOT EXISTS "ppe_rate_counter_expires" ON "ppe_rate_counter" ("expires");
DROP TABLE IF EXISTS "ppe_cache";
"""

REVERSE = """
DROP TABLE IF EXISTS "ppe_rate_counter";
CREATE TABLE IF NOT EXISTS "ppe_cache" (
    "cache_key" varchar(255) NOT NULL PRIMARY KEY,
    "value" text NOT NULL,
    "expires" timestamp with time zone NOT NULL
);
CREATE INDEX IF NOT EXISTS "ppe_cache_expires" ON "ppe_cache" ("expires");
"""


class Migration(migrations.Migration):
    dependencies = [("tenants", "0003_ppe_cache")]

    operations = [migrations.RunSQL(SQL, reverse_sql=REVERSE)]
