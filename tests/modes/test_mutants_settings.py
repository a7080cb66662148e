"""The simple-mode settings (pipeline for inquiries' deals, make companies, match existing customers):
behaviour the surviving mutants of ``simple_settings_update`` showed untested (docs/mutation.md).

What an admin sees: the stored settings, each refusal (message, field) with nothing changed, and one
audit entry per real change, naming what changed from what to what.
"""

from __future__ import annotations

import pytest

from kontor.core.errors import ErrorCode, KontorError
from kontor.crm.models import AuditLog, CrmSettings, Pipeline
from kontor.crm.services import pipeline_create
from kontor.modes.services import simple_settings_update

pytestmark = pytest.mark.django_db


def _settings() -> tuple:
    row = CrmSettings.objects.get(pk=1)
    return row.simple_pipeline_id, row.create_company, row.match_existing_customers


def _audits() -> list[tuple]:
    return list(AuditLog.objects.filter(action="simple_settings_changed").order_by("id")
                .values_list("actor_id", "data"))


@pytest.fixture
def service() -> Pipeline:
    return pipeline_create(name="Service")


def test_the_defaults_are_the_default_pipeline_no_companies_and_matching():
    assert _settings() == (None, False, True)


def test_every_setting_is_stored_returned_and_audited_with_old_and_new_value(admin_user, service):
    returned = simple_settings_update(actor=admin_user, pipeline_id=service.pk, create_company=True,
                                      match_existing_customers=False)
    assert _settings() == (service.pk, True, False)
    assert (returned.simple_pipeline_id, returned.create_company, returned.match_existing_customers) == (
        service.pk, True, False)
    assert _audits() == [(admin_user.pk, {"changes": {
        "simple_pipeline": [None, service.pk], "create_company": [False, True],
        "match_existing_customers": [True, False]}})]


def test_a_pipeline_id_given_as_text_is_read_as_its_number(admin_user, service):
    simple_settings_update(actor=admin_user, pipeline_id=str(service.pk))
    assert _settings() == (service.pk, False, True)


@pytest.mark.parametrize("empty", [None, 0, ""])
def test_an_empty_pipeline_goes_back_to_the_default_pipeline(admin_user, service, empty):
    simple_settings_update(actor=admin_user, pipeline_id=service.pk)
    simple_settings_update(actor=admin_user, pipeline_id=empty)
    assert _settings() == (None, False, True)
    assert _audits()[-1] == (admin_user.pk, {"changes": {"simple_pipeline": [service.pk, None]}})


def test_only_the_settings_named_change_and_only_they_are_audited(admin_user, service):
    simple_settings_update(actor=admin_user, pipeline_id=service.pk, create_company=True)
    simple_settings_update(actor=admin_user, match_existing_customers=False)
    assert _settings() == (service.pk, True, False)
    assert _audits()[-1] == (admin_user.pk, {"changes": {"match_existing_customers": [True, False]}})


def test_a_setting_given_its_current_value_is_no_change(admin_user, service):
    simple_settings_update(actor=admin_user, pipeline_id=service.pk)
    stamp = CrmSettings.objects.get(pk=1).updated_at
    returned = simple_settings_update(actor=admin_user, pipeline_id=service.pk, create_company=False,
                                      match_existing_customers=True)
    assert len(_audits()) == 1
    assert CrmSettings.objects.get(pk=1).updated_at == stamp
    assert (returned.pk, returned.simple_pipeline_id) == (1, service.pk)


def test_one_real_change_among_unchanged_ones_is_audited_alone(admin_user, service):
    simple_settings_update(actor=admin_user, pipeline_id=service.pk, create_company=True)
    assert _audits()[-1][1] == {"changes": {"simple_pipeline": [None, service.pk], "create_company": [False, True]}}
    simple_settings_update(actor=admin_user, pipeline_id=service.pk, create_company=False)
    assert _audits()[-1][1] == {"changes": {"create_company": [True, False]}}
    assert _settings() == (service.pk, False, True)


def _refused(**kwargs) -> KontorError:
    with pytest.raises(KontorError) as err:
        simple_settings_update(actor=None, **kwargs)
    return err.value


@pytest.mark.parametrize(("kwargs", "message", "field"), [
    ({"pipeline_id": 999999}, "pipeline_id: pipeline 999999 does not exist", "pipeline_id"),
    ({"pipeline_id": "sales"}, "pipeline_id: pipeline sales does not exist", "pipeline_id"),
    ({"create_company": "Y"}, "create_company must be true or false", "create_company"),
    ({"create_company": 1}, "create_company must be true or false", "create_company"),
    ({"create_company": None}, "create_company must be true or false", "create_company"),
    ({"match_existing_customers": "N"}, "match_existing_customers must be true or false", "match_existing_customers"),
    ({"create_company": True, "match_existing_customers": 0}, "match_existing_customers must be true or false",
     "match_existing_customers"),
])
def test_a_bad_setting_is_refused_naming_it_and_nothing_changes(service, kwargs, message, field):
    err = _refused(pipeline_id=service.pk, **kwargs) if "pipeline_id" not in kwargs else _refused(**kwargs)
    assert (err.code, err.message, err.field) == (ErrorCode.VALIDATION, message, field)
    assert _settings() == (None, False, True)
    assert _audits() == []
