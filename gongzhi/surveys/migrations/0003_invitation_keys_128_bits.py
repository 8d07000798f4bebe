"""Look-up HMACs cut to 128 bits, and one index fewer on invitations (docs/decisions.md D13).

`code_hash` and `respondent_key` keep the first 32 hex digits of the HMAC they held (codes.KEY_HEX), so the stored
values stay what codes.code_hash() and codes.respondent_key() now return; Participation's keys are cut alike so
that they still match their invitations. The single-column index on Invitation.series goes: the unique
(series, respondent_key) and the (series, community) index both start with it.
"""

from django.db import migrations, models

CUT = [
    "UPDATE surveys_invitation SET code_hash = SUBSTR(code_hash, 1, 32), "
    "respondent_key = SUBSTR(respondent_key, 1, 32) WHERE LENGTH(code_hash) > 32 OR LENGTH(respondent_key) > 32",
    "UPDATE surveys_participation SET respondent_key = SUBSTR(respondent_key, 1, 32) "
    "WHERE LENGTH(respondent_key) > 32",
]


class Migration(migrations.Migration):
    dependencies = [("surveys", "0002_anonymous_tables_without_rowid")]

    operations = [
        migrations.RunSQL(CUT, migrations.RunSQL.noop),
        migrations.AlterField(model_name="invitation", name="series", field=models.UUIDField()),
    ]
