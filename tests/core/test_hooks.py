"""Each hook of core/hookspecs.py is called by the platform with the right arguments, in the right schema.

The `fake_pole` fixture (tests/conftest.py) records every call it receives. The hooks that the case engine
calls (workflows, guards, actions, transitions) are tested with it in tests/core/test_hooks_engine.py.
"""

from django.db import connection
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from core.api.routes import pole_urlpatterns
from core.models import CatalogueService
from core.services.catalogue import catalogue_sync
from core.services.demo import demo_setup
from tenants.models import Territory, TerritoryPole
from tenants.services import territory_create


def test_catalogue_services(tenant, fake_pole):
    report = catalogue_sync()
    assert fake_pole.called("catalogue_services") == [({}, tenant.schema_name)]
    assert "fake-service" in report.created
    service = CatalogueService.objects.get(code="fake-service")
    assert (service.pole, service.title) == ("fake-pole", "Service factice")


def test_catalogue_services_of_a_switched_off_pole_are_not_seeded(tenant, territory):
    from cms.models import ServicePage

    for page in ServicePage.objects.filter(service__pole="developpement"):  # the demo's pages show them
        page.delete()
    CatalogueService.objects.filter(pole="developpement").delete()
    TerritoryPole.objects.create(territory=territory, pole="developpement", enabled=False)
    connection.tenant = Territory.objects.get(pk=territory.pk)  # a fresh request's territory object
    report = catalogue_sync()
    assert not [code for code in report.created if code.startswith("dev-")]
    assert not CatalogueService.objects.filter(pole="developpement").exists()


def test_territory_provisioned(test_territories, db, fake_pole):
    created = territory_create(code="29", name="Finistère")
    calls = fake_pole.called("territory_provisioned")
    assert len(calls) == 1
    kwargs, schema = calls[0]
    assert schema == "dep_29"  # inside the new territory's schema
    assert kwargs["territory"].pk == created.pk
    assert kwargs["source"].schema_name == "template"
    assert kwargs["sample_data"] is False


def test_demo_seed(test_territories, db, fake_pole, settings, tmp_path):
    settings.VAR_DIR = tmp_path  # the demo admin's password file
    territory, _ = demo_setup()
    calls = fake_pole.called("demo_seed")
    assert len(calls) == 1
    kwargs, schema = calls[0]
    assert kwargs["territory"].pk == territory.pk
    assert schema == territory.schema_name


class EchoSerializer(serializers.Serializer):
    schema = serializers.CharField()


class EchoViewSet(viewsets.ViewSet):
    serializer_class = EchoSerializer

    def list(self, request):
        return Response({"schema": connection.schema_name})


def test_api_routes(fake_pole):
    fake_pole.routes = [("fake/echo", EchoViewSet, "fake-echo")]
    patterns = pole_urlpatterns()
    assert fake_pole.called("api_routes") == [({}, "public")]  # built once, for every territory
    names = {pattern.name for pattern in patterns}
    assert "fake-echo-list" in names


def test_api_routes_of_the_poles_answer_and_vanish_when_switched_off(tenant, territory, client_35, territory_admin):
    client_35.force_login(territory_admin)
    assert client_35.get("/api/v1/support/proposal-rules/").status_code == 200
    TerritoryPole.objects.create(territory=territory, pole="support", enabled=False)
    response = client_35.get("/api/v1/support/proposal-rules/")
    assert response.status_code == 404
    assert "pas activé" in response.json()["detail"]


def test_site_urls(tenant, territory, client_35):
    """The remplacement pole's portals come through the `site_urls` hook (core/urls.py names no pole) and
    answer 404, the French page, where the pole is switched off."""
    from pathlib import Path

    from django.urls import reverse

    import core.urls

    assert "plugins." not in Path(core.urls.__file__).read_text(encoding="utf-8")
    login = reverse("remplacement:login")
    assert login == "/remplacement/connexion/"
    assert client_35.get(login).status_code == 200
    TerritoryPole.objects.create(territory=territory, pole="remplacement", enabled=False)
    refused = client_35.get(login)
    assert refused.status_code == 404
    assert "Page introuvable" in refused.content.decode()
