"""The permission matrix of the whole territory host: every routed view (core and poles, the back office, the
portals and the API, and Wagtail's own screens: pages, images, documents, users, groups, sites, settings,
snippets, reports, search, its workflows) for every role, with real people of each role created through the
invitation path (`tests.people`), on the demo territory. Never a superuser.

`EXPECTED` is written out here, independently of the views' declarations (`tenants.access`): it names, for
every URL pattern, who may open it. Opening a view to one more role, or refusing it to one, fails its cell; a
new view that this table does not name fails `test_every_view_is_in_the_matrix`.

A cell is "refused" when the answer is 401/403, or a redirect to a login page, or Wagtail's redirect to the
admin's home (how it refuses a screen to someone inside the admin); anything else (200, 404 for a sample
object the role cannot see, 400/422 for an empty form, 405) is "allowed": the role got past the door.
"""

from __future__ import annotations

import fnmatch
import re
from urllib.parse import urlsplit

import pytest
from django.urls import NoReverseMatch, reverse

from tenants.access import url_views
from tests.people import person_client, person_invite

ANON, NOBODY = "anonymous", "no_role"
ADMIN, COORD, WORKER = "platform_admin", "pole_coordinator", "case_worker"
MEMBER, OPERATOR, SUBSTITUTE = "structure_member", "operator", "substitute"
IDENTITIES = [ANON, NOBODY, ADMIN, COORD, WORKER, MEMBER, OPERATOR, SUBSTITUTE]

PUBLIC = frozenset(IDENTITIES)
CORE = frozenset({ADMIN, COORD, WORKER, MEMBER, OPERATOR})
STAFF = frozenset({ADMIN, COORD, WORKER})
COORDINATION = frozenset({ADMIN, COORD})
ADMINS = frozenset({ADMIN})
STRUCTURE_SIDE = frozenset({ADMIN, COORD, WORKER, MEMBER})
OPERATOR_SIDE = frozenset({ADMIN, COORD, WORKER, OPERATOR})
R_DESK = frozenset({ADMIN, COORD, MEMBER})  # the remplacement pole: its coordinators and the structures
R_ALL = R_DESK | {SUBSTITUTE}
SUBS = frozenset({SUBSTITUTE})
NOONE = frozenset()
SIGNED_IN = PUBLIC - {ANON}  # the second factor's screens: any account (they send visitors to the login page)

