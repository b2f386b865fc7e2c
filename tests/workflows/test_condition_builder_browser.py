"""In a real browser, as a platform admin invited the product's way: two visibility conditions are built with
the condition builder of the field editor (no CEL typed), the version is published, and the form opened in the
back office shows and hides the fields as she types (issue 13, items 1, 3 and 13; screenshots in
tests/artifacts/)."""

import re

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from tests.people import PASSWORD, otp_device, otp_token, person_invite

SOURCE = """format: ppe-workflow/1
code: essai-conditions
name: Aide au démarrage
open_form: ouverture
open_roles: [platform_admin]
forms:
- code: ouverture
  name: Demande d'aide au démarrage
  fields:
  - {code: title, type: text, label: Nom du projet, required: true}
  - {code: member, type: boolean, label: Adhérente d'une fédération}
  - {code: federation, type: text, label: Laquelle}
  - {code: places, type: integer, label: Nombre de places}
  - {code: second_site, type: text, label: Nom du second site}
states:
- {code: recue, label: Reçue, kind: initial}
- {code: close, label: Close, kind: final}
transitions:
- {code: clore, label: Clore, from: [recue], to: close, roles: [platform_admin]}
"""


@pytest.fixture
def draft_form(scratch_demo_territory, django_db_blocker):
    from workflows.models import FormDefinition
    from workflows.services import workflow_import

    territory = scratch_demo_territory
    with django_db_blocker.unblock():
        admin = person_invite(territory, role="platform_admin")
        with tenant_context(territory):
            version = workflow_import(source=SOURCE, publish=False)
            form = FormDefinition.objects.get(version=version, code="ouverture")
            codes = list(form.fields.order_by("position", "pk").values_list("code", flat=True))
            device = otp_device(admin)
        connection.set_schema_to_public()
    return admin, device, version.pk, form.pk, codes


@pytest.mark.browser
def test_an_admin_builds_two_live_conditions_without_cel(http_server, page, scratch_demo_territory, draft_form):
    admin, device, version_pk, form_pk, codes = draft_form
    url = lambda path: http_server.url_for(scratch_demo_territory, path)  # noqa: E731
    page.set_default_timeout(30000)
    page.goto(url("/admin/login/"))
    page.fill("#id_username", admin.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name=re.compile("S'identifier|Se connecter")).click()
    page.wait_for_load_state()
    page.fill("#id_token", otp_token(device))
    page.get_by_role("button", name="Valider").click()
    page.wait_for_load_state()

    # The field editor: « Afficher ce champ seulement si » rows, by labels.
    page.goto(url(f"/admin/snippets/workflows/formdefinition/edit/{form_pk}/"))
    federation, second_site = codes.index("federation"), codes.index("second_site")
    builder = f"#id_fields-{federation}-visible_builder-0"
    page.select_option(f"{builder}-field", label="Adhérente d'une fédération")
    page.select_option(f"{builder}-operator", label="vaut oui")
    builder = f"#id_fields-{second_site}-visible_builder-0"
    page.select_option(f"{builder}-field", label="Nombre de places")
    page.select_option(f"{builder}-operator", label="est supérieur à")
    page.fill(f"{builder}-value", "40")
    page.shot("1-builder")
    page.get_by_role("button", name=re.compile(r"^Enregistrer")).first.click()
    page.wait_for_load_state()
    assert "erreur" not in page.locator("body").inner_text().lower()

    # Back in the editor, the rows read back; the CEL they wrote is only explained, in French.
    page.goto(url(f"/admin/snippets/workflows/formdefinition/edit/{form_pk}/"))
    assert page.input_value(f"#id_fields-{second_site}-visible_builder-0-value") == "40"
    assert page.input_value(f"#id_fields-{federation}-visible_if") == "data.member == true"
    page.shot("2-builder-read-back")

    page.goto(url(f"/admin/workflows/version/{version_pk}/publier/"))
    page.get_by_role("button", name=re.compile("Publier la version 1")).click()
    page.wait_for_load_state()
    assert "publiée" in page.locator("body").inner_text()

    # The form in the back office: the fields appear and go as she types.
    page.goto(url("/admin/dossiers/nouveau/essai-conditions/"))
    assert "---------" not in page.locator("main").inner_text()  # French empty choices, not Django's dashes
    which = page.get_by_label("Laquelle")
    second = page.get_by_label("Nom du second site")
    assert not which.is_visible()
    assert not second.is_visible()
    page.get_by_label("Adhérente d'une fédération").select_option("true")
    assert which.is_visible()
    page.get_by_label("Nombre de places").fill("41")
    assert second.is_visible()
    page.shot("3-live-conditions")
    page.get_by_label("Nombre de places").fill("12")
    assert not second.is_visible()
    page.get_by_label("Nom du projet").fill("Micro-crèche des Tilleuls")
    which.fill("ACEPP")
    page.get_by_role("button", name="Ouvrir le dossier").click()
    page.wait_for_load_state()
    assert "Reçue" in page.locator(".ppe-state").inner_text()
    body = page.locator("main").inner_text()
    assert "ACEPP" in body
    assert "data." not in body  # no CEL on the case page
    page.shot("4-case-opened")
