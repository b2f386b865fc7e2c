"""Template tags of the public site: main menu, breadcrumbs, footer and French number formatting."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.conf import settings
from wagtail.models import Page, Site

from cms.selectors import REQUEST_PAGE_SLUG, request_page_offered

register = template.Library()

NARROW_NBSP = "\u202f"


def _home(context: dict) -> Page | None:
    request = context.get("request")
    site = Site.find_for_request(request) if request is not None else None
    return site.root_page if site is not None else None


@register.inclusion_tag("cms/tags/main_menu.html", takes_context=True)
def main_menu(context: dict) -> dict[str, Any]:
    """Home, then the home's live children shown in menus; the section of the current page is marked."""
    page = context.get("page")
    home = _home(context)
    items = []
    if home is not None:
        for item in [home, *home.get_children().live().in_menu()]:
            if page is None:
                current = None
            elif item.pk == page.pk:
                current = "page"
            elif item.pk != home.pk and page.path.startswith(item.path):
                current = "true"
            else:
                current = None
            items.append(
                {"title": "Accueil" if item.pk == home.pk else item.title, "url": item.url, "current": current}
            )
        request_page = Page.objects.live().child_of(home).filter(slug=REQUEST_PAGE_SLUG, show_in_menus=False).first()
        if request_page is not None and request_page_offered(request_page):  # the call to action closes the menu
            current = "page" if page is not None and page.pk == request_page.pk else None
            items.append({"title": request_page.title, "url": request_page.url, "current": current, "cta": True})
    return {"items": items}


@register.inclusion_tag("cms/tags/breadcrumbs.html", takes_context=True)
def breadcrumbs(context: dict) -> dict[str, Any]:
    """The path from the home page to the current one (nothing on the home page itself)."""
    page = context.get("page")
    home = _home(context)
    if page is None or home is None or page.pk == home.pk:
        return {"crumbs": [], "current": None}
    ancestors = page.get_ancestors().filter(depth__gte=home.depth)
    crumbs = [{"title": "Accueil" if a.pk == home.pk else a.title, "url": a.url} for a in ancestors]
    return {"crumbs": crumbs, "current": page.title}


@register.inclusion_tag("cms/tags/footer.html", takes_context=True)
def site_footer(context: dict) -> dict[str, Any]:
    """Contact, the legal pages and the request form of the territory, and the directory of territories."""
    from cms.models import ContactPage, LegalPage

    home = _home(context)
    links = []
    if home is not None:
        children = home.get_children().live().type(ContactPage, LegalPage).order_by("path")
        request_page = Page.objects.live().child_of(home).filter(slug=REQUEST_PAGE_SLUG).first()
        if request_page is not None and not request_page_offered(request_page):
            request_page = None  # its pole is switched off: no link to a form that is not offered
        links = [{"title": child.title, "url": child.url} for child in [*children, *filter(None, [request_page])]]
    request = context.get("request")
    directory = None
    if request is not None:
        port = request.get_port()
        suffix = "" if port in ("80", "443") else f":{port}"
        directory = f"{request.scheme}://{settings.PPE_PUBLIC_DOMAIN}{suffix}/"
    return {"links": links, "directory_url": directory, "tenant": getattr(request, "tenant", None)}


@register.filter
def fr_number(value: Any, decimals: int | None = None) -> str:
    """3660 → « 3 660 », 4.7 → « 4,7 » (narrow no-break space between thousands, comma before decimals)."""
    if value in (None, ""):
        return ""
    number = Decimal(str(value))
    if decimals is None:
        decimals = 0 if number == number.to_integral_value() else 1
    text = f"{number:,.{decimals}f}"
    return text.replace(",", NARROW_NBSP).replace(".", ",")
