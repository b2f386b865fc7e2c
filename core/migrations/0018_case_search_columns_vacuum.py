"""After 0017 rewrote the cases' table (two stored generated columns), its visibility map is empty: until
autovacuum visits the table — which a rewrite does not prompt — every count that an index could answer alone
(the inbox's, the API's lists) reads the table instead (measured on 100,000 cases: 32 ms instead of 1 ms).
VACUUM (ANALYZE) sets it again, and the planner's statistics with it. VACUUM runs outside any transaction,
hence a migration of its own, not atomic."""

from django.db import migrations


def vacuum(apps, schema_editor):
    connection = schema_editor.connection
    if connection.in_atomic_block:  # (a test database built inside a transaction: nothing to gain there)
        return
    table = connection.ops.quote_name(apps.get_model("core", "Case")._meta.db_table)
    schema = connection.ops.quote_name(connection.schema_name)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {schema}.{table}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("core", "0017_case_search_columns")]

    operations = [migrations.RunPython(vacuum, migrations.RunPython.noop, elidable=True)]
