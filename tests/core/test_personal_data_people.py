"""A person's data (RGPD) in the territory admin's « Données personnelles »: found by e-mail (an account, a
substitute of the pool, a structure member, a public request's contact), exported as a ZIP archive (right of
access) and erased (right to erasure) without breaking the append-only history. Platform admins only; people
are invited the product's way and the cases opened as the public form and the back office open them."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction

from core.models import AuditEvent, Case, PersonalDataAction, Structure
from core.services import personal_data
from core.services.case_updates import case_comment_add
from core.services.cases import case_open
from tests.people import person_client, person_invite
from tests.plugins.support.helpers import DEMANDE

CONTACT = DEMANDE["email"]


@pytest.fixture
def admin(territory, tenant):
    return person_invite(territory, role="platform_admin", first_name="Maëlle", last_name="Le Gall")


@pytest.fixture
def request_case(tenant, django_capture_on_commit_callbacks):
    """A public request whose contact has no account (known by her e-mail only)."""
    with django_capture_on_commit_callbacks(execute=True):
        return case_open(workflow="support-accompagnement", data=dict(DEMANDE), actor=None, channel="public")


@pytest.fixture
def director(territory, tenant):
    structure = Structure.objects.order_by("pk").first()
    return person_invite(territory, role="structure_member", structure=structure, first_name="Sophie",
                         last_name="Bernard", email="sophie.bernard@creche.example.org")  # fmt: skip


def _refused(response) -> bool:
    """Refused: 403, or Wagtail's redirect to the admin's home (how it refuses a screen inside the admin)."""
    return response.status_code == 403 or (response.status_code == 302 and response["Location"] == "/admin/")


def _archive(payload: bytes) -> tuple[dict, list[str]]:
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        return json.loads(archive.read("donnees.json")), archive.namelist()


def test_person_personal_data(admin, director, territory):
    """The hook: each pole says what it holds on a person (a substitute's pool record and documents)."""
    from core.plugins import plugin_manager

    substitute = person_invite(territory, role="substitute", first_name="Inès", last_name="Morvan")
    parts = [p for answer in plugin_manager().hook.person_personal_data(user=substitute, email=substitute.email)
             for p in answer or []]  # fmt: skip
    pool = next(p for p in parts if p.title == "Vivier de remplacement")
    assert any(record.get("document") for record in pool.records)
    assert pool.files
    assert pool.erase is not None
    assert pool.kept
    assert not [p for answer in plugin_manager().hook.person_personal_data(user=director, email=director.email)
                for p in answer or []]  # fmt: skip


def test_a_request_contact_is_found_exported_and_erased(admin, request_case, territory):
    found = personal_data.person_data_get(email=CONTACT.upper())
    assert found.user is None
    assert [f.case.pk for f in found.cases] == [request_case.pk]
    client = person_client(territory, admin)
    page = client.get("/admin/donnees-personnelles/personne/", {"email": CONTACT})
    html = page.content.decode()
    assert page.status_code == 200
    assert request_case.reference in html
    assert "son adresse figure dans les données du dossier" in html

    answer = client.post("/admin/donnees-personnelles/personne/exporter/", {"email": CONTACT})
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/zip"
    content, names = _archive(answer.content)
    assert "donnees.json" in names
    assert "LISEZMOI.txt" in names
    case_item = content["dossiers"][0]
    assert case_item["référence"] == request_case.reference
    assert case_item["données"]["Nom et prénom"] == "Anne Martin"  # French labels, readable values
    assert PersonalDataAction.objects.filter(kind="exported", subject_label=CONTACT).exists()

    wrong = client.post("/admin/donnees-personnelles/personne/effacer/", {"email": CONTACT, "confirmation": "x"})
    assert wrong.status_code == 422
    assert "ne correspond pas" in wrong.content.decode()
    assert Case.objects.get(pk=request_case.pk).data["email"] == CONTACT  # nothing erased
    done = client.post("/admin/donnees-personnelles/personne/effacer/", {"email": CONTACT, "confirmation": CONTACT})
    assert done.status_code == 302
    case = Case.objects.get(pk=request_case.pk)
    for code in ("contact_name", "email", "situation"):
        assert case.data[code].startswith("donnée anonymisée le "), code
    assert case.data["structure_name"] == DEMANDE["structure_name"]  # the structure's data stay
    assert "Anne Martin" not in json.dumps(list(case.events.values_list("data_diff", "comment", "detail")))
    erasure = PersonalDataAction.objects.get(kind="erased")
    assert erasure.subject_label.startswith("Personne effacée n° ")
    assert not PersonalDataAction.objects.filter(subject_label__icontains=CONTACT).exists()  # the export's row too
    assert not personal_data.person_data_get(email=CONTACT).found


def test_erasing_an_account_keeps_the_history_readable_and_the_trigger_intact(
    admin, director, territory, django_capture_on_commit_callbacks
):
    from core.selectors.case_work import case_timeline

    with django_capture_on_commit_callbacks(execute=True):
        case = case_open(workflow="support-accompagnement", data={**DEMANDE, "email": director.email,
                         "contact_name": "Sophie Bernard"}, actor=director)  # fmt: skip
        case_comment_add(case=case, text="Sophie Bernard rappellera demain.", actor=director)
    events = case.events.count()
    data = personal_data.person_data_get(email=director.email)
    assert data.user == director
    assert data.comments
    content, _files = personal_data.person_export_content(data)
    assert content["compte"]["nom"] == "Bernard"
    assert content["rattachements"]
    assert content["commentaires"][0]["texte"] == "Sophie Bernard rappellera demain."
    assert any(entry["événement"] == "Invitation acceptée" for entry in content["journal"])

    action = personal_data.person_erase(email=director.email, actor=admin)
    pseudonym = action.subject_label
    person = get_user_model().objects.get(pk=director.pk)
    assert not person.is_active
    assert not person.has_usable_password()
    assert person.last_name == pseudonym
    assert "sophie" not in (person.email + person.username).lower()
    assert not person.groups.exists()
    assert not person.structure_memberships.exists()
    assert case.events.count() == events  # nothing deleted
    timeline = case_timeline(case=case, user=admin)
    assert all("Sophie" not in f"{e.title} {e.body} {e.actor}" for e in timeline)
    assert any(pseudonym in (e.body or "") for e in timeline)  # the comment reads the pseudonym
    assert not AuditEvent.objects.filter(target_label__icontains="sophie").exists()
    assert "gardé" in action.summary
    # The trigger still refuses any other rewrite of the history.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_caseevent SET comment = '' WHERE case_id = %s", [case.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_caseevent WHERE case_id = %s", [case.pk])


def test_a_substitute_is_exported_with_her_documents_and_erased(admin, territory):
    substitute = person_invite(territory, role="substitute", first_name="Inès", last_name="Morvan")
    documents = list(substitute.substitute.documents.all())  # her extract and her vaccinations
    assert len(documents) == 2
    payload = personal_data.person_export(email=substitute.email, actor=admin)[1]
    content, names = _archive(payload)
    assert len([name for name in names if name.startswith("fichiers/vivier/")]) == 2
    assert content["pôles"][0]["titre"] == "Vivier de remplacement"
    stored = [(document.file.storage, document.file.name) for document in documents]
    assert all(storage.exists(name) for storage, name in stored)
    personal_data.person_erase(email=substitute.email, actor=admin)
    assert not any(storage.exists(name) for storage, name in stored)  # deleted through the storage API
    substitute.substitute.refresh_from_db()
    assert not substitute.substitute.is_active
    assert not substitute.substitute.documents.exists()


@pytest.mark.parametrize("role", ["pole_coordinator", "case_worker", "structure_member"])
def test_only_platform_admins_open_the_personal_data_screens(territory, tenant, role, request_case):
    extra = {"structure": Structure.objects.order_by("pk").first()} if role == "structure_member" else {}
    client = person_client(territory, person_invite(territory, role=role, **extra))
    assert _refused(client.get("/admin/donnees-personnelles/"))
    assert _refused(client.get("/admin/donnees-personnelles/personne/", {"email": CONTACT}))
    assert _refused(client.post("/admin/donnees-personnelles/personne/exporter/", {"email": CONTACT}))
    refused = client.post("/admin/donnees-personnelles/personne/effacer/", {"email": CONTACT, "confirmation": CONTACT})
    assert _refused(refused)
    assert Case.objects.get(pk=request_case.pk).data["email"] == CONTACT
    assert not PersonalDataAction.objects.exists()


def test_the_admin_sets_a_retention_in_the_screen(admin, territory):
    from workflows.models import WorkflowDefinition

    client = person_client(territory, admin)
    page = client.get("/admin/donnees-personnelles/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Durée de conservation par type de dossier" in html
    assert "Candidature au vivier" in html
    definition = WorkflowDefinition.objects.get(code="support-accompagnement")
    bad = client.post("/admin/donnees-personnelles/", {"action": "retention", "definition": definition.pk,
                                                       "years": "beaucoup"})  # fmt: skip
    assert bad.status_code == 422
    assert "nombre entier" in bad.content.decode()
    good = client.post("/admin/donnees-personnelles/", {"action": "retention", "definition": definition.pk,
                                                        "years": "7"})  # fmt: skip
    assert good.status_code == 302
    definition.refresh_from_db()
    assert definition.retention_years == 7
    assert "7 ans" in client.get("/admin/donnees-personnelles/").content.decode()


def test_the_api_exports_and_erases_a_person_for_admins_only(admin, territory, request_case):
    client = person_client(territory, admin)
    answer = client.get("/api/v1/personal-data/", {"email": CONTACT})
    assert answer.status_code == 200
    assert answer.json()["dossiers"][0]["référence"] == request_case.reference
    assert answer["Cache-Control"].startswith("no-store") or "no-store" in answer["Cache-Control"]
    assert client.get("/api/v1/personal-data/", {"email": "personne@nulle-part.example"}).status_code == 404
    assert client.get("/api/v1/personal-data/retention/").json()[0]["années"] >= 0
    refused = client.post("/api/v1/personal-data/erase/", {"email": CONTACT, "confirmation": "autre@example.org"},
                          content_type="application/json")  # fmt: skip
    assert refused.status_code in (400, 422)
    assert [error["field"] for error in refused.json()["errors"]] == ["confirmation"]
    done = client.post("/api/v1/personal-data/erase/", {"email": CONTACT, "confirmation": CONTACT},
                       content_type="application/json")  # fmt: skip
    assert done.status_code == 200
    assert done.json()["pseudonyme"].startswith("Personne effacée n° ")
    coordinator = person_client(territory, person_invite(territory, role="pole_coordinator"))
    assert coordinator.get("/api/v1/personal-data/", {"email": CONTACT}).status_code == 403
