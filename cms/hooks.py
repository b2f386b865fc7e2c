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


@hookimpl
def kit_sections() -> list:
    from cms.kit import CMS_SECTIONS

    return CMS_SECTIONS
