"""The support pole through the API alone: one case from the request to its closure, each party with its own
token (the structure's member, the operator's member, the coordinator, a case worker), and what each may not do."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.api.services import api_token_create
from core.models import CaseEvent
from tests.core.api.conftest import api_client_for

from .helpers import DEMANDE, answers

WEAK = {"diag_paie_1": "0", "diag_paie_2": "1", "diag_renouvellement_1": "0", "diag_renouvellement_2": "0"}


@pytest.fixture
def party(territory, tenant):
    """`party("structure_member", email, structure=…)` → an API client with a read-write token of a person of that
    role, invited the product's way (a structure member with her structure, an operator with its operator)."""
    from tests.people import person_invite

    def make(role: str, email: str, **attached):
        first = email.split("@", maxsplit=1)[0].split(".", maxsplit=1)[0].capitalize()
        user = person_invite(territory, role=role, email=email, first_name=first, last_name="Test", **attached)
        _, raw = api_token_create(user=user, name="jeton", scope="read_write")
        client = api_client_for(territory, raw)
        client.user = user
        return client

    return make


def _ok(response, code=200):
    assert response.status_code == code, (response.status_code, response.content.decode()[:600])
    return response.json()


def test_a_support_case_from_request_to_closure_through_the_api(
    party, structure, operator_paie, django_capture_on_commit_callbacks
):
    member = party("structure_member", "presidente@ptits-loups.example.org", structure=structure)
    payroll = party("operator", "paie@paie-ess.example.org", operator=operator_paie)
    coordinator = party("pole_coordinator", "coordination@plateforme.example.org")
    worker = party("case_worker", "chargee@plateforme.example.org")
    structure.network = None  # not ADMR here: its payroll is the operator's
    structure.save(update_fields=["network"])

    # The structure asks; the coordinator runs the diagnostic.
    case = _ok(member.post("/api/v1/cases/", {"workflow": "support-accompagnement", "data": DEMANDE,
                                              "structure": structure.pk}, format="json"), 201)  # fmt: skip
    ref = case["reference"]
    _ok(coordinator.post(f"/api/v1/cases/{ref}/transitions/demarrer_diagnostic/", {}, format="json"))
    with django_capture_on_commit_callbacks(execute=True):
        _ok(coordinator.post(f"/api/v1/cases/{ref}/transitions/terminer_diagnostic/",
                             {"data": answers(**WEAK)}, format="json"))  # fmt: skip
    assert any("propositions de services attendent" in m.subject for m in mail.outbox)
    assert any(f"/admin/dossiers/{ref}/" in m.body for m in mail.outbox)

    work = _ok(member.get(f"/api/v1/support/cases/{ref}/"))
    assert work["profile"]["global_score"] < 100
    assert work["tasks"] == []
    assert work["followups"] == []
    proposals = {p["service"]: p for p in work["proposals"]}
    assert proposals["support-paie"]["operator"] == operator_paie.pk
    assert proposals["support-paie"]["status_label"] == "Proposé"

    # The team adds a service by hand, gives board support to the platform, and recomputes: the manual one stays.
    added = _ok(coordinator.post(f"/api/v1/support/cases/{ref}/proposals/",
                                 {"service": "support-rh", "operator": None, "reason": "Demandé au diagnostic"},
                                 format="json"), 201)  # fmt: skip
    assert added["carried_out_by"] == "la plateforme"
    refused = coordinator.post(f"/api/v1/support/cases/{ref}/proposals/", {"service": "support-rh"}, format="json")
    assert refused.status_code in (400, 422)
    assert "déjà proposé" in refused.content.decode()
    assert member.post(f"/api/v1/support/cases/{ref}/proposals/recompute/").status_code == 403
    recomputed = _ok(coordinator.post(f"/api/v1/support/cases/{ref}/proposals/recompute/"))
    board = next(p for p in recomputed if p["service"] == "support-gouvernance")
    assert "support-rh" in {p["service"] for p in recomputed}  # added by hand: kept
    wrong = coordinator.post(f"/api/v1/support/proposals/{board['id']}/assignment/",
                             {"operator": operator_paie.pk}, format="json")  # fmt: skip
    assert wrong.status_code in (400, 422)
    assert "ne propose pas" in wrong.content.decode()
    _ok(coordinator.post(f"/api/v1/support/proposals/{board['id']}/assignment/", {"operator": None}, format="json"))

    # The operator sees nothing before the structure accepts; the structure decides each proposal.
    assert payroll.get(f"/api/v1/support/cases/{ref}/").status_code == 404
    work = _ok(member.get(f"/api/v1/support/cases/{ref}/"))
    for proposal in work["proposals"]:
        assert payroll.post(f"/api/v1/support/proposals/{proposal['id']}/decision/", {"accepted": True},
                            format="json").status_code in (403, 404)  # fmt: skip
        with django_capture_on_commit_callbacks(execute=True):
            decided = _ok(member.post(f"/api/v1/support/proposals/{proposal['id']}/decision/",
                                      {"accepted": proposal["service"] != "support-rh"}, format="json"))  # fmt: skip
    paie = next(p for p in work["proposals"] if p["service"] == "support-paie")
    assert any("Un service vous est confié" in m.subject and m.to == sorted([
        "contact@paie-ess.example.org", "paie@paie-ess.example.org"]) for m in mail.outbox)  # fmt: skip

    # The operator sees its own referral only, and accepts it.
    seen = _ok(payroll.get(f"/api/v1/support/cases/{ref}/"))
    assert [p["service"] for p in seen["proposals"]] == ["support-paie"]
    assert seen["proposals"][0]["referral_label"] == "En attente de l'opérateur"
    assert payroll.post(f"/api/v1/support/proposals/{paie['id']}/referral/", {"accepted": False},
                        format="json").status_code in (400, 422)  # a refusal says why  # fmt: skip
    decided = _ok(payroll.post(f"/api/v1/support/proposals/{paie['id']}/referral/", {"accepted": True},
                               format="json"))  # fmt: skip
    assert decided["referral_status"] == "accepted"

    # The structure validates; the conventions are drawn up; each party signs its own.
    with django_capture_on_commit_callbacks(execute=True):
        _ok(member.post(f"/api/v1/cases/{ref}/transitions/accepter_propositions/", {}, format="json"))
    conventions = _ok(coordinator.get(f"/api/v1/support/cases/{ref}/conventions/"))
    assert {c["party"] for c in conventions} == {"structure", "operator"}
    mine = _ok(member.get(f"/api/v1/support/cases/{ref}/conventions/"))
    assert [c["party"] for c in mine] == ["structure"]
    theirs = _ok(payroll.get(f"/api/v1/support/cases/{ref}/conventions/"))
    assert [c["counterparty_name"] for c in theirs] == ["Coopérative Paie ESS"]
    ours = mine[0]
    assert member.post(f"/api/v1/support/conventions/{ours['id']}/signatures/", {"party": "platform"},
                       format="json").status_code == 403  # fmt: skip
    assert payroll.post(f"/api/v1/support/conventions/{ours['id']}/signatures/", {}, format="json").status_code == 404
    signed = _ok(member.post(f"/api/v1/support/conventions/{ours['id']}/signatures/", {}, format="json"))
    assert signed["counterparty_signatory"] == "Presidente Test"
    assert signed["counterparty_signed_on"] == timezone.localdate().isoformat()
    pdf = member.get(f"/api/v1/support/conventions/{ours['id']}/pdf/")
    assert pdf.status_code == 200
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert f"Convention {ref} - structure" in pdf["Content-Disposition"]
    copy = SimpleUploadedFile("scan.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "application/pdf")
    _ok(member.post(f"/api/v1/support/conventions/{ours['id']}/signed-copy/", {"file": copy}, format="multipart"))
    _ok(payroll.post(f"/api/v1/support/conventions/{theirs[0]['id']}/signatures/", {}, format="json"))
    for convention in conventions:
        _ok(coordinator.post(f"/api/v1/support/conventions/{convention['id']}/signatures/",
                             {"party": "platform", "signatory": "Claire Dupont"}, format="json"))  # fmt: skip

    # The team sets the services up, follows up, coordinates and evaluates with the structure.
    _ok(coordinator.post(f"/api/v1/cases/{ref}/transitions/mettre_en_place/", {}, format="json"))
    _ok(worker.post(f"/api/v1/cases/{ref}/transitions/demarrer_suivi/", {}, format="json"))
    today = timezone.localdate()
    _ok(
        worker.post(
            f"/api/v1/support/cases/{ref}/followups/",
            {"kind": "call", "happened_on": today.isoformat(), "text": "Point paie"},
            format="json",
        ),
        201,
    )
    task = _ok(coordinator.post(f"/api/v1/support/cases/{ref}/tasks/",
                                {"title": "Relancer la DSN", "due_date": (today + dt.timedelta(days=5)).isoformat(),
                                 "assignee": worker.user.pk}, format="json"), 201)  # fmt: skip
    assert task["assignee_name"] == "Chargee Test"
    bad = coordinator.post(
        f"/api/v1/support/cases/{ref}/tasks/",
        {"title": "X", "due_date": today.isoformat(), "assignee": member.user.pk},
        format="json",
    )
    assert bad.status_code in (400, 422)  # tasks go to the team only
    moved = _ok(
        coordinator.patch(
            f"/api/v1/support/tasks/{task['id']}/",
            {"due_date": (today + dt.timedelta(days=9)).isoformat()},
            format="json",
        )
    )
    assert moved["due_date"] == (today + dt.timedelta(days=9)).isoformat()
    _ok(worker.post(f"/api/v1/support/tasks/{task['id']}/complete/"))
    assert member.get(f"/api/v1/support/cases/{ref}/tasks/").status_code == 403
    _ok(worker.post(f"/api/v1/cases/{ref}/transitions/evaluer/", {}, format="json"))
    evaluation = {"eval_satisfaction": 5, "eval_objectifs": "atteints", "eval_heures_benevoles": 10,
                  "eval_recommande": True}  # fmt: skip
    closed = _ok(member.post(f"/api/v1/cases/{ref}/transitions/cloturer/", {"data": evaluation}, format="json"))
    assert closed["state"] == "close"
    summary = _ok(coordinator.get("/api/v1/support/evaluation/"))
    assert summary["evaluated"] >= 1

    # The history reads as the work done, by label; the structure does not read the team's internal work.
    events = _ok(coordinator.get(f"/api/v1/cases/{ref}/events/?page_size=200"))["results"]
    titles = [e["title"] for e in events if e["kind"] == "pole"]
    assert {"Proposition acceptée", "Convention signée", "Tâche créée"} <= {e["label"] for e in events}
    assert "Convention signée par Presidente Test pour Les P'tits Loups" in " ".join(titles)
    assert "Coopérative Paie ESS accepte de réaliser « Gestion de la paie »" in titles
    assert not CaseEvent.objects.filter(case__reference=ref, kind="data_updated").exists()
    seen = {e["label"] for e in _ok(member.get(f"/api/v1/cases/{ref}/events/?page_size=200"))["results"]}
    assert "Tâche créée" not in seen
    assert "Proposition acceptée" in seen


def test_the_support_api_is_in_the_schema_in_french(territory, tenant, party):
    coordinator = party("platform_admin", "admin-schema@plateforme.example.org")
    schema = coordinator.get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    operation = paths["/api/v1/support/proposals/{id}/decision/"]["post"]
    assert operation["summary"].startswith("Accepter ou décliner")
    assert "/api/v1/support/conventions/{id}/signed-copy/" in paths
    assert "/api/v1/support/cases/{reference}/tasks/" in paths
