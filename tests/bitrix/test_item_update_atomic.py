"""``crm.item.update`` is one operation: a pipeline move and the other fields are written together, or
not at all when one of them is refused."""

from __future__ import annotations

from kontor.crm.enums import Semantic
from kontor.crm.models import Deal, Pipeline
from kontor.crm.services import stage_create


def test_a_refused_field_leaves_the_deal_in_its_pipeline(bx, classic_mode):
    other = Pipeline.objects.create(name="Service", sort=900)
    stage_create(pipeline=other, data={"code": "START", "name": "Start", "semantic": Semantic.PROCESS})
    category = next(c["id"] for c in bx.ok("crm.category.list", {"entityTypeId": 2})["categories"]
                    if c["name"] == "Service")
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "D", "OPPORTUNITY": 100}})
    before = Deal.objects.values("pipeline_id", "stage_id", "opportunity").get(pk=deal)

    response = bx.post("crm.item.update", {"entityTypeId": 2, "id": deal,
                                           "fields": {"categoryId": category, "opportunity": "abc"}})
    assert response.status_code == 400 and "opportunity" in response.json()["error_description"].lower()
    assert Deal.objects.values("pipeline_id", "stage_id", "opportunity").get(pk=deal) == before

    bx.ok("crm.item.update", {"entityTypeId": 2, "id": deal, "fields": {"categoryId": category, "opportunity": 5}})
    after = Deal.objects.get(pk=deal)
    assert after.pipeline_id == other.pk and after.opportunity == 5
