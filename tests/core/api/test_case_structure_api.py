"""`POST /api/v1/cases/<reference>/structure/`: the team confirms, corrects or changes the structure a public
request was linked to, as the case page does (`core.services.case_structure.case_structure_confirm`). On the
demo territory, with people invited the product's way and a token of each."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.test import TestCase

from cms.services import request_submit
from core.api.services import api_token_create
from core.models import Case, CaseEvent, Invitation, Structure
from tests.core.api.conftest import api_client_for
from tests.people import person_invite
from tests.plugins.support.helpers import DEMANDE

NEW = {**DEMANDE, "structure_name": "Les Pitchouns du Semnon", "commune": "Martigné-Ferchaud", "postcode": "35640",
       "siret": "", "email": "presidence@pitchouns.example.org", "contact_name": "Claire Le Goff"}  # fmt: skip


def _submit(territory, data) -> Case:
    with TestCase.captureOnCommitCallbacks(execute=True):
        case = request_submit(workflow="support-accompagnement", data=data)
    connection.set_tenant(territory)
    return Case.objects.get(pk=case.pk)


def _api(territory, user):
    _, raw = api_token_create(user=user, name="jeton de test", scope="read_write")
    return api_client_for(territory, raw)


@pytest.fixture
def coordinator_api(tenant):
    return _api(tenant, person_invite(tenant, role="pole_coordinator"))


def _post(api, territory, reference, body):
    with TestCase.captureOnCommitCallbacks(execute=True):
        answer = api.post(f"/api/v1/cases/{reference}/structure/", body, format="json")
    connection.set_tenant(territory)
    return answer


def test_the_team_corrects_and_confirms_the_new_structure_and_the_contact_is_invited(tenant, coordinator_api):
    case = _submit(tenant, NEW)
    read = coordinator_api.get(f"/api/v1/cases/{case.reference}/").json()
    assert read["structure_to_confirm"] is True
    mail.outbox.clear()
    answer = _post(coordinator_api, tenant, case.reference, {"corrections": {"name": "Les Pitchouns", "places": 18}})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["structure"]["name"] == "Les Pitchouns"
    assert body["structure"]["places"] == 18
    assert body["case"]["structure_to_confirm"] is False
    invited = "Une invitation à rejoindre la plateforme a été envoyée à presidence@pitchouns.example.org."
    assert invited in body["message"]
    structure = Structure.objects.get(pk=case.structure_id)
    assert structure.status == Structure.Status.CONFIRMED
    assert Invitation.objects.get(email="presidence@pitchouns.example.org").structure == structure
    assert any("presidence@pitchouns.example.org" in m.to for m in mail.outbox)


def test_the_team_relinks_a_duplicate_to_the_directory_s_structure_without_inviting(tenant, coordinator_api):
    case = _submit(tenant, {**NEW, "structure_name": "Maison des Lutins", "commune": "Retiers"})
    created = case.structure
    right = Structure.objects.get(name="La Maison des Lutins")
    answer = _post(coordinator_api, tenant, case.reference, {"structure": right.pk, "invite": False})
    assert answer.status_code == 200, answer.content
    assert answer.json()["message"] == "Rattachement confirmé."
    case.refresh_from_db()
    created.refresh_from_db()
    assert case.structure == right
    assert created.status == Structure.Status.DISCARDED
    assert not Invitation.objects.filter(email="presidence@pitchouns.example.org").exists()
    assert case.events.filter(kind=CaseEvent.Kind.STRUCTURE, detail__action="linked").exists()


def test_bad_input_is_a_french_422_and_writes_nothing(tenant, coordinator_api):
    case = _submit(tenant, NEW)
    loups = Structure.objects.get(name="Les P'tits Loups")
    both = _post(coordinator_api, tenant, case.reference, {"structure": loups.pk, "corrections": {"places": 3}})
    assert both.status_code == 422
    assert "pas les deux" in both.content.decode()
    unknown = _post(coordinator_api, tenant, case.reference, {"structure": 999_999})
    assert unknown.status_code == 422
    duplicate = _post(coordinator_api, tenant, case.reference,
                      {"corrections": {"name": "Les P'tits Loups", "commune": "Bain-de-Bretagne"}})  # fmt: skip
    assert duplicate.status_code == 422, duplicate.content
    assert "déjà" in duplicate.content.decode()
    bad_postcode = _post(coordinator_api, tenant, case.reference, {"corrections": {"postcode": "3564"}})
    assert bad_postcode.status_code == 422, bad_postcode.content
    case.refresh_from_db()
    assert case.structure_to_confirm is True
    assert Structure.objects.get(pk=case.structure_id).status == Structure.Status.PENDING
    assert not case.events.filter(kind=CaseEvent.Kind.STRUCTURE).exclude(detail__action="matched").exists()


@pytest.mark.parametrize("role", ["structure_member", "operator"])
def test_the_structure_s_own_people_and_operators_cannot_link_a_case(tenant, role):
    from core.models import Operator

    case = _submit(tenant, NEW)
    extra = {"structure": case.structure} if role == "structure_member" else {"operator": Operator.objects.first()}
    api = _api(tenant, person_invite(tenant, role=role, **extra))
    answer = _post(api, tenant, case.reference, {"structure": Structure.objects.get(name="Les P'tits Loups").pk})
    assert answer.status_code == 403
    assert "rôle" in answer.json()["detail"]
    case.refresh_from_db()
    assert case.structure_to_confirm is True
