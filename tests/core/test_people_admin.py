"""The people screens of the back office, as a territory admin created by invitation (territory 35, the demo)."""

from __future__ import annotations

from django.core import mail
from django.test import TestCase

from core.models import AuditEvent, Invitation, Structure
from core.roles import Role
from tests.people import invitation_follow, invitation_link, person_client, person_invite


def test_a_territory_admin_invites_a_director_then_edits_her_roles_and_deactivates_her(tenant):
    admin = person_invite(tenant, role=Role.PLATFORM_ADMIN, first_name="Aline", last_name="Admin")
    client = person_client(tenant, admin)
    lutins = Structure.objects.filter(is_active=True).order_by("name").first()
    form = client.get(f"/admin/personnes/inviter/?structure={lutins.pk}")
    assert "Envoyer l'invitation" in form.content.decode()
    refused = client.post("/admin/personnes/inviter/", {"email": "anne@example.org", "roles": ["structure_member"]})
    assert "Choisissez la structure" in refused.content.decode()
    with TestCase.captureOnCommitCallbacks(execute=True):
        sent = client.post(
            "/admin/personnes/inviter/",
            {"email": "anne@example.org", "first_name": "Anne", "roles": ["structure_member"], "structure": lutins.pk},
        )
    assert sent.status_code == 302
    listing = client.get("/admin/personnes/").content.decode()
    assert "anne@example.org" in listing
    assert "Membre d&#x27;une structure" in listing or "Membre d'une structure" in listing
    assert mail.outbox[-1].to == ["anne@example.org"]
    invitation_follow(invitation_link("anne@example.org"))
    anne = Invitation.objects.get(email="anne@example.org").user
    page = client.get(f"/admin/personnes/{anne.pk}/").content.decode()
    assert lutins.name in page
    assert "Invitation acceptée" in page
    client.post(f"/admin/personnes/{anne.pk}/", {"action": "save", "first_name": "Anne", "last_name": "Le Goff",
                                                 "roles": ["structure_member", "case_worker"]})  # fmt: skip
    assert set(anne.groups.values_list("name", flat=True)) == {"structure_member", "case_worker"}
    client.post(f"/admin/personnes/{anne.pk}/", {"action": "deactivate"})
    anne.refresh_from_db()
    assert not anne.is_active
    page = client.get(f"/admin/personnes/{anne.pk}/").content.decode()
    assert "Chargé de dossiers" in page  # the journal shows role labels, never codes
    assert "case_worker" not in page.split("<h2>Journal</h2>")[1]
    assert AuditEvent.objects.filter(target_id=str(anne.pk), kind=AuditEvent.Kind.DEACTIVATED, actor=admin).exists()


def test_the_people_screens_refuse_other_roles(tenant):
    worker = person_invite(tenant, role=Role.POLE_COORDINATOR)
    client = person_client(tenant, worker)
    assert client.get("/admin/personnes/").status_code in (302, 403)
    assert client.post(
        "/admin/personnes/inviter/", {"email": "x@example.org", "roles": ["platform_admin"]}
    ).status_code in (302, 403)
