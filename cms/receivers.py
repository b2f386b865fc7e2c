"""Purge a territory's page cache whenever what its public pages show changes."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from wagtail.models import Page, PageViewRestriction, Site
from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move

from cms.cache import page_cache_purge, page_cache_purge_for
from core.models import CatalogueService, Operator
from tenants.models import TerritoryPole


@receiver(page_published, dispatch_uid="cms.purge.published")
@receiver(page_unpublished, dispatch_uid="cms.purge.unpublished")
@receiver(post_page_move, dispatch_uid="cms.purge.moved")
@receiver(page_slug_changed, dispatch_uid="cms.purge.slug")
def purge_on_page_change(sender: Any, **kwargs: Any) -> None:
    page_cache_purge()


@receiver(post_delete, dispatch_uid="cms.purge.deleted")
def purge_on_page_delete(sender: Any, instance: Any, **kwargs: Any) -> None:
    if isinstance(instance, Page | Site):
        page_cache_purge()


@receiver(post_save, sender=Site, dispatch_uid="cms.purge.site")
@receiver(post_save, sender=PageViewRestriction, dispatch_uid="cms.purge.restriction")
@receiver(post_delete, sender=PageViewRestriction, dispatch_uid="cms.purge.restriction_removed")
@receiver(post_save, sender=CatalogueService, dispatch_uid="cms.purge.service")
@receiver(post_delete, sender=CatalogueService, dispatch_uid="cms.purge.service_deleted")
@receiver(post_save, sender=Operator, dispatch_uid="cms.purge.operator")
@receiver(post_delete, sender=Operator, dispatch_uid="cms.purge.operator_deleted")
@receiver(m2m_changed, sender=Operator.services.through, dispatch_uid="cms.purge.operator_services")
def purge_on_directory_change(sender: Any, **kwargs: Any) -> None:
    page_cache_purge()


@receiver(post_save, sender=TerritoryPole, dispatch_uid="cms.purge.pole_switched")
@receiver(post_delete, sender=TerritoryPole, dispatch_uid="cms.purge.pole_removed")
def purge_on_pole_switch(sender: Any, instance: TerritoryPole, **kwargs: Any) -> None:
    page_cache_purge_for(schema_name=instance.territory.schema_name)
