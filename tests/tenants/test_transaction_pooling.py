"""Behind PgBouncer in transaction mode (what `make prod` runs), every statement runs in its territory's schema:
django-tenants' `SET search_path` once a connection is lost or leaks when transactions of different clients
share one server connection; `tenants.postgresql_backend` sets it per transaction (`SET LOCAL`). huey's
consumers still hear new tasks (LISTEN on a direct connection, NOTIFY through the pooler)."""

from __future__ import annotations

import copy
import shutil
import socket
import tempfile
from pathlib import Path

import psycopg
import pytest
from django.db import connections, transaction
from django.db.utils import ProgrammingError

from core.pgbouncer import PgBouncer
from core.settings.database import libpq_dsn
from tenants.postgresql_backend.base import DatabaseWrapper
from tenants.queue import PostgresStorage, queue_connect
from tests.live import free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bouncer(django_db_setup, test_territories):
    """PgBouncer with ONE server connection: every client's transactions run on the same server session."""
    server = copy.deepcopy(connections["default"].settings_dict)
    folder = Path(tempfile.mkdtemp(prefix="ppe-pgbouncer-"))  # in /tmp: open to PgBouncer's own user
    running = PgBouncer(folder, server, port=free_port(), pool_size=1).start()
    yield running
    running.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def through(bouncer, django_db_blocker):
    """`through(pooling)`: a Django connection to the test database through PgBouncer, registered in
    `connections` (atomic blocks work on it), closed and removed after the test."""
    made = []

    def make(pooling: bool) -> DatabaseWrapper:
        settings_dict = copy.deepcopy(connections["default"].settings_dict)
        settings_dict.update(HOST="127.0.0.1", PORT=str(bouncer.port), TRANSACTION_POOLING=pooling)
        settings_dict["OPTIONS"] = {"prepare_threshold": None}
        alias = f"pgbouncer_{len(made)}"
        wrapper = DatabaseWrapper(settings_dict, alias=alias)
        connections[alias] = wrapper
        made.append(alias)
        return wrapper

    with django_db_blocker.unblock():
        yield make
        for alias in made:
            connections[alias].close()
            del connections[alias]


def _one(wrapper, sql: str):
    with wrapper.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def _server_search_path(bouncer, set_to: str | None = None) -> str:
    """The search path of the (only) server session, as any new client gets it; `set_to` leaves another one
    behind first, as a careless client would."""
    with psycopg.connect(bouncer.url(), autocommit=True, prepare_threshold=None) as conn:
        if set_to:
            conn.execute(f"SET search_path = {set_to}")
        return conn.execute("SHOW search_path").fetchone()[0]


def test_without_the_backend_a_territory_reads_another_clients_schema(through):
    """What goes wrong with django-tenants alone (so that the test below can fail)."""
    territory, platform = through(False), through(False)
    territory.set_schema("dep_35")
    platform.set_schema_to_public()
    assert _one(territory, "SELECT count(*) FROM core_case") >= 0
    assert _one(platform, "SELECT count(*) FROM tenants_territory") >= 2
    with pytest.raises(ProgrammingError):  # the server session now has the public schema's path
        _one(territory, "SELECT count(*) FROM core_case")


def test_every_statement_in_autocommit_runs_in_its_own_schema(through, bouncer):
    assert _server_search_path(bouncer, set_to="pg_catalog") == "pg_catalog"  # whatever the session holds
    territory, platform = through(True), through(True)
    territory.set_schema("dep_35")
    platform.set_schema_to_public()
    for _ in range(3):
        assert _one(territory, "SELECT current_setting('search_path')") == "dep_35, public"
        assert _one(territory, "SELECT count(*) FROM core_case") >= 0
        assert _one(platform, "SELECT count(*) FROM tenants_territory") >= 2
    # with parameters (a literal % beside them), and nothing left behind on the server session
    with territory.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM core_case WHERE reference LIKE %s", ["%-%"])
        assert cursor.fetchone()[0] >= 0
    assert _server_search_path(bouncer) == "pg_catalog"  # read, never changed


