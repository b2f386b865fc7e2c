"""Fixtures and helpers for engine and case tests (imported by tests/workflows and tests/core conftests)."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
TEST_ACTIONS = [("essai_notify", "Action d'essai")]  # demande.yaml names it; tests register its implementation


def _test_actions() -> list[tuple[str, str]]:
    return TEST_ACTIONS


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def person(*roles: str, email: str | None = None):
    from core.services.users import user_create

    name = email or f"{'-'.join(roles) or 'nobody'}@example.org"
    return user_create(email=name, groups=list(roles), send_welcome=False)


@pytest.fixture(autouse=True)
def _fresh_engine_cache():
    from workflows.engine import compiled_cache_clear

    compiled_cache_clear()
    yield
    compiled_cache_clear()


@pytest.fixture
def reference_lists(tenant):
    from workflows.models import ReferenceItem, ReferenceList

    funders = ReferenceList.objects.create(code="financeurs", name="Financeurs")
    ReferenceItem.objects.create(list=funders, value="caf", label="CAF", position=0)
    ReferenceItem.objects.create(list=funders, value="commune", label="Commune", position=1)
    return funders


@pytest.fixture
def demande(tenant, reference_lists):
    """The published version of tests/workflows/fixtures/demande.yaml."""
    from workflows import registry
    from workflows.services import workflow_import

    registry.choices_provider_register("actions", _test_actions)  # once: the registry keeps one of each
    return workflow_import(source=fixture_text("demande.yaml"), publish=True)


@pytest.fixture
def simple(tenant):
    from workflows.services import workflow_import

    return workflow_import(source=fixture_text("simple.yaml"), publish=True)


@pytest.fixture
def coordinator(tenant):
    return person("pole_coordinator")


@pytest.fixture
def worker(tenant):
    return person("case_worker")


VALID_DEMANDE = {
    "structure_name": "Les Lutins",
    "email": "contact@lutins.example.org",
    "kind": "creche",
    "board": [{"name": "Anne Martin", "role": "Présidente"}],
}
