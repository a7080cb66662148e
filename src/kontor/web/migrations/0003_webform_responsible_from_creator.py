"""Forms made before a form had a responsible person hand their inquiries to the admin who made the
form (they can choose someone else, or round-robin, on the form's settings page)."""

from django.db import migrations
from django.db.models import F


def creator_is_responsible(apps, schema_editor):
    WebForm = apps.get_model("web", "WebForm")
    WebForm.objects.filter(responsible__isnull=True, created_by__isnull=False).update(responsible=F("created_by"))


class Migration(migrations.Migration):

    dependencies = [
        ("web", "0002_webform_assignment_consent_company"),
    ]

    operations = [
        migrations.RunPython(creator_is_responsible, migrations.RunPython.noop),
    ]
