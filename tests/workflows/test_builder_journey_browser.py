"""Journey 6 for the form builder (issue 13, item 13), in a real browser on a committed copy of the demo: a
territory admin invited the product's way gives her second factor, binds a workflow (imported as a draft in the
admin), builds its form in the field editor with every field type, a repeatable group and two live conditions
made with the « champ / opérateur / valeur » rows (no CEL typed), publishes it and offers it on the public
request page. A crèche director then fills it, with files (one in a group's row), on the public page and in
the back office; the page is looked at after each step and the files are downloaded afterwards. Screenshots in
tests/artifacts/."""

from __future__ import annotations

import re

import pytest
from django.db import connection

from tests.core.test_access_browser import _sign_in
from tests.live import ARTIFACTS
from tests.people import otp_device, otp_token, person_invite

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"

SOURCE = """format: ppe-workflow/1
code: inscription-equipe
name: Inscription d'une équipe
open_form: inscription
forms:
- code: inscription
  name: Inscription d'une équipe
  fields: []
states:
- {code: recue, label: Reçue, kind: initial, responsible: pole_coordinator}
- {code: close, label: Close, kind: final}
transitions:
- {code: clore, label: Clore, from: [recue], to: close, roles: [pole_coordinator, platform_admin]}
"""

# (code, type as the editor names it, label, options typed in the editor) — every type the builder offers.
FIELDS = [
    ("intro", "Titre de section", "Votre structure", {}),
    ("aide", "Texte d'explication", "Ces informations restent confidentielles.", {}),
    ("nom", "Texte court", "Nom de la structure", {"required": True}),
    ("presentation", "Texte long", "Présentation du projet", {}),
    ("places", "Nombre entier", "Nombre de places", {}),
    ("taux", "Nombre décimal", "Taux d'occupation", {}),
    ("budget", "Montant en euros", "Budget annuel", {}),
    ("ouverture", "Date", "Date d'ouverture", {}),
    ("visite", "Date et heure", "Visite souhaitée", {}),
    ("courriel", "Courriel", "Courriel de contact", {"required": True}),
    ("telephone", "Téléphone", "Téléphone", {}),
    ("siret", "SIRET", "SIRET", {}),
    ("siren", "SIREN", "SIREN", {}),
    ("code_postal", "Code postal", "Code postal", {}),
    ("commune", "Commune", "Commune", {}),
    ("adherente", "Oui / non", "Adhérente d'une fédération", {}),
    ("federation", "Texte court", "Nom de la fédération", {"required": True}),
    ("accueil", "Choix unique", "Type d'accueil", {"choices": "Crèche\nMicro-crèche"}),
    ("agrement", "Texte court", "Numéro d'agrément PMI", {}),
    ("besoins", "Choix multiple", "Besoins", {"choices": "Paie\nRessources humaines"}),
    ("reseau", "Choix dans une liste de référence", "Réseau", {"reference": True}),
    ("statuts", "Fichier", "Statuts", {"content_types": "PDF"}),
    ("equipe", "Groupe répétable", "Professionnelles", {"min_items": "1", "max_items": "3"}),
    ("pro_nom", "Texte court", "Nom et prénom", {"required": True}),
    ("pro_diplome", "Fichier", "Diplôme", {"content_types": "PDF"}),
]


@pytest.fixture
def people(scratch_demo_territory, django_db_blocker):
    from cms.models import RequestFormPage
    from core.models import Structure

    territory = scratch_demo_territory
    with django_db_blocker.unblock():
        connection.set_tenant(territory)
        structure = Structure.objects.filter(is_active=True).order_by("name").first()
        admin = person_invite(territory, role="platform_admin", first_name="Inès", last_name="Garnier")
        device = otp_device(admin)  # the authenticator application she enrolled on accepting the invitation
        director = person_invite(territory, role="structure_member", structure=structure, first_name="Claire",
                                 last_name="Morel")  # fmt: skip
        connection.set_tenant(territory)
        request_page = RequestFormPage.objects.live().first()
        page_id, page_url = request_page.pk, request_page.url
        connection.set_schema_to_public()
    return admin, device, director, structure, page_id, page_url


def _main_text(page) -> str:
    return page.locator("main").inner_text()


def _no_raw_codes(text: str) -> None:
    for raw in ("data.", "pro_diplome", "pro_nom", "{'", '{"', "None", "True", "False", "---------"):
        assert raw not in text, raw


def _pdf(name: str) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF}


