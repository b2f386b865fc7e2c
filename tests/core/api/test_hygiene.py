"""API hygiene: no-store on personal data, Idempotency-Key replays only after authentication and in-progress
records of a dead process expire, failed token attempts throttled, counters shared by every worker (a table of
the database without Redis), ETag / If-Match on a case's PATCH."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from rest_framework.settings import api_settings

from core.api.models import ApiToken, IdempotencyRecord
from core.api.services import api_token_revoke
from core.models import Structure
from tests.core.api.conftest import api_client_for
from tests.core.api.test_errors import assert_problem

STRUCTURE = {"name": "Crèche des Tilleuls", "kind": "creche", "commune": "Rennes"}


def _rates(**rates):
    from django.conf import settings

    return override_settings(
        REST_FRAMEWORK={
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**api_settings.DEFAULT_THROTTLE_RATES, **rates},
        }
    )


# --- Cache-Control ----------------------------------------------------------------------------------------
def test_api_responses_are_no_store(api_as, client_35):
    assert api_as("case_worker").get("/api/v1/structures/")["Cache-Control"] == "no-store"
    assert client_35.get("/api/v1/structures/")["Cache-Control"] == "no-store"  # a 401 problem too


def test_pages_served_to_a_signed_in_person_are_no_store_and_public_pages_are_not(client_35, make_user):
    assert "no-store" not in client_35.get("/").get("Cache-Control", "")
    client_35.force_login(make_user("case_worker"))
    assert "no-store" in client_35.get("/admin/")["Cache-Control"]


def test_the_platform_api_is_no_store(public_client, db):
    assert public_client.get("/plateforme/api/v1/territoires/")["Cache-Control"] == "no-store"


# --- Idempotency-Key --------------------------------------------------------------------------------------
def test_a_revoked_token_never_gets_a_replay(territory, make_user, make_token):
    raw = make_token(make_user("case_worker"))
    client = api_client_for(territory, raw)
    first = client.post("/api/v1/structures/", STRUCTURE, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201
    api_token_revoke(token=ApiToken.objects.get(prefix=raw.split("_")[1]))
    again = client.post("/api/v1/structures/", STRUCTURE, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert_problem(again, 401)
    assert "Idempotent-Replayed" not in again


def test_a_wrong_token_never_gets_a_replay(territory, make_user, make_token):
    raw = make_token(make_user("case_worker"))
    api_client_for(territory, raw).post("/api/v1/structures/", STRUCTURE, format="json", HTTP_IDEMPOTENCY_KEY="k")
    forged = api_client_for(territory, raw[:-4] + "AAAA")
    response = forged.post("/api/v1/structures/", STRUCTURE, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert_problem(response, 401)


def test_a_record_left_in_progress_by_a_dead_process_expires(api_as, settings):
    client = api_as("case_worker")
    client.post("/api/v1/structures/", STRUCTURE, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    # as a process killed mid-request leaves it: its transaction rolled back, its record still « in progress »
    Structure.objects.filter(name=STRUCTURE["name"]).delete()
    IdempotencyRecord.objects.update(status_code=None, body=b"")
    assert client.post("/api/v1/structures/", STRUCTURE, format="json", HTTP_IDEMPOTENCY_KEY="k-2").status_code == 409
    IdempotencyRecord.objects.update(
        created_at=timezone.now() - timedelta(seconds=settings.API_IDEMPOTENCY_IN_PROGRESS_SECONDS + 1)
    )
    response = client.post("/api/v1/structures/", STRUCTURE, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert response.status_code == 201
    assert IdempotencyRecord.objects.get().status_code == 201


# --- Throttling -------------------------------------------------------------------------------------------
def test_failed_token_attempts_are_throttled_per_address(territory, make_user, make_token):
    good = make_token(make_user("case_worker"))
    with _rates(token_failure="3/min"):
        for attempt in range(3):
            assert_problem(api_client_for(territory, f"ppe_nope{attempt}_devine").get("/api/v1/territory/"), 401)
        blocked = api_client_for(territory, "ppe_nope_encore").get("/api/v1/territory/")
        body = assert_problem(blocked, 429)
        assert "jetons invalides" in body["detail"]
        assert int(blocked["Retry-After"]) > 0
        # even the right token waits, from that address
        assert api_client_for(territory, good).get("/api/v1/territory/").status_code == 429
        other = api_client_for(territory, good)
        assert other.get("/api/v1/territory/", REMOTE_ADDR="192.0.2.7").status_code == 200


def test_throttle_counters_live_in_the_database_shared_by_every_worker(api_as):
    assert "throttle" not in settings.CACHES  # no Redis here: the table of the public schema
    client = api_as("case_worker")
    with _rates(token="2/min"):
        assert client.get("/api/v1/territory/").status_code == 200
        # the counter is a row of the table every worker reads (keys carry the territory's schema)
        with connection.cursor() as cursor:
            cursor.execute(
                'SELECT "hits" FROM public.ppe_rate_counter WHERE "key" LIKE %s', [f"{connection.schema_name}:%"]
            )
            assert cursor.fetchone()[0] >= 1
        assert client.get("/api/v1/territory/").status_code == 200
        refused = client.get("/api/v1/territory/")
        assert refused.status_code == 429
        assert 1 <= int(refused["Retry-After"]) <= 120


def test_a_throttled_request_costs_one_round_trip(api_as):
    from django.test.utils import CaptureQueriesContext

    client = api_as("case_worker")
    client.get("/api/v1/territory/")
    with CaptureQueriesContext(connection) as queries:
        client.get("/api/v1/territory/")
    counting = [q["sql"] for q in queries.captured_queries if "ppe_rate_counter" in q["sql"]]
    assert len(counting) == 2, counting  # the address's failed tokens read with the token, its counter upserted
    assert '"prefix"' in counting[0]  # one statement: the token's lookup carries the failures' counter
    assert "ON CONFLICT" in counting[1]
    assert not any("ppe_rate_counter" in q["sql"] and "prefix" not in q["sql"] and "ON CONFLICT" not in q["sql"]
                   for q in queries.captured_queries)  # fmt: skip


def test_the_rate_counters_are_written_without_waiting_for_the_disk(db):
    """Unlogged (a crash empties them: counting starts again) and with only their key's index, so that the
    rewrite of a counter at every request is a HOT update."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT relpersistence FROM pg_class WHERE oid = 'public.ppe_rate_counter'::regclass")
        assert cursor.fetchone()[0] == "u"
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'ppe_rate_counter'"
        )
        assert [row[0] for row in cursor.fetchall()] == ["ppe_rate_counter_pkey"]


