"""Each role lands on its own work, in a real browser, on a committed copy of the demo territory: a crèche
director decides the proposals waiting for her from her home (« Mon travail »); an ESS operator finds on its home
the services it carries out and all its conventions, the signed one with its PDF. People invited the product's
way, never a superuser. Screenshots in tests/artifacts/ (test_role_homes-*.png)."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from tests.journeys.test_roles import ENGLISH, _capture, _clean, _committed, _sign_in
from tests.live import ARTIFACTS

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"test_role_homes-{name}.png"), full_page=True)


@pytest.mark.browser
def test_a_director_acts_from_her_home_and_an_operator_finds_its_conventions_there(  # noqa: PLR0917
    http_server, page, browser, scratch_demo_territory, django_db_blocker, settings
):
    from core.models import Operator, Structure
    from core.services.cases import case_open, transition_apply
    from tests.people import person_invite
    from tests.plugins.support.helpers import DEMANDE, to_proposals

    territory = scratch_demo_territory
    settings.PPE_URL_PORT = str(http_server.port)
    page.set_default_timeout(30000)
    url = lambda path: http_server.url_for(territory, path)  # noqa: E731
    with _committed(territory, django_db_blocker):
        structure = Structure.objects.get(name="Les P'tits Loups")
        operator_row = Operator.objects.get(name="Gouvernance & Engagement 35")
        coordinator = person_invite(territory, role="pole_coordinator")
        director = person_invite(territory, role="structure_member", structure=structure, first_name="Anne",
                                 last_name="Martin")  # fmt: skip
        operator = person_invite(territory, role="operator", operator=operator_row, first_name="Paul",
                                 last_name="Durand")  # fmt: skip
        case = case_open(workflow="support-accompagnement", data=dict(DEMANDE), structure=structure,
                         actor=coordinator)  # fmt: skip
        case = to_proposals(case, coordinator, _capture, diag_renouvellement_1="0", diag_renouvellement_2="0")
        reference = case.reference
        titles = sorted(case.support_proposals.values_list("service__title", flat=True))

    # 1. The director's home: the proposals waiting for her, with her decision buttons.
    _sign_in(page, url("/admin/login/"), director.username)
    page.goto(url("/admin/"))
    text = _clean(page)
    assert "Propositions de service à accepter ou refuser" in text
    assert reference in text
    assert "Rechercher toutes les pages" not in page.content()  # the page search is for the site's editors
    page.get_by_text("Propositions de service à accepter ou refuser").scroll_into_view_if_needed()
    _shot(page, "1-directrice-accueil-propositions")
    page.get_by_role("button", name="Accepter « Gouvernance associative »").click()
    page.wait_for_load_state()
    assert f"/admin/dossiers/{reference}/" in page.url
    assert "« Gouvernance associative » : acceptée." in _clean(page)
    page.goto(url("/admin/"))
    for title in titles:
        if title != "Gouvernance associative":
            page.get_by_role("button", name=f"Décliner « {title} »").click()
            page.wait_for_load_state()
            page.goto(url("/admin/"))
    assert "Propositions de service à accepter ou refuser" not in _clean(page)

    with _committed(territory, django_db_blocker):
        from plugins.support.services import convention_sign, convention_signed_copy_attach, referral_answer

        transition_apply(case=case, transition="accepter_propositions", actor=director)
        proposal = case.support_proposals.get(operator=operator_row)
        referral_answer(proposal=proposal, accepted=True, note="", actor=operator)
        convention = case.support_conventions.get(party="operator")
        convention_sign(convention=convention, party="counterparty", actor=operator, signatory="Paul Durand")
        convention_signed_copy_attach(convention=convention, file=ContentFile(PDF, name="signee.pdf"), actor=operator)
        convention_title = convention.title
        convention_pk = convention.pk

    # 2. The operator's home, in a browser of its own: its services and its conventions with their documents.
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    operator_page = context.new_page()
    operator_page.set_default_timeout(30000)
    try:
        _sign_in(operator_page, url("/admin/login/"), operator.username)
        operator_page.goto(url("/admin/"))
        text = _clean(operator_page)
        assert "Services que vous réalisez" in text
        assert "Vos conventions" in text
        assert convention_title in text
        assert "par Paul Durand" in text
        operator_page.locator("h3", has_text="Vos conventions").scroll_into_view_if_needed()
        _shot(operator_page, "2-operateur-accueil-conventions")
        signed = operator_page.get_by_role("link", name="Exemplaire signé")
        assert signed.get_attribute("href") == f"/admin/support/conventions/{convention_pk}/?exemplaire=signe"
        fetched = operator_page.evaluate(
            """async (href) => { const r = await fetch(href);
                return [r.status, r.headers.get("content-type"), (await r.arrayBuffer()).byteLength]; }""",
            signed.get_attribute("href"),
        )  # the browser's own request, with the person's session (the download view checks who asks)
        assert fetched == [200, "application/pdf", len(PDF)]
    finally:
        context.close()


ENGINE_SCREENS = ("/admin/snippets/workflows/",)
WALKERS = ["platform_admin", "pole_coordinator", "case_worker", "structure_member", "operator"]


@pytest.mark.browser
@pytest.mark.parametrize("role", WALKERS)
def test_each_role_walks_its_whole_menu_in_french(  # noqa: PLR0917
    http_server, page, scratch_demo_territory, django_db_blocker, settings, role
):
    """Every screen of the role's sidebar (sub-menus included) opens in the browser and reads French: no raw
    code, no English, no JSON."""
    from core.models import Operator, Structure
    from tests.core.test_admin_menus import NOT_SCREENS, menu_links
    from tests.live import OTP_ENROL_PATH, otp_enrol
    from tests.people import person_invite

    territory = scratch_demo_territory
    settings.PPE_URL_PORT = str(http_server.port)
    page.set_default_timeout(30000)
    with _committed(territory, django_db_blocker):
        extra = {}
        if role == "structure_member":
            extra["structure"] = Structure.objects.get(name="Les P'tits Loups")
        if role == "operator":
            extra["operator"] = Operator.objects.get(name="Gouvernance & Engagement 35")
        person = person_invite(territory, role=role, **extra)
    _sign_in(page, http_server.url_for(territory, "/admin/login/"), person.username)
    if OTP_ENROL_PATH in page.url:  # a territory's admin enrols an authenticator application first
        otp_enrol(page)
    elif "/compte/double-authentification/" in page.url:  # ...or gives the code of the one she enrolled
        from tests.people import otp_device, otp_token

        with _committed(territory, django_db_blocker):
            code = otp_token(otp_device(person))
        page.fill("#id_token", code)
        page.get_by_role("button", name="Valider").click()
        page.wait_for_load_state()
    page.goto(http_server.url_for(territory, "/admin/"))
    _clean(page)
    _shot(page, f"3-accueil-{role}")
    links = sorted(link for link in menu_links(page.content()) if not link.startswith(NOT_SCREENS))
    assert links
    for link in links:
        answer = page.goto(http_server.url_for(territory, link))
        assert answer.status < 400, (role, link, answer.status)
        assert "/admin/login/" not in page.url, (role, link)
        try:
            if link.startswith(ENGINE_SCREENS):  # the workflow builder's lists show each code in a « Code » column
                text = page.locator("main").first.inner_text()
                assert not ENGLISH.search(text), ENGLISH.search(text).group(0)
                assert '{"' not in text
            else:
                _clean(page)
        except AssertionError as exc:
            _shot(page, f"echec-{role}")
            raise AssertionError(f"{role} {link}: {exc}") from exc
