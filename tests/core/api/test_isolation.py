"""Tenant-isolation attacks: nothing of Côtes-d'Armor (22) is reachable from Ille-et-Vilaine (35), whatever is
tried: its tokens, its session cookies, Host header tricks, its objects' ids, its media, the cache, background
tasks, search."""

from __future__ import annotations

import socket

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.test import Client

from core.api import events
from core.api.models import WebhookDelivery
from core.api.services import api_token_create
from core.api.tasks import webhook_deliver
from core.api.webhooks import webhook_event_emit, webhook_subscription_create
from core.services.directory import structure_create
from core.services.users import user_create
from tests.conftest import host_of
from tests.core.api.conftest import api_client_for
from tests.core.api.test_webhooks import Receiver

SECRET_NAME = "Crèche secrète des Côtes-d'Armor"


@pytest.fixture
def in_22(other_territory, in_schema):
    """Runs a block in 22's schema and comes back to 35's."""
    import contextlib

    @contextlib.contextmanager
    def run():
        tenant = connection.tenant
        with in_schema(other_territory):
            yield
        connection.set_tenant(tenant)

    return run


@pytest.fixture
def token_22(in_22):
    with in_22():
        user = user_create(email="admin22@example.org", groups=["platform_admin"], send_welcome=False)
        _, raw = api_token_create(user=user, name="22")
    return raw


@pytest.fixture
def structure_22(in_22, tenant):
    """A structure of 22 whose id no structure of 35 (the demo, with a directory of its own) has."""
    from core.models import Structure

    unused_in_35 = (Structure.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000
    with in_22():
        structure = structure_create(name=SECRET_NAME, kind="creche", commune="Saint-Brieuc")
        Structure.objects.filter(pk=structure.pk).update(id=unused_in_35)
        return Structure.objects.get(pk=unused_in_35)


def test_a_token_of_22_is_refused_on_35(territory, token_22):
    response = api_client_for(territory, token_22).get("/api/v1/structures/")
    assert response.status_code == 401


def test_a_session_cookie_of_35_replayed_on_22_is_anonymous(client_35, client_22, territory_admin):
    client_35.force_login(territory_admin)
    assert client_35.get("/api/v1/territory/").status_code == 200
    client_22.cookies[settings.SESSION_COOKIE_NAME] = client_35.cookies[settings.SESSION_COOKIE_NAME].value
    assert client_22.get("/api/v1/territory/").status_code == 401
    response = client_22.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_x_forwarded_host_is_ignored(api_as, other_territory, structure_22):
    client = api_as("platform_admin")
    response = client.get("/api/v1/territory/", HTTP_X_FORWARDED_HOST=host_of(other_territory))
    assert response.json()["code"] == "35"
    assert (
        SECRET_NAME
        not in client.get("/api/v1/structures/", HTTP_X_FORWARDED_HOST=host_of(other_territory)).content.decode()
    )


def test_an_absolute_url_of_22_is_served_by_the_host_header(api_as, other_territory):
    response = api_as("platform_admin").get(f"http://{host_of(other_territory)}/api/v1/territory/")
    assert response.json()["code"] == "35"


def test_unknown_and_foreign_hosts_are_refused(test_territories, db):
    unknown = Client(HTTP_HOST=f"inconnu.{settings.PPE_DOMAIN_SUFFIX}").get("/api/v1/territory/")
    assert unknown.status_code == 404
    foreign = Client(HTTP_HOST="evil.example.com").get("/api/v1/territory/")
    assert foreign.status_code in (400, 404)
    for response in (unknown, foreign):
        assert b"Ille-et-Vilaine" not in response.content


@pytest.mark.slow
def test_an_absolute_form_request_line_on_the_wire_does_not_switch_territory(http_server, territory, other_territory):
    """`GET http://<22>/ HTTP/1.1` with `Host: <35>`, sent raw to a real server process."""
    with socket.create_connection(("127.0.0.1", http_server.port), timeout=10) as sock:
        request = (
            f"GET http://{host_of(other_territory)}/ HTTP/1.1\r\n"
            f"Host: {host_of(territory)}:{http_server.port}\r\nConnection: close\r\n\r\n"
        )
        sock.sendall(request.encode())
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    answer = b"".join(chunks).decode("utf-8", "replace")
    assert "Côtes-d" not in answer
    assert "cotes-darmor" not in answer.split("\r\n\r\n", 1)[1]


def test_ids_of_22s_objects_answer_404_on_35(api_as, structure_22):
    client = api_as("platform_admin")
    assert client.get(f"/api/v1/structures/{structure_22.pk}/").status_code == 404
    response = client.patch(f"/api/v1/structures/{structure_22.pk}/", {"places": 1}, format="json")
    assert response.status_code == 404


def test_search_never_reaches_22(api_as, structure_22):
    client = api_as("platform_admin")
    assert client.get("/api/v1/structures/", {"search": "secrète"}).json()["count"] == 0
    assert client.get("/api/v1/structures/", {"commune": "Saint-Brieuc"}).json()["count"] == 0


def test_media_of_22_are_stored_apart_and_not_served_on_35(client_35, in_22, other_territory):
    with in_22():
        name = default_storage.save("isolation/convention.txt", ContentFile(b"convention 22"))
        path = default_storage.path(name)
        url = default_storage.url(name)
    try:
        assert f"/{other_territory.schema_name}/" in path
        assert not default_storage.exists(name)  # from 35's schema
        assert client_35.get(url).status_code == 404
        assert b"convention 22" not in client_35.get(url).content
    finally:
        with in_22():
            default_storage.delete(name)


def test_cache_keys_are_per_territory(tenant, in_22):
    cache.set("isolation-key", "valeur de 35")
    with in_22():
        assert cache.get("isolation-key") is None
        cache.set("isolation-key", "valeur de 22")
    assert cache.get("isolation-key") == "valeur de 35"


def test_throttling_counts_per_territory(client_35, client_22):
    from django.test import override_settings
    from rest_framework.settings import api_settings

    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "anon": "1/min"}
    with override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}):
        assert client_35.get("/api/schema/").status_code == 200
        assert client_35.get("/api/schema/").status_code == 429
        assert client_22.get("/api/schema/").status_code == 200


def test_events_and_tasks_stay_in_their_territory(tenant, in_22, run_on_commit):
    receiver_35, receiver_22 = Receiver(), Receiver()
    try:
        webhook_subscription_create(name="35", url=receiver_35.url, events=[events.CASE_OPENED])
        with in_22():
            subscription_22 = webhook_subscription_create(name="22", url=receiver_22.url, events=[events.CASE_OPENED])
            delivery_22 = WebhookDelivery.objects.create(subscription=subscription_22, event="case.opened", payload={})
        with run_on_commit():
            webhook_event_emit(event=events.CASE_OPENED, data={"from": "35"})
        assert len(receiver_35.received) == 1
        assert receiver_22.received == []
        # A task enqueued from 35 with the id of 22's delivery runs in 35's schema: 22's delivery is untouched.
        with run_on_commit():
            webhook_deliver.enqueue_on_commit(delivery_22.pk)
        assert receiver_22.received == []
        with in_22():
            assert WebhookDelivery.objects.get(pk=delivery_22.pk).attempts == 0
    finally:
        receiver_35.close()
        receiver_22.close()
