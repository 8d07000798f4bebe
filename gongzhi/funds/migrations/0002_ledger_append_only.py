"""Transfers and entries are append-only, enforced by the database itself (security.md RL-4, DP-4).

UPDATE and DELETE (and TRUNCATE on PostgreSQL) on funds_transfer and funds_entry are refused unless a row sits in
gongzhi_audit_maintenance, the permit table of the audit log (core migration 0002): the test harness's flush of a
transactional test inserts one, inside its own transaction. Corrections are reversing transfers, never edits.
"""

from django.db import migrations

TABLES = ("funds_transfer", "funds_entry")
MESSAGE = "ledger transfers and entries are append-only"


def _sqlite() -> list[str]:
    statements = []
    for table in TABLES:
        for op in ("UPDATE", "DELETE"):
            statements.append(
                f"""CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table}
                    WHEN (SELECT COUNT(*) FROM gongzhi_audit_maintenance) = 0
                    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"""
            )
    return statements


def _sqlite_reverse() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {t}_no_{op}" for t in TABLES for op in ("update", "delete")]


def _postgres() -> list[str]:
    statements = [
        f"""CREATE FUNCTION gongzhi_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN
             IF NOT EXISTS (SELECT 1 FROM gongzhi_audit_maintenance) THEN
               RAISE EXCEPTION '{MESSAGE}';
             END IF;
             IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
             IF TG_OP = 'TRUNCATE' THEN RETURN NULL; END IF;
             RETURN NEW;
           END $$"""
    ]
    for table in TABLES:
        statements.append(
            f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
                FOR EACH ROW EXECUTE FUNCTION gongzhi_ledger_append_only()"""
        )
        statements.append(
            f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
                FOR EACH STATEMENT EXECUTE FUNCTION gongzhi_ledger_append_only()"""
        )
    return statements


def _postgres_reverse() -> list[str]:
    statements = []
    for table in TABLES:
        statements.append(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        statements.append(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    statements.append("DROP FUNCTION IF EXISTS gongzhi_ledger_append_only()")
    return statements


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    statements = _postgres() if schema_editor.connection.vendor == "postgresql" else _sqlite()
    for sql in statements:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    statements = _postgres_reverse() if schema_editor.connection.vendor == "postgresql" else _sqlite_reverse()
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_audit_append_only"), ("funds", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
