"""``crm.item.update`` is one operation: a pipeline move and the other fields are written together, or
not at all when one of them is refused."""

from __future__ import annotations

from kontor.crm.models import Deal, Pipeline


def test_a_refused_field_leaves_the_deal_in_its_pipeline(bx, classic_mode, service_category):
    category = service_category
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "D", "OPPORTUNITY": 100}})
    before = Deal.objects.values("pipeline_id", "stage_id", "opportunity").get(pk=deal)

    response = bx.post("crm.item.update", {"entityTypeId": 2, "id": deal,
                                           "fields": {"categoryId": category, "opportunity": "abc"}})
    assert response.status_code == 400 and "opportunity" in response.json()["error_description"].lower()
    assert Deal.objects.values("pipeline_id", "stage_id", "opportunity").get(pk=deal) == before

    bx.ok("crm.item.update", {"entityTypeId": 2, "id": deal, "fields": {"categoryId": category, "opportunity": 5}})
    after = Deal.objects.get(pk=deal)
    assert after.pipeline_id == Pipeline.objects.get(name="Service").pk and after.opportunity == 5
