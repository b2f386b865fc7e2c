"""Fixtures shared by the whole suite.

- Two test territories, `territory` (35) and `other_territory` (22), cloned once per test database from the
  template schema (so they cost about a second each, once) and committed; tests run in transactions that
  roll back, so what a test writes in them vanishes. `territory` (Ille-et-Vilaine) is the demo territory
  exactly as `make run` builds it (`core.services.demo.demo_territory_ensure`: directory, pages, the poles'
  sample data): tests run on the data people see, never on trimmed fixtures.
- `tenant`: the test body runs in `territory`'s schema.
- `client_35` / `client_22`: HTTP clients bound to each territory's host.
- `scratch_territory`: a throwaway territory for tests that need real commits (worker processes,
  concurrency); dropped with its schema afterwards.
- `scratch_demo_territory` (one per test module): a committed copy of the demo, built by the same service as
  `make run` under a scratch code, for browser and live-server journeys; dropped after the module.
"""

from __future__ import annotations

import itertools
import uuid

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context, schema_exists

TEST_TERRITORIES = {"35": "Ille-et-Vilaine", "22": "Côtes-d'Armor"}
# Codes handed out to scratch territories (never used by the session territories).
SCRATCH_CODES = ["2A", "2B", "971", "972", "973", "974", "975", "976", "95", "94", "93", "92", "91", "90"]


def _territory_ensure(code: str, name: str):
    from core.services.demo import DEMO_CODE, demo_territory_ensure
    from tenants.models import Territory
    from tenants.services import schema_name_for, territory_create

    territory = Territory.objects.filter(code=code).first()
    if territory is not None:
        return territory
    schema = schema_name_for(code)
    if schema_exists(schema):  # left behind by an interrupted run
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA "{schema}" CASCADE')
    if code == DEMO_CODE:
        return demo_territory_ensure()
    return territory_create(code=code, name=name)


@pytest.fixture(scope="session")
def test_territories(django_db_setup, django_db_blocker):
    from tenants.services import template_ensure

    with django_db_blocker.unblock():
        template_ensure()
        territories = {code: _territory_ensure(code, name) for code, name in TEST_TERRITORIES.items()}
        connection.set_schema_to_public()
    for stamp, fingerprint in _stamp_pending:
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(fingerprint)
    _stamp_pending.clear()
    return territories


def _forget_pole_caches(territory):
    """The session's territory objects outlive a test: drop what core.plugins cached on them (pole switches
    and settings a rolled-back test wrote)."""
    for cached in ("_ppe_disabled_poles", "_ppe_pole_settings"):
        territory.__dict__.pop(cached, None)
    return territory


@pytest.fixture
def territory(test_territories, db):
    territory = test_territories["35"]
    territory.refresh_from_db()
    yield _forget_pole_caches(territory)
    _forget_pole_caches(territory)


@pytest.fixture
def other_territory(test_territories, db):
    territory = test_territories["22"]
    territory.refresh_from_db()
    yield _forget_pole_caches(territory)
    _forget_pole_caches(territory)


@pytest.fixture
def tenant(territory):
    """Run the test body in the schema of `territory`."""
    connection.set_tenant(territory)
    yield territory
    connection.set_schema_to_public()


def host_of(territory) -> str:
    return territory.primary_domain


@pytest.fixture
def client_35(territory) -> Client:
    return Client(HTTP_HOST=host_of(territory))


@pytest.fixture
def client_22(other_territory) -> Client:
    return Client(HTTP_HOST=host_of(other_territory))


@pytest.fixture
def public_client(test_territories) -> Client:
    from django.conf import settings

    return Client(HTTP_HOST=settings.PPE_PUBLIC_DOMAIN)


_scratch_codes = itertools.cycle(SCRATCH_CODES)


