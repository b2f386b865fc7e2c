"""Every sign-in, failed sign-in and sign-out of a territory's accounts is written to its journal
(`AuditEvent`; a person's page shows it). On the public host the platform's staff are recorded by django-axes'
access log (the journal's table exists in territories only)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import connection
from django.dispatch import receiver
from django_tenants.utils import get_public_schema_name

from core.models import AuditEvent


def _in_territory() -> bool:
    return connection.schema_name != get_public_schema_name()


def _record(kind: str, user, request, **changes) -> None:
    from core.services.accounts import person_label
    from core.services.audit import audit_record

    audit_record(kind=kind, target=user, target_type="user", target_label=person_label(user), actor=user,
                 request=request, changes=changes)  # fmt: skip


@receiver(user_logged_in, dispatch_uid="core.audit.signed_in")
def on_signed_in(sender, request, user, **kwargs):
    if _in_territory():
        _record(AuditEvent.Kind.SIGNED_IN, user, request)


@receiver(user_logged_out, dispatch_uid="core.audit.signed_out")
def on_signed_out(sender, request, user, **kwargs):
    if _in_territory() and user is not None:
        _record(AuditEvent.Kind.SIGNED_OUT, user, request)


@receiver(user_login_failed, dispatch_uid="core.audit.sign_in_failed")
def on_sign_in_failed(sender, credentials, request=None, **kwargs):
    if not _in_territory():
        return
    from core.services.audit import audit_record

    username = str(credentials.get("username") or credentials.get("email") or "")[:150]
    user = get_user_model().objects.filter(username__iexact=username).first() if username else None
    audit_record(
        kind=AuditEvent.Kind.SIGN_IN_FAILED,
        target_type="user",
        target_id=user.pk if user else "",
        target_label=username,
        request=request,
        changes={"username": username},
    )
