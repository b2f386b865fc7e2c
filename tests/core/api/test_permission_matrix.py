"""The permission matrix: every role against every API endpoint and every back-office screen of the API.

The expected answers are written out here, independently of the views' declarations: a change of either
shows up as a failing cell.
"""

from __future__ import annotations

import pytest

from core.api.webhooks import webhook_subscription_create
from core.models import CatalogueService
from core.services.directory import operator_create, structure_create
from core.services.users import user_create

ROLES = ["platform_admin", "pole_coordinator", "case_worker", "structure_member", "operator", "no_role"]
ALL = set(ROLES) - {"no_role"}
STAFF = {"platform_admin", "pole_coordinator", "case_worker"}
COORDINATION = {"platform_admin", "pole_coordinator"}
ADMINS = {"platform_admin"}

# (name, method, path, body, roles allowed)
ENDPOINTS = [
    ("territory", "get", "/api/v1/territory/", None, ALL),
    ("token", "get", "/api/v1/token/", None, ALL),
    ("catalogue-list", "get", "/api/v1/catalogue/", None, ALL),
    ("catalogue-get", "get", "/api/v1/catalogue/{service}/", None, ALL),
    ("catalogue-update", "patch", "/api/v1/catalogue/{service}/", {"summary": "Nouveau résumé"}, ADMINS),
    ("structures-list", "get", "/api/v1/structures/", None, ALL),
    ("structures-get", "get", "/api/v1/structures/{structure}/", None, STAFF),
    ("structures-create", "post", "/api/v1/structures/", {"name": "N", "kind": "creche", "commune": "Redon"}, STAFF),
    ("structures-update", "patch", "/api/v1/structures/{structure}/", {"places": 12}, STAFF),
    ("operators-list", "get", "/api/v1/operators/", None, ALL),
    ("operators-get", "get", "/api/v1/operators/{operator}/", None, ALL),
    ("operators-create", "post", "/api/v1/operators/", {"name": "Nouvel opérateur"}, COORDINATION),
    ("operators-update", "patch", "/api/v1/operators/{operator}/", {"capacity": 9}, COORDINATION),
    ("webhook-events", "get", "/api/v1/webhook-events/", None, ADMINS),
    ("webhooks-list", "get", "/api/v1/webhooks/", None, ADMINS),
    ("webhooks-get", "get", "/api/v1/webhooks/{webhook}/", None, ADMINS),
    ("webhooks-update", "patch", "/api/v1/webhooks/{webhook}/", {"is_active": False}, ADMINS),
    ("webhooks-deliveries", "get", "/api/v1/webhooks/{webhook}/deliveries/", None, ADMINS),
    ("webhooks-delete", "delete", "/api/v1/webhooks/{webhook}/", None, ADMINS),
    ("people-list", "get", "/api/v1/people/", None, ADMINS),
    ("people-update", "patch", "/api/v1/people/{person}/", {"first_name": "Lou"}, ADMINS),
    ("invitations-list", "get", "/api/v1/invitations/", None, ADMINS),
    (
        "invitations-create",
        "post",
        "/api/v1/invitations/",
        {"email": "lou@example.org", "roles": ["case_worker"]},
        ADMINS,
    ),
]

# A structure member and an operator read the entries of their own structures only (core.selectors.directory).
HIDDEN = {("structures-get", "structure_member"), ("structures-get", "operator")}

# Back-office screens (session): every role's group carries Wagtail's access permission (core.roles.roles_ensure),
# someone without a role is sent to the login page; the API screens additionally require the platform_admin role
# (superusers hold every role).
SCREENS = [
    "/admin/",
    "/admin/api_tokens/",
    "/admin/api_tokens/new/",
    "/admin/api_webhooks/",
    "/admin/api_webhooks/new/",
    "/admin/api_webhook_deliveries/",
    "/admin/personnes/",
    "/admin/personnes/inviter/",
]
# The engine's screens (workflow definitions and their import): platform_admin (its group holds the workflows
# permissions) and superusers.
ENGINE_SCREENS = ["/admin/snippets/workflows/workflowdefinition/", "/admin/workflows/importer/"]
SCREEN_ROLES = ["superuser", *ROLES]