def test_a_transaction_sets_its_path_once_and_again_when_needed(through, bouncer):
    _server_search_path(bouncer, set_to="pg_catalog")
    wrapper = through(True)
    path = "SELECT current_setting('search_path')"

    class UndoneError(Exception):
        pass

    def undone_in_a_savepoint():
        with transaction.atomic(using=wrapper.alias):
            wrapper.set_schema("dep_22")
            assert _one(wrapper, path) == "dep_22, public"
            raise UndoneError  # the rollback to the savepoint undoes the SET LOCAL made after it

    def failing_in_a_savepoint():
        with transaction.atomic(using=wrapper.alias):
            _one(wrapper, "SELECT * FROM no_such_table")

    with transaction.atomic(using=wrapper.alias):
        wrapper.set_schema("dep_35")
        assert _one(wrapper, path) == "dep_35, public"
        assert _one(wrapper, "SELECT count(*) FROM core_case") >= 0
        wrapper.set_schema_to_public()  # schema_context inside a transaction
        assert _one(wrapper, path) == "public"
        with pytest.raises(UndoneError):
            undone_in_a_savepoint()
        assert _one(wrapper, path) == "dep_22, public"  # set again: the Python side still says dep_22
        wrapper.set_schema("dep_35")
        with pytest.raises(ProgrammingError):
            failing_in_a_savepoint()
        assert _one(wrapper, "SELECT count(*) FROM core_case") >= 0  # after an error rolled back to a savepoint
    assert _server_search_path(bouncer) == "pg_catalog"


def test_the_orm_through_the_pooler_reads_each_territorys_rows(through):
    from django.contrib.auth import get_user_model
    from django_tenants.utils import schema_context

    wrapper = through(True)
    User = get_user_model()
    for schema in ("dep_35", "dep_22", "dep_35"):
        with schema_context(schema):
            expected = list(User.objects.order_by("pk").values_list("pk", "username"))
        wrapper.set_schema(schema)
        assert list(User.objects.using(wrapper.alias).order_by("pk").values_list("pk", "username")) == expected


def test_huey_consumers_hear_tasks_enqueued_through_the_pooler(bouncer):
    _server_search_path(bouncer, set_to="pg_catalog")  # huey's tables are named without their schema
    direct = libpq_dsn(connections["default"].settings_dict)
    storage = PostgresStorage(
        name="essai-pgbouncer",
        connection=lambda: queue_connect(bouncer.url()),
        listen_connection=lambda: queue_connect(direct),
        read_timeout=60,
    )
    try:
        listener = storage._listen_conn()
        assert listener.info.port != bouncer.port  # the LISTEN is on the server itself
        storage.enqueue(b"tache")
        assert list(listener.notifies(timeout=60, stop_after=1))  # the NOTIFY went through the pooler
        assert storage.dequeue() == b"tache"
    finally:
        storage.flush_queue()
        storage.close()


def test_executemany_runs_in_its_schema_too(through, bouncer):
    _server_search_path(bouncer, set_to="pg_catalog")
    wrapper = through(True)
    wrapper.set_schema("dep_35")
    statement = "UPDATE core_case SET updated_at = updated_at WHERE id = %s"
    with wrapper.cursor() as cursor:  # autocommit: its own BEGIN, SET LOCAL, the batch, COMMIT
        cursor.executemany(statement, [(0,), (-1,)])
    with transaction.atomic(using=wrapper.alias), wrapper.cursor() as cursor:
        cursor.executemany(statement, [(0,), (-1,)])
    assert _server_search_path(bouncer) == "pg_catalog"


def test_a_pgbouncer_that_cannot_reach_its_server_is_not_left_running_on_its_port():
    """`make prod` with the database down: the start fails with a French error and frees PgBouncer's port, so
    that the next `make prod` can take it."""
    from core.pgbouncer import PgBouncerError

    folder = Path(tempfile.mkdtemp(prefix="ppe-pgbouncer-"))
    nowhere = {"NAME": "ppe", "USER": "postgres", "HOST": "127.0.0.1", "PORT": free_port()}  # nothing listens
    bouncer = PgBouncer(folder, nowhere, port=free_port(), wait_timeout=1)
    try:
        with pytest.raises(PgBouncerError, match="PgBouncer ne répond pas"):
            bouncer.start(timeout=1)
        assert bouncer.process is None  # stopped, not only forgotten
        with pytest.raises(ConnectionRefusedError):  # nothing listens on its port any more
            socket.create_connection(("127.0.0.1", bouncer.port), timeout=2).close()
    finally:
        bouncer.stop()
        shutil.rmtree(folder, ignore_errors=True)
