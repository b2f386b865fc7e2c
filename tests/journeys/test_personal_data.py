"""Personal data (RGPD), in a real browser, on a committed copy of the demo: a territory's platform admin, invited
the product's way, gives her second factor, opens « Données personnelles », sets the retention of a case type,
finds the contact of a public request by her e-mail, downloads her archive, and erases her after the
confirmation page told her what is kept; the case's history still reads, with « donnée anonymisée le … ».
Never a superuser. Screenshots in tests/artifacts/."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from django.db import connection

from tests.live import ARTIFACTS
from tests.people import PASSWORD, otp_device, otp_token, person_invite


@pytest.mark.browser
def test_a_platform_admin_sets_retention_exports_and_erases_a_request_contact(
    http_server, page, scratch_demo_territory, django_db_blocker
):
    from core.models import Case, PersonalDataAction
    from core.services.cases import case_open
    from tests.plugins.support.helpers import DEMANDE

    territory = scratch_demo_territory
    page.set_default_timeout(30000)
    email = "claire.riou@les-galopins.example.org"
    with django_db_blocker.unblock():
        connection.set_tenant(territory)
        admin = person_invite(territory, role="platform_admin", first_name="Maëlle", last_name="Le Gall")
        device = otp_device(admin)  # she enrolled her authentication application
        case = case_open(workflow="support-accompagnement", channel="public", actor=None,
                         data={**DEMANDE, "email": email, "contact_name": "Claire Riou",
                               "structure_name": "Les Galopins", "commune": "Vitré", "postcode": "35500"})  # fmt: skip
        reference = case.reference
        connection.set_schema_to_public()
    url = lambda path: http_server.url_for(territory, path)  # noqa: E731

    page.goto(url("/admin/login/"))
    page.fill("#id_username", admin.email)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name=re.compile("S'identifier|Se connecter")).click()
    page.wait_for_load_state()
    assert "double-authentification" in page.url  # her second factor first
    page.fill("#id_token", otp_token(device))
    page.get_by_role("button", name="Valider").click()
    page.wait_for_load_state()

    # « Données personnelles » from the menu: retention by case type.
    page.locator("#wagtail-sidebar").get_by_text("Données personnelles", exact=True).first.click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Durée de conservation par type de dossier").is_visible()
    row = page.locator("tr", has_text="Candidature au vivier")
    assert "2 ans" in row.inner_text()
    row.locator("input[name=years]").fill("3")
    row.get_by_role("button", name="Enregistrer").click()
    page.wait_for_load_state()
    body = page.locator("body").inner_text()
    assert "conservées 3 ans après la clôture" in body
    page.shot("1-conservation")

    # The request's contact, found by her e-mail.
    search = page.get_by_role("search", name="Rechercher une personne")
    search.locator("input[name=email]").fill(email)
    search.get_by_role("button", name="Rechercher").click()
    page.wait_for_load_state()
    body = page.locator("body").inner_text()
    assert reference in body
    assert "son adresse figure dans les données du dossier" in body
    assert "Pas de compte dans ce territoire" in body
    page.shot("2-personne")

    # Right of access: the archive.
    with page.expect_download() as download_info:
        page.get_by_role("button", name=re.compile("Exporter ses données")).click()
    download = download_info.value
    assert download.suggested_filename.endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(open(download.path(), "rb").read())) as archive:
        content = json.loads(archive.read("donnees.json"))
    assert content["dossiers"][0]["données"]["Nom et prénom"] == "Claire Riou"

    # Right to erasure: what is kept is said first; a mistyped address erases nothing.
    page.get_by_role("link", name=re.compile("Effacer ses données")).click()
    page.wait_for_load_state()
    body = page.locator("body").inner_text()
    assert "Ce qui sera gardé, et pourquoi" in body
    assert "historique des dossiers" in body
    page.shot("3-confirmation")
    page.get_by_label(re.compile("recopiez l'adresse")).fill("claire@ailleurs.example.org")
    page.get_by_role("button", name=re.compile("Effacer définitivement")).click()
    page.wait_for_load_state()
    assert "ne correspond pas" in page.locator("body").inner_text()
    page.shot("4-confirmation-erronee")
    page.get_by_label(re.compile("recopiez l'adresse")).fill(email)
    page.get_by_role("button", name=re.compile("Effacer définitivement")).click()
    page.wait_for_load_state()
    body = page.locator("body").inner_text()
    assert "Les données de la personne ont été effacées" in body
    assert "Données d'une personne effacées" in body  # the journal
    assert email not in body
    page.shot("5-effacee")

    # The case's page: the history stays, the contact's values read « donnée anonymisée le … ».
    page.goto(url(f"/admin/dossiers/{reference}/"))
    body = page.locator("body").inner_text()
    assert "donnée anonymisée le" in body
    assert "Claire Riou" not in body
    assert "Les Galopins" in body  # the structure's data stay
    page.shot("6-dossier")
    page.get_by_text("donnée anonymisée le").first.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "test_personal_data-7-dossier-donnees-anonymisees.png"))
    with django_db_blocker.unblock():
        connection.set_tenant(territory)
        assert Case.objects.get(reference=reference).data["email"].startswith("donnée anonymisée le")
        assert PersonalDataAction.objects.filter(kind="erased").count() == 1
        connection.set_schema_to_public()
