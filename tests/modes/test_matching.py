"""Customer matching looks at contacts' phones and e-mails only.

Leads, deals and companies have phones and e-mails in the same table; their ids overlap the
contacts' ids. An inquiry sharing an e-mail with a lead (or deal, or company) must not be matched
to whichever contact happens to have that record's id.
"""

from __future__ import annotations

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


# --- property: an inquiry finds the oldest contact sharing one of its keys -------------------------

PHONES = ["+49301111111", "+49302222222", "+49303333333"]
EMAILS = ["a@x.de", "b@x.de", "c@x.de"]
key = st.one_of(st.tuples(st.just(CommType.PHONE), st.sampled_from(PHONES)),
                st.tuples(st.just(CommType.EMAIL), st.sampled_from(EMAILS)))


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
          deadline=None)
@given(contacts=st.lists(st.lists(key, max_size=3), max_size=5),
       others=st.lists(st.tuples(st.sampled_from([EntityType.LEAD, EntityType.DEAL, EntityType.COMPANY]), key),
                       max_size=4),
       inquiry=st.lists(key, min_size=1, max_size=3))
def test_an_inquiry_matches_exactly_the_contacts_sharing_a_key(admin_api, simple, contacts, others, inquiry):
    with transaction.atomic():
        made = []
        for i, keys in enumerate(contacts):
            contact = Contact.objects.create(name=f"K{i}")
            made.append((contact.pk, set(keys)))
            Communication.objects.bulk_create([Communication(entity_type=EntityType.CONTACT, entity_id=contact.pk,
                                                             type=t, value=v, normalized=v) for t, v in keys])
        ids = [pk for pk, _ in made] or [1]
        # Records of other kinds with the same keys, numbered like the contacts.
        Communication.objects.bulk_create([Communication(entity_type=kind, entity_id=ids[n % len(ids)], type=t,
                                                         value=v, normalized=v)
                                           for n, (kind, (t, v)) in enumerate(others)])
        body = {"name": "Anfrage",
                "phones": [v for t, v in inquiry if t == CommType.PHONE],
                "emails": [v for t, v in inquiry if t == CommType.EMAIL]}
        r = admin_api.post(URL, body)
        assert r.status_code == 201, r.content
        sharing = [pk for pk, keys in made if keys & set(inquiry)]
        result = r.json()
        if sharing:
            assert result["contact_matched"] is True and result["contact_id"] == min(sharing)
        else:
            assert result["contact_matched"] is False and result["contact_id"] not in [pk for pk, _ in made]
        transaction.set_rollback(True)
