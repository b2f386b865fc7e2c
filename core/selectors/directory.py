"""Reads of the directory, as each person may see it."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from core.models import Structure
from core.roles import STAFF_ROLES, user_roles


def structure_list(*, user) -> QuerySet[Structure]:
    """The structures `user` may read in full (staff, FTE, SIRET...): every one for staff; otherwise the
    structures the person acts for, and those of the cases they may see (an operator's clients)."""
    from core.selectors.cases import case_list

    qs = Structure.objects.select_related("network")
    if user_roles(user) & STAFF_ROLES:
        return qs
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    visible_cases = case_list(user=user).filter(structure__isnull=False).values("structure_id")
    return qs.filter(Q(memberships__user=user) | Q(pk__in=visible_cases)).distinct()
