"""API tokens move to django-rest-knox (core.tokens), which stores only their hashes.

The old table (rest_framework.authtoken) kept every key in clear and none ever ended: it is
dropped, so each API client logs in once more and gets a per-device token that does end.
"""

from django.db import migrations


def drop_plain_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if "authtoken_token" in connection.introspection.table_names():
        schema_editor.execute("DROP TABLE authtoken_token")


class Migration(migrations.Migration):
    dependencies = [("civic", "0001_initial"), ("knox", "0009_extend_authtoken_field")]

    operations = [migrations.RunPython(drop_plain_tokens, migrations.RunPython.noop)]
