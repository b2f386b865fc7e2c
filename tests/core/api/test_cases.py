"""Cases through the API: open, list (filters, search, ordering, pages), read, change data, transitions
(available with reasons; applied: 403 role, 404 unknown, 409 concurrent or wrong state, 422 guard or form),
comments, history, workflows and their forms' JSON Schema; webhooks sent for each change."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from core.api.webhooks import webhook_subscription_create
from core.models import Case, CaseEvent
from core.services.cases import case_open
from core.services.directory import structure_create
from tests.core.api.test_webhooks import Receiver


@pytest.fixture
def worker_api(api_as, simple):
    return api_as("case_worker")


def open_case(client, **data):
    payload = {"workflow": "essai-simple", "data": {"title": "Demande", **data}}
    response = client.post("/api/v1/cases/", payload, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_a_case_is_opened_through_the_api(worker_api):
    body = open_case(worker_api, amount=12)
    assert body["state"] == "ouvert"
    assert body["state_label"] == "Ouvert"
    assert body["data"]["amount"] == 12
    case = Case.objects.get(reference=body["reference"])
    assert case.channel == "api"
    assert case.events.get().kind == "opened"


def test_a_case_is_rendered_as_drf_renders_its_declared_fields(worker_api):
    from rest_framework import serializers

    from core.api.serializers import CaseSerializer

    body, alone = open_case(worker_api, amount=12), open_case(worker_api)
    structure = structure_create(name="Les Lutins", kind="creche", commune="Rennes", postcode="35000")
    Case.objects.filter(reference=body["reference"]).update(structure=structure, due_at="2027-01-04")
    for reference in (body["reference"], alone["reference"]):
        case = Case.objects.get(reference=reference)
        fresh = CaseSerializer()  # its own fields, as DRF builds them for every serializer
        assert CaseSerializer(case).data == serializers.Serializer.to_representation(fresh, case)
    rendered = CaseSerializer(Case.objects.get(reference=body["reference"])).data
    assert rendered["structure_name"] == "Les Lutins"
    assert rendered["due_at"] == "2027-01-04"
    assert set(rendered) == set(CaseSerializer().fields)


def test_opening_validates_the_form_with_field_errors(worker_api):
    response = worker_api.post(
        "/api/v1/cases/", {"workflow": "essai-simple", "data": {"amount": "beaucoup"}}, format="json"
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"data.title", "data.amount"} <= fields
    assert not Case.objects.filter(workflow__code="essai-simple").exists()


def test_opening_an_unknown_workflow_is_404_and_a_role_without_right_403(api_as, simple):
    response = api_as("case_worker").post("/api/v1/cases/", {"workflow": "inconnu", "data": {}}, format="json")
    assert response.status_code == 404
    assert response.json()["type"] == "urn:ppe:problem:unknown-workflow"
    denied = api_as("operator").post(
        "/api/v1/cases/", {"workflow": "essai-simple", "data": {"title": "x"}}, format="json"
    )
    assert denied.status_code == 403


def test_list_filters_searches_orders_and_pages(worker_api):
    structure = structure_create(name="Les Lutins", kind="creche", commune="Rennes")
    first = open_case(worker_api, title="Premier")
    second = open_case(worker_api, title="Deuxième")
    worker_api.post(f"/api/v1/cases/{second['reference']}/transitions/prendre/", {}, format="json")
    worker_api.post(
        "/api/v1/cases/", {"workflow": "essai-simple", "data": {"title": "Troisième"}, "structure": structure.pk},
        format="json",
    )  # fmt: skip
    mine = {"workflow": "essai-simple"}  # the demo territory has cases of its own
    listing = worker_api.get("/api/v1/cases/", mine).json()
    assert listing["count"] == 3
    in_progress = worker_api.get("/api/v1/cases/", {**mine, "state": "en_cours"}).json()["results"]
    assert in_progress[0]["reference"] == second["reference"]
    assert worker_api.get("/api/v1/cases/", {"structure": structure.pk}).json()["count"] == 1
    assert worker_api.get("/api/v1/cases/", {**mine, "search": "Lutins"}).json()["count"] == 1
    oldest_first = worker_api.get("/api/v1/cases/", {**mine, "ordering": "created_at"}).json()["results"]
    assert oldest_first[0]["reference"] == first["reference"]
    assert worker_api.get("/api/v1/cases/", {"overdue": "yes-please"}).status_code == 422


def test_a_structure_member_sees_only_the_cases_of_its_structures(api_as, worker_api, simple, make_user, make_token):
    from core.models import StructureMembership
    from tests.core.api.conftest import api_client_for

    mine = structure_create(name="Ma crèche", kind="creche", commune="Rennes")
    other = structure_create(name="Autre crèche", kind="creche", commune="Redon")
    member = make_user("structure_member")
    StructureMembership.objects.create(user=member, structure=mine)
    for structure in (mine, other):
        worker_api.post(
            "/api/v1/cases/", {"workflow": "essai-simple", "data": {"title": "x"}, "structure": structure.pk},
            format="json",
        )  # fmt: skip
    client = api_client_for(connection.tenant, make_token(member))
    results = client.get("/api/v1/cases/").json()["results"]
    assert [r["structure"] for r in results] == [mine.pk]
    hidden = Case.objects.get(structure=other)
    assert client.get(f"/api/v1/cases/{hidden.reference}/").status_code == 404


def test_available_transitions_say_why_the_others_are_not(api_as, worker_api):
    body = open_case(worker_api, amount=5000)
    reference = body["reference"]
    worker_api.post(f"/api/v1/cases/{reference}/transitions/prendre/", {}, format="json")
    answers = {t["code"]: t for t in worker_api.get(f"/api/v1/cases/{reference}/transitions/").json()}
    assert answers["rouvrir"]["available"] is True
    assert answers["fermer"]["available"] is False
    assert answers["fermer"]["reason"]
    coordinator = {
        t["code"]: t for t in api_as("pole_coordinator").get(f"/api/v1/cases/{reference}/transitions/").json()
    }
    assert coordinator["rouvrir"]["available"] is False
    assert coordinator["rouvrir"]["reason"]


def test_applying_transitions_and_their_errors(api_as, worker_api):
    reference = open_case(worker_api, amount=5000)["reference"]
    url = f"/api/v1/cases/{reference}/transitions/"
    assert api_as("pole_coordinator").post(url + "prendre/", {}, format="json").status_code == 403
    assert worker_api.post(url + "inexistante/", {}, format="json").status_code == 404
    taken = worker_api.post(url + "prendre/", {}, format="json")
    assert taken.status_code == 200
    assert taken.json()["state"] == "en_cours"
    again = worker_api.post(url + "prendre/", {}, format="json")
    assert again.status_code == 409
    assert again.json()["type"] == "urn:ppe:problem:wrong-state"
    guarded = worker_api.post(url + "fermer/", {}, format="json")
    assert guarded.status_code == 422
    assert guarded.json()["type"] == "urn:ppe:problem:guard-failed"
    refused_data = worker_api.post(url + "rouvrir/", {"data": {"x": 1}}, format="json")
    assert refused_data.status_code == 422
    assert Case.objects.get(reference=reference).state == "en_cours"


def test_a_concurrent_transition_through_the_api_is_409(worker_api, monkeypatch):
    reference = open_case(worker_api)["reference"]
    from core.selectors import cases as selectors

    original = selectors.case_get

    def stale_read(*, user, reference):
        case = original(user=user, reference=reference)
        Case.objects.filter(pk=case.pk).update(state="en_cours")  # another request moved it meanwhile
        return case

    monkeypatch.setattr("core.api.case_views.case_get", stale_read)
    response = worker_api.post(f"/api/v1/cases/{reference}/transitions/prendre/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["type"] == "urn:ppe:problem:concurrent-change"


def test_staff_update_the_data_and_others_cannot(api_as, worker_api):
    reference = open_case(worker_api, amount=10)["reference"]
    response = worker_api.patch(f"/api/v1/cases/{reference}/", {"data": {"amount": 20}}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["data"] == {"title": "Demande", "amount": 20}
    event = CaseEvent.objects.filter(kind="data_updated").get()
    assert event.data_diff == {"amount": [10, 20]}
    invalid = worker_api.patch(f"/api/v1/cases/{reference}/", {"data": {"amount": "x", "nope": 1}}, format="json")
    assert invalid.status_code == 422
    assert {e["field"] for e in invalid.json()["errors"]} == {"data.nope"}
    assert (
        api_as("structure_member").patch(f"/api/v1/cases/{reference}/", {"data": {}}, format="json").status_code == 403
    )


def test_comments_and_history(worker_api):
    reference = open_case(worker_api)["reference"]
    created = worker_api.post(f"/api/v1/cases/{reference}/comments/", {"text": "Appelé la directrice."}, format="json")
    assert created.status_code == 201
    assert worker_api.post(f"/api/v1/cases/{reference}/comments/", {"text": "  "}, format="json").status_code == 422
    comments = worker_api.get(f"/api/v1/cases/{reference}/comments/").json()["results"]
    assert [c["comment"] for c in comments] == ["Appelé la directrice."]
    kinds = [e["kind"] for e in worker_api.get(f"/api/v1/cases/{reference}/events/").json()["results"]]
    assert kinds == ["opened", "comment"]


def test_workflows_and_their_forms_json_schema(worker_api):
    workflows = worker_api.get("/api/v1/workflows/").json()
    simple = next(w for w in workflows if w["code"] == "essai-simple")
    assert simple["initial"] == "ouvert"
    assert {t["code"] for t in simple["transitions"]} == {"prendre", "rouvrir", "fermer"}
    schema = worker_api.get("/api/v1/workflows/essai-simple/forms/ouverture/schema/").json()
    assert schema["type"] == "object"
    assert "title" in schema["required"]
    assert worker_api.get("/api/v1/workflows/essai-simple/forms/nope/schema/").status_code == 404
    assert worker_api.get("/api/v1/workflows/nope/").status_code == 404


def test_webhooks_follow_the_case(worker_api, run_on_commit):
    receiver = Receiver()
    try:
        webhook_subscription_create(
            name="CAF", url=receiver.url, events=["case.opened", "case.transitioned", "case.updated", "case.commented"]
        )
        with run_on_commit():
            reference = open_case(worker_api, amount=1)["reference"]
        with run_on_commit():
            worker_api.post(f"/api/v1/cases/{reference}/transitions/prendre/", {}, format="json")
        with run_on_commit():
            worker_api.patch(f"/api/v1/cases/{reference}/", {"data": {"amount": 2}}, format="json")
        with run_on_commit():
            worker_api.post(f"/api/v1/cases/{reference}/comments/", {"text": "ok"}, format="json")
        payloads = [json.loads(r["body"]) for r in receiver.received]
        assert [p["event"] for p in payloads] == ["case.opened", "case.transitioned", "case.updated", "case.commented"]
        transitioned = payloads[1]["data"]
        assert (transitioned["from_state"], transitioned["to_state"], transitioned["transition"]) == (
            "ouvert", "en_cours", "prendre",
        )  # fmt: skip
        assert payloads[2]["data"]["changed_fields"] == ["amount"]
    finally:
        receiver.close()


def test_a_case_of_22_is_invisible_on_35(worker_api, other_territory, in_schema, simple):
    from tests.workflows.helpers import fixture_text, person
    from workflows.services import workflow_import

    with in_schema(other_territory):
        workflow_import(source=fixture_text("simple.yaml"), publish=True)
        case = case_open(workflow="essai-simple", data={"title": "Secret 22"}, actor=person("case_worker"))
    assert worker_api.get(f"/api/v1/cases/{case.reference}/").status_code == 404
    assert worker_api.get("/api/v1/cases/", {"search": "Secret 22"}).json()["count"] == 0


def test_attachments_are_sniffed_limited_and_downloaded(worker_api, api_as, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from core.models import CaseAttachment
    from tests.core.test_uploads import EXE, PDF

    reference = open_case(worker_api)["reference"]
    url = f"/api/v1/cases/{reference}/attachments/"
    created = worker_api.post(url, {"file": SimpleUploadedFile("devis.pdf", PDF, "text/plain")}, format="multipart")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["name"], body["content_type"], body["size"]) == ("devis.pdf", "application/pdf", len(PDF))
    disguised = worker_api.post(
        url, {"file": SimpleUploadedFile("facture.pdf", EXE, "application/pdf")}, format="multipart"
    )
    assert disguised.status_code == 422
    assert disguised.json()["errors"][0]["field"] == "file"
    settings.PPE_UPLOAD_MAX_BYTES = 16
    too_big = worker_api.post(url, {"file": SimpleUploadedFile("gros.pdf", PDF, "application/pdf")}, format="multipart")
    assert too_big.status_code == 422
    assert "volumineux" in too_big.json()["errors"][0]["detail"]
    assert [a["name"] for a in worker_api.get(url).json()["results"]] == ["devis.pdf"]
    download = worker_api.get(f"{url}{body['id']}/download/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in download["Content-Disposition"]
    assert b"".join(download.streaming_content) == PDF
    stored = CaseAttachment.objects.get()
    assert "/dep_35/" in stored.file.path
    assert "devis" not in stored.file.name  # the client's name never reaches the disk
    assert worker_api.get(f"{url}999999/download/").status_code == 404
    stored.file.delete(save=False)


def test_internal_comments_and_attachments_stay_internal(territory, simple, make_user, make_token):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from core.models import Structure, StructureMembership
    from core.services.case_updates import case_attachment_add, case_comment_add
    from tests.core.api.conftest import api_client_for

    structure = Structure.objects.create(name="Les Lutins", kind="creche", commune="Rennes")
    member = make_user("structure_member")
    StructureMembership.objects.create(user=member, structure=structure)
    worker = make_user("case_worker")
    case = case_open(workflow="essai-simple", data={"title": "Course"}, structure=structure, actor=worker)
    case_comment_add(case=case, text="Note interne", visibility="internal", actor=worker)
    case_comment_add(case=case, text="Pour la crèche", visibility="structure", actor=worker)
    pdf = SimpleUploadedFile("note.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\n", content_type="application/pdf")
    internal = case_attachment_add(case=case, file=pdf, visibility="internal", actor=worker)
    api = api_client_for(territory, make_token(member))
    comments = api.get(f"/api/v1/cases/{case.reference}/comments/").json()["results"]
    assert [c["comment"] for c in comments] == ["Pour la crèche"]
    events = api.get(f"/api/v1/cases/{case.reference}/events/").json()["results"]
    assert "Note interne" not in json.dumps(events)
    assert api.get(f"/api/v1/cases/{case.reference}/attachments/").json()["results"] == []
    assert api.get(f"/api/v1/cases/{case.reference}/attachments/{internal.pk}/download/").status_code == 404
    staff = api_client_for(territory, make_token(worker))
    assert len(staff.get(f"/api/v1/cases/{case.reference}/comments/").json()["results"]) == 3
