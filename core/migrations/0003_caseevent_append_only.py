"""The database itself keeps the case history append-only: UPDATE, DELETE and TRUNCATE raise."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION core_caseevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'core_caseevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER core_caseevent_no_update_delete
    BEFORE UPDATE OR DELETE ON core_caseevent
    FOR EACH ROW EXECUTE FUNCTION core_caseevent_append_only();
CREATE TRIGGER core_caseevent_no_truncate
    BEFORE TRUNCATE ON core_caseevent
    FOR EACH STATEMENT EXECUTE FUNCTION core_caseevent_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS core_caseevent_no_truncate ON core_caseevent;
DROP TRIGGER IF EXISTS core_caseevent_no_update_delete ON core_caseevent;
DROP FUNCTION IF EXISTS core_caseevent_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("core", "0002_cases")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
