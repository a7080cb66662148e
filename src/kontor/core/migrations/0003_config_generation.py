"""The configuration generation row and the triggers that renew its token (kontor.core.generation)."""

from django.db import migrations, models

from kontor.core.triggers import create_bump_triggers, drop_bump_triggers

#: the tables whose rows services cache per process
CACHED_TABLES = ("crm_crmsettings", "crm_pipeline", "crm_stage", "crm_source", "crm_leadstatus",
                 "crm_customfield", "crm_customfielditem", "events_outgoingwebhook")
#: columns whose update matters, where others change often (a webhook's delivery lease)
UPDATE_COLUMNS = {"events_outgoingwebhook": "url, format, events, secret, active"}


def create_triggers(apps, schema_editor):
    ConfigGeneration = apps.get_model("core", "ConfigGeneration")
    ConfigGeneration.objects.update_or_create(pk=1, defaults={"token": 0})
    create_bump_triggers(schema_editor, CACHED_TABLES, UPDATE_COLUMNS)


def drop_triggers(apps, schema_editor):
    drop_bump_triggers(schema_editor, CACHED_TABLES, drop_function=True)


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
