"""In a real browser, on a committed copy of the demo, as a platform admin invited the product's way: the case
page shows the Graphviz diagram and the form's file for download; after a new version renames a state, the
admin moves the running cases to it from « Changer de version » (refusal in French, mapping by labels, dry run,
apply) and the case's history says what happened (screenshots in tests/artifacts/)."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django_tenants.utils import tenant_context

from tests.people import PASSWORD, otp_device, otp_token, person_invite
from tests.workflows.helpers import fixture_text

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
FILE_FIELD = "  - {code: statuts, type: file, label: Statuts de l'association, content_types: [application/pdf]}\n"


def _source(renamed: bool) -> str:
    source = fixture_text("simple.yaml").replace(
        "  - {code: amount, type: integer, label: Montant}\n",
        "  - {code: amount, type: integer, label: Montant}\n" + FILE_FIELD,
    )
    if renamed:
        source = (
            source.replace("{code: en_cours, label: En cours", "{code: instruction, label: Instruction")
            .replace("to: en_cours", "to: instruction")
            .replace("from: [en_cours]", "from: [instruction]")
        )
    return source


@pytest.fixture
def running_cases(scratch_demo_territory, django_db_blocker):
    from core.services.cases import case_open, transition_apply
    from workflows.services import workflow_import

    territory = scratch_demo_territory
    with django_db_blocker.unblock():
        admin = person_invite(territory, role="platform_admin", first_name="Aline", last_name="Kerbrat")
        worker = person_invite(territory, role="case_worker")
        with tenant_context(territory):
            workflow_import(source=_source(renamed=False), publish=True)
            statuts = SimpleUploadedFile("statuts-2026.pdf", PDF, content_type="application/pdf")
            first = case_open(workflow="essai-simple", data={"title": "Crèche des Lutins"}, files={"statuts": statuts},
                              actor=worker)  # fmt: skip
            second = case_open(workflow="essai-simple", data={"title": "Halte-garderie"}, actor=worker)
            transition_apply(case=second, transition="prendre", actor=worker)
            device = otp_device(admin)  # she enrolled her authentication app
        connection.set_schema_to_public()
    return admin, device, first.reference, second.reference


@pytest.mark.browser
def test_an_admin_migrates_running_cases_to_the_new_version(
    http_server, page, scratch_demo_territory, running_cases, django_db_blocker
):
    from workflows.services import workflow_import

    territory = scratch_demo_territory
    admin, device, first, second = running_cases
    url = lambda path: http_server.url_for(territory, path)  # noqa: E731
    page.set_default_timeout(30000)
    page.goto(url("/admin/login/"))
    page.fill("#id_username", admin.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name=re.compile("S'identifier|Se connecter")).click()
    page.wait_for_load_state()
    assert "double-authentification" in page.url  # a platform admin gives her second factor
    page.fill("#id_token", otp_token(device))
    page.get_by_role("button", name="Valider").click()
    page.wait_for_load_state()

    # The case page: the diagram drawn by Graphviz, the current state marked, the form's file to download.
    page.goto(url(f"/admin/dossiers/{second}/"))
    svg = page.locator("svg.ppe-diagram")
    assert svg.count() == 1
    assert page.locator('svg.ppe-diagram g[aria-current="step"]').get_attribute("data-state") == "en_cours"
    assert "Prendre en charge" in svg.text_content()
    page.shot("1-case-diagram")
    page.goto(url(f"/admin/dossiers/{first}/"))
    files = page.locator(".ppe-form-files")
    assert "Statuts de l'association : statuts-2026.pdf" in files.inner_text()
    with page.expect_download() as download:
        files.get_by_role("link", name="statuts-2026.pdf").click()
    assert download.value.suggested_filename == "statuts-2026.pdf"
    assert open(download.value.path(), "rb").read() == PDF  # noqa: SIM115
    page.shot("2-case-file")

    # A new version renames « En cours »: the running cases stay on version 1 until the admin moves them.
    with django_db_blocker.unblock(), tenant_context(territory):
        workflow_import(source=_source(renamed=True), publish=True)
    connection.set_schema_to_public()
    page.goto(url("/admin/"))
    page.get_by_role("button", name="Dossiers").click()
    page.get_by_role("link", name="Changer de version").click()
    page.wait_for_load_state()
    row = page.locator("tr", has_text="Dossier simple")
    assert "Version 2" in row.inner_text()
    page.shot("3-migration-index")
    row.get_by_role("link", name="Dossier simple").click()
    page.wait_for_load_state()
    body = page.locator("main").inner_text()
    assert "2 dossiers en cours sur une ancienne version" in body
    assert "en_cours" not in body  # states by their labels only
    page.select_option("select[id='map-1:en_cours']", value="")
    page.get_by_role("button", name="Voir ce qui va changer").click()
    page.wait_for_load_state()
    body = page.locator("main").inner_text()
    assert "L'état « En cours » n'existe pas dans la version 2 : choisissez l'état qui lui correspond." in body
    assert page.get_by_role("button", name=re.compile("^Appliquer")).count() == 0
    page.shot("4-migration-refused")

    page.select_option("select[id='map-1:en_cours']", label="Instruction")
    page.get_by_role("button", name="Voir ce qui va changer").click()
    page.wait_for_load_state()
    preview = page.locator("section", has_text="Ce qui va changer").inner_text()
    assert "Version 1 · En cours" in preview
    assert "Version 2 · Instruction" in preview
    assert "Change d'état" in preview
    page.shot("5-migration-preview")
    page.get_by_role("button", name="Appliquer : faire passer 2 dossiers en version 2").click()
    page.wait_for_load_state()
    assert "2 dossiers passés en version 2." in page.locator("body").inner_text()
    assert "sont sur la version publiée (2)" in page.locator("main").inner_text()
    page.shot("6-migration-done")

    page.goto(url(f"/admin/dossiers/{second}/"))
    assert (
        "Passage de la version 1 à la version 2 : « En cours » → « Instruction »"
        in page.locator("#historique").inner_text()
    )
    assert page.locator('svg.ppe-diagram g[aria-current="step"]').get_attribute("data-state") == "instruction"
    page.shot("7-case-history")
