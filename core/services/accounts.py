"""People of a territory: invitations, roles, memberships, activation. Every change writes its `AuditEvent`.

Accounts are per territory (each schema has its own users). A person joins by invitation only: a territory
admin (or the platform, for a new territory's first admin) names an e-mail, the roles, and for structure
members and operators the structure or operator; the person sets their password from a signed link that
expires (`PPE_INVITATION_DAYS`) and that a resend replaces. Accounts are deactivated, never deleted, so that
their history (cases, events, this journal) stays whole.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils import timezone
from django.utils.formats import date_format

from core.links import territory_url
from core.models import AuditEvent, Invitation, Operator, OperatorMembership, Structure, StructureMembership
from core.roles import CORE_ROLES, POLE_ROLE_LABELS, Role, role_label
from core.services.audit import audit_record

INVITATION_SALT = "ppe.invitation"
INVITABLE_ROLES = CORE_ROLES | frozenset(POLE_ROLE_LABELS)


class InvitationInvalidError(Exception):
    """An invitation link that cannot be used; `message` is the French text to show, `reason` one of
    `malformed`, `unknown`, `revoked`, `expired`, `accepted`."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


# --- Invitations --------------------------------------------------------------------------------------------
def _email_clean(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": "Adresse électronique invalide."}) from None
    return email


def _roles_clean(roles: Iterable[str], *, structure, operator) -> list[str]:
    cleaned = list(dict.fromkeys(str(r) for r in roles or []))
    if not cleaned:
        raise ValidationError({"roles": "Choisissez au moins un rôle."})
    unknown = [r for r in cleaned if r not in INVITABLE_ROLES]
    if unknown:
        raise ValidationError({"roles": f"Rôle inconnu : {', '.join(unknown)}."})
    if Role.STRUCTURE_MEMBER in cleaned and structure is None:
        raise ValidationError({"structure": "Choisissez la structure dont la personne sera membre."})
    if Role.OPERATOR in cleaned and operator is None:
        raise ValidationError({"operator": "Choisissez l'opérateur pour lequel la personne travaille."})
    if structure is not None and Role.STRUCTURE_MEMBER not in cleaned:
        raise ValidationError({"structure": "Une structure suppose le rôle « Membre d'une structure »."})
    if operator is not None and Role.OPERATOR not in cleaned:
        raise ValidationError({"operator": "Un opérateur suppose le rôle « Opérateur ESS »."})
    return cleaned


def _account_of(email: str) -> AbstractUser | None:
    User = get_user_model()
    return User.objects.filter(username__iexact=email).first() or User.objects.filter(email__iexact=email).first()


def _pending(queryset):
    return queryset.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())


@transaction.atomic
def invitation_create(
    *,
    email: str,
    roles: Iterable[str],
    first_name: str = "",
    last_name: str = "",
    structure: Structure | None = None,
    operator: Operator | None = None,
    actor,
    send: bool = True,
    request=None,
) -> Invitation:
    """Invite a person to the current territory; the e-mail with the link goes out once the invitation is
    committed. A pending invitation to the same address is replaced (its link stops working). Refuses (French
    `ValidationError`) an address that already has an account able to sign in: change that person's roles
    instead."""
    email = _email_clean(email)
    roles = _roles_clean(roles, structure=structure, operator=operator)
    account = _account_of(email)
    if account is not None and account.has_usable_password():
        if not account.is_active:
            raise ValidationError({"email": "Ce compte est désactivé : réactivez-le depuis la liste des personnes."})
        raise ValidationError(
            {"email": "Un compte existe déjà avec cette adresse : modifiez ses rôles depuis la liste des personnes."}
        )
    now = timezone.now()
    for previous in _pending(Invitation.objects.select_for_update().filter(email=email)):
        previous.revoked_at = now
        previous.save(update_fields=["revoked_at"])
        audit_record(kind=AuditEvent.Kind.INVITATION_REVOKED, target=previous, actor=actor, request=request,
                     changes={"replaced": True})  # fmt: skip
    invitation = Invitation.objects.create(
        email=email,
        first_name=(first_name or "").strip()[:150],
        last_name=(last_name or "").strip()[:150],
        roles=roles,
        structure=structure,
        operator=operator,
        nonce=secrets.token_hex(16),
        invited_by=actor if getattr(actor, "pk", None) else None,
        created_at=now,
        expires_at=now + dt.timedelta(days=settings.PPE_INVITATION_DAYS),
    )
    audit_record(
        kind=AuditEvent.Kind.INVITED,
        target=invitation,
        actor=actor,
        request=request,
        changes=_invitation_summary(invitation),
    )
    if send:
        _send_on_commit(invitation)
    return invitation


