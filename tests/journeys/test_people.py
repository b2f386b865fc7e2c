"""People, in a real browser, on a committed copy of the demo: the territory's first admin is invited the way a
new territory's admin is (`first_admin_invite`), sets a password from the e-mailed link, invites a pole
coordinator and a crèche director from « Personnes »; each follows the link the server e-mailed, sets a
password, signs in at /admin/login/ and reaches their work. Never a superuser. Screenshots in tests/artifacts/."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.db import connection
from django_tenants.utils import tenant_context

from tests.live import ARTIFACTS, otp_enrol, sent_mails, wait_for

PASSWORD = "Creche-Soleil-2026!"
LINK = re.compile(r"https?://\S+/compte/invitation/[^\s/]+/")


def _server_link(email: str) -> str:
    """The link of the invitation the server e-mailed (at once, or soon from a worker of the prod topology)."""

    def found() -> str | None:
        for raw in reversed(sent_mails()):
            if re.search(rf"^To: {re.escape(email)}$", raw, re.MULTILINE) and (link := LINK.search(raw)):
                return link.group(0)
        return None

    return wait_for(found, 60, f"the invitation the server e-mails to {email}")


def _set_password(page, link: str) -> None:
    page.goto(link)
    assert page.locator("h1").inner_text() == "Définir votre mot de passe"
    page.fill("#id_new_password1", PASSWORD)
    page.fill("#id_new_password2", PASSWORD)
    page.get_by_role("button", name="Activer mon compte").click()
    page.wait_for_load_state()


def _sign_in(page, url: str, email: str) -> None:
    page.goto(url)
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name=re.compile("S'identifier|Se connecter")).click()
    page.wait_for_load_state()


@pytest.mark.browser
def test_a_territory_admin_invites_a_coordinator_and_a_director_who_set_their_password_and_sign_in(  # noqa: PLR0917
    http_server, page, browser, scratch_demo_territory, django_db_blocker, settings
):
    from core.models import Case, Structure
    from core.services.clone import first_admin_invite

    territory = scratch_demo_territory
    settings.PPE_URL_PORT = str(http_server.port)  # links name the server's real port
    page.set_default_timeout(30000)

    # 1. The territory's first admin, invited as a new territory's admin is.
    with django_db_blocker.unblock():
        mail.outbox.clear()
        link, error = first_admin_invite(
            territory=territory, email="admin@demo.example.org", first_name="Aline", last_name="Kerbrat"
        )
        connection.set_schema_to_public()
    assert error == ""
    assert mail.outbox[-1].to == ["admin@demo.example.org"]
    assert link in mail.outbox[-1].body
    assert link.startswith(http_server.url_for(territory, "/compte/invitation/"))
    _set_password(page, link)
    # An administrator enrols an authenticator application before anything else (QR code, French page).
    assert "Activer la double authentification" in page.locator("h1").inner_text()
    page.shot("1-admin-double-authentification")
    otp_enrol(page)
    page.shot("1-admin-arrive")
    assert "/admin/" in page.url

    # 2. She invites a pole coordinator, then the director of a crèche that has cases.
    admin_url = lambda path: http_server.url_for(territory, path)  # noqa: E731
    page.goto(admin_url("/admin/personnes/"))
    page.get_by_role("link", name="Inviter une personne").click()
    page.fill("#id_email", "coordination@demo.example.org")
    page.fill("#id_first_name", "Yann")
    page.get_by_label("Coordinateur de pôle").check()
    page.get_by_role("button", name="Envoyer l'invitation").click()
    page.wait_for_load_state()
    assert "Invitation envoyée à coordination@demo.example.org" in page.locator("body").inner_text()

    with django_db_blocker.unblock(), tenant_context(territory):
        structure = Structure.objects.filter(cases__isnull=False, is_active=True).distinct().order_by("name").first()
        reference = Case.objects.filter(structure=structure).order_by("-created_at").first().reference
    connection.set_schema_to_public()
    page.goto(admin_url("/admin/personnes/inviter/"))
    page.fill("#id_email", "direction@creche.example.org")
    page.fill("#id_first_name", "Anne")
    page.get_by_label("Membre d'une structure").check()
    page.shot("2-invitation-sans-structure")
    page.get_by_role("button", name="Envoyer l'invitation").click()
    page.wait_for_load_state()
    assert "Choisissez la structure" in page.locator("body").inner_text()  # refused, nothing lost
    assert page.input_value("#id_email") == "direction@creche.example.org"
    page.select_option("#id_structure", value=str(structure.pk))
    page.get_by_role("button", name="Envoyer l'invitation").click()
    page.wait_for_load_state()
    listing = page.locator("body").inner_text()
    assert "direction@creche.example.org" in listing
    assert structure.name in listing
    page.shot("3-invitations-en-attente")

    # 3. Each follows the link the server e-mailed, sets a password, signs in and reaches their work.
    for email, shot, check in (
        ("coordination@demo.example.org", "4-coordinateur", None),
        ("direction@creche.example.org", "5-directrice", reference),
    ):
        context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
        person = context.new_page()
        person.set_default_timeout(30000)
        try:
            link = _server_link(email)
            assert link.startswith(http_server.url_for(territory, "/compte/invitation/"))
            _set_password(person, link)
            context.clear_cookies()  # signed in on acceptance: sign in again, as on any later day
            _sign_in(person, admin_url("/admin/login/"), email)
            assert "/admin/login/" not in person.url
            person.goto(admin_url("/admin/dossiers/"))
            text = person.locator("body").inner_text()
            assert "Dossiers" in text
            if check:
                assert check in text  # the director sees her structure's case
            person.screenshot(path=str(ARTIFACTS / f"test_people-{shot}.png"), full_page=True)
        finally:
            context.close()

    # 4. The admin sees both accounts active, and the journal of the director's arrival.
    page.goto(admin_url("/admin/personnes/?etat=actifs"))
    listing = page.locator("body").inner_text()
    assert "coordination@demo.example.org" in listing
    assert "direction@creche.example.org" in listing
    page.get_by_role("link", name=re.compile("Anne")).first.click()
    page.wait_for_load_state()
    journal = page.locator("body").inner_text()
    assert "Invitation acceptée" in journal
    assert "Connexion" in journal
    page.shot("6-fiche-directrice")
