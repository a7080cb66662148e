"""Import details: phone and e-mail types travel through export and import, ``update`` merges phone and
e-mail lists, and a batch takes the intake's per-customer locks before it matches."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction

from kontor.crm.enums import EntityType
from kontor.crm.models import Communication, Contact
from kontor.crm.services import contact_create
from kontor.data.importing import records_import

pytestmark = pytest.mark.django_db


def _comms(contact: Contact, type_: str) -> list[tuple[str, str]]:
    rows = Communication.objects.filter(entity_type=EntityType.CONTACT, entity_id=contact.pk, type=type_)
    return list(rows.order_by("id").values_list("value", "value_type"))


def test_phone_and_email_types_are_exported_and_imported_again(manager_api, tmp_path):
    contact_create(data={"name": "Mia", "last_name": "Mobil",
                         "phones": [{"value": "+49 30 1234567", "type": "WORK"},
                                    {"value": "+49 170 7654321", "type": "MOBILE"}],
                         "emails": [{"value": "mia@privat.de", "type": "HOME"}]})
    r = manager_api.client.get("/api/v1/contacts/export?format=csv&columns=name,last_name,phones,emails",
                               headers={**manager_api._headers(), "Accept-Language": "de"})
    text = b"".join(r.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[1] == "Mia;Mobil;+49 30 1234567, +49 170 7654321 (MOBILE);mia@privat.de (HOME)"

    path = tmp_path / "contacts.csv"
    path.write_text(text, encoding="utf-8-sig")
    Communication.objects.all().delete()
    Contact.objects.all().delete()
    summary = records_import(path=path, kind="contacts")
    assert summary.created == 1 and summary.rejected == 0
    mia = Contact.objects.get()
    assert _comms(mia, "PHONE") == [("+49 30 1234567", "WORK"), ("+49 170 7654321", "MOBILE")]
    assert _comms(mia, "EMAIL") == [("mia@privat.de", "HOME")]


def test_update_merges_phones_and_emails_instead_of_replacing_them(tmp_path):
    jana = contact_create(data={"name": "Jana", "phones": ["+49 221 55566"], "emails": ["jana@beispiel.de"]})
    path = tmp_path / "c.csv"
    # Found by her e-mail (written in capitals); one phone she has (another spelling) and one she has not.
    path.write_text("Vorname;Nachname;Telefon;Mobiltelefon;E-Mail\n"
                    "Jana;Neu;0221 55566;0170 1111111;JANA@BEISPIEL.DE\n", encoding="utf-8")
    summary = records_import(path=path, kind="contacts", on_duplicate="update")
    assert summary.updated == 1
    jana.refresh_from_db()
    assert jana.last_name == "Neu"
    assert _comms(jana, "PHONE") == [("+49 221 55566", "WORK"), ("0170 1111111", "MOBILE")]
    assert _comms(jana, "EMAIL") == [("jana@beispiel.de", "WORK")]


def test_a_batch_takes_the_intake_locks_before_matching(tmp_path, monkeypatch):
    taken: list[list[str]] = []
    monkeypatch.setattr("kontor.data.importing.lock_customer_keys", lambda keys: taken.append(sorted(keys)))
    path = tmp_path / "c.csv"
    path.write_text("Vorname;Telefon;E-Mail;Firma\nUwe;030 1234567;uwe@beispiel.de;Uwe & Co KG\n", encoding="utf-8")
    records_import(path=path, kind="contacts")
    assert taken == [["company:uwe & co kg", "email:uwe@beispiel.de", "phone:+49301234567"]]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_import_waits_for_an_inquiry_holding_the_same_customer(tmp_path):
    """PostgreSQL: while an inquiry's transaction holds the lock of a phone, an import of that phone
    waits, and then finds the contact the inquiry made instead of making a second one."""
    from kontor.modes.matching import customer_keys, lock_customer_keys

    if connection.vendor != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's; SQLite serialises writers")
    path = tmp_path / "c.csv"
    path.write_text("Vorname;Telefon\nIda;030 7777777\n", encoding="utf-8")
    holding, release = threading.Event(), threading.Event()

    def inquiry() -> None:
        try:
            with transaction.atomic():
                lock_customer_keys(customer_keys(phones=["+49307777777"]))
                holding.set()
                release.wait(10)
                contact_create(data={"name": "Ida", "phones": ["+49 30 7777777"]})
        finally:
            connections.close_all()

    thread = threading.Thread(target=inquiry)
    thread.start()
    assert holding.wait(10)
    done: dict = {}
    importer = threading.Thread(target=lambda: done.update(s=records_import(path=path, kind="contacts")))
    importer.start()
    time.sleep(0.5)
    assert importer.is_alive()  # waiting for the inquiry's lock
    release.set()
    thread.join(10)
    importer.join(10)
    assert done["s"].skipped == 1 and Contact.objects.filter(name="Ida").count() == 1
