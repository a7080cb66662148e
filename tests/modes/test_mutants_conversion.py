"""Which custom values a conversion carries, through both engines (``lead_convert`` in Python, the
switch's set-based SQL): behaviour the surviving mutants of ``kontor.modes.conversion.custom_carry``
showed untested (docs/mutation.md)."""

from __future__ import annotations

import pytest

from kontor.crm.enums import CrmMode, EntityType
from kontor.crm.models import Deal, Pipeline
from kontor.crm.services import contact_create, lead_create
from kontor.crm.services.custom_fields import custom_field_create
from kontor.modes.jobs import switch_run
from kontor.modes.services import crm_mode_switch, lead_convert

from .conftest import set_mode

pytestmark = pytest.mark.django_db

LEAD, DEAL = EntityType.LEAD, EntityType.DEAL


def _field(entity, code, type_, **kw):
    return custom_field_create(entity_type=entity, code=code, type=type_, label_de=code.title(), label_en=code, **kw)


def _convert(engine: str, lead, actor) -> Deal:
    pipeline = Pipeline.objects.order_by("sort", "id").first()
    if engine == "manual":
        lead_convert(lead=lead, actor=actor, deal={"pipeline_id": pipeline.pk, "stage_id": None},
                     contact="none", company="none", create_missing_fields=False)
    else:
        switch = crm_mode_switch(actor=actor, mode=CrmMode.SIMPLE, pipeline_id=pipeline.pk, create_contacts=False,
                                 create_companies=False, create_missing_fields=False)
        done = switch_run(switch.pk)
        assert (done.status, done.converted, done.failed) == ("done", 1, 0), done.errors
    return Deal.objects.get(lead_id=lead.pk)


@pytest.mark.parametrize("engine", ["manual", "switch"])
def test_a_link_to_crm_records_goes_only_to_a_field_linking_the_same_kind(admin_user, engine):
    set_mode(CrmMode.CLASSIC)
    _field(LEAD, "UF_CRM_PERSON", "crm", settings={"entity": "contact"})
    _field(LEAD, "UF_CRM_REF", "crm", settings={"entity": "contact"})
    _field(DEAL, "UF_CRM_PERSON", "crm", settings={"entity": "contact"})
    _field(DEAL, "UF_CRM_REF", "crm", settings={"entity": "company"})  # a contact's id is no company
    person = contact_create(actor=admin_user, data={"name": "Eva"})
    lead = lead_create(actor=admin_user, data={"title": "Anfrage", "uf_crm_person": person.pk,
                                               "uf_crm_ref": person.pk}, convert_in_simple_mode=False)
    assert _convert(engine, lead, admin_user).uf == {"uf_crm_person": person.pk}


@pytest.mark.parametrize("engine", ["manual", "switch"])
def test_an_enumeration_without_items_on_both_sides_does_not_stop_the_conversion(admin_user, engine):
    # an administrator made the field on leads and deals and has not added items yet
    set_mode(CrmMode.CLASSIC)
    _field(LEAD, "UF_CRM_KIND", "enumeration", items=[])
    _field(DEAL, "UF_CRM_KIND", "enumeration", items=[])
    _field(LEAD, "UF_CRM_NOTE", "string")
    _field(DEAL, "UF_CRM_NOTE", "string")
    lead = lead_create(actor=admin_user, data={"title": "Anfrage", "uf_crm_note": "eilig"},
                       convert_in_simple_mode=False)
    assert _convert(engine, lead, admin_user).uf == {"uf_crm_note": "eilig"}
