"""``/api/v1/custom-fields``: admins define, change and delete custom fields; managers may not."""

from __future__ import annotations

import pytest

from kontor.crm.models import CustomField, Deal

pytestmark = pytest.mark.django_db


def _create(api, **data):
    data = {"entity": "deal", "code": "shop_order", "type": "string", "label_de": "Shop-Auftrag",
            "label_en": "Shop order", **data}
    return api.post("/api/v1/custom-fields", data)


def test_create_read_list_update_delete(admin_api):
    response = _create(admin_api, sort=50, show_in_list=False)
    assert response.status_code == 201, response.content
    field = response.json()
    assert (field["entity"], field["code"], field["key"], field["type"]) == (
        "deal", "UF_CRM_SHOP_ORDER", "uf_crm_shop_order", "string")
    assert (field["sort"], field["show_in_list"], field["show_filter"], field["multiple"]) == (50, False, True, False)
    assert admin_api.get(f"/api/v1/custom-fields/{field['id']}").json() == field

    enum = _create(admin_api, entity="lead", code="UF_CRM_COLOR", type="enumeration", multiple=True,
                   items=["rot", {"value": "blau", "sort": 5}]).json()
    assert [(i["value"], i["sort"]) for i in enum["items"]] == [("blau", 5), ("rot", 10)]
    assert all(isinstance(i["id"], int) for i in enum["items"])
    assert [f["code"] for f in admin_api.get("/api/v1/custom-fields").json()] == ["UF_CRM_COLOR", "UF_CRM_SHOP_ORDER"]
    assert [f["code"] for f in admin_api.get("/api/v1/custom-fields", entity="deal").json()] == ["UF_CRM_SHOP_ORDER"]

    rot = next(i for i in enum["items"] if i["value"] == "rot")
    changed = admin_api.patch(f"/api/v1/custom-fields/{enum['id']}", {
        "label_en": "Colour", "mandatory": True, "items": [{"id": rot["id"], "value": "dunkelrot"}, "grün"]})
    assert changed.status_code == 200, changed.content
    assert changed.json()["label_en"] == "Colour" and changed.json()["mandatory"] is True
    assert sorted(i["value"] for i in changed.json()["items"]) == ["blau", "dunkelrot", "grün"]
    assert next(i for i in changed.json()["items"] if i["value"] == "dunkelrot")["id"] == rot["id"]

    deal = admin_api.post("/api/v1/deals", {"title": "x", "uf_crm_shop_order": "SO-1"}).json()
    assert admin_api.delete(f"/api/v1/custom-fields/{field['id']}").status_code == 204
    assert admin_api.get(f"/api/v1/custom-fields/{field['id']}").status_code == 404
    assert "uf_crm_shop_order" not in admin_api.get(f"/api/v1/deals/{deal['id']}").json()
    assert Deal.objects.get(pk=deal["id"]).uf is None


@pytest.mark.parametrize(("data", "field", "status"), [
    ({"code": "shop order!"}, "code", 422),
    ({"code": "a" * 45}, "code", 422),
    ({"type": "colour"}, "type", 422),
    ({"entity": "invoice"}, "entity", 422),
    ({"items": ["a"]}, "items", 422),
    ({"type": "crm", "settings": {"entity": "invoice"}}, "settings", 422),
    ({"unknown": 1}, "unknown", 422),
    ({"sort": 2**31}, "sort", 422),  # beyond the database's integer: PostgreSQL failed with a 500
    ({"sort": -(2**31) - 1}, "sort", 422),
])
def test_bad_definition_is_an_error_naming_the_field(admin_api, data, field, status):
    response = _create(admin_api, **data)
    assert response.status_code == status, response.content
    assert response.json()["field"] == field
    assert not CustomField.objects.exists()


def test_duplicate_code_is_409(admin_api):
    assert _create(admin_api).status_code == 201
    response = _create(admin_api, code="UF_CRM_SHOP_ORDER")
    assert response.status_code == 409
    assert response.json()["field"] == "code"
    assert _create(admin_api, entity="lead").status_code == 201  # the same code on another kind is fine


def test_code_and_type_cannot_be_changed(admin_api):
    field = _create(admin_api).json()
    for data in ({"code": "other"}, {"type": "integer"}, {"multiple": True}):
        response = admin_api.patch(f"/api/v1/custom-fields/{field['id']}", data)
        assert response.status_code == 422
        assert response.json()["field"] == next(iter(data))
    assert admin_api.get(f"/api/v1/custom-fields/{field['id']}").json() == field


def test_a_sort_beyond_a_database_integer_is_refused_on_change(admin_api):
    field = _create(admin_api, sort=2**31 - 1).json()
    assert field["sort"] == 2**31 - 1
    response = admin_api.patch(f"/api/v1/custom-fields/{field['id']}", {"sort": 2**31})
    assert response.status_code == 422, response.content
    assert response.json()["field"] == "sort"
    assert admin_api.get(f"/api/v1/custom-fields/{field['id']}").json() == field


def test_unknown_field_is_404_and_bad_query_422(admin_api):
    assert admin_api.get("/api/v1/custom-fields/424242").status_code == 404
    assert admin_api.patch("/api/v1/custom-fields/424242", {"label_en": "x"}).status_code == 404
    assert admin_api.delete("/api/v1/custom-fields/424242").status_code == 404
    assert admin_api.get("/api/v1/custom-fields", entity="invoice").status_code == 422
    response = admin_api.get("/api/v1/custom-fields", kind="deal")
    assert response.status_code == 422
    assert response.json()["field"] == "kind"


def test_managers_may_not_define_custom_fields(admin_api, manager_api):
    field = _create(admin_api).json()
    for method, path, body in [("get", "", None), ("post", "", {"entity": "deal", "code": "x", "type": "string"}),
                               ("get", f"/{field['id']}", None), ("patch", f"/{field['id']}", {"label_en": "x"}),
                               ("delete", f"/{field['id']}", None)]:
        call = getattr(manager_api, method)
        url = f"/api/v1/custom-fields{path}"
        response = call(url, body) if body is not None else call(url)
        assert response.status_code == 403, (method, path)
        assert response.json()["code"] == "permission_denied"
    assert CustomField.objects.count() == 1
    assert CustomField.objects.get().label_en == "Shop order"
    # …but they use the field on records
    created = manager_api.post("/api/v1/deals", {"title": "x", "uf_crm_shop_order": "SO-9"})
    assert created.status_code == 201
    assert created.json()["uf_crm_shop_order"] == "SO-9"


def test_custom_fields_need_credentials(anon_api):
    assert anon_api.get("/api/v1/custom-fields").status_code == 401
