"""Services of the public site: the pages every territory starts with."""

from __future__ import annotations

from django.db import transaction
from wagtail.models import Page, Site

from cms import content
from cms.models import CharterPage, HomePage
from tenants.models import Territory


def _home_title(territory: Territory) -> str:
    if territory.is_template or not territory.code:
        return "Plateforme Petite Enfance"
    return f"Plateforme Petite Enfance — {territory.name}"


@transaction.atomic
def home_ensure(*, territory: Territory) -> HomePage:
    """Make a HomePage the root of the territory's site (replacing Wagtail's welcome page) with a first
    draft of the values charter under it. Idempotent."""
    site = Site.objects.get(is_default_site=True)
    root = site.root_page.specific
    if isinstance(root, HomePage):
        home = root
    else:
        tree_root = Page.get_first_root_node()
        home = HomePage(title=_home_title(territory), slug="accueil", intro=content.HOME_INTRO)
        tree_root.add_child(instance=home)
        home.save_revision().publish()
        site.root_page = home
        site.save()
        if not root.get_children().exists() and root.depth > 1 and not isinstance(root, HomePage):
            root.delete()
    if not CharterPage.objects.child_of(home).exists():
        charter = CharterPage(
            title="Charte des valeurs",
            slug="charte",
            show_in_menus=True,
            intro=content.CHARTER_INTRO,
            search_description="Les valeurs communes des associations de la plateforme.",
            values=[("value", {"title": title, "explanation": text}) for title, text in content.CHARTER_VALUES],
        )
        home.add_child(instance=charter)
        charter.save_revision().publish()
    return home


def home_retitle(*, territory: Territory) -> None:
    home = HomePage.objects.first()
    if home is not None:
        home.title = _home_title(territory)
        home.save_revision().publish()
