"""Seed a new installation (see kontor.crm.seed)."""

from django.db import migrations

from kontor.crm.seed import seed_defaults


def seed(apps, schema_editor):
    seed_defaults(apps)


class Migration(migrations.Migration):
    dependencies = [("crm", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
