"""The poles' own API routes (`api_routes` hook) are mounted under /api/v1/ and answer 404 where the pole is off."""

import importlib
import sys
import types

import pytest
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from core.plugins import hookimpl, plugin_manager
from tenants.models import TerritoryPole
from tests.core.api.conftest import api_client_for


class MissionViewSet(viewsets.ViewSet):
    serializer_class = serializers.Serializer
    required_roles = {"read": {"case_worker"}}

    def list(self, request):
        return Response([{"mission": 1}])


@pytest.fixture
def pole_with_routes():
    """The remplacement pole, with an `api_routes` implementation added for the test."""
    pm = plugin_manager()
    original = pm.get_plugin("remplacement")
    fake = types.ModuleType("fake_remplacement_hooks")
    for name in dir(original):
        if not name.startswith("_"):
            setattr(fake, name, getattr(original, name))

    @hookimpl
    def api_routes():
        return [("remplacement/missions", MissionViewSet, "remplacement-missions")]

    fake.api_routes = api_routes
    pm.unregister(original)
    pm.register(fake, name="remplacement")
    sys.modules.pop("tests.core.api.pole_urls", None)
    importlib.import_module("tests.core.api.pole_urls")
    try:
        yield
    finally:
        pm.unregister(fake)
        pm.register(original, name="remplacement")


@pytest.mark.urls("tests.core.api.pole_urls")
def test_a_pole_route_answers_where_the_pole_is_on_and_404_where_it_is_off(  # noqa: PLR0917
    pole_with_routes, territory, other_territory, make_user, make_token, in_schema
):
    TerritoryPole.objects.create(territory=other_territory, pole="remplacement", enabled=False)
    on = api_client_for(territory, make_token(make_user("case_worker")))
    assert on.get("/api/v1/remplacement/missions/").json() == [{"mission": 1}]
    with in_schema(other_territory):
        from core.api.services import api_token_create
        from core.services.users import user_create

        user = user_create(email="cw@example.org", groups=["case_worker"], send_welcome=False)
        _, raw = api_token_create(user=user, name="22")
    off = api_client_for(other_territory, raw)
    response = off.get("/api/v1/remplacement/missions/")
    assert response.status_code == 404
    assert response.json()["detail"] == "Ce pôle n'est pas activé dans ce territoire."


@pytest.mark.urls("tests.core.api.pole_urls")
def test_a_pole_route_keeps_the_role_checks(pole_with_routes, api_as):
    assert api_as("operator").get("/api/v1/remplacement/missions/").status_code == 403
