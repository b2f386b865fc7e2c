"""The CMS as an always-on internal plugin: it builds each territory's first pages and the demo's content."""

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
def demo_seed(territory: Territory) -> None:
    from cms.services import demo_pages_ensure

    demo_pages_ensure(territory=territory)


@hookimpl
def kit_sections() -> list:
    from cms.kit import CMS_SECTIONS

    return CMS_SECTIONS
