"""``/api/v1/imports``: upload, background run, status, rejected rows."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kontor.crm.models import Contact
from kontor.data.models import ImportJob
from kontor.data.services import import_job_run

pytestmark = pytest.mark.django_db

CSV = "Vorname;Nachname;E-Mail\nAnna;Acker;anna@beispiel.de\nBen;Bauer;kaputt\n".encode("cp1252")


def upload(api, content: bytes = CSV, name: str = "kontakte.csv", **form):
    client: Client = api.client
    data = {"file": SimpleUploadedFile(name, content, content_type="text/csv"), "kind": "contacts", **form}
    return client.post("/api/v1/imports", data=data, headers=api._headers())


def test_upload_runs_in_the_background_and_reports(manager_api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        r = upload(manager_api)
    assert r.status_code == 201, r.content
    job = r.json()
    assert job["status"] == "queued" and job["kind"] == "contacts" and job["file_name"] == "kontakte.csv"
    assert len(queued) == 1  # handed to the worker once the upload committed
    assert not Contact.objects.exists()

    import_job_run(job_id=job["id"])  # what the worker does
    r = manager_api.get(f"/api/v1/imports/{job['id']}")
    assert r.status_code == 200
    body = r.json()
    assert (body["status"], body["total"], body["created"], body["rejected"]) == ("done", 2, 1, 1)
    assert Contact.objects.get().last_name == "Acker"

    r = manager_api.client.get(f"/api/v1/imports/{job['id']}/rejected", headers=manager_api._headers())
    assert r.status_code == 200
    text = b"".join(r.streaming_content).decode("utf-8-sig")
    assert "3;emails" in text and "kaputt" in text

    preview = manager_api.get(f"/api/v1/imports/{job['id']}/preview").json()
    assert preview["headers"] == ["Vorname", "Nachname", "E-Mail"]
    assert preview["mapping"] == {"Vorname": "name", "Nachname": "last_name", "E-Mail": "emails"}
    assert preview["rows"][0] == ["Anna", "Acker", "anna@beispiel.de"]


def test_dry_run_and_mapping_through_the_api(manager_api):
    r = upload(manager_api, dry_run="true", mapping='{"E-Mail": null}', on_duplicate="update")
    assert r.status_code == 201, r.content
    job = import_job_run(job_id=r.json()["id"])
    assert (job.created, job.rejected, job.dry_run) == (2, 0, True)
    assert not Contact.objects.exists()


@pytest.mark.parametrize("form, content, field, words", [
    ({"kind": "animals"}, CSV, "kind", "contacts, companies, leads, deals"),
    ({"on_duplicate": "merge"}, CSV, "on_duplicate", "skip, update, create"),
    ({"mapping": '{"Vorname": "shoe_size"}'}, CSV, "mapping", "shoe_size"),
    ({"mapping": "[1"}, CSV, "mapping", "JSON"),
    ({}, b"", "file", "empty"),
    ({}, b"PK\x03\x04garbage", "file", "XLSX"),
])
def test_bad_uploads_are_422_naming_the_field(manager_api, form, content, field, words):
    r = upload(manager_api, content=content, **form)
    assert r.status_code == 422, r.content
    assert r.json()["field"] == field and words in r.json()["detail"]
    assert not ImportJob.objects.exists()


def test_imports_are_private_to_their_user(manager_api, admin_api, anon_api):
    job_id = upload(admin_api).json()["id"]
    assert manager_api.get(f"/api/v1/imports/{job_id}").status_code == 404
    assert admin_api.get(f"/api/v1/imports/{job_id}").status_code == 200
    assert anon_api.get(f"/api/v1/imports/{job_id}").status_code == 401


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_an_uploaded_import(external_db, kontor_cli, tmp_path):
    """The whole way: an upload queued through the service, a real `kontor db_worker` runs it."""
    env, query = external_db
    env = {**env, "KONTOR_VAR_DIR": str(tmp_path / "var")}
    lines = ["Vorname;Nachname;Telefon"] + [f"Kunde;Nr {i};+49 30 {2000000 + i}" for i in range(1, 1201)]
    lines[700] = "Kunde;;nicht-erreichbar"  # a bad row among them
    (tmp_path / "kunden.csv").write_bytes("\n".join(lines).encode("cp1252"))
    kontor_cli(env, "shell", "-c", (
        "from kontor.data.services import import_job_create as c; "
        f"f = open({str(tmp_path / 'kunden.csv')!r}, 'rb'); "
        "print(c(upload=f, name='kunden.csv', kind='contacts').pk)"))
    assert query("SELECT status FROM data_importjob")[0] == "queued"
    kontor_cli(env, "db_worker", "--batch", "--no-startup-delay")
    status, total, created, rejected = query("SELECT status, total, created, rejected FROM data_importjob")
    assert (status, total, created, rejected) == ("done", 1200, 1199, 1)
    assert query("SELECT COUNT(*) FROM crm_contact")[0] == 1199
