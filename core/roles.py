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
        names = set(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            names |= CORE_ROLES
        cached = frozenset(names)
        user._ppe_roles = cached
    return cached


# Django permissions each role's group holds (app_label.codename). Every role reaches the Wagtail admin (its
# "Dossiers" screens show each person only the cases they may see); the platform admins also edit workflow
# definitions (the engine's screens require `workflows.change_workflowversion`).
WORKFLOW_MODELS = ("workflowdefinition", "workflowversion", "state", "transition", "formdefinition",
                   "fielddefinition", "referencelist", "referenceitem")  # fmt: skip
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = dict.fromkeys(Role.values, ("wagtailadmin.access_admin",)) | {
    Role.PLATFORM_ADMIN: (
        "wagtailadmin.access_admin",
        *(f"workflows.{action}_{model}" for model in WORKFLOW_MODELS for action in ("add", "change", "delete", "view")),
        *(f"core.{action}_notificationtemplate" for action in ("add", "change", "delete", "view")),
    )
}


def roles_ensure() -> None:
    """Create the Group of every core role in the current schema and give it its permissions (idempotent:
    run when a territory is provisioned and after each migration)."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission

    for label in ("wagtailadmin", "workflows", "core"):
        create_permissions(apps.get_app_config(label), verbosity=0)
    for code in Role.values:
        group, _created = Group.objects.get_or_create(name=code)
        wanted = [name.split(".") for name in ROLE_PERMISSIONS.get(code, ())]
        permissions = [
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
            for app_label, codename in wanted
        ]
        group.permissions.add(*permissions)