def test_the_sliding_window_weighs_the_previous_window_by_its_overlap():
    from core.api.throttling import WindowCount

    count = WindowCount(hits=30, previous=100, elapsed=0.25)
    assert count.estimate == 105  # 75 % of the previous window still inside the sliding minute
    assert count.wait(105, 60) == 1  # at the limit already: the shortest wait
    assert count.wait(60, 60) == 27  # 100 * (1 - e) + 30 <= 60 once e >= 0.7: 0.45 of a minute from now
    full = WindowCount(hits=60, previous=0, elapsed=0.5)
    assert full.wait(60, 60) == 30  # the next window, at once light enough


def test_a_forged_forwarded_for_header_does_not_give_a_fresh_counter(client_35):
    with _rates(anon="1/min"):
        assert client_35.get("/api/schema/", HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 200
        assert_problem(client_35.get("/api/schema/", HTTP_X_FORWARDED_FOR="198.51.100.2"), 429)


# --- ETag / If-Match --------------------------------------------------------------------------------------
def _open(client) -> dict:
    response = client.post("/api/v1/cases/", {"workflow": "essai-simple", "data": {"title": "Demande"}}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_a_case_has_an_etag_and_a_patch_with_a_stale_if_match_is_412(api_as, simple):
    client = api_as("case_worker")
    reference = _open(client)["reference"]
    url = f"/api/v1/cases/{reference}/"
    etag = client.get(url)["ETag"]
    assert etag == f'"{client.get(url).json()["revision"]}"'
    changed = client.patch(url, {"data": {"amount": 3}}, format="json", HTTP_IF_MATCH=etag)
    assert changed.status_code == 200, changed.content
    assert changed["ETag"] != etag
    stale = client.patch(url, {"data": {"amount": 4}}, format="json", HTTP_IF_MATCH=etag)
    body = assert_problem(stale, 412, "Précondition non remplie")
    assert "If-Match" in body["detail"]
    assert client.get(url).json()["data"]["amount"] == 3
    assert (
        client.patch(url, {"data": {"amount": 5}}, format="json", HTTP_IF_MATCH=f"W/{changed['ETag']}").status_code
        == 200
    )
