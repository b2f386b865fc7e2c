"""The CMS's pluggy hooks: `territory_provisioned` builds the first pages (the demo's content is the demo kit)."""

from __future__ import annotations

from django.core.cache import caches

from cms import hooks
from cms.cache import GENERATION_KEY
from cms.models import ContactPage, HomePage


def test_territory_provisioned_builds_the_pages_and_purges_the_page_cache(tenant):
    cache = caches["cms"]
    cache.set(GENERATION_KEY, "stale", None)  # left by an earlier territory of the same schema name
    ContactPage.objects.get().delete()

    hooks.territory_provisioned(territory=tenant, source=None, sample_data=False)

    assert ContactPage.objects.get().live
    assert cache.get(GENERATION_KEY) != "stale"


def test_territory_provisioned_from_a_source_gives_the_clone_its_title(tenant):
    tenant.name = "Bretagne romantique"
    hooks.territory_provisioned(territory=tenant, source=tenant, sample_data=False)
    assert HomePage.objects.get().title == "Plateforme Petite Enfance — Bretagne romantique"
