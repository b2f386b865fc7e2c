"""Roles of a territory. A role is a Django Group of the territory's schema named by the role's code; a pole
may add its own (e.g. `substitute`). Superusers hold every core role."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PLATFORM_ADMIN = "platform_admin", _("Administrateur de la plateforme")
    POLE_COORDINATOR = "pole_coordinator", _("Coordinateur de pôle")
    CASE_WORKER = "case_worker", _("Chargé de dossiers")
    STRUCTURE_MEMBER = "structure_member", _("Membre d'une structure")
    OPERATOR = "operator", _("Opérateur ESS")


CORE_ROLES = frozenset(Role.values)
# Roles a pole adds (a group of the same name); people get them through the pole's own path (the remplacement
# pool makes substitutes from accepted applications), never from the core's invitation screen.
POLE_ROLE_LABELS = {"substitute": _("Remplaçant·e")}


def role_label(code: str) -> str:
    """The French label of a role code (the code itself for a group no code declares)."""
    if code in CORE_ROLES:
        return str(Role(code).label)
    return str(POLE_ROLE_LABELS.get(code, code))


def user_roles(user) -> frozenset[str]:
    """The role codes a user holds in the current territory (cached on the user object)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_ppe_roles", None)
    if cached is None:
        cached = user_roles_known(user, user.groups.values_list("name", flat=True))
    return cached


def user_roles_known(user, group_names) -> frozenset[str]:
    """Cache on `user` the roles its groups `group_names` give (read along with the user, e.g. by the API's
    token lookup, which then costs no query of its own for the roles)."""
    names = set(group_names)
    if user.is_superuser:
        names |= CORE_ROLES
    user._ppe_roles = frozenset(names)
    return user._ppe_roles


# The role sets every view and service uses (one definition each, for the whole code base).
ANY_ROLE = CORE_ROLES
STAFF_ROLES = frozenset({Role.PLATFORM_ADMIN, Role.POLE_COORDINATOR, Role.CASE_WORKER})
COORDINATION_ROLES = frozenset({Role.PLATFORM_ADMIN, Role.POLE_COORDINATOR})
ADMIN_ROLES = frozenset({Role.PLATFORM_ADMIN})
STRUCTURE_ROLES = frozenset({Role.STRUCTURE_MEMBER})
OPERATOR_ROLES = frozenset({Role.OPERATOR})
SUBSTITUTE_ROLES = frozenset({"substitute"})


def _crud(app_label: str, *models: str, actions: tuple[str, ...] = ("add", "change", "delete", "view")) -> tuple:
    return tuple(f"{app_label}.{action}_{model}" for model in models for action in actions)


# Django permissions each role's group holds (app_label.codename); the poles add theirs through the
# `role_permissions` hook. Every role reaches the Wagtail admin (its "Dossiers" screens show each person only
# the cases they may see). The platform admins configure the territory: workflow definitions (the engine's
# screens require `workflows.change_workflowversion`), the catalogue, the directory; coordinators and case
# workers keep the directory (structures, operators) current.
WORKFLOW_MODELS = ("workflowdefinition", "workflowversion", "state", "transition", "formdefinition",
                   "fielddefinition", "referencelist", "referenceitem")  # fmt: skip
_DIRECTORY = _crud("core", "structure", "operator", actions=("add", "change", "view"))
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = dict.fromkeys(Role.values, ("wagtailadmin.access_admin",)) | {
    Role.PLATFORM_ADMIN: (
        "wagtailadmin.access_admin",
        *_crud("workflows", *WORKFLOW_MODELS),
        *_crud("core", "catalogueservice", actions=("add", "change", "view")),
        *_DIRECTORY,
        *_crud("core", "notificationtemplate"),
    ),
    Role.POLE_COORDINATOR: ("wagtailadmin.access_admin", *_DIRECTORY, "core.view_catalogueservice"),
    Role.CASE_WORKER: ("wagtailadmin.access_admin", *_DIRECTORY),
}


def role_permissions() -> dict[str, tuple[str, ...]]:
    """Every role's permissions: the core's (`ROLE_PERMISSIONS`) and those each installed pole grants
    (`role_permissions` hook, asked of every pole, switched off or not: a group's permissions are the same in
    every territory, the pole's screens answer 404 where it is off)."""
    from core.plugins import plugin_manager

    merged: dict[str, set[str]] = {code: set(names) for code, names in ROLE_PERMISSIONS.items()}
    for answer in plugin_manager().hook.role_permissions():
        for code, names in (answer or {}).items():
            merged.setdefault(str(code), set()).update(names)
    return {code: tuple(sorted(names)) for code, names in merged.items()}


# The platform admins edit the territory's public site: every page under the root, every image and document
# collection (Wagtail's own per-object permissions, GroupPagePermission and GroupCollectionPermission).
SITE_PAGE_PERMISSIONS = ("add_page", "change_page", "publish_page", "bulk_delete_page", "lock_page", "unlock_page")
SITE_COLLECTION_PERMISSIONS = tuple(
    f"{app}.{action}_{model}"
    for app, model in (("wagtailimages", "image"), ("wagtaildocs", "document"))
    for action in ("add", "change", "choose", "delete")
)


def edits_site(user) -> bool:
    """Whether the person edits the territory's public site (Wagtail's pages, images or documents): who the
    admin's page search, its page summaries and Wagtail's editor guide are for."""
    from wagtail.permission_policies.pages import PagePermissionPolicy

    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if PagePermissionPolicy().user_has_any_permission(user, ["add", "change", "publish"]):
        return True
    return any(user.has_perm(name) for name in SITE_COLLECTION_PERMISSIONS)


def _site_permissions_ensure(group) -> None:
    from django.contrib.auth.models import Permission
    from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission, Page

    root_page = Page.get_first_root_node()
    if root_page is not None:
        for codename in SITE_PAGE_PERMISSIONS:
            permission = Permission.objects.get(content_type__app_label="wagtailcore", codename=codename)
            GroupPagePermission.objects.get_or_create(group=group, page=root_page, permission=permission)
    root_collection = Collection.get_first_root_node()
    if root_collection is not None:
        for name in SITE_COLLECTION_PERMISSIONS:
            app_label, codename = name.split(".")
            permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
            GroupCollectionPermission.objects.get_or_create(
                group=group, collection=root_collection, permission=permission
            )


def roles_ensure() -> None:
    """Create the Group of every core role in the current schema and give it its permissions (idempotent:
    run when a territory is provisioned and after each migration)."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission

    granted = role_permissions()
    for label in sorted(
        {name.split(".")[0] for names in granted.values() for name in names}
        | {"wagtailcore", "wagtailimages", "wagtaildocs"}
    ):
        create_permissions(apps.get_app_config(label), verbosity=0)
    for code in (*Role.values, *(c for c in granted if c not in CORE_ROLES)):
        group, _created = Group.objects.get_or_create(name=code)
        wanted = [name.split(".") for name in granted.get(code, ())]
        permissions = [
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
            for app_label, codename in wanted
        ]
        group.permissions.add(*permissions)
        if code == Role.PLATFORM_ADMIN:
            _site_permissions_ensure(group)
