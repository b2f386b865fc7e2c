"""The plugin manager: the poles are registered, their hooks are called, a switched-off pole is left out."""

from types import SimpleNamespace

import pluggy
import pytest
from django.core import checks

from core import plugins
from core.models import CatalogueService
from core.plugins import hookimpl, hooks, plugin_manager, poles, results_by_pole
from tenants.models import TerritoryPole


def test_the_three_poles_are_registered_plugins():
    assert list(poles()) == ["support", "developpement", "remplacement"]
    pm = plugin_manager()
    for code in poles():
        assert pm.get_plugin(code) is not None


def test_catalogue_services_is_called_for_every_pole_and_seeds_the_catalogue(tenant):
    by_pole = results_by_pole("catalogue_services")
    assert set(by_pole) == {"support", "developpement", "remplacement"}
    seeded = set(CatalogueService.objects.values_list("pole", flat=True))
    assert seeded == {"support", "developpement", "remplacement"}
    assert CatalogueService.objects.filter(code="support-paie", pole="support").exists()


def test_a_switched_off_pole_is_left_out_of_hook_calls(tenant, territory):
    TerritoryPole.objects.create(territory=territory, pole="remplacement", enabled=False)
    territory = type(territory).objects.get(pk=territory.pk)  # fresh object, no cached switches
    codes = {spec.code for specs in hooks(territory).catalogue_services() for spec in specs}
    assert "remplacement-mission" not in codes
    assert "support-paie" in codes
    assert "remplacement" not in results_by_pole("catalogue_services", territory=territory)


def test_a_pole_switched_off_in_one_territory_stays_on_in_another(tenant, territory, other_territory):
    TerritoryPole.objects.create(territory=territory, pole="support", enabled=False)
    assert not plugins.pole_enabled("support", type(territory).objects.get(pk=territory.pk))
    assert plugins.pole_enabled("support", type(other_territory).objects.get(pk=other_territory.pk))


def test_a_misspelled_hook_implementation_fails_the_system_check():
    pm = plugin_manager()

    class Misspelled:
        @hookimpl
        def catalog_services(self):  # not a hook: "catalogue_services"
            return []

    pm.register(Misspelled(), name="misspelled")
    try:
        errors = checks.run_checks()
        assert any(error.id == "ppe.E001" and "catalog_services" in error.msg for error in errors)
    finally:
        pm.unregister(name="misspelled")
    assert not [e for e in checks.run_checks() if e.id == "ppe.E001"]


def test_a_hook_implementation_with_a_wrong_signature_is_refused():
    class WrongArgs:
        @hookimpl
        def case_transitioned(self, case, event, surprise):
            return None

    with pytest.raises(pluggy.PluginValidationError):
        plugin_manager().register(WrongArgs(), name="wrong-args")


def test_disabled_poles_are_cached_on_the_territory_object(tenant, territory, django_assert_num_queries):
    from tenants.selectors import _current_poles

    fresh = type(territory).objects.get(pk=territory.pk)
    _current_poles.clear()  # what this process kept of the territory's pole rows
    with django_assert_num_queries(2):  # the table's signature, then its rows
        plugins.disabled_poles(fresh)
        plugins.disabled_poles(fresh)
    assert plugins.disabled_poles(SimpleNamespace(pk=None)) == frozenset()


def test_pole_switches_cost_no_query_per_request_and_a_switch_is_seen_at_once(
    tenant, territory, settings, django_assert_num_queries
):
    from core.services.poles import territory_pole_configure

    settings.PPE_POLE_CACHE_CHECK_MS = 60_000  # production's revalidation (test settings: every use)
    plugins.disabled_poles(type(territory).objects.get(pk=territory.pk))
    with django_assert_num_queries(0):  # each request has its own copy of the territory: still no query
        assert "developpement" not in plugins.disabled_poles(
            type(territory)(pk=territory.pk, schema_name=territory.schema_name)
        )
    territory_pole_configure(territory=territory, pole="developpement", enabled=False, actor=None)
    next_request = type(territory)(pk=territory.pk, schema_name=territory.schema_name)
    assert "developpement" in plugins.disabled_poles(next_request)


def test_a_pole_row_written_from_the_public_schema_is_seen_at_once_by_the_territory(tenant, territory, settings):
    """A clone or a kit import writes a territory's pole rows from the public schema: the territory's cached
    switches are forgotten all the same (TableCache(shared=True)), not kept until the next signature check."""
    from django.db import connection
    from django_tenants.utils import schema_context

    settings.PPE_POLE_CACHE_CHECK_MS = 60_000  # production's revalidation: only the write can make it read again
    request_copy = lambda: type(territory)(pk=territory.pk, schema_name=territory.schema_name)  # noqa: E731
    assert "support" not in plugins.disabled_poles(request_copy())
    with schema_context(connection.schema_name):
        connection.set_schema_to_public()
        TerritoryPole.objects.update_or_create(territory=territory, pole="support", defaults={"enabled": False})
    assert "support" in plugins.disabled_poles(request_copy())
