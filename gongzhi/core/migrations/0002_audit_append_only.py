"""Audit entries are append-only, enforced by the database itself (LG-3).

UPDATE and DELETE (and TRUNCATE on PostgreSQL) on core_auditentry are refused unless a row sits in
gongzhi_audit_maintenance, a table that is not a Django model: only the retention purge (entries older than
180 days) and the test harness's flush insert one, inside their own transaction.
"""

from django.db import migrations

SQLITE = [
    "CREATE TABLE gongzhi_audit_maintenance (reason TEXT NOT NULL)",
    """CREATE TRIGGER core_auditentry_no_update BEFORE UPDATE ON core_auditentry
       WHEN (SELECT COUNT(*) FROM gongzhi_audit_maintenance) = 0
       BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END""",
    """CREATE TRIGGER core_auditentry_no_delete BEFORE DELETE ON core_auditentry
       WHEN (SELECT COUNT(*) FROM gongzhi_audit_maintenance) = 0
       BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS core_auditentry_no_update",
    "DROP TRIGGER IF EXISTS core_auditentry_no_delete",
    "DROP TABLE IF EXISTS gongzhi_audit_maintenance",
]

POSTGRES = [
    "CREATE TABLE gongzhi_audit_maintenance (reason TEXT NOT NULL)",
    """CREATE FUNCTION gongzhi_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF NOT EXISTS (SELECT 1 FROM gongzhi_audit_maintenance) THEN
           RAISE EXCEPTION 'audit entries are append-only';
         END IF;
         IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
         IF TG_OP = 'TRUNCATE' THEN RETURN NULL; END IF;
         RETURN NEW;
       END $$""",
    """CREATE TRIGGER core_auditentry_append_only BEFORE UPDATE OR DELETE ON core_auditentry
       FOR EACH ROW EXECUTE FUNCTION gongzhi_audit_append_only()""",
    """CREATE TRIGGER core_auditentry_no_truncate BEFORE TRUNCATE ON core_auditentry
       FOR EACH STATEMENT EXECUTE FUNCTION gongzhi_audit_append_only()""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS core_auditentry_no_truncate ON core_auditentry",
    "DROP TRIGGER IF EXISTS core_auditentry_append_only ON core_auditentry",
    "DROP FUNCTION IF EXISTS gongzhi_audit_append_only()",
    "DROP TABLE IF EXISTS gongzhi_audit_maintenance",
]


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    statements = POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE
    for sql in statements:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    statements = POSTGRES_REVERSE if schema_editor.connection.vendor == "postgresql" else SQLITE_REVERSE
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