# URL name (fnmatch pattern; the first that matches wins) → who may open it.
EXPECTED: list[tuple[str, frozenset[str]]] = [
    # Anyone: site files, accounts, the portal's login, the API's 404, private media answer by path.
    ("favicon", PUBLIC), ("robots_txt", PUBLIC), ("media", PUBLIC), ("invitation_accept", PUBLIC),
    ("password_reset*", PUBLIC), ("remplacement:login", PUBLIC), ("", PUBLIC),
    ("otp_enrol", SIGNED_IN), ("otp_verify", SIGNED_IN),
    # --- API: core
    ("v1:territory", CORE), ("v1:token-current", CORE),
    ("v1:webhook*", ADMINS), ("v1:people-*", ADMINS), ("v1:invitations-*", ADMINS),
    ("v1:personal-data-*", ADMINS),
    ("v1:catalogue-*", CORE), ("v1:structures-*", CORE), ("v1:operators-*", CORE),
    ("v1:cases-structure", STAFF), ("v1:cases-*", CORE), ("v1:workflows-*", CORE),
    # --- API: remplacement
    ("v1:remplacement-request-list", R_DESK), ("v1:remplacement-request-detail", R_DESK),
    ("v1:remplacement-request-cancel", R_DESK), ("v1:remplacement-request-release", R_DESK),
    ("v1:remplacement-request-*", COORDINATION),
    ("v1:remplacement-offer-accept", SUBS), ("v1:remplacement-offer-decline", SUBS),
    ("v1:remplacement-offer-confirm", R_DESK), ("v1:remplacement-offer-*", R_ALL),
    ("v1:remplacement-availability-*", SUBS),
    ("v1:remplacement-timesheet-reject", R_DESK), ("v1:remplacement-timesheet-validate", R_DESK),
    ("v1:remplacement-timesheet-*", R_ALL),
    ("v1:remplacement-pool-*", COORDINATION), ("v1:remplacement-export-*", COORDINATION),
    # --- API: développement, support
    ("v1:developpement-sections-*", STAFF), ("v1:developpement-cases-*", STAFF), ("v1:support-proposal-rules-*", STAFF),
    ("v1:support-cases-detail", CORE), ("v1:support-cases-proposals", CORE), ("v1:support-cases-conventions", CORE),
    ("v1:support-cases-*", STAFF),
    ("v1:support-proposals-decision", STRUCTURE_SIDE), ("v1:support-proposals-referral", OPERATOR_SIDE),
    ("v1:support-proposals-assignment", STAFF), ("v1:support-proposals-*", CORE),
    ("v1:support-conventions-*", CORE), ("v1:support-tasks-*", STAFF), ("v1:support-evaluation-*", STAFF),
    # --- Back office: the engine (platform admins), the API's screens
    ("wagtailsnippets_workflows_*", ADMINS), ("wagtailsnippetchoosers_workflows_*", ADMINS),
    ("workflows_admin:*", ADMINS),
    ("api_tokens:*", ADMINS), ("api_webhooks:*", ADMINS),
    ("api_webhook_deliveries:add", NOONE), ("api_webhook_deliveries:edit", NOONE),
    ("api_webhook_deliveries:delete", NOONE), ("api_webhook_deliveries:*", ADMINS),
    # --- Back office: configuration of the core and the poles (deleting a directory entry: nobody)
    ("catalogue_services:delete", NOONE), ("catalogue_services:index*", COORDINATION),
    ("catalogue_services:*", ADMINS), ("notification_templates:*", ADMINS),
    ("structures:delete", NOONE), ("structures:*", STAFF),
    ("operators:delete", NOONE), ("operators:*", STAFF),
    ("support_rules:*", COORDINATION), ("support_conventions:*", COORDINATION),
    ("developpement_deliberations:*", COORDINATION),
    ("notification_templates:*", ADMINS),
    ("ppe_poles", ADMINS), ("ppe_people", ADMINS), ("ppe_person*", ADMINS), ("ppe_invitation_action", ADMINS),
    ("ppe_personal_data*", ADMINS),
    ("notification_templates:*", ADMINS),
    ("ppe_drift_report", ADMINS), ("ppe_structure_partnerships", STAFF),
    # --- Back office: case work
    ("cases_admin:assign", STAFF), ("cases_admin:data", STAFF), ("cases_admin:structure", STAFF),
    ("cases_admin:migrate*", ADMINS),
    ("cases_admin:*", CORE),
    ("support_participation", CORE), ("support_convention_document", CORE), ("support_*", STAFF),
    ("developpement_*", STAFF), ("remplacement_*", COORDINATION),
    # --- The remplacement portal
    ("remplacement:home", R_ALL), ("remplacement:board", COORDINATION), ("remplacement:export", COORDINATION),
    ("remplacement:document", COORDINATION | SUBS), ("remplacement:preferences", {MEMBER}),
    ("remplacement:structure", R_DESK), ("remplacement:request*", R_DESK), ("remplacement:staffing_preview", R_DESK),
    ("remplacement:offer*", SUBS), ("remplacement:availability", SUBS), ("remplacement:profile", SUBS),
    ("remplacement:timesheet", SUBS),
    # --- Wagtail's own screens and Django's: the doors anyone may pass (assets, sign-in, the public site)
    ("wagtailadmin_login", PUBLIC), ("wagtailadmin_password_reset*", PUBLIC), ("wagtailadmin_sprite", PUBLIC),
    ("wagtailadmin_javascript_catalog", PUBLIC), ("wagtailcore_*", PUBLIC), ("wagtaildocs_serve", PUBLIC),
    ("wagtaildocs_authenticate_with_password", PUBLIC), ("wagtail_serve", PUBLIC),
    ("wagtailadmin_logout", PUBLIC), ("remplacement:logout", PUBLIC),  # not walked: signing out ends the walk
    ("api-schema", PUBLIC), ("api-docs", PUBLIC), ("api-redoc", PUBLIC),  # the API's documentation, no data
    # Every role's admin: the dashboard, one's account, the dismissed hints, editing sessions (object by object)
    ("wagtailadmin_home", CORE), ("wagtailadmin_account", CORE), ("wagtailadmin_dismissibles", CORE),
    ("wagtailadmin_editing_sessions:*", CORE),
    # Rich text's link and embed choosers: the site's editors and the coordinators, who write the poles'
    # convention and deliberation templates
    ("wagtailadmin_choose_page*", COORDINATION), ("wagtailembeds:*", COORDINATION),
    # The public site's editors (the platform admins): pages, their search, images, documents, the site's reports;
    # no page of the platform is a form page, so no one deletes form submissions
    ("wagtailforms:delete_submissions", NOONE),
    ("wagtailadmin_pages:workflow_preview", NOONE),  # nor moderation tasks (Wagtail's workflows: nobody's)
    ("wagtailadmin_api:*", ADMINS), ("wagtailadmin_explore*", ADMINS), ("wagtailadmin_pages:*", ADMINS),
    ("wagtail_bulk_action", ADMINS), ("wagtailadmin_tag*", ADMINS), ("wagtailadmin_block_preview", ADMINS),
    ("wagtailadmin_reports:*", ADMINS), ("wagtailforms:*", ADMINS), ("wagtailimages*", ADMINS),
    ("wagtaildocs*", ADMINS),
    ("wagtailsnippets:index", NOONE),  # Wagtail's list of snippet types: ours have their own menu entries
    # Wagtail's tools no role is given: accounts and groups (« Personnes » replaces them: audited, by
    # invitation), sites, collections, redirects, moderation workflows, its error test page; settings (no model)
    ("wagtailusers_*", NOONE), ("wagtailsites:*", NOONE), ("wagtailadmin_collections:*", NOONE),
    ("wagtailredirects:*", NOONE), ("wagtailadmin_workflows:*", NOONE), ("*error_test*", NOONE),
    ("wagtailsettings:*", NOONE),
]  # fmt: skip
NOT_WALKED = {"wagtailadmin_logout", "remplacement:logout"}

