"""The files of a case's forms: downloaded from the case page and the API by the people who may see the case,
never by others; removed when the transaction that stored them rolls back (issue 13, item 7)."""

from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import Case, Structure
from core.services.cases import case_open
from tenants.storage import private_storage
from tests.people import person_client, person_invite
from tests.workflows.helpers import VALID_DEMANDE
from workflows.exceptions import FormInvalid

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def _statuts():
    return SimpleUploadedFile("statuts de l'association.pdf", PDF, content_type="application/pdf")


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def lutins(tenant):
    return Structure.objects.create(name="Les Lutins du test", kind="creche", commune="Rennes")


@pytest.fixture
def with_file(territory, demande, lutins):
    coordinator = person_invite(territory, role="pole_coordinator")
    case = case_open(workflow="essai-demande", data=VALID_DEMANDE, files={"statuts": _statuts()}, structure=lutins,
                     actor=coordinator)  # fmt: skip
    return case, coordinator


def test_the_case_page_links_each_form_file_and_downloads_it(territory, with_file, lutins):
    case, coordinator = with_file
    client = person_client(territory, coordinator)
    page = unescape(client.get(f"/admin/dossiers/{case.reference}/").content.decode())
    assert "Fichiers du dossier" in page
    url = f"/admin/dossiers/{case.reference}/fichiers/statuts/"
    assert f'Statuts : <a href="{url}" download>statuts de l\'association.pdf</a>' in page
    response = client.get(url)
    assert response.status_code == 200
    assert _body(response) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    assert client.get(f"/admin/dossiers/{case.reference}/fichiers/board.0.name/").status_code == 404

    # The director of the case's structure may; the director of another structure does not even see the case.
    director = person_invite(territory, role="structure_member", structure=lutins)
    assert _body(person_client(territory, director).get(url)) == PDF
    elsewhere = Structure.objects.create(name="Ailleurs", kind="creche", commune="Vitré")
    stranger = person_invite(territory, role="structure_member", structure=elsewhere)
    assert person_client(territory, stranger).get(url).status_code == 404


def test_the_api_downloads_a_form_file_for_those_who_see_the_case(territory, with_file):
    case, coordinator = with_file
    api = _api(territory, coordinator)
    response = api.get(f"/api/v1/cases/{case.reference}/files/statuts/download/")
    assert response.status_code == 200
    assert _body(response) == PDF
    assert api.get(f"/api/v1/cases/{case.reference}/files/absent/download/").status_code == 404
    elsewhere = Structure.objects.create(name="Ailleurs", kind="creche", commune="Vitré")
    stranger = person_invite(territory, role="structure_member", structure=elsewhere)
    other = _api(territory, stranger)
    assert other.get(f"/api/v1/cases/{case.reference}/files/statuts/download/").status_code == 404


def _api(territory, user):
    from rest_framework.test import APIClient

    from core.api.services import api_token_create
    from tests.conftest import host_of

    _, raw = api_token_create(user=user, name="jeton de test", scope="read")
    client = APIClient(HTTP_HOST=host_of(territory))
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def _stored_files() -> set[str]:
    storage = private_storage()
    found = set()

    def walk(folder: str) -> None:
        if not storage.exists(folder or "."):
            return
        dirs, files = storage.listdir(folder)
        found.update(f"{folder}/{name}" for name in files)
        for name in dirs:
            walk(f"{folder}/{name}" if folder else name)

    walk("cases")
    return found


def test_files_of_a_rolled_back_opening_are_removed(territory, demande, monkeypatch):
    coordinator = person_invite(territory, role="pole_coordinator")
    before = _stored_files()

    def refuse(*, case, event):  # a pole refusing the data, after the files were stored
        raise FormInvalid({"statuts": ["Refusé par le pôle."]})

    monkeypatch.setattr("core.services.cases.case_data_changed_notify", refuse)
    with pytest.raises(FormInvalid):
        case_open(workflow="essai-demande", data=VALID_DEMANDE, files={"statuts": _statuts()}, actor=coordinator)
    assert _stored_files() == before
    assert not Case.objects.filter(data__structure_name=VALID_DEMANDE["structure_name"]).exists()

    monkeypatch.undo()
    case = case_open(workflow="essai-demande", data=VALID_DEMANDE, files={"statuts": _statuts()}, actor=coordinator)
    assert case.data["statuts"]["path"] in _stored_files() - before  # kept when the transaction commits
