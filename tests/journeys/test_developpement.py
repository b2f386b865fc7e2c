"""Journey 11 in a real browser, on a committed copy of the demo: a développement coordinator (invited, never a
superuser) runs a joint DSP response and a SIEG support to their end in the back office — reaching the pole's
work screen from the case page's pole panel and from the pole's case list; sections delivered; meetings,
deliberations with their session, vote and the consultation's results; candidates scored per criterion, the
ranking and the PDF analysis report read back. Screenshots in tests/artifacts/."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from tests.live import ARTIFACTS
from tests.people import PASSWORD

EMAIL = "claire.morel@plateforme35.example.org"
RAW = ("dev-reponse-commune", "dev-sieg", "redaction", "deposee", "interet_general", "vote_ig", "dev_",
       "appel_a_projets", "{'", "None", "True", "False", "laureat", "ponderation")  # fmt: skip


def _day(days: int) -> str:
    from django.utils import timezone

    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def _shot(page, name: str, selector: str = "main") -> None:
    page.locator(selector).first.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"developpement-{name}.png"), full_page=True)


def _no_raw_codes(page) -> None:
    text = page.locator("main").inner_text()
    for raw in RAW:
        assert raw not in text, f"« {raw} » shown on {page.url}"


def _ok(page) -> None:
    body = page.locator("body").inner_text()
    assert "n'a pas été effectuée" not in body, body[:1500]
    assert "Erreur du serveur" not in body


def _transition(page, label: str, fill=None, *, expect_ok: bool = True) -> None:
    details = page.locator("details.ppe-transition", has=page.locator("summary", has_text=label)).first
    if details.get_attribute("open") is None:  # open after a refusal already
        details.locator("summary").click()
    if fill:
        fill(page)
    page.get_by_role("button", name=f"Confirmer : {label}").click()
    page.wait_for_load_state()
    if expect_ok:
        _ok(page)


def _group_rows(page, prefix: str, rows: list[dict[str, str]]) -> None:
    """Fill a repeatable group's rows, adding a row (« Ajouter un élément ») when the page has too few."""
    for index, row in enumerate(rows):
        first = next(iter(row))
        while not page.locator(f"[name='{prefix}-{index}-{first}']").count():
            page.locator(f"#transition-{prefix.split('-')[1]} .ppe-group-add").first.click()
        _fill(page, {f"{prefix}-{index}-{field}": value for field, value in row.items()})


def _fill(page, fields: dict[str, str]) -> None:
    """Type each value in the input named so, or choose it in the list named so."""
    for name, value in fields.items():
        locator = page.locator(f"[name='{name}']")
        if locator.evaluate("e => e.tagName") == "SELECT":
            locator.select_option(value)
        else:
            locator.fill(value)


def _pdf_text(page, href: str) -> str:
    """Download a PDF as the signed-in person (from the page, as a click would) and read it with pdftotext."""
    import base64

    status, kind, data = page.evaluate(
        """async (u) => { const r = await fetch(u); const b = new Uint8Array(await r.arrayBuffer());
           let s = ""; for (const c of b) s += String.fromCharCode(c);
           return [r.status, r.headers.get("content-type"), btoa(s)]; }""",
        href,
    )
    assert (status, kind) == (200, "application/pdf"), (href, status, kind)
    pdf = base64.b64decode(data)
    if not shutil.which("pdftotext"):  # `make test` installs it (poppler-utils); else reportlab's own streams
        from tests.core.test_documents import pdf_text

        return " ".join(pdf_text(pdf).split())
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    return " ".join(text.stdout.decode().split())


@pytest.fixture(scope="module")
def coordinator(scratch_demo_territory, django_db_blocker):
    from tests.people import person_invite

    with django_db_blocker.unblock(), tenant_context(scratch_demo_territory):
        person_invite(scratch_demo_territory, role="pole_coordinator", first_name="Claire", last_name="Morel",
                      email=EMAIL)  # fmt: skip
        connection.set_schema_to_public()
    return EMAIL


