"""Without code, in a real browser: an admin builds a workflow of three states with a four-field form in the
Wagtail admin, publishes it, opens a case and takes it to its final state (screenshots in tests/artifacts/)."""

import re

import pytest
from django_tenants.utils import schema_context

from tests.live import otp_enrol

PASSWORD = "motdepasse-navigateur-1"


@pytest.fixture
def platform_admin(scratch_territory, django_db_blocker):
    from core.services.users import user_create

    with django_db_blocker.unblock(), schema_context(scratch_territory.schema_name):
        user_create(email="admin.plateforme@example.org", password=PASSWORD, groups=["platform_admin"],
                    send_welcome=False)  # fmt: skip
    return "admin.plateforme@example.org"


def _save(page):
    page.get_by_role("button", name=re.compile(r"^Enregistrer")).first.click()
    page.wait_for_load_state()


@pytest.mark.browser
def test_an_admin_builds_publishes_and_runs_a_workflow_without_code(
    http_server, page, scratch_territory, platform_admin, db
):
    """`db` comes last: pytest-django sets the test database up only for sessions with a test that asks for it,
    and its transaction starts after the fixtures above have committed their data."""
    page.set_default_timeout(15000)
    url = lambda path: http_server.url_for(scratch_territory, path)  # noqa: E731
    page.goto(url("/admin/login/"))
    page.fill("#id_username", platform_admin)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="S'identifier").click()
    page.wait_for_load_state()
    otp_enrol(page)  # an administrator enrols an authenticator application first

    # 1. The workflow itself.
    page.goto(url("/admin/snippets/workflows/workflowdefinition/add/"))
    page.fill("#id_code", "pret-materiel")
    page.fill("#id_name", "Prêt de matériel")
    page.fill("#id_open_form", "demande")
    page.check("input[name=open_roles][value=platform_admin]")
    _save(page)
    assert "Prêt de matériel" in page.locator("h1").inner_text()
    page.get_by_role("button", name="Créer la première version").click()
    page.wait_for_load_state()
    assert "version 1" in page.locator("h1").inner_text()

    # 2. Three states.
    page.get_by_role("link", name="Modifier les états").click()
    page.wait_for_load_state()
    states = [("demandee", "Demandée", "initial"), ("pretee", "Prêtée", "normal"), ("rendue", "Rendue", "final")]
    for index, (code, label, kind) in enumerate(states):
        page.get_by_role("button", name=re.compile(r"Ajouter.*[ÉE]tat")).click()
        page.fill(f"#id_states-{index}-code", code)
        page.fill(f"#id_states-{index}-label", label)
        page.select_option(f"#id_states-{index}-kind", kind)
    page.shot("1-states")
    _save(page)
    version_url = page.url
    assert re.search(r"/admin/workflows/version/\d+/$", version_url)

    # 3. A form of four fields.
    page.get_by_role("link", name="Ajouter un formulaire").click()
    page.wait_for_load_state()
    page.fill("#id_code", "demande")
    page.fill("#id_name", "Demande de prêt")
    fields = [
        ("objet", "text", "Objet du prêt", True),
        ("quantite", "integer", "Quantité", True),
        ("date_retour", "date", "Date de retour prévue", False),
        ("courriel", "email", "Courriel", False),
    ]
    for index, (code, kind, label, required) in enumerate(fields):
        page.get_by_role("button", name=re.compile(r"Ajouter.*[Cc]hamp")).click()
        page.fill(f"#id_fields-{index}-code", code)
        page.select_option(f"#id_fields-{index}-type", kind)
        page.fill(f"#id_fields-{index}-label", label)
        page.fill(f"#id_fields-{index}-position", str(index))
        if required:
            page.check(f"#id_fields-{index}-required")
    page.shot("2-form")
    _save(page)
    assert page.url == version_url

    # 4. Two transitions.
    for code, label, source, target in (
        ("preter", "Prêter", "Demandée", "Prêtée"),
        ("rendre", "Rendre", "Prêtée", "Rendue"),
    ):
        page.get_by_role("link", name="Ajouter une transition").click()
        page.wait_for_load_state()
        page.fill("#id_code", code)
        page.fill("#id_label", label)
        for select, state in (("#id_sources", source), ("#id_target", target)):
            value = page.locator(f"{select} option", has_text=f"{state} (").get_attribute("value")
            page.select_option(select, value)
        page.check("input[name=roles][value=platform_admin]")
        if code == "rendre":
            page.select_option("#id_comment", "required")
        _save(page)
        assert page.url == version_url
    assert "La définition est valide" in page.content()
    page.shot("3-version")

    # 5. Publish.
    page.get_by_role("link", name="Vérifier et publier").click()
    page.wait_for_load_state()
    page.get_by_role("button", name=re.compile("Publier la version 1")).click()
    page.wait_for_load_state()
    assert "Publiée" in page.content()

    # 6. Open a case; a wrong value first.
    page.goto(url("/admin/dossiers/nouveau/"))
    page.get_by_role("link", name="Prêt de matériel").click()
    page.wait_for_load_state()
    page.fill("#id_o-objet", "Vidéoprojecteur")
    page.fill("#id_o-quantite", "2")
    page.fill("#id_o-date_retour", "2030-06-30")
    page.fill("#id_o-courriel", "pas-un-courriel")
    page.get_by_role("button", name="Ouvrir le dossier").click()
    page.wait_for_load_state()
    assert "« Courriel » : Saisissez une adresse e-mail valide." in page.content()
    assert page.input_value("#id_o-objet") == "Vidéoprojecteur"
    page.shot("4-open-error")
    page.fill("#id_o-courriel", "ecole@example.org")
    page.get_by_role("button", name="Ouvrir le dossier").click()
    page.wait_for_load_state()
    assert "Demandée" in page.locator(".ppe-state").inner_text()
    page.shot("5-case-opened")

    # 7. To its final state; the mandatory comment is enforced.
    page.get_by_text("Prêter", exact=False).first.click()
    page.get_by_role("button", name="Confirmer : Prêter").click()
    page.wait_for_load_state()
    assert page.locator(".ppe-state").inner_text() == "Prêtée"
    page.locator("summary", has_text="Rendre").click()
    page.get_by_role("button", name="Confirmer : Rendre").click()
    page.wait_for_load_state()
    assert "Le commentaire est obligatoire pour cette transition." in page.content()
    page.fill("#id_t-rendre-comment", "Rendu en bon état.")
    page.get_by_role("button", name="Confirmer : Rendre").click()
    page.wait_for_load_state()
    assert page.locator(".ppe-state").inner_text() == "Rendue"
    assert "Rendu en bon état." in page.content()
    assert page.locator('#case-diagram g[aria-current="step"]').get_attribute("data-state") == "rendue"
    assert page.shot("6-case-closed").exists()