@pytest.mark.browser
def test_an_admin_builds_a_form_of_every_type_and_a_director_fills_it(
    http_server, page, scratch_demo_territory, people
):
    admin, device, director, structure, page_id, page_url = people
    url = lambda path: http_server.url_for(scratch_demo_territory, path)  # noqa: E731
    page.set_default_timeout(30000)

    # 1. The territory admin signs in and gives her second factor.
    _sign_in(page, url("/admin/login/"), admin.username)
    assert "double-authentification" in page.url
    page.fill("#id_token", otp_token(device))
    page.get_by_role("button", name="Valider").click()
    page.wait_for_load_state()

    # 2. She binds the workflow: its states and transition imported as a draft, from the admin.
    page.goto(url("/admin/workflows/importer/"))
    page.fill("#id_source", SOURCE)
    page.get_by_role("button", name=re.compile("Importer")).click()
    page.wait_for_load_state()
    assert "importé (version 1)" in page.locator("body").inner_text()
    version_url = page.url
    page.locator("section[aria-labelledby=formulaires]").get_by_role("link", name="Inscription d'une équipe").click()
    page.wait_for_load_state()
    form_url = page.url
    assert "/formdefinition/edit/" in form_url, form_url

    # 3. The field editor: one row per field, every type, no JSON and no code typed but the fields' own.
    for index, (code, kind, label, options) in enumerate(FIELDS):
        page.click("#id_fields-ADD")
        row = f"#id_fields-{index}"
        page.fill(f"{row}-code", code)
        page.select_option(f"{row}-type", label=kind)
        page.fill(f"{row}-label", label)
        if options.get("required"):
            page.check(f"{row}-required")
        if "choices" in options:
            page.fill(f"{row}-choices", options["choices"])
        if options.get("reference"):
            page.select_option(f"{row}-reference", index=1)
        if "content_types" in options:
            page.locator(f"{row}-content_types").get_by_label(options["content_types"], exact=False).first.check()
        for key in ("min_items", "max_items"):
            if key in options:
                page.fill(f"{row}-{key}", options[key])
    page.set_viewport_size({"width": 1280, "height": 2600})
    page.shot("1-every-field-type")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name=re.compile(r"^Enregistrer")).first.click()
    page.wait_for_load_state()
    assert "erreur" not in page.locator("body").inner_text().lower(), page.locator("body").inner_text()[:3000]

    # 4. Again: the group's own fields join it; two conditions from the builder's rows.
    page.goto(form_url)
    codes = [f[0] for f in FIELDS]
    for code in ("pro_nom", "pro_diplome"):
        page.select_option(f"#id_fields-{codes.index(code)}-group", label="Professionnelles (equipe)")
    builder = f"#id_fields-{codes.index('federation')}-visible_builder-0"
    page.select_option(f"{builder}-field", label="Adhérente d'une fédération")
    page.select_option(f"{builder}-operator", label="vaut oui")
    builder = f"#id_fields-{codes.index('agrement')}-visible_builder-0"
    page.select_option(f"{builder}-field", label="Type d'accueil")
    page.select_option(f"{builder}-operator", label="est égal à")
    page.fill(f"{builder}-value", "Micro-crèche")
    page.shot("2-group-and-conditions")
    page.get_by_role("button", name=re.compile(r"^Enregistrer")).first.click()
    page.wait_for_load_state()
    assert "erreur" not in page.locator("body").inner_text().lower(), page.locator("body").inner_text()[:3000]
    page.goto(form_url)
    assert page.input_value(f"#id_fields-{codes.index('agrement')}-visible_builder-0-value") == "Micro-crèche"

    # 5. The version page says nothing stops it; she publishes.
    page.goto(version_url)
    page.shot("3-version")
    page.get_by_role("link", name=re.compile("publier", re.IGNORECASE)).first.click()
    page.wait_for_load_state()
    page.get_by_role("button", name=re.compile("Publier la version 1")).click()
    page.wait_for_load_state()
    assert "publiée" in page.locator("body").inner_text()

    # 6. The public request page offers it (page settings, published).
    page.goto(url(f"/admin/pages/{page_id}/edit/"))
    page.get_by_role("tab", name="Paramètres").click()
    page.select_option("#id_workflow_code", label="Inscription d'une équipe")
    page.locator('button[name="action-publish"]').dispatch_event("click")
    page.wait_for_url(re.compile(r"/admin/pages/\d+/$"))
    page.wait_for_load_state()
    assert "publiée" in page.locator(".messages").inner_text()

    # 7. The director, on the public page, without an account (a browser of her own): conditions act as she
    #    answers, errors read in French, what she typed stays.
    context = page.context.browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    visitor = context.new_page()
    visitor.set_default_timeout(30000)

    def shot(name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        visitor.screenshot(path=str(ARTIFACTS / f"test_builder_journey-{name}.png"), full_page=True)

    try:
        reference = _director_fills_it(visitor, shot=shot, url=url, page_url=page_url, structure=structure,
                                       director=director)  # fmt: skip
    except BaseException:
        shot("failure")
        raise
    finally:
        context.close()

    # 9. The admin reads the public request: both rows' diplomas download from the case page.
    page.goto(url(f"/admin/dossiers/{reference}/"))
    text = _main_text(page)
    _no_raw_codes(text)
    assert "Professionnelles n° 2 — Diplôme" in text
    page.set_viewport_size({"width": 1280, "height": 2600})
    page.shot("10-public-case")
    with page.expect_download() as download:
        page.get_by_role("link", name="diplome lea.pdf").click()
    assert download.value.suggested_filename == "diplome lea.pdf"
    assert open(download.value.path(), "rb").read() == PDF  # noqa: SIM115


def _director_fills_it(visitor, *, shot, url, page_url, structure, director) -> str:
    visitor.goto(url(page_url))
    assert visitor.get_by_role("group", name="Votre structure").is_visible()  # the form she built, its section
    federation = visitor.get_by_label("Nom de la fédération")
    agrement = visitor.get_by_label("Numéro d'agrément PMI")
    assert not federation.is_visible()
    assert not agrement.is_visible()
    visitor.get_by_label("Adhérente d'une fédération").select_option(label="Oui")
    assert federation.is_visible()
    visitor.get_by_label("Type d'accueil").select_option(label="Micro-crèche")
    assert agrement.is_visible()
    shot("4-public-live-conditions")
    visitor.get_by_label("Type d'accueil").select_option(label="Crèche")
    assert not agrement.is_visible()
    visitor.get_by_label("Nom de la structure").fill(structure.name)
    visitor.get_by_label("Courriel de contact").fill("direction@creche.example.org")
    visitor.get_by_label("SIRET").fill("123 456 789 00000")
    visitor.get_by_label("Nom et prénom").fill("Aïcha Benali")
    visitor.set_input_files("#id_equipe-0-pro_diplome", files=[_pdf("diplome aicha.pdf")])
    visitor.set_input_files("#id_statuts", files=[_pdf("statuts.pdf")])
    visitor.locator("#id_envoi-consent").check()
    visitor.get_by_role("button", name="Envoyer ma demande").click()
    visitor.wait_for_load_state()
    summary = visitor.locator(".error-summary").inner_text()
    assert "Le champ « Nom de la fédération » est obligatoire." in summary, summary
    assert "Numéro SIRET invalide." in summary, summary
    shot("5-public-errors")
    _no_raw_codes(visitor.locator("body").inner_text())
    assert visitor.get_by_label("Nom de la structure").input_value() == structure.name  # nothing typed is lost
    assert visitor.get_by_label("Nom de la fédération").is_visible()
    visitor.get_by_label("Nom de la fédération").fill("ACEPP")
    visitor.get_by_label("SIRET").fill("")
    visitor.set_input_files("#id_equipe-0-pro_diplome", files=[_pdf("diplome aicha.pdf")])
    visitor.set_input_files("#id_statuts", files=[_pdf("statuts.pdf")])
    visitor.get_by_role("button", name=re.compile("Ajouter un élément")).click()
    visitor.get_by_label("Nom et prénom").nth(1).fill("Léa Roux")
    visitor.get_by_label("Diplôme").nth(1).set_input_files(files=[_pdf("diplome lea.pdf")])
    if not visitor.locator("#id_envoi-consent").is_checked():
        visitor.locator("#id_envoi-consent").check()
    shot("6-public-two-rows")
    visitor.get_by_role("button", name="Envoyer ma demande").click()
    visitor.wait_for_load_state()
    body = visitor.locator("body").inner_text()
    assert "Merci, votre demande est enregistrée" in body, body[:2000]
    reference = visitor.locator(".reference strong").inner_text()
    shot("7-public-thanks")

    # 8. Signed in, she opens one in the back office, with a file in a row, and downloads it from the case.
    _sign_in(visitor, url("/admin/login/"), director.username)
    visitor.goto(url("/admin/dossiers/nouveau/inscription-equipe/"))
    _no_raw_codes(_main_text(visitor))
    visitor.get_by_label("Nom de la structure").fill(structure.name)
    visitor.get_by_label("Courriel de contact").fill("direction@creche.example.org")
    visitor.get_by_label("Adhérente d'une fédération").select_option(label="Non")
    assert not visitor.get_by_label("Nom de la fédération").is_visible()
    visitor.get_by_label("Nom et prénom").fill("Nadia Lefèvre")
    visitor.set_input_files("#id_o-equipe-0-pro_diplome", files=[_pdf("diplome nadia.pdf")])
    visitor.set_viewport_size({"width": 1280, "height": 2600})
    shot("8-backoffice-form")
    visitor.get_by_role("button", name="Ouvrir le dossier").click()
    visitor.wait_for_load_state()
    assert "Reçue" in visitor.locator(".ppe-state").inner_text()
    text = _main_text(visitor)
    _no_raw_codes(text)
    assert "Professionnelles n° 1 — Diplôme" in text
    visitor.set_viewport_size({"width": 1280, "height": 2600})  # the admin scrolls inside its frame: see it all
    shot("9-backoffice-case")
    with visitor.expect_download() as download:
        visitor.get_by_role("link", name="diplome nadia.pdf").click()
    assert download.value.suggested_filename == "diplome nadia.pdf"
    assert open(download.value.path(), "rb").read() == PDF  # noqa: SIM115
    return reference