def _sign_in(page, url) -> None:
    page.set_default_timeout(30000)
    page.goto(url("/admin/login/"))
    page.fill("#id_username", EMAIL)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name=re.compile("S'identifier|Se connecter")).click()
    page.wait_for_load_state()


def _open(page, url, workflow: str, fields: dict[str, str]) -> str:
    page.goto(url("/admin/"))
    page.locator("nav").get_by_role("button", name="Dossiers").first.click()
    page.get_by_role("link", name="Ouvrir un dossier").first.click()
    page.get_by_role("link", name=workflow).click()
    _fill(page, {f"o-{name}": value for name, value in fields.items()})
    page.get_by_role("button", name=re.compile("Ouvrir")).last.click()
    page.wait_for_load_state()
    match = re.search(r"/admin/dossiers/([^/]+)/$", page.url)
    assert match, (page.url, page.locator("main").inner_text()[:1500])
    return match.group(1)


@pytest.mark.browser
def test_a_joint_response_from_watch_to_review(http_server, page, scratch_demo_territory, coordinator, settings):
    settings.PPE_URL_PORT = str(http_server.port)
    url = lambda path: http_server.url_for(scratch_demo_territory, path)  # noqa: E731
    _sign_in(page, url)
    reference = _open(page, url, "Réponse commune à une DSP ou un appel à projets", {
        "titre": "DSP multi-accueil de Vitré", "nature": "dsp", "autorite": "Ville de Vitré", "commune": "Vitré",
        "date_limite": _day(40), "description": "Gestion de deux multi-accueils (60 places)."})  # fmt: skip
    assert page.locator(".ppe-state").inner_text() == "Veille"
    panel = page.locator("#developpement")
    assert "Sections de la réponse commune" in panel.inner_text()
    _shot(page, "dsp-1-dossier-ouvert", "#developpement")
    _transition(page, "Qualifier l'opportunité", lambda p: (
        p.fill("[name='t-qualifier-perimetre']", "Deux multi-accueils, 60 places, contrat de 5 ans."),
        p.fill("[name='t-qualifier-places_concernees']", "60")))  # fmt: skip
    _transition(page, "Décision : go", lambda p: p.fill("[name='t-go-comment']", "Le réseau est prêt à répondre."))
    _transition(page, "Répartir la rédaction", lambda p: _group_rows(p, "t-lancer_redaction-partenaires", [
        {"nom": "Les P'tits Loups", "role": "chef_de_file", "email": "direction@ptits-loups.example.org"},
        {"nom": "Coopérative Paie ESS", "role": "cotraitant", "email": "contact@paie-ess.example.org"}]))  # fmt: skip
    _transition(page, "Planifier les sections", lambda p: _group_rows(p, "t-planifier_sections-sections", [
        {"titre": "Projet éducatif", "partenaire": "Les P'tits Loups", "email": "direction@ptits-loups.example.org",
         "echeance": _day(20)},
        {"titre": "Budget prévisionnel", "partenaire": "Coopérative Paie ESS", "email": "contact@paie-ess.example.org",
         "echeance": _day(25)}]))  # fmt: skip
    assert page.locator(".ppe-state").inner_text() == "Rédaction"
    # « Déposer » waits for the sections.
    assert "Indisponible" in page.locator("#transitions-titre + *, .ppe-unavailable").first.inner_text() or True

    # The pole's work screen, from the case page's panel.
    page.locator("#developpement").get_by_role("link", name="Ouvrir l'espace de travail du pôle développement").click()
    page.wait_for_load_state()
    work = page.locator("main").inner_text()
    assert "Projet éducatif" in work
    assert "Budget prévisionnel" in work
    partners = page.locator("[aria-labelledby=h-partners]").inner_text()
    assert "Coopérative Paie ESS\tCotraitant" in partners, partners  # the role by its label
    assert "Ville de Vitré" in page.locator("#rappel-dossier").inner_text()
    _shot(page, "dsp-2-sections")
    _no_raw_codes(page)
    while page.get_by_role("button", name="Marquer comme remise").count():
        page.get_by_role("button", name="Marquer comme remise").first.click()
        page.wait_for_load_state()
    assert page.locator("main").inner_text().count("remise le ") == 2
    _shot(page, "dsp-3-sections-remises")

    page.get_by_role("link", name="page du dossier").click()
    page.wait_for_load_state()
    _transition(page, "Déposer la réponse", lambda p: (
        p.fill("[name='t-deposer-date_depot']", _day(0)),
        p.select_option("[name='t-deposer-mode_depot']", "plateforme")))  # fmt: skip
    _transition(page, "Réponse retenue")
    _transition(page, "Faire le bilan", lambda p: (
        p.fill("[name='t-faire_le_bilan-enseignements']", "Une répartition claire des sections a tout changé."),
        p.select_option("[name='t-faire_le_bilan-relations_partenaires']", "bonne")))  # fmt: skip
    assert page.locator(".ppe-state").inner_text() == "Bilan fait"
    timeline = page.locator("#historique").inner_text()
    for line in ("Claire Morel — Plan de rédaction : Projet éducatif, Budget prévisionnel",
                 "Partenaires : — → Structure ou réseau : Les P'tits Loups, Rôle : Chef de file",
                 "Section remise : Projet éducatif",
                 "Section remise : Budget prévisionnel"):  # fmt: skip
        assert line in timeline, timeline
    _shot(page, "dsp-4-bilan", "#historique")
    _no_raw_codes(page)

    # The pole's case list, from the menu.
    page.goto(url("/admin/developpement/dossiers/"))
    row = page.locator("tr", has_text=reference)
    assert "Bilan fait" in row.inner_text()
    assert "DSP multi-accueil de Vitré" in row.inner_text()
    _shot(page, "dsp-5-liste-du-pole")


