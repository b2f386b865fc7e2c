"""Reads of the territory's people: accounts with their roles and memberships, pending invitations."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from core.models import Invitation, OperatorMembership, StructureMembership


def person_list(*, query: str = "", role: str = "", active: bool | None = None) -> QuerySet:
    """Accounts of the territory that can sign in or could (invited ones appear once they accepted), with
    their groups and memberships prefetched, by name."""
    User = get_user_model()
    people = User.objects.prefetch_related(
        "groups",
        Prefetch("structure_memberships", queryset=StructureMembership.objects.select_related("structure")),
        Prefetch("operator_memberships", queryset=OperatorMembership.objects.select_related("operator")),
    ).order_by("last_name", "first_name", "email")
    if query:
        people = people.filter(
            Q(email__icontains=query) | Q(first_name__icontains=query) | Q(last_name__icontains=query)
        )
    if role:
        people = people.filter(groups__name=role)
    if active is not None:
        people = people.filter(is_active=active)
    return people


def invitation_pending_list() -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).select_related("structure", "operator", "invited_by")


def invitation_list() -> QuerySet[Invitation]:
    return Invitation.objects.select_related("structure", "operator", "invited_by", "user")
