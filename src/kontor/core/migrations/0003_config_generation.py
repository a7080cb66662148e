"""The configuration generation row and the triggers that renew its token (kontor.core.generation)."""

from django.db import migrations, models

#: the tables whose rows services cache per process
CACHED_TABLES = ("crm_crmsettings", "crm_pipeline", "crm_stage", "crm_source", "crm_leadstatus",
                 "crm_customfield", "crm_customfielditem", "events_outgoingwebhook")
#: columns whose update matters, where others change often (a webhook's delivery lease)
UPDATE_COLUMNS = {"events_outgoingwebhook": "url, format, events, secret, active"}


def _update_of(table: str) -> str:
    return f"UPDATE OF {UPDATE_COLUMNS[table]}" if table in UPDATE_COLUMNS else "UPDATE"


def create_triggers(apps, schema_editor):
    ConfigGeneration = apps.get_model("core", "ConfigGeneration")
    ConfigGeneration.objects.update_or_create(pk=1, defaults={"token": 0})
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for table in CACHED_TABLES:
            for op in ("INSERT", "UPDATE", "DELETE"):
                event = _update_of(table) if op == "UPDATE" else op
                schema_editor.execute(
                    f"CREATE TRIGGER kontor_config_{table}_{op.lower()} AFTER {event} ON {table} "
                    "BEGIN UPDATE core_configgeneration SET token = random() WHERE id = 1; END")
    elif vendor == "postgresql":
        schema_editor.execute(
            "CREATE OR REPLACE FUNCTION kontor_config_bump() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "UPDATE core_configgeneration SET token = floor((random() - 0.5) * 9.2e18)::bigint WHERE id = 1; "
            "RETURN NULL; END $$")
        for table in CACHED_TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER kontor_config_bump AFTER INSERT OR {_update_of(table)} OR DELETE OR TRUNCATE"
                f" ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION kontor_config_bump()")


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in CACHED_TABLES:
        if vendor == "sqlite":
            for op in ("insert", "update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS kontor_config_{table}_{op}")
        elif vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS kontor_config_bump ON {table}")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS kontor_config_bump()")


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_worker_heartbeat"),
        ("crm", "0010_activity_times_communications"),
        ("events", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="ConfigGeneration",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("token", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
