"""An empty value is stored and filtered the same way everywhere (``FieldSpec.empty_value``)."""

from __future__ import annotations

import pytest

from kontor.crm.enums import EntityType
from kontor.crm.fields import spec_map
from kontor.crm.filtering import Op, condition
from kontor.crm.models import Contact, CrmSettings, Lead
from kontor.crm.services import contact_create, lead_create, lead_update

pytestmark = pytest.mark.django_db


def test_an_empty_lead_status_means_the_default_and_unchanged():
    CrmSettings.objects.filter(pk=1).update(mode="classic")
    lead = lead_create(data={"title": "A", "status_id": ""})
    assert lead.status_id == "NEW"
    lead_update(lead=lead, data={"status_id": "IN_PROCESS"})
    for empty in ("", None):
        lead_update(lead=lead, data={"status_id": empty, "title": "B"})
        assert Lead.objects.get(pk=lead.pk).status_id == "IN_PROCESS"


def test_an_empty_directory_code_is_found_by_the_empty_filter():
    # type_id is a code column named like a reference; empty is "", not NULL.
    plain = contact_create(data={"name": "A", "type_id": ""})
    contact_create(data={"name": "B", "type_id": "CLIENT"})
    assert Contact.objects.get(pk=plain.pk).type_id == ""
    specs = spec_map(EntityType.CONTACT)
    found = Contact.objects.filter(condition(EntityType.CONTACT, specs["type_id"], Op.EQ, ""))
    assert list(found.values_list("pk", flat=True)) == [plain.pk]
    no_source = Contact.objects.filter(condition(EntityType.CONTACT, specs["source"], Op.EQ, ""))
    assert no_source.count() == 2
