"""Idempotency-Key: a retried POST gets the first response; the same key with another body gets 422."""

from datetime import timedelta

from django.utils import timezone

from core.api.models import IdempotencyRecord
from core.api.services import idempotency_records_purge
from core.models import Structure
from tests.core.api.conftest import api_client_for

PAYLOAD = {"name": "Les Lutins", "kind": "creche", "commune": "Rennes"}


def created() -> int:
    """Structures the test's POSTs created (the demo territory has a directory of its own)."""
    return Structure.objects.filter(name__startswith=PAYLOAD["name"]).count()


def post(client, payload=PAYLOAD, key="cle-1"):
    return client.post("/api/v1/structures/", payload, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_replay_returns_the_first_response_and_creates_nothing(api_as):
    client = api_as("case_worker")
    first = post(client)
    second = post(client)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert created() == 1


def test_an_error_response_is_replayed_too(api_as):
    client = api_as("case_worker")
    first = post(client, payload={"kind": "creche"})
    assert first.status_code == 422
    second = post(client, payload={"kind": "creche"})
    assert (second.status_code, second.json()) == (422, first.json())


def test_the_same_key_with_another_body_gets_422(api_as):
    client = api_as("case_worker")
    post(client)
    response = post(client, payload={**PAYLOAD, "name": "Autre"})
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "urn:ppe:problem:idempotency-key-reused"
    assert created() == 1


def test_keys_belong_to_their_sender(territory, make_user, make_token):
    """Another client using the same key is not served the first client's response."""
    alice = api_client_for(territory, make_token(make_user("case_worker")))
    bob = api_client_for(territory, make_token(make_user("case_worker")))
    assert post(alice).status_code == 201
    response = post(bob, payload={**PAYLOAD, "name": "Chez Bob"})
    assert response.status_code == 201
    assert response.json()["name"] == "Chez Bob"


def test_a_request_still_running_gets_409(api_as):
    client = api_as("case_worker")
    post(client)
    IdempotencyRecord.objects.update(status_code=None, body=b"")
    response = post(client)
    assert response.status_code == 409
    assert response.json()["title"] == "Conflit"


def test_a_refused_request_is_not_recorded(api_as):
    """A 403 says nothing was done: the same key may be used once the client has the right."""
    post(api_as("structure_member"))
    assert not IdempotencyRecord.objects.exists()


def test_an_expired_key_runs_again_and_records_are_purged(api_as):
    client = api_as("case_worker")
    post(client)
    IdempotencyRecord.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = post(client, payload={**PAYLOAD, "name": "Les Lutins 2"})
    assert response.status_code == 201
    assert created() == 2
    IdempotencyRecord.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert idempotency_records_purge() == 1
    assert not IdempotencyRecord.objects.exists()


def test_without_a_key_every_post_runs(api_as):
    client = api_as("case_worker")
    client.post("/api/v1/structures/", PAYLOAD, format="json")
    client.post("/api/v1/structures/", {**PAYLOAD, "commune": "Vitré"}, format="json")
    assert created() == 2
    assert not IdempotencyRecord.objects.exists()
