"""Users, departments, access roles and API tokens renew the configuration generation too: token
authentication caches them per process (kontor.accounts.services.token_authenticate)."""

from django.db import migrations

from kontor.core.triggers import create_bump_triggers, drop_bump_triggers

TABLES = ("accounts_user", "accounts_department", "accounts_accessrole", "accounts_apitoken")
#: a token's use is touched once a minute; only who it belongs to and whether it is revoked matter
UPDATE_COLUMNS = {"accounts_apitoken": "user_id, key_hash, revoked_at"}


def create_triggers(apps, schema_editor):
    create_bump_triggers(schema_editor, TABLES, UPDATE_COLUMNS)


def drop_triggers(apps, schema_editor):
    drop_bump_triggers(schema_editor, TABLES)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_config_generation"),
        ("accounts", "0003_user_language"),
    ]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
