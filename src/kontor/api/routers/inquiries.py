"""``/api/v1/inquiries``: take in an inquiry; the CRM mode decides whether it becomes a lead or a deal."""

from __future__ import annotations

from decimal import Decimal

from ninja import Router, Schema, Status

from kontor.api.auth import current_user
from kontor.api.schemas import CommList, Id, InputSchema, Text, body, errors
from kontor.modes.services import inquiry_accept

router = Router()


class InquiryIn(InputSchema):
    title: Text | None = None
    name: Text | None = None
    second_name: Text | None = None
    last_name: Text | None = None
    company_title: Text | None = None
    phones: CommList | None = None
    emails: CommList | None = None
    source: Text | None = None
    source_description: Text | None = None
    comments: Text | None = None
    opportunity: Decimal | None = None
    currency: Text | None = None
    assigned_id: Id | None = None


class InquiryOut(Schema):
    mode: str
    lead_id: int | None
    deal_id: int | None
    contact_id: int | None
    company_id: int | None
    contact_matched: bool
    company_matched: bool


@router.post("", response={201: InquiryOut, **errors(400, 401, 403, 409, 422)},
             summary="Take in an inquiry (classic: a lead; simple: a deal with its contact and company)")
def accept_inquiry(request, payload: InquiryIn):
    result = inquiry_accept(actor=current_user(request), data=body(payload))
    return Status(201, {
        "mode": result.mode, "lead_id": result.lead.pk if result.lead else None,
        "deal_id": result.deal.pk if result.deal else None,
        "contact_id": result.contact.pk if result.contact else None,
        "company_id": result.company.pk if result.company else None,
        "contact_matched": result.contact_matched, "company_matched": result.company_matched,
    })
