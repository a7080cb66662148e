import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("data", "0001_import_job"),
    ]

    operations = [
        migrations.CreateModel(
            name="BitrixImportMap",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("portal", models.CharField(max_length=255)),
                ("kind", models.CharField(max_length=24)),
                ("source_id", models.CharField(max_length=64)),
                ("target_id", models.BigIntegerField()),
                ("digest", models.CharField(blank=True, default="", max_length=64)),
                ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("portal", "kind", "source_id"),
                                                        name="unique_bitrix_import_map")],
            },
        ),
    ]
