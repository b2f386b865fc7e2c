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


def test_a_structure_posts_a_request_and_reads_the_ranking(
    client_35, structure, structure_user, make_substitute, monday
):
    anna = make_substitute("Anna")
    far = make_substitute("Loïc", commune="22278")
    body = {
        "structure": structure.pk,
        "qualification": "auxiliaire_puericulture",
        "slots": [{"date": monday.isoformat(), "start": "08:00", "end": "12:00"}],
        "children_present": 12,
        "staff_present": 1,
    }
    response = client_35.post(
        "/api/v1/remplacement/requests/", body, content_type="application/json", **auth(structure_user)
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["state"] == "open"
    assert created["ratio_gap"] == 1
    assert len(created["slots"]) == 1
    ranking = client_35.get(f"/api/v1/remplacement/requests/{created['id']}/candidates/", **auth(structure_user)).json()
    assert [c["substitute"] for c in ranking["candidates"]] == [anna.pk]
    assert ranking["excluded"][0]["substitute"] == far.pk
    assert ranking["excluded"][0]["reasons"][0].startswith("Trop loin")


def test_bad_input_gets_400_with_french_errors_and_nothing_saved(client_35, structure, structure_user):
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    body = {
        "structure": structure.pk,
        "qualification": "licorne",
        "slots": [{"date": yesterday, "start": "08:00", "end": "12:00"}],
        "children_present": 12,
        "staff_present": 1,
    }
    response = client_35.post(
        "/api/v1/remplacement/requests/", body, content_type="application/json", **auth(structure_user)
    )
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    errors = response.json()["errors"]
    assert {"field": "qualification", "detail": "Qualification inconnue : « licorne ».", "code": "invalid"} in errors
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
    replaced = client_35.put(
        "/api/v1/remplacement/availability/weekly/",
        {"weekly": [{"weekday": 2, "start": "08:00", "end": "18:00"}]},
        content_type="application/json",
        **headers,
    )
    assert replaced.status_code == 200
    assert replaced.json()["weekly"] == [{"weekday": 2, "start": "08:00:00", "end": "18:00:00"}]
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
    assert "/api/v1/remplacement/requests/{id}/candidates/" in schema["paths"]
    assert "/api/v1/remplacement/offers/{id}/accept/" in schema["paths"]
