"""Services of the public site: the pages every territory starts with, and the demo territory's content."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from wagtail.models import Page, Site

from cms import content
from cms.cache import page_cache_purge
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
    RequestFormPage,
    ServicePage,
)
from cms.selectors import REQUEST_PAGE_SLUG, catalogue_service_list
from cms.tasks import request_acknowledgement_send
from core.models import Case
from core.services.cases import case_open
from tenants.models import Territory
from workflows.engine import compiled_version


def _home_title(territory: Territory) -> str:
    if territory.is_template or not territory.code:
        return "Plateforme Petite Enfance"
    return f"Plateforme Petite Enfance — {territory.name}"


def _publish(parent: Page, page: Page) -> Page:
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


def _child_ensure(parent: Page, model: type[Page], slug: str, **fields: Any) -> Page:
    """The child of `parent` with this slug, created and published with `fields` when missing (an existing
    page is never overwritten: admins may have edited it)."""
    existing = Page.objects.child_of(parent).filter(slug=slug).first()
    if existing is not None:
        return existing.specific
    return _publish(parent, model(slug=slug, **fields))


def _home_ensure(territory: Territory) -> HomePage:
    site = Site.objects.get(is_default_site=True)
    root = site.root_page.specific
    if isinstance(root, HomePage):
        return root
    home = HomePage(title=_home_title(territory), slug="accueil", intro=content.HOME_INTRO)
    _publish(Page.get_first_root_node(), home)
    site.root_page = home
    site.save()
    if not root.get_children().exists() and root.depth > 1:
        root.delete()  # Wagtail's welcome page
    return home


@transaction.atomic
def site_pages_ensure(*, territory: Territory) -> HomePage:
    """Make a HomePage the root of the territory's site (replacing Wagtail's welcome page), with the structural
    pages under it: charter, catalogue, operators, key figures, news, approach, contact and legal pages.
    Idempotent: missing pages are created, existing ones are left as they are."""
    home = _home_ensure(territory)
    _child_ensure(
        home,
        CharterPage,
        "charte",
        title="Charte des valeurs",
        show_in_menus=True,
        intro=content.CHARTER_INTRO,
        search_description="Les valeurs communes des associations de la plateforme.",
        values=[
            (
                "value",
                {"title": title, "explanation": text, "commitments": content.CHARTER_COMMITMENTS.get(title, [])},
            )
            for title, text in content.CHARTER_VALUES
        ],
    )
    _child_ensure(
        home,
        ContentPage,
        "notre-demarche",
        title="Notre démarche",
        show_in_menus=True,
        intro=content.APPROACH_INTRO,
        body=content.approach_body(),
        search_description="Le principe de la plateforme, ses trois pôles et les partenariats avec les collectivités.",
    )
    _child_ensure(
        home,
        CatalogueIndexPage,
        "services",
        title="Services",
        show_in_menus=True,
        intro=content.CATALOGUE_INTRO,
        search_description="Les services des pôles de la plateforme, par pôle et par public.",
    )
    _child_ensure(
        home,
        OperatorDirectoryPage,
        "operateurs",
        title="Opérateurs ESS",
        show_in_menus=True,
        intro=content.OPERATORS_INTRO,
        search_description="Les opérateurs de l'économie sociale et solidaire qui réalisent les services.",
    )
    _child_ensure(
        home,
        KeyFiguresPage,
        "chiffres-cles",
        title="Chiffres clés",
        show_in_menus=True,
        intro=content.FIGURES_INTRO,
        body=content.key_figures_body(),
        search_description="La place de l'économie sociale et solidaire dans l'accueil du jeune enfant.",
    )
    _child_ensure(
        home,
        NewsIndexPage,
        "actualites",
        title="Actualités",
        show_in_menus=True,
        intro=content.NEWS_INTRO,
        search_description="Les nouvelles de la plateforme et de ses pôles.",
    )
    _child_ensure(
        home,
        ContactPage,
        "contact",
        title="Contact",
        show_in_menus=True,
        intro=content.CONTACT_INTRO,
        search_description="Joindre l'équipe de la plateforme.",
    )
    _child_ensure(
        home,
        RequestFormPage,
        REQUEST_PAGE_SLUG,
        title="Demander un accompagnement",
        intro=content.REQUEST_INTRO,
        privacy_notice=content.REQUEST_PRIVACY_NOTICE,
        thank_you=content.REQUEST_THANKS,
        search_description="Le formulaire de demande d'accompagnement d'une structure d'accueil.",
    )
    _child_ensure(home, LegalPage, "mentions-legales", title="Mentions légales", body=content.LEGAL_NOTICE)
    _child_ensure(home, LegalPage, "donnees-personnelles", title="Données personnelles", body=content.PRIVACY_NOTICE)
    page_cache_purge()
    return home


def home_retitle(*, territory: Territory) -> None:
    """Give a cloned territory's home page its own title. The page row, its revisions and its search entry are
    updated in place: publishing a new revision would cost a third of the whole clone."""
    from wagtail.search import index

    home = HomePage.objects.first()
    title = _home_title(territory)
    if home is not None and home.title != title:
        HomePage.objects.filter(pk=home.pk).update(title=title, draft_title=title)
        for revision in {home.latest_revision, home.live_revision} - {None}:
            revision.content = {**revision.content, "title": title, "draft_title": title}
            revision.save(update_fields=["content"])
        home.refresh_from_db()
        index.insert_or_update_object(home)
    page_cache_purge()


@transaction.atomic
def demo_pages_ensure(*, territory: Territory) -> HomePage:
    """The demo territory's content: its history and networks, a page per catalogue service, its news and its
    contact details. Idempotent."""
    home = site_pages_ensure(territory=territory)
    if not home.body:
        home.body = content.DEMO_HISTORY
        home.save_revision().publish()
    catalogue = CatalogueIndexPage.objects.child_of(home).first()
    if catalogue is not None:
        with_page = set(ServicePage.objects.child_of(catalogue).values_list("service_id", flat=True))
        for service in catalogue_service_list():
            if service.pk in with_page:
                continue
            body = [("paragraph", f"<p>{service.description}</p>")] if service.description else []
            _child_ensure(
                catalogue,
                ServicePage,
                service.code,
                title=service.title,
                service=service,
                intro=service.summary,
                body=body,
                search_description=service.summary,
            )
    news = NewsIndexPage.objects.child_of(home).first()
    if news is not None:
        for slug, title, day, intro, body in content.DEMO_NEWS:
            _child_ensure(
                news, NewsArticlePage, slug, title=title, date=date.fromisoformat(day), intro=intro, body=body
            )
    contact = ContactPage.objects.child_of(home).first()
    if contact is not None and not contact.email:
        contact.organisation = f"Association de gestion de la Plateforme Petite Enfance — {territory.name}"
        contact.email = f"contact@{territory.primary_domain or 'localhost'}"
        contact.opening_hours = "Du lundi au vendredi, de 9 h à 17 h"
        contact.save_revision().publish()
    page_cache_purge()
    return home


# --- The public request form ---------------------------------------------------------------------------------


def request_submit(*, workflow: str, data: dict, files: dict | None = None) -> Case:
    """Open a case of `workflow` from the public request form (anonymous, channel « public »), and e-mail its
    acknowledgement once the transaction commits. Raises the engine's FormInvalid (French messages)."""
    with transaction.atomic():
        case = case_open(workflow=workflow, data=data, files=files, actor=None, channel="public")
        request_acknowledgement_send.enqueue_on_commit(case.pk)
    return case


