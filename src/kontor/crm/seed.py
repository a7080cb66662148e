"""The defaults a new installation starts with: the default pipeline with Bitrix24's stages, the lead
statuses, the sources, and the settings row in simple mode. Idempotent: adds only what is missing."""

from __future__ import annotations

from django.apps import apps as global_apps
from django.conf import settings

from kontor.crm.enums import DEFAULT_DIRECTORIES, DEFAULT_LEAD_STATUSES, DEFAULT_SOURCES, DEFAULT_STAGES


def seed_defaults(apps=global_apps) -> None:
    """Create the defaults; ``apps`` is a migration's historical registry or the live one."""
    Pipeline = apps.get_model("crm", "Pipeline")
    Stage = apps.get_model("crm", "Stage")
    LeadStatus = apps.get_model("crm", "LeadStatus")
    Source = apps.get_model("crm", "Source")
    CrmSettings = apps.get_model("crm", "CrmSettings")
    german = settings.LANGUAGE_CODE.startswith("de")
    idx = 1 if german else 2
    if not Pipeline.objects.filter(is_default=True).exists():
        pipeline = Pipeline.objects.create(name="Allgemein" if german else "General", sort=0, is_default=True)
        for i, row in enumerate(DEFAULT_STAGES):
            Stage.objects.create(pipeline=pipeline, code=row[0], name=row[idx], sort=(i + 1) * 10,
                                 semantic=row[3], color=row[4])
    for code, de, en, sort, semantic in DEFAULT_LEAD_STATUSES:
        LeadStatus.objects.get_or_create(
            code=code, defaults={"name": de if german else en, "sort": sort, "semantic": semantic, "system": True}
        )
    for i, (code, de, en) in enumerate(DEFAULT_SOURCES):
        Source.objects.get_or_create(code=code, defaults={"name": de if german else en, "sort": (i + 1) * 10})
    CrmSettings.objects.get_or_create(pk=1, defaults={"mode": "simple"})
    try:
        apps.get_model("crm", "DirectoryItem")
    except LookupError:  # migration 0002 runs before the directories exist; 0008 seeds them
        return
    seed_directories(apps)


def seed_directories(apps=global_apps) -> None:
    """Bitrix24's default entries of the simple directories (HONORIFIC, DEAL_TYPE, …) that are empty."""
    DirectoryItem = apps.get_model("crm", "DirectoryItem")
    german = settings.LANGUAGE_CODE.startswith("de")
    for directory, rows in DEFAULT_DIRECTORIES.items():
        if not DirectoryItem.objects.filter(directory=directory).exists():
            DirectoryItem.objects.bulk_create([
                DirectoryItem(directory=directory, code=code, name=de if german else en, sort=(i + 1) * 10,
                              system=True)
                for i, (code, de, en) in enumerate(rows)
            ])
