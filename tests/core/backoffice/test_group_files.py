"""Files inside the rows of a repeatable group: judged by their bytes and size like any file field, stored in
the private storage, downloaded through the same permission check, kept when a row is edited, in the back
office, the public request form and the API; files of a rolled-back write swept away (issue 13, items 2, 7)."""

from __future__ import annotations

import json
from datetime import timedelta
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from core.models import Case, Structure
from core.services.cases import case_open
from core.services.form_files import form_files_orphans_sweep
from tenants.storage import private_storage
from tests.core.backoffice.test_form_files import PDF, _body, _stored_files
from tests.people import person_client, person_invite

SOURCE = """format: ppe-workflow/1
code: essai-equipe
name: Équipe d'une crèche
open_form: equipe
open_roles: [platform_admin, pole_coordinator, case_worker, structure_member]
forms:
- code: equipe
  name: Équipe
  fields:
  - {code: title, type: text, label: Nom de la crèche, required: true}
  - {code: statuts, type: file, label: Statuts, content_types: [application/pdf]}
  - code: team
    type: group
    label: Professionnelles
    min_items: 1
    max_items: 4
    fields:
    - {code: name, type: text, label: Nom, required: true}
    - {code: diploma, type: file, label: Diplôme, required: true, content_types: [application/pdf], max_size_mb: 1}
states:
- {code: recue, label: Reçue, kind: initial}
- {code: close, label: Close, kind: final}
transitions:
- {code: clore, label: Clore, from: [recue], to: close, roles: [platform_admin, pole_coordinator]}
"""


