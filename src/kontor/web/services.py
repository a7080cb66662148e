"""Services of the records the web UI owns: a public web form's submission."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F

from kontor.events.bus import Event, emit
from kontor.events.names import WEBFORM_SUBMITTED
from kontor.web.models import WebForm


def webform_next_responsible(webform: WebForm) -> Any:
    """Who gets the next inquiry of ``webform``: the next of its round-robin users (active ones, in a
    fixed order; the turn counter advances), else its responsible person when active, else nobody.
    Call inside the submission's transaction, with the form's row locked."""
    users = list(webform.round_robin_users.filter(is_active=True).order_by("id"))
    if users:
        chosen = users[webform.round_robin_next % len(users)]
        WebForm.objects.filter(pk=webform.pk).update(round_robin_next=F("round_robin_next") + 1)
        return chosen
    if webform.responsible_id:
        return get_user_model().objects.filter(pk=webform.responsible_id, is_active=True).first()
    return None


@transaction.atomic
def webform_submit(*, webform: WebForm, data: dict[str, Any]) -> Any:
    """Take in one submission of ``webform`` as an inquiry (``inquiry_accept``), assigned to the form's
    responsible person or the next of its round-robin users; counts it and announces
    ``webform.submitted`` (the assignee is notified after commit). Returns the ``InquiryResult``."""
    from kontor.modes.services import inquiry_accept

    webform = WebForm.objects.select_for_update().get(pk=webform.pk)  # one turn per submission
    assignee = webform_next_responsible(webform)
    if not webform.ask_company:
        data = {**data, "company_title": ""}
    result = inquiry_accept(actor=None, data={**data, "assigned_id": assignee.pk if assignee else None},
                            create_company=webform.ask_company)
    WebForm.objects.filter(pk=webform.pk).update(submissions=F("submissions") + 1)
    record = result.deal if result.deal is not None else result.lead
    entity = "deal" if result.deal is not None else "lead"
    emit(Event(name=WEBFORM_SUBMITTED, entity=entity, record_id=record.pk if record else None,
               data={"webform_id": webform.pk, "form": webform.name,
                     "assigned_id": assignee.pk if assignee else None}))
    return result
