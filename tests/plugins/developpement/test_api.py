"""The développement pole's case work through the API, with a token per role: a SIEG's meetings, deliberation
drafts, candidates scored per criterion, the ranking and the report; a structure member is refused."""

from django.utils import timezone

from core.api.services import api_token_create
from core.models import Structure
from core.services.cases import transition_apply
from tests.core.api.conftest import api_client_for
from tests.people import person_invite

from .test_workflows import sieg_case

TODAY = timezone.localdate()


def _client(territory, user):
    _, raw = api_token_create(user=user, name="jeton", scope="read_write")
    return api_client_for(territory, raw)


def test_a_sieg_case_worked_through_the_api(territory, tenant):
    coordinator = person_invite(territory, role="pole_coordinator")
    case = sieg_case(coordinator)
    transition_apply(case=case, transition="ouvrir_concertation", actor=coordinator)
    api = _client(territory, coordinator)
    base = f"/api/v1/developpement/cases/{case.reference}/"
    bad = api.post(f"{base}meetings/", {"held_on": TODAY.isoformat(), "participants": "Le maire",
                                         "minutes": "Accord."}, format="json")  # fmt: skip
    assert bad.status_code in (400, 422), bad.content
    assert "deux participants" in bad.content.decode()
    made = api.post(f"{base}meetings/", {"held_on": TODAY.isoformat(), "participants": "Le maire\nLa CAF",
                                          "minutes": "Accord.", "place": "Mairie"}, format="json")  # fmt: skip
    assert made.status_code == 201, made.content
    transition_apply(case=case, transition="definir_interet_general", actor=coordinator, data={
        "besoins_territoire": "40 familles.", "definition_interet_general": "Un accueil pour tous.",
        "obligations_service_public": "Tarifs PSU.", "resultats_concertation": "Besoin confirmé."})  # fmt: skip
    drafts = api.post(f"{base}deliberations/", format="json")
    assert drafts.status_code == 201, drafts.content
    assert {d["kind_label"] for d in drafts.json()} == {"Délibération sur l'intérêt général",
                                                        "Délibération de mandatement"}  # fmt: skip
    case.data["criteres_evaluation"] = [
        {"critere": "Projet", "ponderation": 70},
        {"critere": "Prix", "ponderation": 30},
    ]
    case.save(update_fields=["data"])
    scored = api.post(f"{base}candidates/", {"name": "Association A", "scores": {"Projet": "10", "Prix": "20"}},
                      format="json")  # fmt: skip
    assert scored.status_code == 201, scored.content
    assert scored.json()[0]["total"] == 65.0
    refused = api.post(f"{base}candidates/", {"name": "B", "scores": {"Projet": "30", "Prix": "1"}}, format="json")
    assert refused.status_code in (400, 422)
    assert "entre 0 et 20" in refused.content.decode()
    work = api.get(base).json()
    assert [m["place"] for m in work["meetings"]] == ["Mairie"]
    assert work["ranking"][0]["name"] == "Association A"
    report = api.get(f"{base}report/")
    assert report.status_code == 200
    assert report["Content-Type"] == "application/pdf"

    member = person_invite(territory, role="structure_member", structure=Structure.objects.first())
    assert _client(territory, member).get(base).status_code == 403
    schema = api.get("/api/schema/").content.decode()
    assert "developpement_candidates_score" in schema


def test_a_joint_response_section_is_delivered_through_the_api(territory, tenant):
    import datetime as dt

    from core.services.cases import case_open
    from plugins.developpement.services import sections_plan

    from .test_workflows import opportunity

    coordinator = person_invite(territory, role="pole_coordinator")
    case = case_open(workflow="dev-reponse-commune", data=opportunity(TODAY + dt.timedelta(days=30)),
                     actor=coordinator)  # fmt: skip
    [section] = sections_plan(case=case, actor=coordinator, sections=[
        {"titre": "Budget", "partenaire": "ADMR", "email": "b@example.org",
         "echeance": (TODAY + dt.timedelta(days=10)).isoformat()}])  # fmt: skip
    url = f"/api/v1/developpement/sections/{section.pk}/deliver/"
    member = person_invite(territory, role="structure_member", structure=Structure.objects.first())
    assert _client(territory, member).post(url).status_code == 403
    api = _client(territory, coordinator)
    done = api.post(url)
    assert done.status_code == 200, done.content
    assert done.json()["delivered_at"]
    again = api.post(url)
    assert again.status_code in (400, 422)
    assert "déjà remise" in again.content.decode()
    assert "developpement_sections_deliver" in api.get("/api/schema/").content.decode()
