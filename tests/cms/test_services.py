"""The pages a territory starts with, and the demo territory's content, built idempotently."""

from __future__ import annotations

from django_tenants.utils import schema_context
from wagtail.models import Page, Revision, Site

from cms.models import (
    CatalogueIndexPage,
    CharterPage,
    ContactPage,
    ContentPage,
    HomePage,
    KeyFiguresPage,
    LegalPage,
    NewsArticlePage,
    NewsIndexPage,
    OperatorDirectoryPage,
    ServicePage,
)
from cms.services import site_pages_ensure
from core.models import CatalogueService
from core.services.demo import demo_content_import
from tenants.services import territory_create

STRUCTURAL = [
    CharterPage,
    ContentPage,
    CatalogueIndexPage,
    OperatorDirectoryPage,
    KeyFiguresPage,
    NewsIndexPage,
    ContactPage,
]


def _slugs() -> list[str]:
    return list(Page.objects.filter(depth__gte=2).order_by("path").values_list("slug", flat=True))


def test_the_template_and_every_clone_start_with_the_structural_pages(test_territories, db):
    clone = territory_create(code="56", name="Morbihan")
    for schema in ("template", clone.schema_name):
        with schema_context(schema):
            home = Site.objects.get(is_default_site=True).root_page.specific
            assert isinstance(home, HomePage)
            for model in STRUCTURAL:
                assert model.objects.child_of(home).live().count() == 1, (schema, model)
            assert set(LegalPage.objects.child_of(home).values_list("slug", flat=True)) == {
                "mentions-legales",
                "donnees-personnelles",
            }
    with schema_context(clone.schema_name):
        assert HomePage.objects.get().title == "Plateforme Petite Enfance — Morbihan"


def test_site_pages_ensure_is_idempotent_and_keeps_edits(tenant):
    charter = CharterPage.objects.get()
    charter.intro = "<p>Notre version de la charte.</p>"
    charter.save_revision().publish()
    before = _slugs()

    site_pages_ensure(territory=tenant)

    assert _slugs() == before
    assert CharterPage.objects.get().intro == "<p>Notre version de la charte.</p>"


def test_site_pages_ensure_recreates_a_missing_page(tenant):
    KeyFiguresPage.objects.get().delete()
    site_pages_ensure(territory=tenant)
    figures = KeyFiguresPage.objects.get()
    assert figures.live
    assert [block.block_type for block in figures.body][:3] == ["figures", "share_chart", "share_chart"]


def test_demo_kit_builds_the_demo_content_and_importing_it_again_changes_nothing(tenant):
    demo_content_import(territory=tenant)
    first = _slugs()
    revisions = Revision.objects.count()
    demo_content_import(territory=tenant)

    assert _slugs() == first
    assert Revision.objects.count() == revisions  # the same kit: no page rewritten
    offered = CatalogueService.objects.filter(is_active=True).count()
    assert ServicePage.objects.live().count() == offered
    assert NewsArticlePage.objects.live().count() == 3
    assert ContactPage.objects.get().email == "contact@plateforme-petite-enfance-35.example.org"
    assert [block.block_type for block in HomePage.objects.get().body] == ["heading", "paragraph", "figure"]
    assert "Réso-solidaire" in str(HomePage.objects.get().body)


def test_admins_find_pages_by_their_content(tenant):
    demo_content_import(territory=tenant)
    found = Page.objects.live().search("Réso-solidaire")
    assert HomePage.objects.get().pk in {page.pk for page in found}
    assert ServicePage.objects.live().search("bulletins de salaire").count() >= 1


def test_start_pages_links_to_later_pages_are_resolved(tenant):
    """The legal notice links to the personal-data page, created after it: the link still points at it (in
    the template, built from the start pages, and in the demo, from its kit)."""
    from tenants.services import template_ensure

    for schema in (template_ensure().schema_name, tenant.schema_name):
        with schema_context(schema):
            legal = LegalPage.objects.get(slug="mentions-legales")
            privacy = LegalPage.objects.get(slug="donnees-personnelles")
            assert f'linktype="page" id="{privacy.pk}"' in str(legal.body.raw_data)
            assert 'id=""' not in str(legal.body.raw_data)
