"""SQLite: store participations, responses and answers in WITHOUT ROWID tables (security.md SV-2).

An ordinary SQLite table keeps a hidden, increasing rowid, which is the order of arrival: a participation's rowid
and a response's rowid would line up and link a household to its answers. A WITHOUT ROWID table is a B-tree on its
primary key, here a random UUID, so the order rows are stored and read back in says nothing about when they came.
PostgreSQL has no rowid (its physical order is discussed in docs/surveys.md); nothing to do there.

Each table is rebuilt from its own CREATE statement with WITHOUT ROWID appended; its indexes are recreated.
"""

from django.db import migrations

TABLES = ("surveys_participation", "surveys_response", "surveys_answer")


def rebuild(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cur:
        for table in TABLES:
            cur.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s", [table])
            (create,) = cur.fetchone()
            if create.rstrip().upper().endswith("WITHOUT ROWID"):
                continue
            cur.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
                [table],
            )
            indexes = [row[0] for row in cur.fetchall()]
            staging = f"{table}__norowid"
            head, sep, body = create.partition("(")
            assert f'"{table}"' in head, create
            cur.execute(head.replace(f'"{table}"', f'"{staging}"') + sep + body + " WITHOUT ROWID")
            cur.execute(f'INSERT INTO "{staging}" SELECT * FROM "{table}"')
            cur.execute(f'DROP TABLE "{table}"')
            cur.execute(f'ALTER TABLE "{staging}" RENAME TO "{table}"')
            for sql in indexes:
                cur.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial")]

    operations = [migrations.RunPython(rebuild, migrations.RunPython.noop)]
