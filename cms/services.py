"""Services of the public site: the pages every territory starts with, and the public request form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from wagtail.models import Page, Site

from cms.cache import page_cache_purge
from cms.kit import References, page_create, pages_ensure
from cms.models import HomePage
from cms.tasks import request_acknowledgement_send
from core.models import Case
from core.services.case_structure import case_contact, case_structure_from_request
from core.services.cases import case_open
from tenants.models import Territory
from workflows.engine import compiled_version

START_PAGES = Path(__file__).resolve().parent / "start_pages.yaml"


def _home_title(territory: Territory) -> str:
    if territory.is_template or not territory.code:
        return "Plateforme Petite Enfance"
    return f"Plateforme Petite Enfance — {territory.name}"


def start_pages() -> dict[str, dict[str, Any]]:
    """The pages every territory starts with (`start_pages.yaml`, in the kit's `pages` format)."""
    return yaml.safe_load(START_PAGES.read_text(encoding="utf-8"))


def _home_ensure(territory: Territory, items: dict[str, dict[str, Any]]) -> HomePage:
    site = Site.objects.get(is_default_site=True)
    root = site.root_page.specific
    if isinstance(root, HomePage):
        return root
    item = {**items["/"], "title": _home_title(territory)}
    home = page_create(Page.get_first_root_node(), "/", item, References())
    site.root_page = home
    site.save()
    if not root.get_children().exists() and root.depth > 1:
        root.delete()  # Wagtail's welcome page
    return home.specific


@transaction.atomic
def site_pages_ensure(*, territory: Territory) -> HomePage:
    """Make a HomePage the root of the territory's site (replacing Wagtail's welcome page), with the structural
    pages under it (`start_pages.yaml`: charter, approach, catalogue, operators, key figures, news, contact, the
    request form and the legal pages). Idempotent: missing pages are created, existing ones are left as they
    are."""
    items = start_pages()
    home = _home_ensure(territory, items)
    pages_ensure(items)
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


# --- The public request form ---------------------------------------------------------------------------------


def request_submit(*, workflow: str, data: dict, files: dict | None = None) -> Case:
    """Open a case of `workflow` from the public request form (anonymous, channel « public »), link it to the
    structure it names (found in the directory by SIRET, else by name and commune, or created awaiting a
    coordinator's confirmation: `core.services.case_structure`), and e-mail its acknowledgement once the
    transaction commits. Raises the engine's FormInvalid (French messages)."""
    with transaction.atomic():
        case = case_open(workflow=workflow, data=data, files=files, actor=None, channel="public")
        if case_structure_from_request(case=case) is not None:
            case.refresh_from_db()
        request_acknowledgement_send.enqueue_on_commit(case.pk)
    return case


def _requester_email(case: Case) -> str | None:
    """The first e-mail field of the case's opening form that holds an address."""
    contact = case_contact(case)
    return contact.email if contact is not None else None


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
