"""Password reset from every login page: the back office, the remplacement portal, the platform admin."""

from __future__ import annotations

import re

from django.core import mail

from core.roles import Role
from tests.people import person_invite

NEW = "Nouveau-Mot-2026!"


def _reset(client, start: str, email: str, host: str) -> None:
    form = client.get(start)
    assert form.status_code == 200
    mail.outbox.clear()
    assert client.post(start, {"email": email}).status_code == 302
    link = re.search(r"https?://\S+/", mail.outbox[-1].body).group(0)
    assert link.startswith(f"http://{host}/"), link
    path = link.split(host, 1)[1]
    page = client.get(path, follow=True)
    answer = client.post(page.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})
    assert answer.status_code == 302


def test_the_back_office_and_the_portal_reset_on_the_territory_host(tenant):
    from django.test import Client

    host = tenant.primary_domain
    worker = person_invite(tenant, role=Role.CASE_WORKER)
    client = Client(HTTP_HOST=host)
    assert "Mot de passe oublié" in client.get("/remplacement/connexion/").content.decode()
    _reset(client, "/compte/mot-de-passe/", worker.email, host)
    worker.refresh_from_db()
    assert worker.check_password(NEW)
    _reset(client, "/admin/password_reset/", worker.email, host)  # Wagtail's own, from its login page
    assert "Mot de passe oublié" in client.get("/admin/login/").content.decode()


def test_the_platform_admin_resets_on_the_public_host(public_client, db):
    from django.conf import settings
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.create_user("plateforme", "plateforme@example.org", "Ancien-Mot-2026!",
                                                 is_staff=True)  # fmt: skip
    assert "mot-de-passe" in public_client.get("/plateforme/admin/login/").content.decode()
    _reset(public_client, "/plateforme/admin/mot-de-passe/", staff.email, settings.PPE_PUBLIC_DOMAIN)
    staff.refresh_from_db()
    assert staff.check_password(NEW)