def pdf(name: str = "diplome.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture
def equipe(tenant):
    from workflows.engine import compiled_cache_clear
    from workflows.services import workflow_import

    compiled_cache_clear()
    version = workflow_import(source=SOURCE, publish=True)
    yield version
    compiled_cache_clear()


@pytest.fixture
def lutins(tenant):
    return Structure.objects.create(name="Les Lutins des groupes", kind="creche", commune="Rennes")


@pytest.fixture
def coordinator(territory):
    return person_invite(territory, role="pole_coordinator")


def test_the_back_office_stores_the_files_of_each_row_and_downloads_them(territory, equipe, lutins, coordinator):
    client = person_client(territory, coordinator)
    page = client.get("/admin/dossiers/nouveau/essai-equipe/").content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert 'type="file" name="o-team-0-diploma"' in page
    response = client.post("/admin/dossiers/nouveau/essai-equipe/", {
        "s-structure": lutins.pk, "o-title": "Les Lutins", "o-team-rows": "3",
        "o-team-0-name": "Anne", "o-team-0-diploma": pdf("diplome anne.pdf"),
        "o-team-2-name": "Paul", "o-team-2-diploma": pdf("diplome paul.pdf", PDF + b"% paul\n"),
    })  # fmt: skip
    assert response.status_code == 302, unescape(response.content.decode())[:2000]
    case = Case.objects.get(workflow__code="essai-equipe")
    anne, paul = case.data["team"]  # the empty middle row is no element
    assert anne["name"] == "Anne"
    assert anne["diploma"]["name"] == "diplome anne.pdf"
    assert anne["diploma"]["content_type"] == "application/pdf"
    assert private_storage().exists(anne["diploma"]["path"])
    assert paul["diploma"]["size"] == len(PDF + b"% paul\n")

    page = unescape(client.get(f"/admin/dossiers/{case.reference}/").content.decode())
    url = f"/admin/dossiers/{case.reference}/fichiers/team.1.diploma/"
    assert f'Professionnelles n° 2 — Diplôme : <a href="{url}" download>diplome paul.pdf</a>' in page
    assert _body(client.get(url)) == PDF + b"% paul\n"
    director = person_invite(territory, role="structure_member", structure=lutins)
    assert _body(person_client(territory, director).get(url)) == PDF + b"% paul\n"
    elsewhere = Structure.objects.create(name="Ailleurs des groupes", kind="creche", commune="Vitré")
    stranger = person_invite(territory, role="structure_member", structure=elsewhere)
    assert person_client(territory, stranger).get(url).status_code == 404


def test_a_rows_file_is_judged_by_its_bytes_and_size_and_nothing_is_stored(territory, equipe, coordinator):
    client = person_client(territory, coordinator)
    before = _stored_files()
    disguised = SimpleUploadedFile("diplome.pdf", b"<!doctype html><script>alert(1)</script>", "application/pdf")
    response = client.post("/admin/dossiers/nouveau/essai-equipe/", {
        "o-title": "Les Lutins", "o-team-rows": "2", "o-team-0-name": "Anne", "o-team-0-diploma": pdf(),
        "o-team-1-name": "Paul", "o-team-1-diploma": disguised,
    })  # fmt: skip
    assert response.status_code == 422
    page = unescape(response.content.decode())
    assert "« Professionnelles » : Élément 2 — « Diplôme » : Type de fichier refusé (text/html)." in page
    big = pdf("gros.pdf", PDF + b"0" * (1024 * 1024))
    response = client.post("/admin/dossiers/nouveau/essai-equipe/", {
        "o-title": "Les Lutins", "o-team-rows": "1", "o-team-0-name": "Anne", "o-team-0-diploma": big,
    })  # fmt: skip
    assert "Élément 1 — « Diplôme » : " in unescape(response.content.decode())
    assert "trop volumineux" in unescape(response.content.decode())
    response = client.post("/admin/dossiers/nouveau/essai-equipe/", {
        "o-title": "Les Lutins", "o-team-rows": "1", "o-team-0-name": "Anne",
    })  # fmt: skip
    assert "Élément 1 — Le champ « Diplôme » est obligatoire." in unescape(response.content.decode())
    assert not Case.objects.filter(workflow__code="essai-equipe").exists()
    assert _stored_files() == before


def test_editing_the_rows_keeps_their_files_and_refuses_another_cases(territory, equipe, coordinator):
    first = case_open(workflow="essai-equipe", data={"title": "A", "team": [{"name": "Anne"}]},
                      files={"team.0.diploma": pdf("anne.pdf")}, actor=coordinator)  # fmt: skip
    other = case_open(workflow="essai-equipe", data={"title": "B", "team": [{"name": "Zoé"}]},
                      files={"team.0.diploma": pdf("zoe.pdf")}, actor=coordinator)  # fmt: skip
    stored = first.data["team"][0]["diploma"]
    client = person_client(territory, coordinator)
    url = f"/admin/dossiers/{first.reference}/donnees/"
    page = unescape(client.get(url).content.decode())
    assert 'enctype="multipart/form-data"' in page
    assert "Fichier actuel : anne.pdf" in page
    assert f'name="d-team-0-diploma-kept" value="{stored["path"]}"' in page
    response = client.post(url, {
        "revision": first.revision, "d-title": "A", "d-team-rows": "2", "d-team-0-name": "Anne Martin",
        "d-team-0-diploma-kept": stored["path"], "d-team-1-name": "Paul", "d-team-1-diploma": pdf("paul.pdf"),
    })  # fmt: skip
    assert response.status_code == 302, unescape(response.content.decode())[:2000]
    first.refresh_from_db()
    anne, paul = first.data["team"]
    assert anne == {"name": "Anne Martin", "diploma": stored}  # the same file, not a copy
    assert paul["diploma"]["name"] == "paul.pdf"

    stolen = other.data["team"][0]["diploma"]["path"]  # a path of another case is not this case's file
    response = client.post(url, {
        "revision": first.revision, "d-title": "A", "d-team-rows": "1", "d-team-0-name": "Anne",
        "d-team-0-diploma-kept": stolen,
    })  # fmt: skip
    assert response.status_code == 422
    assert "ce fichier n'est pas l'un de ceux du dossier" in unescape(response.content.decode())
    first.refresh_from_db()
    assert first.data["team"][0]["diploma"] == stored


def test_the_api_takes_the_rows_files_as_multipart_parts(territory, equipe, lutins):
    from rest_framework.test import APIClient

    from core.api.services import api_token_create
    from tests.conftest import host_of

    coordinator = person_invite(territory, role="pole_coordinator")
    _, raw = api_token_create(user=coordinator, name="jeton", scope="read_write")
    api = APIClient(HTTP_HOST=host_of(territory))
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    data = {"title": "Les Lutins", "team": [{"name": "Anne"}, {"name": "Paul"}]}
    response = api.post("/api/v1/cases/", {
        "workflow": "essai-equipe", "structure": lutins.pk, "data": json.dumps(data),
        "statuts": pdf("statuts.pdf"), "team.0.diploma": pdf("anne.pdf"), "team.1.diploma": pdf("paul.pdf"),
    }, format="multipart")  # fmt: skip
    assert response.status_code == 201, response.json()
    reference = response.json()["reference"]
    case = Case.objects.get(reference=reference)
    assert [row["diploma"]["name"] for row in case.data["team"]] == ["anne.pdf", "paul.pdf"]
    assert case.data["statuts"]["name"] == "statuts.pdf"
    download = api.get(f"/api/v1/cases/{reference}/files/team.1.diploma/download/")
    assert download.status_code == 200
    assert _body(download) == PDF

    # A row refused by its file's bytes: 422 naming the element, nothing opened.
    count = Case.objects.count()
    response = api.post("/api/v1/cases/", {
        "workflow": "essai-equipe", "data": json.dumps({"title": "X", "team": [{"name": "Anne"}]}),
        "team.0.diploma": SimpleUploadedFile("d.pdf", b"MZ\x90\x00" + b"\x00" * 64, "application/pdf"),
    }, format="multipart")  # fmt: skip
    assert response.status_code == 422
    assert "Élément 1 — « Diplôme » : Type de fichier refusé" in json.dumps(response.json(), ensure_ascii=False)
    assert Case.objects.count() == count
    response = api.post("/api/v1/cases/", {"workflow": "essai-equipe", "data": "{pas du json"}, format="multipart")
    assert response.status_code == 400
    assert "objet JSON" in json.dumps(response.json(), ensure_ascii=False)

    # PATCH: the rows read from the case keep their files; a new part replaces one.
    rows = case.data["team"]
    patched = api.patch(f"/api/v1/cases/{reference}/", {
        "data": json.dumps({"team": [rows[0], {"name": "Paul B."}]}), "team.1.diploma": pdf("paul-2.pdf"),
    }, format="multipart")  # fmt: skip
    assert patched.status_code == 200, patched.json()
    case.refresh_from_db()
    assert case.data["team"][0] == rows[0]
    assert case.data["team"][1]["diploma"]["name"] == "paul-2.pdf"
    forged = {**rows[0], "diploma": {"path": "cases/AUTRE/abc/secret.pdf", "name": "secret.pdf"}}
    response = api.patch(f"/api/v1/cases/{reference}/", {"data": {"team": [forged]}}, format="json")
    assert response.status_code == 422
    assert "ce fichier n'est pas l'un de ceux du dossier" in json.dumps(response.json(), ensure_ascii=False)


def test_the_public_request_form_stores_the_rows_files(tenant, client_35, equipe):
    from cms.models import RequestFormPage

    page = RequestFormPage.objects.get()
    page.workflow_code = "essai-equipe"
    page.save_revision().publish()
    html = client_35.get(page.url).content.decode()
    assert 'name="team-0-diploma"' in html
    response = client_35.post(page.url, {
        "title": "Les Lutins", "team-rows": "1", "team-0-name": "Anne", "team-0-diploma": pdf("anne.pdf"),
        "envoi-consent": "on", "envoi-site_web": "",
    })  # fmt: skip
    assert response.status_code == 302, unescape(response.content.decode())[:3000]
    case = Case.objects.get(workflow__code="essai-equipe")
    assert case.data["team"][0]["diploma"]["name"] == "anne.pdf"
    assert private_storage().exists(case.data["team"][0]["diploma"]["path"])


class AbandonedError(Exception):
    pass


def test_files_left_by_a_callers_rollback_are_swept_and_named_files_are_kept(territory, equipe, coordinator):
    kept = case_open(workflow="essai-equipe", data={"title": "Gardé", "team": [{"name": "Anne"}]},
                     files={"statuts": pdf("statuts.pdf"), "team.0.diploma": pdf("anne.pdf")},
                     actor=coordinator)  # fmt: skip
    written = []

    def caller() -> None:
        with transaction.atomic():  # the caller's own transaction, rolled back after a successful opening
            lost = case_open(workflow="essai-equipe", data={"title": "Perdu", "team": [{"name": "Paul"}]},
                             files={"team.0.diploma": pdf("paul.pdf")}, actor=coordinator)  # fmt: skip
            written.append(lost.data["team"][0]["diploma"]["path"])
            raise AbandonedError

    with pytest.raises(AbandonedError):
        caller()
    orphan = written[0]
    assert not Case.objects.filter(data__title="Perdu").exists()
    assert orphan in _stored_files()  # the write succeeded: nothing could delete it at once
    assert orphan not in form_files_orphans_sweep()  # younger than the grace: a transaction may still be running
    swept = form_files_orphans_sweep(grace=timedelta(0))
    assert orphan in swept
    assert orphan not in _stored_files()
    # the committed case's files (a field's and a row's) stay
    assert private_storage().exists(kept.data["team"][0]["diploma"]["path"])
    assert private_storage().exists(kept.data["statuts"]["path"])


def test_the_daily_sweep_runs_in_each_territory(territory, equipe, coordinator):
    from core.tasks import form_files_orphans_sweep_task

    assert callable(form_files_orphans_sweep_task.fan_out)
    assert form_files_orphans_sweep_task.run_local() >= 0  # in the current territory, through the service
