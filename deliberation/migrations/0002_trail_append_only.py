"""On PostgreSQL the database itself refuses to change or remove a trail entry.

The model and the admin refuse too, but a trigger also stops raw SQL, a shell, or a bug in
some future code path. TRUNCATE is left alone: it is how test runs and `flush` empty a
database, not a way to edit a record. Other databases rely on the model and on
`verify_trail`, which detects an edited entry.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION deliberation_trail_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the deliberation trail is append-only: % of entry % refused', TG_OP, OLD.id
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER deliberation_trail_append_only
    BEFORE UPDATE OR DELETE ON deliberation_trailentry
    FOR EACH ROW EXECUTE FUNCTION deliberation_trail_refuse_change();
"""

DROP = """
DROP TRIGGER IF EXISTS deliberation_trail_append_only ON deliberation_trailentry;
DROP FUNCTION IF EXISTS deliberation_trail_refuse_change();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("deliberation", "0001_initial")]

    operations = [migrations.RunPython(create_trigger, drop_trigger, elidable=False)]