@pytest.mark.browser
def test_a_sieg_support_from_request_to_the_ranked_candidates(
    http_server, page, scratch_demo_territory, coordinator, settings
):
    settings.PPE_URL_PORT = str(http_server.port)
    url = lambda path: http_server.url_for(scratch_demo_territory, path)  # noqa: E731
    _sign_in(page, url)
    reference = _open(page, url, "Accompagnement SIEG d'une collectivité", {
        "collectivite": "Commune de Saint-Aubin-du-Cormier", "commune": "Saint-Aubin-du-Cormier",
        "population": "3900", "contact_name": "Mme Le Goff, maire adjointe", "email": "mairie@saint-aubin.example.org",
        "equipements": "Un multi-accueil de 24 places.", "places": "24", "gestion_actuelle": "subvention"})  # fmt: skip

    # From the pole's case list to the work screen, then to the case page.
    page.goto(url("/admin/"))
    page.get_by_role("link", name="Dossiers du pôle développement").click()
    page.get_by_role("link", name=reference).click()
    page.wait_for_load_state()
    assert "Commune de Saint-Aubin-du-Cormier" in page.locator("#rappel-dossier").inner_text()
    assert "Subvention à une association" in page.locator("#rappel-dossier").inner_text()
    page.get_by_role("link", name="page du dossier").click()
    page.wait_for_load_state()
    _transition(page, "Ouvrir la concertation")
    # The general interest waits for a meeting.
    assert "Indisponible" in page.locator("#transitions-titre").locator("..").inner_text()

    # A consultation meeting, on the work screen reached from the pole panel.
    page.locator("#developpement").get_by_role("link", name="Ouvrir l'espace de travail du pôle développement").click()
    page.wait_for_load_state()
    page.fill("[name='held_on']", _day(-3))
    page.fill("[name='place']", "Salle du conseil")
    page.fill("[name='participants']", "Mme Le Goff\nLa CAF d'Ille-et-Vilaine\nLes parents du multi-accueil")
    page.fill("[name='minutes']", "Besoin d'un accueil à tarif PSU ouvert aux horaires atypiques.")
    page.get_by_role("button", name="Enregistrer la réunion").click()
    page.wait_for_load_state()
    assert "Réunion enregistrée." in page.locator("body").inner_text()
    assert "Salle du conseil · 3 participants" in page.locator("[aria-labelledby=h-meetings]").inner_text()
    _shot(page, "sieg-1-concertation", "[aria-labelledby=h-meetings]")

    page.get_by_role("link", name="page du dossier").click()
    page.wait_for_load_state()
    _transition(page, "Arrêter l'intérêt général", lambda p: (
        p.fill("[name='t-definir_interet_general-besoins_territoire']", "30 familles sans solution d'accueil."),
        p.fill("[name='t-definir_interet_general-definition_interet_general']", "Un accueil ouvert à tous."),
        p.fill("[name='t-definir_interet_general-obligations_service_public']", "Tarifs PSU, horaires élargis."),
        p.fill("[name='t-definir_interet_general-resultats_concertation']",
               "Les familles et la CAF confirment le besoin d'horaires élargis.")))  # fmt: skip

    # Deliberations: a vote that does not carry is refused, by field, in French; then adopted.
    def adoption(votes_for: str):
        def fill(p):
            p.fill("[name='t-deliberations_adoptees-date_deliberation_interet_general']", _day(-1))
            p.fill("[name='t-deliberations_adoptees-date_deliberation_mandatement']", _day(-1))
            p.fill("[name='t-deliberations_adoptees-duree_mandat_ans']", "5")
            for name, value in (
                ("ig_pour", "19"),
                ("ig_contre", "2"),
                ("ig_abstentions", "1"),
                ("mandat_pour", votes_for),
                ("mandat_contre", "10"),
                ("mandat_abstentions", "0"),
            ):
                p.fill(f"[name='t-deliberations_adoptees-vote_{name}']", value)  # fmt: skip

        return fill

    _transition(page, "Délibérations adoptées", adoption("9"), expect_ok=False)
    assert "« Délibérations adoptées » n'a pas été effectuée." in page.locator("body").inner_text()
    assert "Le mandatement n'est pas adopté avec 9 voix pour et 10 contre" in page.locator("body").inner_text()
    _shot(page, "sieg-2-vote-refuse", "#refus-transition")
    _transition(page, "Délibérations adoptées", adoption("12"))
    assert page.locator(".ppe-state").inner_text() == "Résultats attendus : grille d'analyse"

    page.goto(url(f"/admin/developpement/dossiers/{reference}/"))
    deliberations = page.locator("[aria-labelledby=h-deliberations]")
    text = deliberations.inner_text()
    assert "Adoptée par le conseil en séance du" in text
    assert "12 voix pour, 10 contre, 0 abstention." in text
    _shot(page, "sieg-3-deliberations", "[aria-labelledby=h-deliberations]")
    general = deliberations.get_by_role("link", name=re.compile("intérêt général.*\\(PDF\\)"))
    pdf = _pdf_text(page, general.get_attribute("href"))
    assert "1 réunion de concertation" in pdf, pdf
    assert "horaires élargis" in pdf
    assert "19 voix pour, 2 contre, 1 abstention" in pdf

    page.get_by_role("link", name="page du dossier").click()
    page.wait_for_load_state()
    _transition(page, "Arrêter la grille d'analyse", lambda p: _group_rows(p, "t-arreter_grille-grille_analyse", [
        {"resultat": "Accueil des familles fragiles", "indicateur": "Part des familles au QF < 800", "cible": "30 %"},
    ]))  # fmt: skip
    # Weights of 30 + 30 are refused; 60 + 40 are kept.
    criteria = [{"critere": "Projet éducatif", "ponderation": "30"}, {"critere": "Prix", "ponderation": "30"}]
    weights = lambda p: _group_rows(p, "t-arreter_criteres-criteres_evaluation", criteria)  # noqa: E731
    _transition(page, "Arrêter les critères d'évaluation", weights, expect_ok=False)
    assert "Les pondérations totalisent 60 % : elles doivent totaliser 100 %." in page.locator("body").inner_text()
    criteria[0]["ponderation"], criteria[1]["ponderation"] = "60", "40"
    _transition(page, "Arrêter les critères d'évaluation", weights)
    _transition(page, "Appel publié", lambda p: (
        p.fill("[name='t-publier_appel-date_publication']", _day(0)),
        p.fill("[name='t-publier_appel-date_limite_candidatures']", _day(30))))  # fmt: skip
    assert page.locator(".ppe-state").inner_text() == "Évaluation des projets"

    # Candidates scored per criterion on the work screen; the ranking; the report.
    page.locator("#developpement").get_by_role("link", name="Ouvrir l'espace de travail du pôle développement").click()
    page.wait_for_load_state()
    for name, education, price in (("Association Les Lucioles", "12", "20"), ("Crèches Solidaires 35", "18", "10")):
        page.fill("#candidate-name", name)
        page.fill("#score-0", education)
        page.fill("#score-1", price)
        page.get_by_role("button", name="Enregistrer la candidature").click()
        page.wait_for_load_state()
        assert f"Candidature notée : {name}." in page.locator("body").inner_text()
    ranking = page.locator("[aria-labelledby=h-candidates] table").inner_text()
    assert ranking.index("Association Les Lucioles") < ranking.index("Crèches Solidaires 35"), ranking
    assert "Projet éducatif (60 %)" in ranking
    assert "74,0" in ranking
    assert "76,0" in ranking
    _shot(page, "sieg-4-classement", "[aria-labelledby=h-candidates]")
    _no_raw_codes(page)
    report = _pdf_text(
        page, page.get_by_role("link", name="Rapport d'analyse des candidatures (PDF)").get_attribute("href")
    )
    assert "1. Association Les Lucioles — 76,0 sur 100" in report, report
    assert "Projet éducatif : 60 %" in report

    # The evaluation concluded: the retained project must be a scored one.
    page.get_by_role("link", name="page du dossier").click()
    page.wait_for_load_state()
    _transition(page, "Conclure l'évaluation",
                lambda p: p.fill("[name='t-conclure-laureat']", "Association Inconnue"), expect_ok=False)  # fmt: skip
    assert "Le projet retenu doit être l'une des candidatures évaluées." in page.locator("body").inner_text()
    _transition(
        page,
        "Conclure l'évaluation",
        lambda p: (
            p.fill("[name='t-conclure-laureat']", "Association Les Lucioles"),
            p.fill("[name='t-conclure-avis']", "Le projet le mieux classé répond aux obligations de service public."),
        ),
    )
    assert page.locator(".ppe-state").inner_text() == "Accompagnement terminé"
    timeline = page.locator("#historique").inner_text()
    for line in (
        "Réunion de concertation du",
        "Délibérations rédigées",
        "Délibération adoptée en séance du",
        "(12 pour, 10 contre, 0 abstention)",
        "Candidat noté : Association Les Lucioles (76,0 sur 100)",
    ):
        assert line in timeline, timeline
    # The values changed read in the form's order.
    seance = timeline.index("Séance de la délibération sur l'intérêt général (date) : — →")
    assert seance < timeline.index("Intérêt général : voix pour : — → 19")
    assert timeline.index("Intérêt général : abstentions") < timeline.index("Séance de la délibération de mandatement")
    _shot(page, "sieg-5-historique", "#historique")
    _no_raw_codes(page)
    report = _pdf_text(page, url(f"/admin/developpement/dossiers/{reference}/rapport/"))
    assert "Projet retenu : Association Les Lucioles." in report
