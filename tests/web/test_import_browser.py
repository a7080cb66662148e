"""Issue 13's import in a real Chromium: a German Excel CSV (cp1252, ``;``) of 10,000 contacts with 7 bad
rows goes through the wizard at /import/ — upload, preview and the default mapping, start — and the real
background worker (``kontor db_worker --batch``) imports it while the page polls; the summary counts
9,993 created and 7 rejected, and the rejected-rows file lists the 7 rows with their reasons.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest

from kontor.crm.enums import EntityType
from kontor.crm.models import Communication, Company, Contact
from kontor.data.models import ImportJob

from .conftest import login
from .test_browser import start_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADERS = ["Vorname", "Nachname", "E-Mail", "Telefon", "Firma", "Geburtsdatum", "Ort"]
ROWS = 10_000
#: Data row number (1 = the first row under the header) → the broken row and the field its reason names.
BAD = {
    17: (["Bert", "Brot", "bert-at-nowhere", "", "", "", "Bonn"], "emails"),
    1_234: (["", "", "niemand@beispiel.de", "030 555", "", "", ""], "name"),
    2_500: (["Carla", "Chef", "carla@beispiel.de", "", "", "31.02.1990", "Köln"], "birthdate"),
    4_321: (["Dieter", "Dübel", "dieter@@beispiel.de", "", "Dübel KG", "", ""], "emails"),
    6_000: (["", "", "", "0171 1234", "Ohne Namen AG", "", "Hamburg"], "name"),
    8_765: (["Erna", "Eule", "erna@beispiel.de", "", "", "1990-13-45", ""], "birthdate"),
    9_999: (["Fritz", "Fuß", "fritz beispiel.de", "", "", "", "München"], "emails"),
}
CITIES = ["Köln", "München", "Düsseldorf", "Nürnberg", "Lübeck"]


def german_excel_csv(path: Path) -> None:
    """What Excel on a German Windows saves as "CSV (Trennzeichen-getrennt)": cp1252, ``;``, CRLF."""
    lines = [";".join(HEADERS)]
    for n in range(1, ROWS + 1):
        if n in BAD:
            lines.append(";".join(BAD[n][0]))
            continue
        lines.append(";".join([
            f"Jürgen{n}", f"Größe{n}", f"kunde{n}@beispiel.de", f"030 {1_000_000 + n}",
            f"Bäckerei Süß {n % 50} GmbH", f"{n % 28 + 1:02d}.{n % 12 + 1:02d}.19{60 + n % 40}", CITIES[n % 5]]))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))


def test_german_excel_csv_of_10000_contacts_imports_through_the_browser(new_page, admin_user, tmp_path):
    upload = tmp_path / "Kundenliste.csv"
    german_excel_csv(upload)
    page = new_page(viewport={"width": 1366, "height": 800})
    login(page, "admin_test", "admin-pass-123")

    # Step 1: choose the file.
    page.goto("/import/")
    assert page.locator("#i-kind").input_value() == "contacts"
    page.set_input_files("#i-file", str(upload))
    page.click("form.import-upload button[type=submit]")

    # Step 2: the preview shows the file as it was written (umlauts read from cp1252), and each German
    # header is mapped to its field.
    page.locator("table.import-columns").wait_for()
    assert "Kundenliste.csv" in page.inner_text("h1")
    columns = page.inner_text("table.import-columns")
    assert "Jürgen1 · Jürgen2" in columns and "Bäckerei Süß 1 GmbH" in columns and "kunde1@beispiel.de" in columns
    mapping = [page.locator(f"#col-{i}").input_value() for i in range(len(HEADERS))]
    assert mapping == ["name", "last_name", "emails", "phones", "company_id", "birthdate", "address_city"]
    assert page.is_checked("input[name=on_duplicate][value=skip]")
    assert not page.is_checked("input[name=dry_run]")
    page.click("#import-start")

    # The job waits for the worker; the page polls while the worker runs it.
    page.locator("#import-progress").wait_for()
    job = ImportJob.objects.get()
    assert job.status in ("queued", "running", "done")
    worker = start_worker()
    try:
        page.locator("#import-progress[data-status='done']").wait_for(timeout=120_000)
        assert worker.wait(timeout=60) == 0
    finally:
        if worker.poll() is None:
            worker.kill()

    # The summary.
    summary = page.inner_text("#import-progress")
    assert "10.000 von 10.000 Zeilen" in summary
    assert page.inner_text("#import-created") == "9.993 angelegt"
    assert page.inner_text("#import-rejected") == "7 abgelehnt"
    assert page.inner_text("#import-skipped") == "0 übersprungen"
    assert page.inner_text("#import-updated") == "0 aktualisiert"
    job.refresh_from_db()
    assert (job.total, job.created, job.updated, job.skipped, job.rejected) == (10_000, 9_993, 0, 0, 7)
    shots = Path(os.environ.get("KONTOR_SCREENSHOT_DIR") or tmp_path)
    page.screenshot(path=str(shots / "import-summary-desktop-de.png"), full_page=True)

    # The rejected rows: row number in the file, the reason, the row as it was (to fix and import again).
    with page.expect_download() as download:
        page.click("#import-rejected-file")
    text = Path(download.value.path()).read_bytes().decode("utf-8-sig")
    rejected = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rejected[0][:2] == ["row", "reason"] and rejected[0][2:] == HEADERS
    by_row = {int(r[0]): r for r in rejected[1:]}
    assert set(by_row) == {n + 1 for n in BAD}  # the file's line numbers: the header is row 1
    for n, (cells, field) in BAD.items():
        assert field in by_row[n + 1][1], by_row[n + 1]
        assert by_row[n + 1][2:] == cells

    # The database holds exactly the good rows, with their phones, e-mails and companies.
    assert Contact.objects.count() == 9_993
    assert not Contact.objects.filter(name__in=["Bert", "Carla", "Dieter", "Erna", "Fritz"]).exists()
    assert not Company.objects.filter(title__in=["Dübel KG", "Ohne Namen AG"]).exists()
    assert Company.objects.count() == 50
    juergen = Contact.objects.get(name="Jürgen42")
    assert (juergen.last_name, juergen.address_city, juergen.company.title) == ("Größe42", "Düsseldorf",
                                                                             "Bäckerei Süß 42 GmbH")
    comms = Communication.objects.filter(entity_id=juergen.pk, entity_type=EntityType.CONTACT)
    assert set(comms.values_list("type", "normalized")) == {("PHONE", "+49301000042"), ("EMAIL", "kunde42@beispiel.de")}
