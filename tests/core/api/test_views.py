"""The territory endpoint, the catalogue and the directory (structures, operators) through the API."""

from core.models import CatalogueService, Structure
from core.services.directory import structure_create
from tenants.models import TerritoryPole


def test_territory_endpoint_with_a_token(api_as, territory):
    TerritoryPole.objects.create(territory=territory, pole="developpement", enabled=False)
    response = api_as("case_worker").get("/api/v1/territory/")
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "35"
    assert {p["code"]: p["enabled"] for p in body["poles"]} == {
        "support": True,
        "developpement": False,
        "remplacement": True,
    }


def test_current_token_describes_itself(api_as):
    body = api_as("operator", scope="read").get("/api/v1/token/").json()
    assert body["scope"] == "read"
    assert body["prefix"]


def test_catalogue_lists_searches_and_paginates(api_as):
    client = api_as("structure_member")
    body = client.get("/api/v1/catalogue/", {"search": "paie"}).json()
    assert [s["code"] for s in body["results"]] == ["support-paie"]
    everything = client.get("/api/v1/catalogue/", {"ordering": "-title"}).json()
    titles = [s["title"] for s in everything["results"]]
    assert everything["count"] == CatalogueService.objects.count()
    assert titles == sorted(titles, reverse=True)
    assert client.get("/api/v1/catalogue/", {"pole": "remplacement"}).json()["count"] == 2


def test_an_admin_edits_a_catalogue_service_and_a_coordinator_cannot(api_as):
    service = CatalogueService.objects.get(code="support-paie")
    denied = api_as("pole_coordinator").patch(f"/api/v1/catalogue/{service.pk}/", {"title": "X"}, format="json")
    assert denied.status_code == 403
    response = api_as("platform_admin").patch(
        f"/api/v1/catalogue/{service.pk}/", {"title": "Paie et DSN", "code": "ignored"}, format="json"
    )
    assert response.status_code == 200, response.content
    service.refresh_from_db()
    assert (service.title, service.code) == ("Paie et DSN", "support-paie")


def test_a_case_worker_creates_and_updates_a_structure(api_as):
    client = api_as("case_worker")
    response = client.post(
        "/api/v1/structures/",
        {"name": "Les Lutins", "kind": "creche", "commune": "Rennes", "postcode": "35000", "places": 24},
        format="json",
    )
    assert response.status_code == 201, response.content
    structure = Structure.objects.get(pk=response.json()["id"])
    assert structure.places == 24
    response = client.patch(f"/api/v1/structures/{structure.pk}/", {"places": 30}, format="json")
    assert response.json()["places"] == 30


def test_structure_validation_errors_are_per_field_and_in_french(api_as):
    structure_create(name="Les Lutins", kind="creche", commune="Rennes")
    client = api_as("case_worker")
    response = client.post(
        "/api/v1/structures/", {"name": "Les Lutins", "kind": "creche", "commune": "Rennes"}, format="json"
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["detail"].startswith("Un objet")  # Django's French uniqueness message
    response = client.post("/api/v1/structures/", {"kind": "chateau", "postcode": "ABC"}, format="json")
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"name", "kind", "commune"} <= fields


def test_structures_filter_and_search(api_as):
    structure_create(name="Les Lutins", kind="creche", commune="Combourg")
    structure_create(name="Pomme d'Api", kind="halte_garderie", commune="Combourg")
    client = api_as("case_worker")  # an operator reads only its clients' entries
    haltes = client.get("/api/v1/structures/", {"kind": "halte_garderie"}).json()["results"]
    assert "Pomme d'Api" in [s["name"] for s in haltes]
    assert {s["kind"] for s in haltes} == {"halte_garderie"}
    found = client.get("/api/v1/structures/", {"search": "combourg", "kind": "creche"}).json()
    assert [s["name"] for s in found["results"]] == ["Les Lutins"]


def test_operators_are_written_by_coordination_only(api_as):
    payload = {"name": "Coop Compta", "services": ["support-comptabilite"], "capacity": 3}
    assert api_as("case_worker").post("/api/v1/operators/", payload, format="json").status_code == 403
    response = api_as("pole_coordinator").post("/api/v1/operators/", payload, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["services"] == ["support-comptabilite"]


def test_openapi_schema_lists_only_api_paths(api_as):
    response = api_as("operator").get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/territory/" in paths
    assert all(path.startswith("/api/") for path in paths)


def test_swagger_ui_is_served_offline(client_35):
    response = client_35.get("/api/docs/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "drf_spectacular_sidecar/swagger-ui-dist" in html
    assert "cdn." not in html


def test_redoc_is_served_offline(client_35):
    html = client_35.get("/api/redoc/").content.decode()
    assert "drf_spectacular_sidecar/redoc" in html
    assert "googleapis" not in html
    assert "<script>" not in html  # no inline script (CSP)
