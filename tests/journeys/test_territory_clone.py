"""Journey 7, in a real browser: another département's platform admin (a staff account of the public host with
the territory permissions only, not a superuser) clones Ille-et-Vilaine as Morbihan, follows the job, reads
the checklist of what still names the source, sees the draft adapted, publishes, and later pulls an update of
Ille-et-Vilaine without losing Morbihan's own change (screenshots in tests/artifacts/)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from tests.live import otp_enrol

PASSWORD = "motdepasse-plateforme-56"
USERNAME = "plateforme.morbihan"


def _user_drop() -> None:
    """Accounts of the public host are removed row by row: Wagtail's tables (which refer to users) exist in the
    territories' schemas only, so the ORM's cascade cannot run there."""
    User = get_user_model()
    ids = list(User.objects.filter(username=USERNAME).values_list("pk", flat=True))
    User.user_permissions.through.objects.filter(user_id__in=ids).delete()
    User.groups.through.objects.filter(user_id__in=ids).delete()
    TOTPDevice.objects.filter(user_id__in=ids).delete()  # the second factor enrolled in the journey
    User.objects.filter(pk__in=ids)._raw_delete(User.objects.db)


@pytest.fixture
def platform_admin(test_territories, django_db_blocker):
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        _user_drop()
        user = get_user_model().objects.create_user(
            USERNAME, "plateforme@morbihan.example.org", PASSWORD, is_staff=True, first_name="Gaëlle"
        )
        user.user_permissions.set(Permission.objects.filter(content_type__app_label="tenants"))
    try:
        yield user
    finally:
        with django_db_blocker.unblock():
            connection.set_schema_to_public()
            _user_drop()


@pytest.fixture
def morbihan_cleanup(test_territories, django_db_blocker):
    """Drop what the journey commits: the Morbihan territory, its creation job, the source's changed service."""
    from core.models import CatalogueService
    from tenants.models import ProvisioningJob, Territory
    from tenants.services import territory_delete

    source = test_territories["35"]
    with django_db_blocker.unblock():
        for territory in Territory.objects.filter(code="56"):  # left by an interrupted run
            territory_delete(territory=territory)
        ProvisioningJob.objects.filter(params__code="56").delete()
        with schema_context(source.schema_name):
            summary = CatalogueService.objects.get(code="support-rh").summary
    yield
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        for territory in Territory.objects.filter(code="56"):
            territory_delete(territory=territory)
        ProvisioningJob.objects.filter(params__code="56").delete()
        with schema_context(source.schema_name):
            CatalogueService.objects.filter(code="support-rh").update(summary=summary)
        connection.set_schema_to_public()


def _text(page) -> str:
    return page.locator("body").inner_text()


