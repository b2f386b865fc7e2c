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


def roles_ensure() -> None:
    """Create the Group of every core role in the current schema (idempotent)."""
    from django.contrib.auth.models import Group

    for code in Role.values:
        Group.objects.get_or_create(name=code)
