"""The host → territory lookup is cached per process (tenants.hosts): no query for it once a host is known,
invalidated when a domain or a territory changes, here at once and in other processes through the tables'
signature; bounded; each request gets its own territory object."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants.hosts import HostCache, host_cache
from tenants.models import Domain


def _domain_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if "tenants_domain" in q["sql"]]


@pytest.fixture
def fresh_cache():
    host_cache.clear()
    yield host_cache
    host_cache.clear()


def test_a_known_host_costs_no_query_for_pages_api_and_static_files(fresh_cache, client_35, monkeypatch):
    monkeypatch.setattr(host_cache, "check_seconds", 3600.0)  # the once-a-second look at the tables, apart
    assert client_35.get("/").status_code == 200  # learns the host
    for path in ("/", "/api/v1/territory/", "/static/ppe/site.css"):
        with CaptureQueriesContext(connection) as queries:
            response = client_35.get(path)
        assert response.status_code in {200, 401, 403}, (path, response.status_code)
        assert _domain_queries(queries) == [], path
    with CaptureQueriesContext(connection) as queries:
        assert client_35.get("/static/ppe/site.css").status_code == 200
    assert len(queries) == 0  # a static file: no query at all


def test_a_new_domain_answers_at_once_and_a_removed_one_stops(fresh_cache, territory, client, settings):
    settings.ALLOWED_HOSTS = ["*"]
    assert client.get("/", HTTP_HOST="autre-nom.localhost").status_code == 404  # cached as unknown
    domain = Domain.objects.create(domain="autre-nom.localhost", tenant=territory, is_primary=False)
    response = client.get("/", HTTP_HOST="autre-nom.localhost")
    assert response.status_code == 200
    assert "Ille-et-Vilaine" in response.content.decode()
    domain.delete()
    assert client.get("/", HTTP_HOST="autre-nom.localhost").status_code == 404


@pytest.mark.usefixtures("fresh_cache")
def test_a_change_made_by_another_process_is_seen_at_the_next_check(
    territory, other_territory, client, settings, monkeypatch
):
    settings.ALLOWED_HOSTS = ["*"]
    host = territory.primary_domain
    assert "Ille-et-Vilaine" in client.get("/", HTTP_HOST=host).content.decode()
    with connection.cursor() as cursor:  # as another process would: no signal reaches this one
        cursor.execute("UPDATE tenants_domain SET tenant_id = %s WHERE domain = %s", [other_territory.pk, host])
    monkeypatch.setattr(host_cache, "check_seconds", 3600.0)
    assert "Ille-et-Vilaine" in client.get("/", HTTP_HOST=host).content.decode()  # not yet looked at
    monkeypatch.setattr(host_cache, "check_seconds", 0.0)
    assert "Côtes-d&#x27;Armor" in client.get("/", HTTP_HOST=host).content.decode()


def test_the_cache_is_bounded_and_forgets_the_least_recently_used(db):
    cache = HostCache(maxsize=2, check_seconds=3600)
    loads = []

    def loader(name):
        def load():
            loads.append(name)
            raise Domain.DoesNotExist(name)

        return load

    for name in ("a", "b", "a", "c", "a", "b"):
        cache.territory(name, loader(name))
    assert len(cache) == 2
    assert loads == ["a", "b", "c", "b"]  # "b" was the least recently used when "c" came


def test_each_request_gets_its_own_territory_object(fresh_cache, territory):
    first = host_cache.territory(territory.primary_domain, lambda: territory)
    first._ppe_disabled_poles = frozenset({"support"})  # what a request caches on its territory
    second = host_cache.territory(territory.primary_domain, lambda: pytest.fail("cached"))
    assert second is not first
    assert second.pk == territory.pk
    assert not hasattr(second, "_ppe_disabled_poles")