@pytest.mark.browser
def test_another_departement_clones_ille_et_vilaine_adapts_publishes_and_pulls_an_update(
    http_server, page, platform_admin, morbihan_cleanup, django_db_blocker
):
    """No `db` transaction: what this test writes (as the territory's editor would) must reach the server."""
    from cms.models import HomePage
    from core.models import CatalogueService
    from tenants.models import Territory

    page.set_default_timeout(30000)
    public = lambda path: http_server.url_for(None, path)  # noqa: E731
    page.goto(public("/plateforme/admin/login/"))
    page.fill("#id_username", USERNAME)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name=re.compile("Connexion|S'identifier|Se connecter")).click()
    page.wait_for_load_state()
    otp_enrol(page)  # the platform's staff enrol an authenticator application first

    # 1. Clone Ille-et-Vilaine from the territories' list.
    page.goto(public("/plateforme/admin/tenants/territory/"))
    page.get_by_role("link", name="Cloner un territoire").click()
    page.select_option("#id_source", label="Ille-et-Vilaine (35)")
    page.fill("#id_code", "56")
    page.fill("#id_name", "Morbihan")
    page.fill("#id_first_admin_email", "direction@morbihan.example.org")
    page.shot("1-formulaire")
    page.get_by_role("button", name="Cloner").click()
    page.wait_for_load_state()
    # at once with an immediate queue; a worker's job otherwise (make prod): the page updates itself
    expect(page.locator("#content")).to_contain_text("Terminé", timeout=240_000)
    job = page.locator("#content").inner_text()
    assert "100 %" in job
    assert "brouillon" in job
    assert "mot de passe" not in job.lower()
    page.shot("2-creation")

    # 2. The draft's checklist: what still names Ille-et-Vilaine, its addresses, its legal pages.
    page.get_by_role("link", name="Voir le territoire et ce qu'il reste à adapter").click()
    page.wait_for_load_state()
    territory_page = _text(page)
    assert "Site en brouillon" in territory_page
    assert "nomme « Ille-et-Vilaine »" in territory_page
    assert "contact@plateforme-petite-enfance-35.example.org" in territory_page
    assert "Mentions légales" in territory_page
    assert "Données personnelles" in territory_page
    page.shot("3-liste-a-adapter")
    with django_db_blocker.unblock():
        morbihan = Territory.objects.get(code="56")
        site = http_server.url_for(morbihan, "/")
    assert page.goto(site).status == 404  # offline while a draft

    # 3. The home page is adapted in the territory's admin (saved as a draft, as its editor does).
    with django_db_blocker.unblock(), schema_context(morbihan.schema_name):
        home = HomePage.objects.get()
        home.body = [("heading", "Dans le Morbihan"), ("paragraph", "<p>La plateforme du Morbihan.</p>")]
        home.save_revision()
    connection.set_schema_to_public()
    page.goto(public(f"/plateforme/admin/tenants/territory/{morbihan.pk}/change/"))
    rows = page.locator("table.launch-checklist tbody tr")
    home_row = rows.filter(has_text="Plateforme Petite Enfance — Morbihan").filter(has_text="contenu")
    assert "✔ fait" in home_row.first.inner_text()

    # 4. Publish: the site is online under its own name.
    page.get_by_role("button", name="Publier le site").click()
    page.wait_for_load_state()
    assert "est en ligne" in _text(page)
    page.goto(site)
    assert page.locator("h1").inner_text() == "Plateforme Petite Enfance — Morbihan"
    assert "Dans le Morbihan" in page.locator("main").inner_text()
    page.shot("4-site-publie")

    # 5. Later, Ille-et-Vilaine improves a service; Morbihan has changed another one.
    with django_db_blocker.unblock():
        with schema_context("dep_35"):
            CatalogueService.objects.filter(code="support-rh").update(summary="RH : recrutement, paie et formation.")
        with schema_context(morbihan.schema_name):
            CatalogueService.objects.filter(code="support-paie").update(title="Paie (Morbihan)")
    connection.set_schema_to_public()
    page.goto(public(f"/plateforme/admin/tenants/territory/{morbihan.pk}/change/"))
    page.get_by_role("link", name="Écarts avec le modèle").click()
    page.wait_for_load_state()
    drift = _text(page)
    assert "Catalogue de services : « Accompagnement en ressources humaines »" in drift
    assert "RH : recrutement, paie et formation." in drift
    assert "Catalogue de services : « Paie (Morbihan) »" in drift  # its own change, kept
    assert "catalogue:" not in drift  # labels, never codes
    page.shot("5-ecarts")
    page.get_by_role("button", name="Appliquer").click()
    page.wait_for_load_state()
    assert "1 mise(s) à jour du modèle récupérée(s)" in _text(page)
    assert page.get_by_role("button", name="Annuler cette fusion").is_visible()
    page.shot("6-fusion")
    with django_db_blocker.unblock(), schema_context(morbihan.schema_name):
        assert CatalogueService.objects.get(code="support-rh").summary == "RH : recrutement, paie et formation."
        assert CatalogueService.objects.get(code="support-paie").title == "Paie (Morbihan)"
    connection.set_schema_to_public()