def _invitation_summary(invitation: Invitation) -> dict[str, Any]:
    summary: dict[str, Any] = {"email": invitation.email, "roles": list(invitation.roles)}
    if invitation.structure_id:
        summary["structure"] = str(invitation.structure)
    if invitation.operator_id:
        summary["operator"] = str(invitation.operator)
    return summary


def _send_on_commit(invitation: Invitation) -> None:
    from core.tasks import invitation_email_send

    invitation_email_send.enqueue_on_commit(invitation.pk)


@transaction.atomic
def invitation_resend(*, invitation: Invitation, actor, request=None) -> Invitation:
    """Send the invitation again with a new link valid `PPE_INVITATION_DAYS` from now (the old link stops
    working). Refuses an accepted or cancelled invitation."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at:
        raise ValidationError("Cette invitation a déjà été acceptée.")
    if invitation.revoked_at:
        raise ValidationError("Cette invitation a été annulée : invitez de nouveau la personne.")
    invitation.nonce = secrets.token_hex(16)
    invitation.expires_at = timezone.now() + dt.timedelta(days=settings.PPE_INVITATION_DAYS)
    invitation.save(update_fields=["nonce", "expires_at"])
    audit_record(kind=AuditEvent.Kind.INVITATION_RESENT, target=invitation, actor=actor, request=request)
    _send_on_commit(invitation)
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor, request=None) -> Invitation:
    """Cancel a pending invitation (its link stops working)."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at:
        raise ValidationError("Cette invitation a déjà été acceptée : désactivez le compte si besoin.")
    if not invitation.revoked_at:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit_record(kind=AuditEvent.Kind.INVITATION_REVOKED, target=invitation, actor=actor, request=request)
    return invitation


def invitation_token(invitation: Invitation) -> str:
    """The signed token of the invitation's current link (bound to its territory and its nonce)."""
    payload = {"s": connection.schema_name, "i": invitation.pk, "n": invitation.nonce}
    return signing.Signer(salt=INVITATION_SALT).sign_object(payload)  # the expiry lives on the row


def invitation_path(invitation: Invitation) -> str:
    """The path of the page where the invited person sets their password."""
    from django.urls import reverse

    return reverse("invitation_accept", kwargs={"token": invitation_token(invitation)}, urlconf=settings.ROOT_URLCONF)


def invitation_url(invitation: Invitation) -> str:
    """The absolute link of the invitation, on the territory's real host (and port)."""
    return territory_url(invitation_path(invitation))


def invitation_from_token(token: str, *, for_update: bool = False) -> Invitation:
    """The pending invitation a link names, or `InvitationInvalidError` with the French reason."""
    try:
        payload = signing.Signer(salt=INVITATION_SALT).unsign_object(token)
    except signing.BadSignature:
        raise InvitationInvalidError(
            "malformed",
            "Ce lien d'invitation n'est pas valide. Vérifiez qu'il est complet (copiez-le entier depuis le "
            "courriel), ou demandez une nouvelle invitation.",
        ) from None
    queryset = Invitation.objects.select_for_update() if for_update else Invitation.objects.all()
    invitation = None
    if isinstance(payload, dict) and payload.get("s") == connection.schema_name:
        invitation = queryset.filter(pk=payload.get("i")).first()
    if invitation is None:
        raise InvitationInvalidError(
            "unknown", "Ce lien d'invitation ne correspond à aucune invitation de ce territoire."
        )
    if invitation.accepted_at:
        raise InvitationInvalidError(
            "accepted",
            "Cette invitation a déjà été utilisée : connectez-vous avec votre adresse électronique et votre mot de "
            "passe (ou réinitialisez votre mot de passe).",
        )
    if invitation.revoked_at or not secrets.compare_digest(str(payload.get("n", "")), invitation.nonce):
        raise InvitationInvalidError(
            "revoked",
            "Ce lien d'invitation n'est plus valable : l'invitation a été annulée ou renvoyée. Utilisez le lien du "
            "courriel le plus récent, ou demandez une nouvelle invitation.",
        )
    if invitation.expires_at <= timezone.now():
        expired = date_format(timezone.localtime(invitation.expires_at), "j F Y à H:i")
        raise InvitationInvalidError(
            "expired",
            f"Ce lien d'invitation a expiré le {expired}. Demandez à la personne qui vous a invité·e de vous "
            "renvoyer l'invitation.",
        )
    return invitation


