"""`migrate_schemas` for the platform's start: only the schemas that lack a migration, found in one query.

`make run` calls it at every start. With nothing pending it costs one query, whatever the number of
territories (django-tenants' own command runs `migrate` in every schema, about half a second each: a minute at
101 territories). The schemas that are behind are migrated, the public one first, then the template, then the
territories — with the parallel executor when several territories are behind (`--executor` chooses another).
Given an app label, a migration name or `--schema`, it does exactly what `migrate_schemas` does.

`migrate` also keeps each territory's role groups current (core.receivers, after every migration): a schema
with nothing to migrate but whose role groups lack a permission of `core.roles.role_permissions()` (the code
changed, no migration) gets `roles_ensure()` alone, found by one more query over every schema.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection, connections
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand
from django_tenants.migration_executors import get_executor
from django_tenants.utils import get_public_schema_name, schema_context

from core.roles import Role, role_permissions, roles_ensure
from tenants.migrations_state import schemas_behind


class Command(MigrateSchemasCommand):
    help = (
        "Applique les migrations en attente, seulement dans les schémas en retard (détectés en une requête) ; "
        "en parallèle quand plusieurs territoires sont en retard."
    )

    def handle(self, *args, **options):
        if options.get("app_label") or options.get("schema_name") or options.get("plan") or options.get("fake"):
            return super().handle(*args, **options)
        public = get_public_schema_name()
        if not self._territories_table_exists():  # a new database: the public schema first, then look
            if options.get("check_unapplied"):
                raise SystemExit(1)
            self._run("standard", args, options, [public])
        behind = schemas_behind()
        if int(options.get("verbosity", 1)) >= 1:
            self.stdout.write(f"Schémas en retard : {', '.join(behind)}" if behind else "Aucune migration en attente.")
        if options.get("check_unapplied"):
            if behind:
                raise SystemExit(1)
            return None
        if public in behind:  # before any territory: their tables reference its tables
            self._run("standard", args, options, [public])
        territories = [schema for schema in behind if schema != public]
        if territories and territories[0] == settings.TENANT_BASE_SCHEMA:
            # The template first and alone: territories are cloned from it, so it is never left behind them.
            self._run("standard", args, options, territories[:1])
            territories = territories[1:]
        if territories:
            codename = options.get("executor") or ("multiprocessing" if len(territories) > 1 else "standard")
            self._run(codename, args, options, territories)
        for schema in roles_behind(exclude={public, *behind}):
            if int(options.get("verbosity", 1)) >= 1:
                self.stdout.write(f"Rôles à compléter : {schema}")
            with schema_context(schema):
                roles_ensure()
        connection.set_schema_to_public()
        return None

    @staticmethod
    def _run(codename: str, args, options, schemas: list[str]) -> None:
        if codename == "multiprocessing":
            # The options go to the worker processes by pickling: a caller's stdout/stderr (run_setup passes its
            # OutputWrapper) cannot be pickled. The workers write to their own (inherited) stdout and stderr.
            options = {key: value for key, value in options.items() if key not in {"stdout", "stderr"}}
            # The workers are forked: a connection pool (psycopg_pool, its threads and its open sockets) must not
            # be inherited, or the processes would share server connections (and one another's search_path).
            for conn in connections.all():
                conn.close()
                if getattr(conn, "pool", None) is not None:
                    conn.close_pool()
        get_executor(codename=codename)(args, options).run_migrations(tenants=list(schemas))
        connection.set_schema_to_public()

    @staticmethod
    def _territories_table_exists() -> bool:
        from tenants.models import Territory

        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [f"public.{Territory._meta.db_table}"])
            return cursor.fetchone()[0]


def roles_behind(*, exclude: set[str]) -> list[str]:
    """The territories (template included) whose role groups lack a group or a permission the code gives them.

    One statement over every schema (not in `exclude`, those being migrated run `roles_ensure` after it).
    """
    from tenants.models import Territory

    granted = role_permissions()
    wanted = sorted({f"{role}:{name}" for role, names in granted.items() for name in names})
    roles = sorted({*Role.values, *granted})
    schemas = list(Territory.objects.exclude(schema_name__in=exclude).values_list("schema_name", flat=True))
    if not schemas:
        return []
    quote = connection.ops.quote_name
    statement = " UNION ALL ".join(
        f"SELECT %s, (SELECT count(*) FROM {quote(s)}.auth_group WHERE name = ANY(%s)), "  # noqa: S608
        f"(SELECT count(*) FROM {quote(s)}.auth_group g "
        f"JOIN {quote(s)}.auth_group_permissions gp ON gp.group_id = g.id "
        f"JOIN {quote(s)}.auth_permission p ON p.id = gp.permission_id "
        f"JOIN {quote(s)}.django_content_type ct ON ct.id = p.content_type_id "
        "WHERE g.name || ':' || ct.app_label || '.' || p.codename = ANY(%s))"
        for s in schemas
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [value for schema in schemas for value in (schema, roles, wanted)])
        rows = cursor.fetchall()
    return [schema for schema, groups, granted in rows if groups != len(roles) or granted != len(wanted)]