SAMPLE = {
    "token": "jeton-inconnu", "uidb64": "MQ", "path": "original_images/absente.png", "code": "inconnu",
    "action": "resend", "year": 2026, "month": 1, "by": "lines", "fmt": "csv", "exception_id": 1,
    "object_id": 1, "app_label": "core", "model_name": "structure", "delivery": "00000000-0000-4000-8000-000000000000",
}  # fmt: skip
KWARG = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>")
LOGIN_PATHS = ("/admin/login/", "/remplacement/connexion/")


def expected_for(name: str) -> frozenset[str] | None:
    for pattern, allowed in EXPECTED:
        if (pattern == "" and name == "") or (pattern and fnmatch.fnmatchcase(name, pattern)):
            return frozenset(allowed)
    return None


def _model_of(callback):
    model = (getattr(callback, "view_initkwargs", None) or {}).get("model")
    return model if isinstance(model, type) else None


def matrix_views() -> list[tuple[str, str, object]]:
    """The routed views the matrix covers: every view of the territory host, the platform's own and Wagtail's
    (pages, images, documents, users, groups, sites, settings, snippets, reports, search, its workflows)."""
    return list(url_views("core.urls"))


def _path(route: str, name: str, callback, samples: dict) -> str:
    names = [a or b for a, b in KWARG.findall(route)]
    if not name:
        return "/api/nulle-part/"
    if name in samples["paths"]:
        return samples["paths"][name]
    model = _model_of(callback)
    kwargs: dict = {}
    for arg in names:
        if name.startswith("wagtail") and arg in samples["wagtail"] and not (arg == "pk" and model is not None):
            kwargs[arg] = samples["wagtail"][arg]
        elif arg == "pk" and model is not None:
            first = model.objects.order_by("pk").first()
            kwargs[arg] = first.pk if first is not None else 1
        elif arg == "pk" and name == "v1:remplacement-export-detail":
            kwargs[arg] = "2026-01"
        elif arg in ("pk", "reference") and name in samples:
            kwargs[arg] = samples[name]
        elif arg == "reference":
            kwargs[arg] = samples["reference"]
        else:
            kwargs[arg] = SAMPLE.get(arg, 1)
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return reverse(name, kwargs={**kwargs, "pk": str(kwargs.get("pk", 1))})


def _method(callback) -> str:
    actions = getattr(callback, "actions", None)  # a DRF viewset's routes: {method: action}
    if actions:
        return "get" if "get" in actions else sorted(actions)[0]
    return "get"


def refused(response, path: str) -> bool:
    if response.status_code in (401, 403):
        return True
    if path.startswith(LOGIN_PATHS):  # a login page sends someone already signed in on to their home
        return False
    if response.status_code in (301, 302):
        target = urlsplit(response["Location"]).path
        return target.startswith(LOGIN_PATHS) or (target == "/admin/" and path != "/admin/")
    return False