@transaction.atomic
def invitation_accept(
    *, token: str, password: str, first_name: str | None = None, last_name: str | None = None, request=None
) -> AbstractUser:
    """Accept an invitation: create the account (or complete the one the platform created for this address,
    e.g. a substitute's), set its password (Django's password validators: French `ValidationError` on
    `password`), give it the invitation's roles and membership. Raises `InvitationInvalidError` for a link that
    cannot be used."""
    invitation = invitation_from_token(token, for_update=True)
    User = get_user_model()
    user = _account_of(invitation.email)
    if user is not None and user.has_usable_password():
        raise InvitationInvalidError(
            "accepted",
            "Un compte existe déjà avec cette adresse : connectez-vous (ou réinitialisez votre mot de passe).",
        )
    if user is None:
        user = User(username=invitation.email, email=invitation.email)
    user.first_name = (first_name if first_name is not None else invitation.first_name or user.first_name).strip()
    user.last_name = (last_name if last_name is not None else invitation.last_name or user.last_name).strip()
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from None
    user.set_password(password)
    user.is_active = True
    user.save()
    groups = [Group.objects.get_or_create(name=code)[0] for code in invitation.roles]
    user.groups.add(*groups)
    if invitation.structure_id:
        StructureMembership.objects.get_or_create(user=user, structure_id=invitation.structure_id)
    if invitation.operator_id:
        OperatorMembership.objects.get_or_create(user=user, operator_id=invitation.operator_id)
    invitation.accepted_at = timezone.now()
    invitation.user = user
    invitation.save(update_fields=["accepted_at", "user"])
    audit_record(
        kind=AuditEvent.Kind.INVITATION_ACCEPTED,
        target=user,
        target_type="user",
        target_label=person_label(user),
        actor=user,
        request=request,
        changes=_invitation_summary(invitation),
    )
    return user


# --- People: roles, memberships, activation -----------------------------------------------------------------
def person_label(user) -> str:
    full = f"{user.first_name} {user.last_name}".strip()
    return f"{full} <{user.email}>" if full and user.email else full or user.get_username()


def _audit_person(kind: str, user, actor, request=None, **changes: Any) -> None:
    audit_record(kind=kind, target=user, target_type="user", target_label=person_label(user), actor=actor,
                 request=request, changes=changes)  # fmt: skip


def _active_admins_other_than(user) -> bool:
    return (
        get_user_model().objects.filter(is_active=True, groups__name=Role.PLATFORM_ADMIN).exclude(pk=user.pk).exists()
    )


@transaction.atomic
def person_roles_set(*, user, roles: Iterable[str], actor, request=None) -> list[str]:
    """Replace a person's roles (groups). Refuses to remove the territory's last active administrator's
    role. Returns the roles now held."""
    wanted = list(dict.fromkeys(str(r) for r in roles))
    unknown = [r for r in wanted if r not in INVITABLE_ROLES]
    if unknown:
        raise ValidationError({"roles": f"Rôle inconnu : {', '.join(unknown)}."})
    before = sorted(user.groups.values_list("name", flat=True))
    if (
        Role.PLATFORM_ADMIN in before
        and Role.PLATFORM_ADMIN not in wanted
        and user.is_active
        and not _active_admins_other_than(user)
    ):
        raise ValidationError({"roles": "Le territoire doit garder au moins un administrateur actif."})
    keep = [name for name in before if name not in INVITABLE_ROLES]  # groups that are not roles stay
    user.groups.set([Group.objects.get_or_create(name=code)[0] for code in [*keep, *wanted]])
    user.__dict__.pop("_ppe_roles", None)
    after = sorted({*keep, *wanted})
    if after != before:
        _audit_person(AuditEvent.Kind.ROLES_CHANGED, user, actor, request, before=before, after=after)
    return after


@transaction.atomic
def structure_membership_add(*, user, structure: Structure, actor, request=None) -> StructureMembership:
    membership, created = StructureMembership.objects.get_or_create(user=user, structure=structure)
    if created:
        _audit_person(AuditEvent.Kind.MEMBERSHIP_ADDED, user, actor, request, structure=str(structure))
        audit_record(kind=AuditEvent.Kind.MEMBERSHIP_ADDED, target=structure, actor=actor, request=request,
                     changes={"person": person_label(user)})  # fmt: skip
    return membership


@transaction.atomic
def structure_membership_remove(*, user, structure: Structure, actor, request=None) -> None:
    deleted, _ = StructureMembership.objects.filter(user=user, structure=structure).delete()
    if deleted:
        _audit_person(AuditEvent.Kind.MEMBERSHIP_REMOVED, user, actor, request, structure=str(structure))
        audit_record(kind=AuditEvent.Kind.MEMBERSHIP_REMOVED, target=structure, actor=actor, request=request,
                     changes={"person": person_label(user)})  # fmt: skip