def _scratch_create():
    from tenants.models import Territory
    from tenants.services import territory_create

    code = next(_scratch_codes)
    stale = Territory.objects.filter(code=code).first()
    if stale is not None:
        stale.delete(force_drop=True)
    return territory_create(code=code, name=f"Essai {code}", slug=f"essai-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def scratch_territory(test_territories, django_db_blocker):
    """A territory whose data is really committed (for other processes to see); dropped afterwards."""
    with django_db_blocker.unblock():
        territory = _scratch_create()
        try:
            yield territory
        finally:
            connection.set_schema_to_public()
            territory.delete(force_drop=True)


@pytest.fixture
def scratch_territory_pair(test_territories, django_db_blocker):
    """Two committed throwaway territories (e.g. several schemas behind a migration); dropped afterwards."""
    with django_db_blocker.unblock():
        pair = [_scratch_create()]
        try:
            pair.append(_scratch_create())
            yield pair
        finally:
            connection.set_schema_to_public()
            for territory in pair:
                territory.delete(force_drop=True)


@pytest.fixture(scope="module")
def scratch_demo_territory(test_territories, django_db_blocker):
    """A committed copy of the demo territory (built as `make run` builds it) for one test module."""
    from core.services.demo import demo_territory_ensure
    from tenants.models import Territory

    with django_db_blocker.unblock():
        code = next(_scratch_codes)
        stale = Territory.objects.filter(code=code).first()
        if stale is not None:
            stale.delete(force_drop=True)
        territory = demo_territory_ensure(code=code, name=f"Démo {code}", slug=f"demo-{uuid.uuid4().hex[:8]}")
        connection.set_schema_to_public()
        try:
            yield territory
        finally:
            connection.set_schema_to_public()
            territory.delete(force_drop=True)


@pytest.fixture
def territory_admin(tenant):
    """A superuser of `territory` (created in its schema)."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("admin-test", "admin-test@example.org", "motdepasse-test-1")


@pytest.fixture
def in_schema():
    """`with in_schema(territory): ...` runs a block in another territory's schema."""
    return lambda territory: schema_context(territory.schema_name)


# Real HTTP server and browser fixtures (see tests/live.py).
from tests.live import browser, http_server, page  # noqa: E402, F401


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(autouse=True)
def _page_cache_cleared():
    """Tests roll their writes back, but not the public site's page cache (cms.cache): empty it first."""
    from django.core.cache import caches

    caches["cms"].clear()


def _test_database_always_set_up() -> None:
    """pytest-django sets up the test database only when a collected test asks for `db`: a run of browser or
    live-server tests alone (which commit through `django_db_blocker` instead) would otherwise use the
    development database. Always set up the default database."""
    import pytest_django.fixtures as pytest_django_fixtures

    collected = pytest_django_fixtures._get_databases_for_setup

    def with_default(items):
        aliases, serialized = collected(items)
        return {*aliases, "default"}, serialized

    pytest_django_fixtures._get_databases_for_setup = with_default


_test_database_always_set_up()

from tests.people import otp_test_logins  # noqa: E402

otp_test_logins()  # administrators signed in by tests give their second factor as the enrolment page would


# The test database is reused between runs (fast), but the template territory and the test territories are
# provisioned once in it: when what provisioning creates changes (migrations, shipped workflows, site pages,
# provisioning code), a stale database would test yesterday's territories. Recreate it then.
_PROVISIONING_INPUTS = (
    "*/migrations/*.py",
    "plugins/*/migrations/*.py",
    "plugins/*/workflows/*.yaml",
    "plugins/*/hooks.py",
    "cms/start_pages.yaml",
    "cms/kit.py",
    "core/kit/*.py",
    "core/demo/kit/**/*.*",
    "cms/services.py",
    "cms/hooks.py",
    "core/receivers.py",
    "core/roles.py",
    "core/services/*.py",
    "core/demo/*.py",
    "plugins/*/demo.py",
    "tenants/services.py",
)


_stamp_pending: list = []  # (stamp file, fingerprint) to write once the test database is provisioned


def _provisioning_fingerprint(root) -> str:
    import hashlib

    digest = hashlib.sha256()
    for pattern in _PROVISIONING_INPUTS:
        for path in sorted(root.glob(pattern)):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def pytest_configure(config):
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    stamp = root / "var" / "test-db-fingerprint"
    fingerprint = _provisioning_fingerprint(root)
    if not stamp.exists() or stamp.read_text() != fingerprint:
        config.option.create_db = True
        stamp.unlink(missing_ok=True)  # written again once the territories are built (`test_territories`):
        _stamp_pending.append((stamp, fingerprint))  # a build cut short is never taken for a current one


class FakePole:
    """A plugin implementing every hook; it records each call (hook, arguments, schema) in `calls`."""

    def __init__(self) -> None:
        from core.hookspecs import CatalogueServiceSpec

        self.calls: list[tuple[str, dict, str]] = []
        self.services = [CatalogueServiceSpec(code="fake-service", title="Service factice", summary="Essai.")]
        self.workflows: list[str] = []
        self.guards: dict = {}
        self.actions: dict = {}
        self.proposals: list[dict] = []
        self.routes: list = []

    def _record(self, hook: str, **kwargs):
        self.calls.append((hook, kwargs, connection.schema_name))

    def called(self, hook: str) -> list[tuple[dict, str]]:
        return [(kwargs, schema) for name, kwargs, schema in self.calls if name == hook]


def _fake_pole_class():
    from core.plugins import hookimpl

    class Recorder(FakePole):
        @hookimpl
        def catalogue_services(self):
            self._record("catalogue_services")
            return self.services

        @hookimpl
        def pole_workflows(self):
            self._record("pole_workflows")
            return self.workflows

        @hookimpl
        def guard_functions(self):
            self._record("guard_functions")
            return self.guards

        @hookimpl
        def transition_actions(self):
            self._record("transition_actions")
            return self.actions

        @hookimpl
        def diagnostic_proposals(self, case, profile):
            self._record("diagnostic_proposals", case=case, profile=profile)
            return self.proposals

        @hookimpl
        def api_routes(self):
            self._record("api_routes")
            return self.routes

        @hookimpl
        def case_transitioned(self, case, event):
            self._record("case_transitioned", case=case, event=event)

        @hookimpl
        def territory_provisioned(self, territory, source, sample_data):
            self._record("territory_provisioned", territory=territory, source=source, sample_data=sample_data)

        @hookimpl
        def demo_seed(self, territory):
            self._record("demo_seed", territory=territory)

    return Recorder


@pytest.fixture
def fake_pole():
    """A fake plugin registered for one test (always on: it is not a pole of the settings)."""
    from core.plugins import plugin_manager

    pole = _fake_pole_class()()
    pm = plugin_manager()
    pm.register(pole, name="fake-pole")
    try:
        yield pole
    finally:
        pm.unregister(name="fake-pole")


@pytest.fixture(autouse=True)
def _public_schema_after_each_test():
    """A request through a test client leaves the connection in its territory's schema (django-tenants'
    middleware does not reset it): every test starts the next one back in the public schema."""
    yield
    connection.set_schema_to_public()
