"""Exports of record lists (CSV/XLSX, API and command line): filters and columns as the list has them,
and a file that imports again as the same records."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from kontor.api.serializers import records_out
from kontor.crm.enums import EntityType
from kontor.crm.models import Communication, Company, Contact, ContactCompany, TimelineEntry
from kontor.crm.services import company_create, contact_create, deal_create
from kontor.crm.services.custom_fields import custom_field_create
from kontor.data.importing import records_import

pytestmark = pytest.mark.django_db

VOLATILE = {"id", "created_at", "updated_at", "created_by_id", "has_phone", "has_email"}


def _people(manager_user):
    custom_field_create(entity_type=EntityType.CONTACT, code="UF_CRM_HOBBY", type="string", label_de="Hobby",
                        label_en="Hobby")
    acme = company_create(data={"title": "Acme GmbH"})
    contact_create(actor=manager_user, data={
        "name": "Jürgen", "last_name": "Größe", "birthdate": "1980-02-01", "post": "Einkauf",
        "phones": [{"value": "+49 30 1234567", "type": "WORK"}], "emails": ["j@acme.de", "jg@privat.de"],
        "company_id": acme.pk, "address_city": "Köln", "comments": "Sagt \"Moin\"; mag Kaffee",
        "uf_crm_hobby": "Segeln", "assigned_id": manager_user.pk, "origin_id": "A-1", "originator_id": "shop"})
    contact_create(data={"name": "Dora", "last_name": "Dach", "emails": ["dora@beispiel.de"]})


def _snapshot() -> list[dict]:
    out = records_out(EntityType.CONTACT, list(Contact.objects.order_by("name")))
    for record in out:
        for key in VOLATILE:
            record.pop(key, None)
        for key in ("phones", "emails", "websites", "messengers"):
            record[key] = [(c["value"], c["normalized"]) for c in record[key]]
    return out


def _wipe_contacts() -> None:
    ids = list(Contact.objects.values_list("id", flat=True))
    ContactCompany.objects.all().delete()
    Communication.objects.filter(entity_type=EntityType.CONTACT).delete()
    TimelineEntry.objects.filter(entity_type=EntityType.CONTACT, entity_id__in=ids).delete()
    Contact.objects.all().delete()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exported_list_imports_again_as_the_same_records(manager_api, manager_user, tmp_path, fmt):
    _people(manager_user)
    before = _snapshot()
    r = manager_api.client.get(f"/api/v1/contacts/export?format={fmt}", headers=manager_api._headers())
    assert r.status_code == 200, r.content
    content = b"".join(r.streaming_content)
    path = tmp_path / f"contacts.{fmt}"
    path.write_bytes(content)

    _wipe_contacts()
    summary = records_import(path=path, kind="contacts", rejected_path=tmp_path / "r.csv")
    assert (summary.created, summary.rejected) == (2, 0)
    assert _snapshot() == before
    assert Company.objects.count() == 1  # the company column named the existing company by its id


def test_csv_is_utf8_with_bom_and_semicolons_in_german(manager_api, manager_user):
    _people(manager_user)
    r = manager_api.client.get("/api/v1/contacts/export?q=Größe&columns=name,last_name,emails,uf_crm_hobby",
                               headers={**manager_api._headers(), "Accept-Language": "de"})
    assert r.status_code == 200
    assert r["Content-Disposition"].startswith('attachment; filename="contacts-')
    raw = b"".join(r.streaming_content)
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows == [["Vorname", "Nachname", "E-Mail", "Hobby"],
                    ["Jürgen", "Größe", "j@acme.de, jg@privat.de", "Segeln"]]


def test_english_csv_uses_commas(manager_api, manager_user):
    _people(manager_user)
    r = manager_api.client.get("/api/v1/contacts/export?columns=name&order=name",
                               headers={**manager_api._headers(), "Accept-Language": "en"})
    assert b"".join(r.streaming_content).decode("utf-8-sig").splitlines() == ["First name", "Dora", "Jürgen"]


def test_deal_export_with_the_list_filters_as_xlsx(manager_api):
    deal_create(data={"title": "Groß", "opportunity": "5000.50"})
    deal_create(data={"title": "Klein", "opportunity": "10"})
    r = manager_api.client.get("/api/v1/deals/export?format=xlsx&opportunity__gt=100&columns=title,opportunity",
                               headers={**manager_api._headers(), "Accept-Language": "en"})
    assert r.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(r.streaming_content)), read_only=True)
    assert [list(row) for row in book.active.iter_rows(values_only=True)] == [["Name", "Amount"],
                                                                              ["Groß", "5000.50"]]


@pytest.mark.parametrize("query, field", [
    ("bogus=1", "bogus"), ("format=pdf", "format"), ("columns=name,shoe_size", "columns"), ("order=--id", "order"),
])
def test_bad_export_parameters_are_422_naming_them(manager_api, query, field):
    r = manager_api.get(f"/api/v1/contacts/export?{query}")
    assert r.status_code == 422, r.content
    assert r.json()["field"] == field


def test_export_needs_a_login(anon_api):
    assert anon_api.get("/api/v1/leads/export").status_code == 401


@pytest.mark.django_db(transaction=True)
def test_kontor_export_command(external_db, kontor_cli, tmp_path):
    env, _ = external_db
    kontor_cli(env, "shell", "-c", "from kontor.crm.services import company_create as c; "
               "c(data={'title': 'Alpha'}); c(data={'title': 'Beta'})")
    done = kontor_cli(env, "export", "--kind", "companies", "--columns", "title", "--filter", "q=alp")
    assert done.stdout.splitlines()[1:] == ["Alpha"]
    target = tmp_path / "firmen.xlsx"
    done = kontor_cli(env, "export", "--kind", "companies", "-o", str(target))
    assert "export: 2 companies" in done.stderr
    assert len(list(load_workbook(target, read_only=True).active.iter_rows(values_only=True))) == 3
    bad = kontor_cli(env, "export", "--kind", "companies", "--filter", "bogus=1", check=False)
    assert bad.returncode != 0 and "bogus" in bad.stderr
