"""Fixtures of the support pole's tests: people with roles, a structure in the directory, a case opened as
the public request form opens it, and helpers that move it through its workflow with the real services."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.workflows.helpers import person

__all__ = [
    "DEMANDE",
    "admin_access",
    "answers",
    "coordinator",
    "operator_paie",
    "platform_admin",
    "structure",
    "support_case",
    "to_proposals",
]

DEMANDE = {
    "structure_name": "Les P'tits Loups",
    "kind": "creche",
    "commune": "Bain-de-Bretagne",
    "postcode": "35470",
    "places": 20,
    "member": True,
    "federation": "admr",
    "contact_name": "Anne Martin",
    "contact_role": "presidence",
    "email": "presidence@ptits-loups.example.org",
    "needs": ["paie", "gouvernance"],
    "situation": "Le bureau change chaque année et la paie nous prend trop de temps.",
    "urgency": "normale",
}


def answers(default: str = "3", **overrides: str) -> dict[str, str]:
    """Diagnostic answers: every question at `default`, some overridden; federation and level declared."""
    from workflows.models import WorkflowDefinition
    from workflows.selectors import workflow_published_version

    version = workflow_published_version(code="support-accompagnement")
    assert version is not None, WorkflowDefinition.objects.values_list("code", flat=True)
    data = {}
    for form in version.forms.all():
        if form.code == "diagnostic":
            for field in form.fields.all():
                if (
                    field.code.startswith("diag_")
                    and field.type == "choice"
                    and field.code[5:].split("_")[0]
                    not in (
                        "federation",
                        "professionalisation",
                    )
                ):
                    data[field.code] = default
    data.update({"diag_federation": "aucune", "diag_professionalisation": "2"})
    data.update(overrides)
    return data


def admin_access(user):
    """Wagtail's admin needs `wagtailadmin.access_admin` (granting it to role groups is not this pole's job)."""
    from django.contrib.auth.models import Permission

    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    return user


@pytest.fixture
def coordinator(tenant):
    return admin_access(person("pole_coordinator"))


@pytest.fixture
def platform_admin(tenant):
    return person("platform_admin", email="admin-plateforme@example.org")


@pytest.fixture
def structure(tenant):
    """The demo's ADMR crèche in Bain-de-Bretagne."""
    from core.models import Structure

    return Structure.objects.get(name="Les P'tits Loups", commune="Bain-de-Bretagne", network__name="ADMR")


@pytest.fixture
def operator_paie(tenant):
    from core.models import CatalogueService, Operator

    operator = Operator.objects.create(
        name="Coopérative Paie ESS", email="contact@paie-ess.example.org", capacity=2,
        communes_covered="Bain-de-Bretagne\nJanzé",
    )  # fmt: skip
    operator.services.add(CatalogueService.objects.get(code="support-paie"))
    return operator


@pytest.fixture
def support_case(tenant):
    """A case opened as the public request form opens it (no actor)."""
    from core.services.cases import case_open

    assert connection.schema_name == tenant.schema_name
    return case_open(workflow="support-accompagnement", data=dict(DEMANDE), actor=None, channel="public")


def to_proposals(case, actor, capture, **diagnostic):
    """Move a case through the diagnostic; the scoring and proposals run on commit."""
    from core.services.cases import transition_apply

    transition_apply(case=case, transition="demarrer_diagnostic", actor=actor)
    with capture(execute=True):
        transition_apply(case=case, transition="terminer_diagnostic", actor=actor, data=answers(**diagnostic))
    case.refresh_from_db()
    return case