@pytest.fixture
def objects(tenant):
    return {
        "service": CatalogueService.objects.get(code="support-paie").pk,
        "structure": structure_create(name="Les Lutins", kind="creche", commune="Rennes").pk,
        "operator": operator_create(name="Coop Compta").pk,
        "person": user_create(email="cible@example.org", send_welcome=False).pk,
        "webhook": webhook_subscription_create(
            name="CAF", url="https://caf.example.org/hook", events=["case.opened"]
        ).pk,
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "method", "path", "body", "allowed"), ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_api_matrix(api_as, objects, role, name, method, path, body, allowed):  # noqa: PLR0917
    client = api_as() if role == "no_role" else api_as(role)
    response = getattr(client, method)(path.format(**objects), body, format="json")
    if (name, role) in HIDDEN:  # the role reads the directory, but not this structure's entry
        assert response.status_code == 404, (role, name, response.status_code)
    elif role in allowed:
        assert response.status_code < 400, (role, name, response.status_code, response.content)
    else:
        assert response.status_code == 403, (role, name, response.status_code)
        assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(("name", "method", "path", "body", "allowed"), ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_anonymous_gets_401_everywhere(client_35, objects, name, method, path, body, allowed):  # noqa: PLR0917
    response = getattr(client_35, method)(path.format(**objects), body or {}, content_type="application/json")
    assert response.status_code == 401


@pytest.mark.parametrize("role", SCREEN_ROLES)
@pytest.mark.parametrize("path", SCREENS + ENGINE_SCREENS)
def test_back_office_matrix(client_35, make_user, role, path):
    roles = () if role in ("superuser", "no_role") else (role,)
    client_35.force_login(make_user(*roles, superuser=role == "superuser"))
    response = client_35.get(path)
    if role in ("superuser", "platform_admin") or (path == "/admin/" and role != "no_role"):
        assert response.status_code == 200, response.status_code
    elif role == "no_role":
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
    else:  # in the admin, but not on this screen
        assert response.status_code in (302, 403), response.status_code
        assert not response.get("Location", "").startswith(path)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", SCREENS[1:])
def test_api_screens_need_the_platform_admin_role_once_in_the_admin(client_35, make_user, role, path):
    """With Wagtail's access permission granted, the API screens still answer only to platform_admin."""
    from django.contrib.auth.models import Permission

    user = make_user() if role == "no_role" else make_user(role)
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client_35.force_login(user)
    assert client_35.get("/admin/").status_code == 200
    response = client_35.get(path)
    if role == "platform_admin":
        assert response.status_code == 200
    else:
        assert response.status_code in (302, 403)
        assert not response.get("Location", "").startswith(path)


# Cases (the `essai-simple` workflow: opened by case workers and structure members; `prendre` by case workers).
# Expected status per role: visibility hides a case from those who may not see it (404), roles refuse (403).
CASE_MATRIX = [
    # name, method, path, body, {role: status}
    ("cases-list", "get", "/api/v1/cases/", None,
     {"platform_admin": 200, "pole_coordinator": 200, "case_worker": 200, "structure_member": 200, "operator": 200}),
    ("cases-get", "get", "/api/v1/cases/{case}/", None,
     {"platform_admin": 200, "pole_coordinator": 200, "case_worker": 200, "structure_member": 404, "operator": 404}),
    ("cases-create", "post", "/api/v1/cases/", {"workflow": "essai-simple", "data": {"title": "x"}},
     # a structure member attached to no structure may not open a case (it would escape every structure)
     {"platform_admin": 403, "pole_coordinator": 403, "case_worker": 201, "structure_member": 403, "operator": 403}),
    ("cases-update", "patch", "/api/v1/cases/{case}/", {"data": {"amount": 3}},
     {"platform_admin": 200, "pole_coordinator": 200, "case_worker": 200, "structure_member": 403, "operator": 403}),
    ("cases-transitions", "get", "/api/v1/cases/{case}/transitions/", None,
     {"platform_admin": 200, "pole_coordinator": 200, "case_worker": 200, "structure_member": 404, "operator": 404}),
    ("cases-transition-apply", "post", "/api/v1/cases/{case}/transitions/prendre/", {},
     {"platform_admin": 403, "pole_coordinator": 403, "case_worker": 200, "structure_member": 404, "operator": 404}),
    ("cases-comment", "post", "/api/v1/cases/{case}/comments/", {"text": "Vu."},
     {"platform_admin": 201, "pole_coordinator": 201, "case_worker": 201, "structure_member": 404, "operator": 404}),
    ("cases-events", "get", "/api/v1/cases/{case}/events/", None,
     {"platform_admin": 200, "pole_coordinator": 200, "case_worker": 200, "structure_member": 404, "operator": 404}),
    ("workflows-list", "get", "/api/v1/workflows/", None,
     {"platform_admin": 200, "pole_coordinator": 200, "case_worker": 200, "structure_member": 200, "operator": 200}),
    ("workflows-form-schema", "get", "/api/v1/workflows/essai-simple/forms/ouverture/schema/", None,
     {"platform_admin": 200, "pole_coordinator": 200, "case_worker": 200, "structure_member": 200, "operator": 200}),
]  # fmt: skip


@pytest.fixture
def a_case(simple, make_user):
    from core.services.cases import case_open

    return case_open(workflow="essai-simple", data={"title": "Dossier"}, actor=make_user("case_worker")).reference


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "method", "path", "body", "expected"), CASE_MATRIX, ids=[c[0] for c in CASE_MATRIX])
def test_case_matrix(api_as, a_case, role, name, method, path, body, expected):  # noqa: PLR0917
    client = api_as() if role == "no_role" else api_as(role)
    response = getattr(client, method)(path.format(case=a_case), body, format="json")
    assert response.status_code == expected.get(role, 403), (role, name, response.content)
