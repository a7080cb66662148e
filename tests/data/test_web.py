"""The import wizard and the lists' Export buttons in the browser's terms (Django test client)."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kontor.crm.models import Company, Contact
from kontor.crm.services import company_create, contact_create
from kontor.data.models import ImportJob
from kontor.data.services import import_job_run

pytestmark = pytest.mark.django_db

CSV = ("Vorname;Nachname;E-Mail;Lieblingsfarbe\n"
       "Anna;Acker;anna@beispiel.de;blau\nBen;Bauer;kaputt;rot\nAnna;Acker;ANNA@beispiel.de;grün\n").encode("cp1252")


@pytest.fixture
def browser(manager_user) -> Client:
    client = Client(headers={"Accept-Language": "de"})
    client.force_login(manager_user)
    return client


def test_upload_preview_mapping_dry_run_then_import(browser, django_capture_on_commit_callbacks):
    page = browser.get("/import/?kind=contacts")
    assert page.status_code == 200
    r = browser.post("/import/", {"kind": "contacts", "file": SimpleUploadedFile("kunden.csv", CSV)})
    assert r.status_code == 302
    job = ImportJob.objects.get()
    page = browser.get(r["Location"]).content.decode()
    # The preview shows the first rows, and each column's default field is selected.
    assert "anna@beispiel.de · kaputt · ANNA@beispiel.de" in page
    assert '<option value="emails" selected>' in page
    assert '<option value="" >' not in page

    with django_capture_on_commit_callbacks(execute=False):
        r = browser.post(f"/import/{job.pk}/", {"col-0": "name", "col-1": "last_name", "col-2": "emails",
                                                  "col-3": "", "on_duplicate": "skip", "dry_run": "1"})
    assert r.status_code == 302
    import_job_run(job_id=job.pk)
    panel = browser.get(f"/import/{job.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert "hx-get" not in panel  # finished: polling stops
    assert "1 angelegt" in panel and "1 abgelehnt" in panel and "1 übersprungen" in panel
    assert Contact.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=False):
        r = browser.post(f"/import/{job.pk}/again/")
    real = ImportJob.objects.exclude(pk=job.pk).get()
    assert r["Location"].endswith(f"/import/{real.pk}/")
    assert (real.dry_run, real.on_duplicate, real.mapping["Lieblingsfarbe"]) == (False, "skip", None)
    import_job_run(job_id=real.pk)
    real.refresh_from_db()
    assert (real.created, real.skipped, real.rejected) == (1, 1, 1)
    assert Contact.objects.get().name == "Anna"
    rejected = browser.get(f"/import/{real.pk}/rejected/")
    text = b"".join(rejected.streaming_content).decode("utf-8-sig")
    assert "kaputt" in text and "emails" in text


def test_a_malformed_upload_shows_the_reason(browser):
    r = browser.post("/import/", {"kind": "contacts", "file": SimpleUploadedFile("leer.csv", b"")})
    assert r.status_code == 200
    assert 'id="import-error"' in r.content.decode()
    assert not ImportJob.objects.exists()


def test_someone_elses_import_is_not_found(browser, admin_user):
    job = ImportJob.objects.create(kind="contacts", file="/nonexistent", original_name="x.csv", actor=admin_user)
    assert browser.get(f"/import/{job.pk}/").status_code == 404


def test_export_button_exports_the_filtered_list(browser):
    acme = company_create(data={"title": "Acme"})
    contact_create(data={"name": "Anna", "last_name": "Acker", "company_id": acme.pk})
    contact_create(data={"name": "Ben", "last_name": "Bauer"})
    page = browser.get("/contacts/?q=Acker").content.decode()
    assert 'href="/export/contacts/?q=Acker"' in page
    r = browser.get("/export/contacts/?q=Acker&assigned_id=")
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(r.streaming_content).decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["ID", "Vorname", "Nachname"]
    assert [row[1:3] for row in rows[1:]] == [["Anna", "Acker"]]
    assert Company.objects.count() == 1
    for url in ("/companies/", "/deals/?view=list", "/leads/?view=list"):
        assert 'id="list-export"' in browser.get(url).content.decode()


def test_admin_downloads_and_erases_a_contacts_personal_data(admin_user):
    browser = Client()
    browser.force_login(admin_user)
    erika = contact_create(data={"name": "Erika", "last_name": "Muster", "emails": ["erika@beispiel.de"]})
    assert 'id="contact-privacy"' in browser.get(f"/contacts/{erika.pk}/").content.decode()
    r = browser.get(f"/contacts/{erika.pk}/personal-data/")
    assert r.status_code == 200 and r.json()["contact"]["last_name"] == "Muster"
    assert browser.get(f"/contacts/{erika.pk}/erase/").status_code == 200
    r = browser.post(f"/contacts/{erika.pk}/erase/")
    assert r.status_code == 302 and not Contact.objects.filter(pk=erika.pk).exists()


def test_managers_cannot_erase(browser):
    erika = contact_create(data={"name": "Erika", "last_name": "Muster"})
    assert 'id="contact-privacy"' not in browser.get(f"/contacts/{erika.pk}/").content.decode()
    assert browser.post(f"/contacts/{erika.pk}/erase/").status_code == 403
    assert Contact.objects.filter(pk=erika.pk).exists()
