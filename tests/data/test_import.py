"""Importing CSV/XLSX files: what a user importing their old data sees (records, summary, rejected rows)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook

from kontor.core.errors import KontorError
from kontor.crm.enums import CrmMode, EntityType
from kontor.crm.models import Communication, Company, Contact, CrmSettings, Deal, Lead
from kontor.crm.services.custom_fields import custom_field_create
from kontor.data.importing import default_mapping, records_import

pytestmark = pytest.mark.django_db

GERMAN_EXCEL = (
    "Vorname;Nachname;Telefon geschäftlich;Mobiltelefon;E-Mail;Firma;Geburtsdatum;Ort\r\n"
    "Jürgen;Größe;030 1234567;0171 7654321;juergen@beispiel.de;Bäckerei Süß GmbH;01.02.1980;Köln\r\n"
    "Bert;Brot;;;bert-at-nowhere;Nie Erstellt AG;;Bonn\r\n"  # bad e-mail: rejected, its company never made
    ";;;;;;;\r\n"
    "Carla;Chef;;;carla@beispiel.de;bäckerei süß gmbh;31.02.1990;\r\n"  # no 31 February
    "Dora;Dach;+49 30 999;;DORA@Beispiel.de;;;Berlin\r\n"
    ";;030 1234567;;;;;\r\n"  # no name
)


def write(tmp_path: Path, text: str, name: str = "kontakte.csv", encoding: str = "cp1252") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def rejected_rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f, delimiter=";"))


def test_german_excel_csv_imports_with_a_summary_and_the_rejected_rows(tmp_path):
    path = write(tmp_path, GERMAN_EXCEL)
    rejected = tmp_path / "rejected.csv"
    summary = records_import(path=path, kind="contacts", rejected_path=rejected)

    assert (summary.created, summary.updated, summary.skipped, summary.rejected) == (2, 0, 0, 3)
    juergen = Contact.objects.get(name="Jürgen")
    assert juergen.last_name == "Größe" and juergen.address_city == "Köln"
    assert str(juergen.birthdate) == "1980-02-01"
    phones = dict(Communication.objects.filter(entity_type=EntityType.CONTACT, entity_id=juergen.pk, type="PHONE")
                  .values_list("normalized", "value_type"))
    assert phones == {"+49301234567": "WORK", "+491717654321": "MOBILE"}
    assert juergen.company.title == "Bäckerei Süß GmbH"
    assert Contact.objects.get(name="Dora").company_id is None
    # A rejected row leaves nothing behind: not its contact, not the company it named.
    assert not Company.objects.filter(title="Nie Erstellt AG").exists()
    assert not Contact.objects.filter(name__in=["Bert", "Carla"]).exists()

    rows = rejected_rows(rejected)
    assert rows[0][:3] == ["row", "reason", "Vorname"]
    reasons = {r[0]: r[1] for r in rows[1:]}
    assert set(reasons) == {"3", "5", "7"}
    assert reasons["3"].startswith("emails") and "bert-at-nowhere" in reasons["3"]
    assert "birthdate" in reasons["5"] and "31.02.1990" in reasons["5"]
    assert "name" in reasons["7"]
    assert rows[1][2:4] == ["Bert", "Brot"]  # the row as it was, to fix and import again


def test_utf8_with_bom_and_commas_are_detected(tmp_path):
    path = write(tmp_path, "First name,Last name,E-mail,Phone\nAda,Lovelace,ada@example.org,+44 20 7946 0000\n",
                 encoding="utf-8-sig")
    summary = records_import(path=path, kind="contacts")
    assert summary.created == 1
    ada = Contact.objects.get(last_name="Lovelace")
    assert ada.name == "Ada"


def test_xlsx_with_bitrix24_export_headers_and_a_custom_field(tmp_path):
    custom_field_create(entity_type=EntityType.COMPANY, code="UF_CRM_KUNDENNR", type="integer",
                        label_de="Kundennummer", label_en="Customer number")
    book = Workbook()
    sheet = book.active
    sheet.append(["TITLE", "Work Phone", "E-mail (work)", "Kundennummer", "Branche"])
    sheet.append(["Muster AG", "+49 89 123456", "info@muster.de", 4711, "IT"])
    sheet.append(["Zweite KG", None, None, "keine Zahl", None])
    path = tmp_path / "firmen.xlsx"
    book.save(path)

    assert default_mapping(EntityType.COMPANY, ["TITLE", "Work Phone", "E-mail (work)", "Kundennummer"]) == {
        "TITLE": "title", "Work Phone": "phones", "E-mail (work)": "emails", "Kundennummer": "uf_crm_kundennr"}
    rejected = tmp_path / "r.csv"
    summary = records_import(path=path, kind="companies", rejected_path=rejected)
    assert (summary.created, summary.rejected) == (1, 1)
    muster = Company.objects.get(title="Muster AG")
    assert muster.uf == {"uf_crm_kundennr": 4711}
    assert muster.industry == "IT"
    assert "uf_crm_kundennr" in rejected_rows(rejected)[1][1]


@pytest.mark.parametrize("on_duplicate, contacts, jana_city", [
    ("skip", 1, "Alt"), ("update", 1, "Neu"), ("create", 3, "Alt"),
])
def test_duplicates_by_phone_or_email_skip_update_or_create(tmp_path, on_duplicate, contacts, jana_city):
    first = write(tmp_path, "Vorname;Nachname;Telefon;E-Mail;Ort\nJana;Alt;0221 555 66;jana@beispiel.de;Alt\n")
    records_import(path=first, kind="contacts")
    # The same person twice: once recognised by her phone written another way, once by her e-mail in capitals.
    again = write(tmp_path, "Vorname;Nachname;Telefon;E-Mail;Ort\n"
                  "Jana;Neu;+49 221 55566;;Neu\nJana;Neu;;JANA@BEISPIEL.DE;Neu\n", name="again.csv")
    summary = records_import(path=again, kind="contacts", on_duplicate=on_duplicate)
    assert Contact.objects.filter(name="Jana").count() == contacts
    assert Contact.objects.filter(name="Jana").order_by("id").first().address_city == jana_city
    expected = {"skip": (0, 0, 2), "update": (0, 2, 0), "create": (2, 0, 0)}[on_duplicate]
    assert (summary.created, summary.updated, summary.skipped) == expected


def test_companies_match_by_case_folded_title(tmp_path):
    records_import(path=write(tmp_path, "Firmenname\nStraße GmbH\n"), kind="companies")
    summary = records_import(path=write(tmp_path, "Firmenname\nSTRASSE  gmbh\n", name="b.csv"), kind="companies")
    assert summary.skipped == 1 and Company.objects.count() == 1


def test_dry_run_reports_the_same_and_writes_nothing(tmp_path):
    path = write(tmp_path, GERMAN_EXCEL)
    summary = records_import(path=path, kind="contacts", dry_run=True)
    assert (summary.created, summary.rejected, summary.dry_run) == (2, 3, True)
    assert Contact.objects.count() == 0 and Company.objects.count() == 0


def test_leads_imported_in_simple_mode_are_converted_at_once(tmp_path):
    CrmSettings.objects.filter(pk=1).update(mode=CrmMode.SIMPLE)
    path = write(tmp_path, "Leadname;Vorname;Nachname;Telefon;Betrag\nWebshop-Anfrage;Eva;Engel;030 777;1200,50\n")
    summary = records_import(path=path, kind="leads")
    assert summary.created == 1
    lead = Lead.objects.get(title="Webshop-Anfrage")
    assert lead.converted_at is not None
    deal = Deal.objects.get(lead=lead)
    assert str(deal.opportunity) == "1200.50"
    assert Contact.objects.filter(name="Eva", last_name="Engel").exists()


def test_deals_import(tmp_path):
    path = write(tmp_path, "Name;Betrag;Währung\nGroßauftrag;5000;EUR\nOhne Betrag;-5;EUR\n")
    rejected = tmp_path / "r.csv"
    summary = records_import(path=path, kind="deals", mapping={"Name": "title"}, rejected_path=rejected)
    assert (summary.created, summary.rejected) == (1, 1)
    assert Deal.objects.get(title="Großauftrag").opportunity == 5000
    assert "opportunity" in rejected_rows(rejected)[1][1]


@pytest.mark.parametrize("content, message", [
    (b"", "empty"),
    (b"\x00\x01\x02\x03binary\x00junk" * 10, "not a CSV or XLSX"),
    (b"PK\x03\x04 not really a zip", "XLSX file cannot be read"),
])
def test_malformed_files_are_a_clear_error(tmp_path, content, message):
    path = tmp_path / "upload.xlsx"
    path.write_bytes(content)
    with pytest.raises(KontorError) as caught:
        records_import(path=path, kind="contacts")
    assert caught.value.field == "file"
    assert message in caught.value.message


def test_a_mapping_naming_an_unknown_field_or_column_is_refused(tmp_path):
    path = write(tmp_path, "A;B\nx;y\n")
    with pytest.raises(KontorError) as caught:
        records_import(path=path, kind="contacts", mapping={"A": "shoe_size"})
    assert "shoe_size" in caught.value.message and caught.value.field == "mapping"
    with pytest.raises(KontorError) as caught:
        records_import(path=path, kind="contacts", mapping={"C": "name"})
    assert "'C'" in caught.value.message
    with pytest.raises(KontorError) as caught:
        records_import(path=path, kind="contacts")
    assert "no column maps" in caught.value.message


def test_german_excel_encoding_is_read_as_cp1252(tmp_path):
    path = write(tmp_path, "Nachname;Straße und Hausnummer\nWeiß;Hauptstraße 1\n")
    records_import(path=path, kind="contacts")
    assert Contact.objects.get(last_name="Weiß").address == "Hauptstraße 1"


@pytest.mark.django_db(transaction=True)
def test_kontor_import_command(external_db, kontor_cli, tmp_path):
    env, query = external_db
    path = write(tmp_path, GERMAN_EXCEL)
    done = kontor_cli(env, "import", str(path), "--kind", "contacts", "--dry-run")
    assert "import (dry run): 2 created, 0 updated, 0 skipped, 3 rejected of 5 rows" in done.stdout
    assert query("SELECT COUNT(*) FROM crm_contact")[0] == 0
    done = kontor_cli(env, "import", str(path), "--kind", "contacts", "--mapping", '{"Ort": null}')
    assert "2 created" in done.stdout and f"rejected rows: {path}.rejected.csv" in done.stdout
    assert query("SELECT COUNT(*) FROM crm_contact WHERE address_city = ''")[0] == 2
    bad = kontor_cli(env, "import", str(path), "--kind", "contacts", "--mapping", '{"Ort": "shoe_size"}',
                     check=False)
    assert bad.returncode != 0 and "shoe_size" in bad.stderr