def _requester_email(case: Case) -> str | None:
    """The first e-mail field of the case's opening form that holds an address."""
    compiled = compiled_version(case.workflow_version_id)
    spec = compiled.forms.get(compiled.open_form) if compiled.open_form else None
    for field in spec.input_fields() if spec is not None else []:
        if field.type == "email" and case.data.get(field.code):
            return str(case.data[field.code])
    return None


def request_acknowledge(*, case: Case) -> bool:
    """E-mail the person who sent a request its case reference. False when the form had no e-mail address."""
    address = _requester_email(case)
    if address is None:
        return False
    territory = connection.tenant
    domain = getattr(territory, "primary_domain", None) or "localhost"
    compiled = compiled_version(case.workflow_version_id)
    send_mail(
        subject=f"Votre demande {case.reference} a bien été reçue — Plateforme Petite Enfance {territory.name}",
        message=(
            "Bonjour,\n\n"
            f"Nous avons bien reçu votre demande « {compiled.name} ». Elle porte la référence {case.reference} : "
            "rappelez-la dans vos échanges avec la plateforme.\n\n"
            "La suite : l'équipe de la plateforme étudie votre demande et vous recontacte pour réaliser un "
            "diagnostic de vos besoins et de vos compétences, puis vous proposer des services adaptés, réalisés "
            "par des opérateurs de l'économie sociale et solidaire du territoire.\n\n"
            f"Vos données personnelles : http://{domain}/donnees-personnelles/\n\n"
            f"L'équipe de la Plateforme Petite Enfance — {territory.name}"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[address],
    )
    return True
