"""The pole's REST API: requests, candidates, offers, acceptances, availability; errors in French."""

import datetime as dt

import pytest
from django.utils import timezone

from core.api.services import api_token_create
from plugins.remplacement import services
from plugins.remplacement.models import Offer, ReplacementRequest
from tenants.models import TerritoryPole


def auth(user) -> dict:
    _, raw = api_token_create(user=user, name="jeton de test", scope="read_write")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_a_structure_posts_a_request_with_its_staffing_and_sees_no_one_else_s_names(  # noqa: PLR0917
    client_35, structure, structure_user, coordinator, make_substitute, monday
):
    anna = make_substitute("Anna")
    far = make_substitute("Loïc", commune="22278")
    body = {
        "structure": structure.pk,
        "qualification": "auxiliaire_puericulture",
        "slots": [{"date": monday.isoformat(), "start": "08:00", "end": "12:00"}],
        "children_not_walking": 5,
        "children_walking": 8,
        "staff_present": [{"qualification": "cap_aepe", "count": 1}],
    }
    response = client_35.post(
        "/api/v1/remplacement/requests/", body, content_type="application/json", **auth(structure_user)
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["state"] == "proposee"
    assert created["state_label"] == "Proposée aux remplaçants"
    assert created["reference"].startswith("REMP35-")
    assert created["staffing"]["required"] == 2
    assert created["staffing"]["people_needed"] == 1
    assert created["staffing"]["summary"] == "Il manque 1 professionnel, parmi les plus qualifiés."
    assert len(created["slots"]) == 1
    # The ranking, with everyone's name and why others are excluded, is the coordinators'.
    url = f"/api/v1/remplacement/requests/{created['id']}/candidates/"
    assert client_35.get(url, **auth(structure_user)).status_code == 403
    ranking = client_35.get(url, **auth(coordinator)).json()
    assert [c["substitute"] for c in ranking["candidates"]] == [anna.pk]
    assert ranking["excluded"][0]["substitute"] == far.pk
    assert ranking["excluded"][0]["reasons"][0].startswith("Trop loin")
    # Offers sent are not the structure's to read until someone volunteers.
    assert client_35.get("/api/v1/remplacement/offers/", **auth(structure_user)).json()["results"] == []


def test_bad_input_gets_400_with_french_errors_and_nothing_saved(client_35, structure, structure_user):
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    body = {
        "structure": structure.pk,
        "qualification": "licorne",
        "slots": [{"date": yesterday, "start": "08:00", "end": "12:00"}],
        "children_walking": 12,
    }
    response = client_35.post(
        "/api/v1/remplacement/requests/", body, content_type="application/json", **auth(structure_user)
    )
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    errors = response.json()["errors"]
    assert any(e["field"] == "qualification" for e in errors)
    assert any(e["field"] == "slots" and "déjà passé" in e["detail"] for e in errors)
    assert not ReplacementRequest.objects.exists()


def test_offers_are_accepted_through_the_api_and_a_late_one_gets_409(
    client_35, make_request, make_substitute, set_pole_settings
):
    set_pole_settings(dispatch_policy="first_accept")
    anna, bea = make_substitute("Anna"), make_substitute("Béa")
    request = make_request()
    services.offer_wave_send(request_id=request.pk, wave=1)
    mine = client_35.get("/api/v1/remplacement/offers/", **auth(anna.user)).json()
    assert [o["substitute"] for o in mine["results"]] == [anna.pk]
    offer_a = Offer.objects.get(substitute=anna)
    offer_b = Offer.objects.get(substitute=bea)
    won = client_35.post(f"/api/v1/remplacement/offers/{offer_a.pk}/accept/", **auth(anna.user))
    assert won.status_code == 200
    assert won.json()["status"] == "accepted"
    late = client_35.post(f"/api/v1/remplacement/offers/{offer_b.pk}/accept/", **auth(bea.user))
    assert late.status_code == 409
    assert "pourvue" in late.json()["detail"]
    # Someone else's offer is not even visible.
    assert client_35.post(f"/api/v1/remplacement/offers/{offer_a.pk}/decline/", **auth(bea.user)).status_code == 404


def test_availability_read_replace_and_exceptions(client_35, make_substitute, monday):
    anna = make_substitute("Anna")
    headers = auth(anna.user)
    body = client_35.get("/api/v1/remplacement/availability/", **headers).json()
    assert len(body["weekly"]) == 5
    split = [{"weekday": 2, "start": "07:00", "end": "11:30"}, {"weekday": 2, "start": "15:30", "end": "19:30"}]
    replaced = client_35.put(
        "/api/v1/remplacement/availability/weekly/", {"weekly": split}, content_type="application/json", **headers
    )
    assert replaced.status_code == 200
    assert replaced.json()["weekly"] == [
        {"weekday": 2, "start": "07:00:00", "end": "11:30:00"},
        {"weekday": 2, "start": "15:30:00", "end": "19:30:00"},
    ]
    # A later save through the portal keeps both ranges of the day (split shifts are not lost).
    anna.refresh_from_db()
    assert anna.availability_rules.count() == 2
    bad = client_35.put(
        "/api/v1/remplacement/availability/weekly/",
        {"weekly": [{"weekday": 2, "start": "18:00", "end": "08:00"}]},
        content_type="application/json",
        **headers,
    )
    assert bad.status_code == 422
    assert "doit suivre le début" in bad.json()["errors"][0]["detail"]
    added = client_35.post(
        "/api/v1/remplacement/availability/exceptions/",
        {"date": monday.isoformat(), "kind": "unavailable"},
        content_type="application/json",
        **headers,
    )
    assert added.status_code == 201
    deleted = client_35.delete(f"/api/v1/remplacement/availability/exceptions/{added.json()['id']}/", **headers)
    assert deleted.status_code == 204
    assert not anna.availability_exceptions.exists()


def test_a_switched_off_pole_answers_404(client_35, territory, make_substitute):
    anna = make_substitute("Anna")
    headers = auth(anna.user)
    assert client_35.get("/api/v1/remplacement/availability/", **headers).status_code == 200
    TerritoryPole.objects.create(territory=territory, pole="remplacement", enabled=False)
    assert client_35.get("/api/v1/remplacement/availability/", **headers).status_code == 404


@pytest.mark.parametrize("path", ["/api/v1/remplacement/requests/", "/api/v1/remplacement/offers/"])
def test_anonymous_is_refused(client_35, path):
    assert client_35.get(path).status_code == 401


def test_the_routes_are_in_the_openapi_schema(client_35, territory_admin):
    client_35.force_login(territory_admin)
    schema = client_35.get("/api/schema/?format=json").json()
    for path in (
        "/api/v1/remplacement/requests/{id}/candidates/",
        "/api/v1/remplacement/requests/{id}/assign/",
        "/api/v1/remplacement/offers/{id}/accept/",
        "/api/v1/remplacement/timesheets/{id}/reject/",
        "/api/v1/remplacement/pool/{id}/deactivate/",
        "/api/v1/remplacement/exports/{id}/",
    ):
        assert path in schema["paths"], path


def test_timesheets_through_the_api_declared_sent_back_and_corrected(  # noqa: PLR0917
    client_35, make_request, make_substitute, book, structure_user, monkeypatch
):
    from django.utils import timezone as tz

    anna = make_substitute("Anna")
    request = make_request()
    book(request, anna)
    slot = request.slots.get()
    monkeypatch.setattr(tz, "now", lambda: slot.ends_at + dt.timedelta(hours=1))
    body = {"request": request.pk, "lines": [{"slot": slot.pk, "start": "07:58", "end": "17:04"}]}
    created = client_35.post("/api/v1/remplacement/timesheets/", body, content_type="application/json",
                             **auth(anna.user))  # fmt: skip
    assert created.status_code == 201, created.content
    sheet = created.json()
    assert (sheet["minutes"], sheet["status"]) == (546, "submitted")
    refused = client_35.post(f"/api/v1/remplacement/timesheets/{sheet['id']}/reject/", {},
                             content_type="application/json", **auth(structure_user))  # fmt: skip
    assert refused.status_code == 422  # a comment is needed
    rejected = client_35.post(f"/api/v1/remplacement/timesheets/{sheet['id']}/reject/", {"comment": "Arrivée 8 h"},
                              content_type="application/json", **auth(structure_user))  # fmt: skip
    assert rejected.json()["status_label"] == "À corriger"
    mine = client_35.get("/api/v1/remplacement/timesheets/?status=rejected", **auth(anna.user)).json()["results"]
    assert [(t["id"], t["review_comment"]) for t in mine] == [(sheet["id"], "Arrivée 8 h")]
    body["lines"][0]["start"] = "08:00"
    again = client_35.post("/api/v1/remplacement/timesheets/", body, content_type="application/json",
                           **auth(anna.user))  # fmt: skip
    assert again.json()["minutes"] == 544


def test_the_pool_and_the_exports_are_for_coordinators(client_35, coordinator, structure_user, make_substitute):
    anna = make_substitute("Anna")
    assert client_35.get("/api/v1/remplacement/pool/", **auth(structure_user)).status_code == 403
    pool = client_35.get("/api/v1/remplacement/pool/?qualification=auxiliaire_puericulture", **auth(coordinator))
    assert [p["id"] for p in pool.json()["results"]] == [anna.pk]
    gone = client_35.post(f"/api/v1/remplacement/pool/{anna.pk}/deactivate/", {"reason": "Départ de la région"},
                          content_type="application/json", **auth(coordinator))  # fmt: skip
    assert gone.json()["is_active"] is False
    assert gone.json()["deactivated_reason"] == "Départ de la région"
    month = client_35.get("/api/v1/remplacement/exports/2031-01/", **auth(coordinator))
    assert month.status_code == 200
    assert month.json() == {"month": "2031-01", "lines": [], "by_substitute": [], "by_structure": []}
    assert client_35.get("/api/v1/remplacement/exports/2031-01/", **auth(structure_user)).status_code == 403
    assert client_35.get("/api/v1/remplacement/exports/2031-13/", **auth(coordinator)).status_code == 404