def _wagtail_samples() -> dict:
    """Real objects of the demo behind Wagtail's screens: its home page (and a revision), an image, a document,
    the page type; what the demo has none of gets an identifier nothing answers to."""
    from wagtail.documents import get_document_model
    from wagtail.images import get_image_model
    from wagtail.models import Revision, Site, Task

    home = Site.objects.get(is_default_site=True).root_page.specific
    revision = Revision.page_revisions.filter(object_id=str(home.pk)).order_by("pk").last()
    image = get_image_model().objects.order_by("pk").first()
    document = get_document_model().objects.order_by("pk").first()
    page = dict.fromkeys(("page_id", "parent_page_id", "page_to_move_id", "destination_id", "pk"), home.pk)
    return {
        **page, "object_id": str(home.pk), "revision_id": getattr(revision, "pk", 1),
        "image_id": getattr(image, "pk", 1), "document_id": getattr(document, "pk", 1),
        "doc_id": getattr(document, "pk", 1), "collection_id": 1, "filter_spec": "original",
        "content_type_app_name": "cms", "content_type_model_name": "contentpage",  # a page the home page takes
        "task_id": getattr(Task.objects.order_by("pk").first(), "pk", 1),
        "app_label": "wagtailcore", "model_name": "page", "app_name": "wagtailimages", "action": "delete",
        "action_name": "approve", "revision_id_a": "earliest", "revision_id_b": "latest",
    }  # fmt: skip


def _wagtail_paths() -> dict:
    """Routes whose arguments `reverse` cannot fill (unnamed groups, a settings model the platform lacks)."""
    from wagtail.documents import get_document_model

    document = get_document_model().objects.order_by("pk").first()
    return {
        "wagtaildocs_serve": f"/documents/{document.pk}/{document.filename}" if document else "/documents/1/absent.pdf",
        "wagtail_serve": "/",
        "wagtailadmin_tag_model_autocomplete": "/admin/tag-autocomplete/wagtailimages/image/",
        "wagtailadmin_editing_sessions:release": "/admin/editing-sessions/release/1/",
    }


@pytest.fixture
def samples(tenant):
    from core.models import Case, Structure
    from plugins.remplacement.models import ReplacementRequest, Substitute

    open_cases = Case.objects.filter(closed_at__isnull=True).order_by("pk")
    case = open_cases.filter(workflow__code__startswith="support").first() or open_cases.first()
    return {
        "paths": _wagtail_paths(),
        "wagtail": _wagtail_samples(),
        "reference": case.reference if case else "PPE-0000",
        "ppe_structure_partnerships": Structure.objects.order_by("pk").first().pk,
        "remplacement_substitute": getattr(Substitute.objects.order_by("pk").first(), "pk", 1),
        "remplacement:request": getattr(ReplacementRequest.objects.order_by("pk").first(), "pk", 1),
        "remplacement:document": 999_999,  # nobody's: the door is the role, the object is the view's business
    }


def _client_of(territory, identity: str):
    from django.test import Client

    from core.models import Operator, Structure

    if identity == ANON:
        return Client(HTTP_HOST=territory.primary_domain)
    if identity == NOBODY:  # invited, then every role taken away (the account stays)
        from core.services.accounts import person_roles_set

        user = person_invite(territory, role=WORKER)
        admin = person_invite(territory, role=ADMIN)
        person_roles_set(user=user, roles=[], actor=admin)
        return person_client(territory, user)
    extra = {}
    if identity == MEMBER:
        extra["structure"] = Structure.objects.order_by("pk").first()
    if identity == OPERATOR:
        extra["operator"] = Operator.objects.order_by("pk").first()
    return person_client(territory, person_invite(territory, role=identity, **extra))


def test_every_view_is_in_the_matrix(tenant):
    missing = sorted(f"{name or route}" for route, name, cb in matrix_views() if expected_for(name) is None)
    assert not missing, f"views the permission matrix does not name: {missing}"
    assert len(matrix_views()) > 400  # the walk sees the poles' routes and screens, and Wagtail's


@pytest.mark.parametrize("identity", IDENTITIES)
def test_permission_matrix(territory, tenant, samples, identity):
    client = _client_of(territory, identity)
    wrong = []
    # The API's POST actions last: an allowed role's empty POST may still act (cancel a request, close a case).
    views = sorted(matrix_views(), key=lambda view: _method(view[2]) != "get")
    for route, name, callback in views:
        if name in NOT_WALKED:
            continue
        model = _model_of(callback)
        if model is not None and "pk" in route and not model.objects.exists():
            continue  # a screen of one row, and no row in the demo (webhook deliveries): nothing behind the door
        path = _path(route, name, callback, samples)
        method = _method(callback)
        response = getattr(client, method)(path)
        if response.status_code == 405 and method == "get":  # a POST-only screen
            response = client.post(path)
        expected = identity in expected_for(name)
        if refused(response, path) == expected:
            wrong.append(f"{method.upper()} {path} ({name}): {response.status_code} {response.get('Location', '')}, "
                         f"expected {'allowed' if expected else 'refused'}")  # fmt: skip
    assert not wrong, f"{identity}:\n" + "\n".join(wrong)
