"""The CMS as an always-on internal plugin: it builds each territory's first pages; its pages and media are kit
sections (the demo's content comes from the demo kit)."""

from __future__ import annotations

from core.plugins import hookimpl
from tenants.models import Territory


@hookimpl
def territory_provisioned(territory: Territory, source: Territory | None, sample_data: bool) -> None:
    from cms.services import home_retitle, site_pages_ensure

    if source is None:
        site_pages_ensure(territory=territory)
    else:
        home_retitle(territory=territory)
    if territory.is_draft:  # a clone of another territory: offline until its platform admin publishes it
        from cms.launch import site_draft_make

        site_draft_make(source_names=[source.name] if source is not None and not source.is_template else [])


@hookimpl
def territory_published(territory: Territory) -> None:
    from cms.launch import site_publish

    site_publish()


@hookimpl
def territory_checklist(territory: Territory) -> list:
    from cms.launch import site_checklist

    return site_checklist()


@hookimpl
def kit_sections() -> list:
    from cms.kit import CMS_SECTIONS

    return CMS_SECTIONS
