"""Invitations and people, through the services and the pages a person opens (territory 35, the demo)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client, TestCase
from django.utils import timezone

from core.models import AuditEvent, Invitation, Structure, StructureMembership
from core.roles import Role, user_roles
from core.services import accounts
from tests.people import PASSWORD, invitation_follow, invitation_link, person_invite


def _invite(**kwargs):
    with TestCase.captureOnCommitCallbacks(execute=True):
        invitation = accounts.invitation_create(**kwargs)
    return invitation


@pytest.fixture
def admin(tenant):
    return person_invite(tenant, role=Role.PLATFORM_ADMIN, first_name="Aline", last_name="Admin")


def test_an_invited_structure_member_sets_a_password_and_gets_the_role_and_the_structure(tenant, admin):
    lutins = Structure.objects.order_by("pk").first()
    invitation = _invite(
        email="Directrice@Lutins.example.org", roles=[Role.STRUCTURE_MEMBER], structure=lutins,
        first_name="Anne", actor=admin,
    )  # fmt: skip
    message = mail.outbox[-1]
    assert message.to == ["directrice@lutins.example.org"]
    assert "Membre d'une structure" in message.body
    assert lutins.name in message.body
    link = invitation_link("directrice@lutins.example.org")
    assert link.startswith(f"http://{tenant.primary_domain}/compte/invitation/")
    client = invitation_follow(link, first_name="Anne", last_name="Martin")
    tenant_user = get_user_model().objects.get(username="directrice@lutins.example.org")
    assert tenant_user.check_password(PASSWORD)
    assert tenant_user.last_name == "Martin"
    assert user_roles(tenant_user) == {Role.STRUCTURE_MEMBER}
    assert StructureMembership.objects.filter(user=tenant_user, structure=lutins).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at
    assert invitation.user == tenant_user
    kinds = set(AuditEvent.objects.filter(target_id__in=[str(invitation.pk), str(tenant_user.pk)])
                .values_list("kind", flat=True))  # fmt: skip
    assert {AuditEvent.Kind.INVITED, AuditEvent.Kind.INVITATION_ACCEPTED} <= kinds
    # Signed in on acceptance, landing in the back office.
    assert client.get("/admin/").status_code == 200
    # The link served once: opened again, it says so in French.
    again = Client(HTTP_HOST=tenant.primary_domain).get(link.split(tenant.primary_domain)[1])
    assert again.status_code == 410
    assert "déjà été utilisée" in again.content.decode()


def test_a_weak_password_is_refused_in_french_and_the_invitation_stays_usable(tenant, admin):
    _invite(email="cw@example.org", roles=[Role.CASE_WORKER], actor=admin)
    path = invitation_link("cw@example.org").split(tenant.primary_domain)[1]
    client = Client(HTTP_HOST=tenant.primary_domain)
    page = client.post(path, {"new_password1": "12345678", "new_password2": "12345678"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "trop courant" in text or "entièrement numérique" in text
    assert not get_user_model().objects.filter(username="cw@example.org").exists()
    assert Invitation.objects.get(email="cw@example.org").accepted_at is None


def test_expired_resent_and_revoked_links_are_refused_with_a_clear_message(tenant, admin):
    invitation = _invite(email="op@example.org", roles=[Role.CASE_WORKER], actor=admin)
    first = invitation_link("op@example.org").split(tenant.primary_domain)[1]
    with TestCase.captureOnCommitCallbacks(execute=True):
        accounts.invitation_resend(invitation=invitation, actor=admin)
    second = invitation_link("op@example.org").split(tenant.primary_domain)[1]
    client = Client(HTTP_HOST=tenant.primary_domain)
    assert first != second
    assert "annulée ou renvoyée" in client.get(first).content.decode()
    assert client.get(second).status_code == 200
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    expired = client.get(second)
    assert expired.status_code == 410
    assert "a expiré le" in expired.content.decode()
    assert client.get("/compte/invitation/pas-un-jeton/").status_code == 404
    # A token of another territory names nothing here.
    accounts.invitation_revoke(invitation=invitation, actor=admin)
    assert "annulée" in client.get(second).content.decode()


def test_invitation_refusals(tenant, admin):
    with pytest.raises(ValidationError) as error:
        accounts.invitation_create(email="x@example.org", roles=[Role.STRUCTURE_MEMBER], actor=admin)
    assert "structure" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        accounts.invitation_create(email=admin.email, roles=[Role.CASE_WORKER], actor=admin)
    assert "existe déjà" in error.value.message_dict["email"][0]
    with pytest.raises(ValidationError):
        accounts.invitation_create(email="pas-une-adresse", roles=[Role.CASE_WORKER], actor=admin)


def test_roles_deactivation_and_the_last_admin(tenant, admin):
    worker = person_invite(tenant, role=Role.CASE_WORKER)
    accounts.person_roles_set(user=worker, roles=[Role.POLE_COORDINATOR], actor=admin)
    assert set(worker.groups.values_list("name", flat=True)) == {Role.POLE_COORDINATOR}
    event = AuditEvent.objects.filter(kind=AuditEvent.Kind.ROLES_CHANGED, target_id=str(worker.pk)).get()
    assert event.actor == admin
    assert event.changes == {"before": ["case_worker"], "after": ["pole_coordinator"]}
    accounts.person_deactivate(user=worker, actor=admin)
    worker.refresh_from_db()
    assert not worker.is_active
    assert get_user_model().objects.filter(pk=worker.pk).exists()
    with pytest.raises(ValidationError):
        accounts.person_deactivate(user=admin, actor=admin)
    others = get_user_model().objects.filter(groups__name=Role.PLATFORM_ADMIN, is_active=True).exclude(pk=admin.pk)
    if not others.exists():
        with pytest.raises(ValidationError):
            accounts.person_roles_set(user=admin, roles=[Role.CASE_WORKER], actor=worker)


def test_a_substitute_is_invited_the_pools_way(tenant):
    substitute = person_invite(tenant, role="substitute")
    assert substitute.substitute.home_commune_insee == "35238"
    client = Client(HTTP_HOST=tenant.primary_domain)
    answer = client.post("/remplacement/connexion/", {"username": substitute.username, "password": PASSWORD})
    assert answer.status_code == 302
    assert client.get("/remplacement/", follow=True).status_code == 200


def test_sign_ins_and_failed_sign_ins_are_recorded(tenant):
    worker = person_invite(tenant, role=Role.CASE_WORKER)
    client = Client(HTTP_HOST=tenant.primary_domain)
    client.post("/admin/login/", {"username": worker.username, "password": "pas-le-bon"})
    client.post("/admin/login/", {"username": worker.username, "password": PASSWORD})
    kinds = list(AuditEvent.objects.filter(target_type="user", target_id=str(worker.pk)).values_list("kind", flat=True))
    assert kinds[:2] == [AuditEvent.Kind.SIGNED_IN, AuditEvent.Kind.SIGN_IN_FAILED]
