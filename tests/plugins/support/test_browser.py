"""In a real browser: one support case from a structure's request to its evaluation, through the back office.

The request is opened as the public request form opens it (`case_open`, channel "public", no account); then
a coordinator works it in the support workspace: diagnostic questionnaire, the profile chart, proposals,
conventions (PDF) and their signatures, follow-up, evaluation, and the evaluation dashboard.
"""

import uuid

import pytest
from django_tenants.utils import tenant_context

from tests.live import otp_enrol

from .helpers import DEMANDE

PASSWORD = "motdepasse-navigateur-1"


def committed(fn):
    """Run `fn` on a connection of its own (another thread), outside the test's transaction, so that its
    writes are committed and the test server process sees them."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    def run():
        try:
            return fn()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


@pytest.fixture
def committed_case(db, test_territories, django_db_blocker):
    """A throwaway territory (cloned from the template, so it has the poles' shipped workflows, rules and
    templates) with a coordinator, an operator and a request opened as the public form does; committed."""
    from django.contrib.auth import get_user_model

    from core.models import CatalogueService, Operator
    from core.services.cases import case_open
    from tenants.models import Territory
    from tenants.services import territory_create

    def create():
        Territory.objects.filter(code="2A").first() and Territory.objects.get(code="2A").delete(force_drop=True)
        territory = territory_create(code="2A", name="Essai navigateur", slug=f"essai-nav-{uuid.uuid4().hex[:6]}")
        with tenant_context(territory):
            get_user_model().objects.create_superuser("coordination", "coordination@example.org", PASSWORD)
            operator = Operator.objects.create(name="Coopérative Paie ESS", email="paie@example.org", capacity=3)
            operator.services.add(CatalogueService.objects.get(code="support-paie"))
            case = case_open(workflow="support-accompagnement", data=dict(DEMANDE), actor=None, channel="public")
        return territory, case.reference

    with django_db_blocker.unblock():
        territory, reference = committed(create)
    try:
        yield territory, reference
    finally:
        with django_db_blocker.unblock():
            committed(lambda: Territory.objects.get(pk=territory.pk).delete(force_drop=True))


def _step(page, summary: str, button: str | None = None, fill=None):
    page.get_by_text(summary, exact=False).first.click()
    if fill:
        fill()
    page.get_by_role("button", name=button or summary.split(" →", maxsplit=1)[0], exact=True).click()
    page.wait_for_load_state()


@pytest.mark.browser
def test_a_support_case_from_request_to_evaluation(http_server, page, committed_case):
    territory, reference = committed_case
    page.goto(http_server.url_for(territory, "/admin/login/"))
    page.fill("input[name=username]", "coordination")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="S'identifier").click()
    page.wait_for_load_state()
    otp_enrol(page)  # a superuser holds the administrator's role: enrols an authenticator application first

    page.goto(http_server.url_for(territory, "/admin/support/dossiers/"))
    page.get_by_role("link", name=reference).click()
    assert page.get_by_test_id("state").inner_text() == "Demande reçue"
    page.shot("1-demande")

    _step(page, "Démarrer le diagnostic →")
    assert page.get_by_test_id("state").inner_text() == "Diagnostic"

    def diagnostic():
        for select in page.locator("select[name^='terminer_diagnostic-diag_']").all():
            name = select.get_attribute("name")
            value = "0" if "_paie_" in name or "_renouvellement_" in name else "3"
            if name.endswith("diag_federation"):
                value = "aucune"
            elif name.endswith("diag_professionalisation"):
                value = "1"
            select.select_option(value)

    _step(page, "Terminer le diagnostic →", fill=diagnostic)
    assert page.get_by_test_id("state").inner_text() == "Propositions de services"
    chart = page.locator("svg[role=img]").first
    assert "Profil de la structure" in chart.locator("title").text_content()
    page.shot("2-profil-et-propositions")

    for name in ("Accepter Gestion de la paie", "Accepter Gouvernance associative"):
        page.get_by_role("button", name=name).click()
        page.wait_for_load_state()
    _step(page, "Valider les propositions →")
    assert page.get_by_test_id("state").inner_text() == "Conventions"
    assert page.get_by_role("link", name="Télécharger le PDF").count() == 2
    href = page.get_by_role("link", name="Télécharger le PDF").first.get_attribute("href")
    status, kind, start = page.evaluate(
        "async (url) => { const r = await fetch(url); return [r.status, r.headers.get('content-type'),"
        " (await r.text()).slice(0, 5)]; }",
        href,
    )
    assert (status, kind, start) == (200, "application/pdf", "%PDF-")

    for _ in range(4):  # two conventions, two parties each
        form = page.locator("form:has(button:text('Enregistrer la signature'))").first
        form.locator("input[name=signatory]").fill("Anne Martin")
        form.get_by_role("button", name="Enregistrer la signature").click()
        page.wait_for_load_state()
    assert page.locator("li", has_text="non signée").count() == 0
    assert page.get_by_text("signée le").count() == 4
    page.shot("3-conventions-signees")

    _step(page, "Mettre en place les services →")
    _step(page, "Passer au suivi →")
    page.fill("textarea[name=text]", "Première paie faite par la coopérative.")
    page.get_by_role("button", name="Ajouter au journal").click()
    page.wait_for_load_state()
    assert page.get_by_text("Première paie faite par la coopérative.").count() == 1
    _step(page, "Lancer l'évaluation →")

    def evaluation():
        page.fill("input[name='cloturer-eval_satisfaction']", "5")
        page.select_option("select[name='cloturer-eval_objectifs']", "atteints")

    _step(page, "Clôturer avec l'évaluation →", fill=evaluation)
    assert page.get_by_test_id("state").inner_text() == "Clôturée"
    page.shot("4-cloturee")

    page.goto(http_server.url_for(territory, "/admin/support/tableau-de-bord/"))
    assert page.locator("svg[role=img]").count() == 3
    assert page.get_by_text("5,0 sur 5").count() + page.get_by_text("5.0 sur 5").count() >= 1
    page.shot("5-tableau-de-bord")
