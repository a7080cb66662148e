"""Customer matching looks at contacts' phones and e-mails only.

Leads, deals and companies have phones and e-mails in the same table; their ids overlap the
contacts' ids. An inquiry sharing an e-mail with a lead (or deal, or company) must not be matched
to whichever contact happens to have that record's id.
"""

from __future__ import annotations

import pytest

from kontor.crm.enums import CommType, EntityType
from kontor.crm.models import Communication, Contact

URL = "/api/v1/inquiries"


@pytest.mark.parametrize(("kind", "mode"), [(EntityType.LEAD, "simple"), (EntityType.DEAL, "simple"),
                                           (EntityType.COMPANY, "simple"), (EntityType.LEAD, "classic")])
def test_an_other_records_phone_or_email_matches_no_contact(admin_api, db, kind, mode):
    from kontor.crm.models import CrmSettings

    CrmSettings.objects.filter(pk=1).update(mode=mode)
    unrelated = admin_api.post("/api/v1/contacts", {"name": "Unbeteiligt", "emails": ["other@x.de"]}).json()
    # A record of another kind whose id equals the contact's, with the inquiry's e-mail and phone.
    Communication.objects.create(entity_type=kind, entity_id=unrelated["id"], type=CommType.EMAIL,
                                 value="kunde@x.de", normalized="kunde@x.de")
    Communication.objects.create(entity_type=kind, entity_id=unrelated["id"], type=CommType.PHONE,
                                 value="+49 30 1234567", normalized="+49301234567")
    for payload in ({"name": "Kunde", "emails": ["kunde@x.de"]}, {"name": "Kunde", "phones": ["030 1234567"]}):
        r = admin_api.post(URL, payload)
        assert r.status_code == 201, r.content
        body = r.json()
        assert body["contact_matched"] is False and body["contact_id"] != unrelated["id"]
    assert Contact.objects.get(pk=unrelated["id"]).name == "Unbeteiligt"


def test_a_contacts_email_still_matches(admin_api, simple):
    known = admin_api.post("/api/v1/contacts", {"name": "Bekannt", "emails": ["Kunde@X.de"]}).json()
    Communication.objects.create(entity_type=EntityType.LEAD, entity_id=known["id"] + 1000, type=CommType.EMAIL,
                                 value="kunde@x.de", normalized="kunde@x.de")
    body = admin_api.post(URL, {"name": "Kunde", "emails": ["kunde@x.DE"]}).json()
    assert body["contact_matched"] is True and body["contact_id"] == known["id"]
