"""Fixtures of the API tests: users with roles, tokens, and API clients bound to a territory's host."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from core.api.services import api_token_create
from core.services.users import user_create
from tests.conftest import host_of


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttling counts live in the (process-wide, locmem) cache: every test starts from zero."""
    from django.core.cache import cache

    cache.clear()  # the `throttle` cache is a table: its rows go with each test's transaction


@pytest.fixture
def make_user(tenant):
    """`make_user("case_worker")`: an account of the current territory holding those roles."""
    counter = iter(range(1, 10_000))

    def make(*roles: str, superuser: bool = False):
        email = f"user{next(counter)}-{'-'.join(roles) or 'none'}@example.org"
        return user_create(
            email=email, password="motdepasse-test-1", groups=list(roles), is_superuser=superuser, send_welcome=False
        )

    return make


@pytest.fixture
def make_token(tenant):
    """`make_token(user, scope="read_write")`: the full token string of a new token of that user."""

    def make(user, scope: str = "read_write", **kwargs) -> str:
        _, raw = api_token_create(user=user, name=f"jeton de {user.username}", scope=scope, **kwargs)
        return raw

    return make


def api_client_for(territory, raw_token: str | None = None) -> APIClient:
    client = APIClient(HTTP_HOST=host_of(territory))
    if raw_token:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_token}")
    return client


@pytest.fixture
def api_as(territory, make_user, make_token):
    """`api_as("case_worker")`: an API client of territory 35 with a read-write token of a user with that role."""

    def make(*roles: str, scope: str = "read_write") -> APIClient:
        return api_client_for(territory, make_token(make_user(*roles), scope=scope))

    return make


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """`with run_on_commit(): ...` runs the on-commit callbacks (tasks, huey immediate) at the block's end, then
    puts the connection back in the territory's schema (huey's pre-execute hook resets it to public)."""
    import contextlib

    from django.db import connection

    @contextlib.contextmanager
    def run():
        tenant = connection.tenant
        try:
            with django_capture_on_commit_callbacks(execute=True) as callbacks:
                yield callbacks
        finally:
            connection.set_tenant(tenant)

    return run
