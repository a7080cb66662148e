"""``POST /api/v1/inquiries``: the least an intake endpoint does (same body as Kontor's)."""

from django.db import transaction
from django.urls import path
from ninja import NinjaAPI, Schema

from floor_site.models import Contact, Deal

api = NinjaAPI()


class InquiryIn(Schema):
    title: str = ""
    name: str = ""
    last_name: str = ""
    company_title: str = ""
    emails: list[str] = []
    phones: list[str] = []


@api.post("/inquiries", response={201: dict})
def inquiry(request, payload: InquiryIn):
    email = payload.emails[0].strip().lower() if payload.emails else ""
    phone = "".join(ch for ch in payload.phones[0] if ch.isdigit()) if payload.phones else ""
    with transaction.atomic():
        contact = None
        if email:
            contact = Contact.objects.filter(email=email).order_by("id").first()
        elif phone:
            contact = Contact.objects.filter(phone=phone).order_by("id").first()
        matched = contact is not None
        if contact is None:
            contact = Contact.objects.create(name=f"{payload.name} {payload.last_name}".strip(), email=email,
                                             phone=phone)
        deal = Deal.objects.create(title=payload.title or contact.name or "Anfrage", contact=contact)
    return 201, {"deal_id": deal.pk, "contact_id": contact.pk, "contact_matched": matched}


urlpatterns = [path("api/v1/", api.urls)]
