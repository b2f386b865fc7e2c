"""The CMS as an always-on internal plugin: it builds each territory's first pages."""

from __future__ import annotations

from core.plugins import hookimpl
from tenants.models import Territory


@hookimpl
def territory_provisioned(territory: Territory, source: Territory | None, sample_data: bool) -> None:
    from cms.services import home_ensure, home_retitle

    if source is None:
        home_ensure(territory=territory)
    else:
        home_retitle(territory=territory)


@hookimpl
def demo_seed(territory: Territory) -> None:
    from cms.services import home_ensure

    home_ensure(territory=territory)