@transaction.atomic
def operator_membership_add(*, user, operator: Operator, actor, request=None) -> OperatorMembership:
    membership, created = OperatorMembership.objects.get_or_create(user=user, operator=operator)
    if created:
        _audit_person(AuditEvent.Kind.MEMBERSHIP_ADDED, user, actor, request, operator=str(operator))
        audit_record(kind=AuditEvent.Kind.MEMBERSHIP_ADDED, target=operator, actor=actor, request=request,
                     changes={"person": person_label(user)})  # fmt: skip
    return membership


@transaction.atomic
def operator_membership_remove(*, user, operator: Operator, actor, request=None) -> None:
    deleted, _ = OperatorMembership.objects.filter(user=user, operator=operator).delete()
    if deleted:
        _audit_person(AuditEvent.Kind.MEMBERSHIP_REMOVED, user, actor, request, operator=str(operator))
        audit_record(kind=AuditEvent.Kind.MEMBERSHIP_REMOVED, target=operator, actor=actor, request=request,
                     changes={"person": person_label(user)})  # fmt: skip


def person_otp_enrolled(user) -> bool:
    """Whether the person has a confirmed authenticator application (two-factor authentication)."""
    from django_otp import user_has_device

    return user_has_device(user, confirmed=True)


@transaction.atomic
def person_otp_reset(*, user, actor, request=None) -> int:
    """Forget a person's authenticator applications (a lost phone): they enrol again at their next sign-in
    (administrators must). Their open sessions end. Returns how many devices were removed."""
    from django_otp import devices_for_user

    removed = 0
    for device in list(devices_for_user(user, confirmed=None)):
        device.delete()
        removed += 1
    if removed:
        _audit_person(AuditEvent.Kind.OTP_RESET, user, actor, request)
        _sessions_end(user)
    return removed


@transaction.atomic
def person_deactivate(*, user, actor, request=None):
    """Close a person's access (never a deletion: their cases, events and journal stay). Their sessions end
    and their API tokens stop working at once."""
    if getattr(actor, "pk", None) == user.pk:
        raise ValidationError("Vous ne pouvez pas désactiver votre propre compte.")
    if user.groups.filter(name=Role.PLATFORM_ADMIN).exists() and not _active_admins_other_than(user):
        raise ValidationError("Le territoire doit garder au moins un administrateur actif.")
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])  # API tokens of an inactive account authenticate nowhere
        _sessions_end(user)
        _audit_person(AuditEvent.Kind.DEACTIVATED, user, actor, request)
    return user


def _sessions_end(user) -> None:
    """Delete the database sessions of a person (the session engine stores them per territory)."""
    from django.contrib.sessions.models import Session

    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()


@transaction.atomic
def person_reactivate(*, user, actor, request=None):
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
        _audit_person(AuditEvent.Kind.REACTIVATED, user, actor, request)
    return user


@transaction.atomic
def person_update(*, user, first_name: str, last_name: str, actor, request=None):
    changes = {}
    for field, value in (("first_name", first_name.strip()), ("last_name", last_name.strip())):
        if getattr(user, field) != value:
            changes[field] = [getattr(user, field), value]
            setattr(user, field, value)
    if changes:
        user.save(update_fields=list(changes))
        _audit_person(AuditEvent.Kind.UPDATED, user, actor, request, **changes)
    return user


def invitation_email_message(invitation: Invitation) -> tuple[str, str]:
    """Subject and body of the invitation e-mail (French)."""
    territory = getattr(connection, "tenant", None)
    name = getattr(territory, "name", "") or ""
    inviter = invitation.invited_by
    by = f" par {inviter.get_full_name() or inviter.email}" if inviter is not None else ""
    roles = ", ".join(role_label(code) for code in invitation.roles)
    where = ""
    if invitation.structure_id:
        where = f"\nStructure : {invitation.structure}"
    if invitation.operator_id:
        where += f"\nOpérateur : {invitation.operator}"
    expires = date_format(timezone.localtime(invitation.expires_at), "j F Y à H:i")
    subject = f"Invitation à la Plateforme Petite Enfance — {name}".strip(" —")
    body = (
        f"Bonjour {invitation.first_name or ''}".rstrip() + ",\n\n"
        f"Vous êtes invité·e{by} à rejoindre la plateforme petite enfance du territoire « {name} ».\n"
        f"Rôle : {roles}{where}\n\n"
        f"Pour activer votre compte, choisissez votre mot de passe en suivant ce lien (valable jusqu'au "
        f"{expires}) :\n{invitation_url(invitation)}\n\n"
        f"Votre identifiant sera votre adresse électronique : {invitation.email}\n\n"
        "Si vous n'attendiez pas cette invitation, ignorez ce message.\n\n"
        "L'équipe de la plateforme"
    )
    return subject, body
