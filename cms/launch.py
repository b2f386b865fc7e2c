"""A new territory's site as a draft: a clone of another territory (or a kit of one) starts unpublished, with a
checklist of what still names its source, and goes public when its platform admin publishes it.

`site_draft_make` runs in the new territory's schema right after the clone: it takes the pages offline,
remembers which ones were online at the source (they go back online on publication) and what named the
source then (its name, its e-mail addresses); `site_checklist` compares the site with that; `site_publish`
publishes the draft."""

from __future__ import annotations

import re
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.html import strip_tags
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page, Site

from cms.cache import page_cache_purge
from cms.kit import text_of
from cms.models import ContactPage, LegalPage, SiteDraft
from core.hookspecs import ChecklistEntry

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_SPACES = re.compile(r"\s+")


def _pages() -> list[Page]:
    """The site's pages as their editors last saved them (a draft page's fields live in its latest revision)."""
    home = Site.objects.get(is_default_site=True).root_page
    pages = Page.objects.filter(path__startswith=home.path).order_by("path").specific()
    return [page.get_latest_revision_as_object() if page.latest_revision_id else page for page in pages]


def _texts(page: Page) -> list[tuple[str, str, str]]:
    """(field name, French label, plain text) of each text field of the page (StreamFields flattened)."""
    from django.db import models

    out = []
    for field in page._meta.concrete_fields:
        if field.name in ("path", "url_path", "slug", "draft_title", "translation_key", "content_type"):
            continue
        if isinstance(field, StreamField):
            value = getattr(page, field.name)
            text = text_of(list(value.raw_data)) if value else ""
        elif isinstance(field, RichTextField | models.TextField | models.CharField | models.EmailField):
            text = strip_tags(str(getattr(page, field.name) or ""))
        else:
            continue
        if text:
            out.append((field.name, str(field.verbose_name), _SPACES.sub(" ", text)))
    return out


def _hits(names: list[str], emails: list[str]) -> list[list[Any]]:
    """[page id, field name, kind, what] for each field naming the source or showing one of its addresses."""
    found = []
    lowered = [(name, name.lower()) for name in names if name]
    for page in _pages():
        for field, _label, text in _texts(page):
            low = text.lower()
            found += [[page.pk, field, "name", name] for name, wanted in lowered if wanted in low]
            found += [[page.pk, field, "email", email] for email in emails if email.lower() in low]
    return found


@transaction.atomic
def site_draft_make(*, source_names: list[str]) -> SiteDraft:
    """Take the site offline as a draft of the new territory (current schema), remembering the pages that were
    online and what names the source (`source_names`, and every e-mail address the pages show)."""
    pages = _pages()
    emails = sorted(
        {email for page in pages for _f, _l, text in _texts(page) for email in _EMAIL.findall(text)}
        | {page.email for page in pages if isinstance(page, ContactPage) and page.email}
    )
    live = [page.pk for page in pages if page.live]
    draft = SiteDraft.objects.create(
        held_back=live,
        source_names=[name for name in source_names if name],
        source_emails=emails,
        initial_hits=_hits(source_names, emails),
    )
    # As Wagtail's unpublish does, for every page at once (no log entry per page: the clone is the event).
    Page.objects.filter(pk__in=live).update(live=False, has_unpublished_changes=True, live_revision=None)
    page_cache_purge()
    return draft


def site_draft_absorb(*, page_ids: list[int]) -> None:
    """Pages imported into the draft (a kit) go online with it, and what they name is added to its checklist."""
    from core.services.kit import importing_kit_source

    draft = site_draft_get()
    if draft is None:
        return
    source_name = importing_kit_source.get().get("name")
    own_name = getattr(connection.tenant, "name", None)
    if source_name and source_name != own_name and source_name not in draft.source_names:
        draft.source_names = [*draft.source_names, source_name]
    pages = _pages()
    emails = {email for page in pages for _f, _l, text in _texts(page) for email in _EMAIL.findall(text)}
    draft.held_back = sorted(set(draft.held_back) | set(page_ids))
    draft.source_emails = sorted(set(draft.source_emails) | emails)
    known = {tuple(hit) for hit in draft.initial_hits}
    draft.initial_hits += [hit for hit in _hits(draft.source_names, draft.source_emails) if tuple(hit) not in known]
    draft.save()


def site_draft_get() -> SiteDraft | None:
    return SiteDraft.objects.filter(published_at__isnull=True).order_by("-created_at").first()


def site_checklist() -> list[ChecklistEntry]:
    """What to adapt before publishing: every field that names the source territory or shows one of its
    e-mail addresses (done once it no longer does), and every legal page (done once saved since the clone).
    Empty when the site is not a draft."""
    draft = site_draft_get()
    if draft is None:
        return []
    pages = {page.pk: page for page in _pages()}
    now = _hits(draft.source_names, draft.source_emails)
    current = {(pk, field, kind, what) for pk, field, kind, what in now}
    entries: dict[tuple, ChecklistEntry] = {}
    for pk, field, kind, what in [*draft.initial_hits, *now]:
        page = pages.get(pk)
        if page is None or (pk, field, kind, what) in entries:
            continue
        label = str(page._meta.get_field(field).verbose_name) if field else ""
        detail = (
            f"nomme « {what} » : remplacez par votre territoire"
            if kind == "name"
            else f"montre l'adresse « {what} » : mettez la vôtre"
        )
        entries[(pk, field, kind, what)] = ChecklistEntry(
            kind, pk, page.title, label, detail, (pk, field, kind, what) not in current
        )
    for page in pages.values():
        if isinstance(page, LegalPage):
            reviewed = page.revisions.filter(created_at__gt=draft.created_at)
            entries[(page.pk, "", "legal", "")] = ChecklistEntry(
                "legal",
                page.pk,
                page.title,
                "",
                "page légale : vérifiez l'éditeur, la direction de la publication, l'hébergeur et les contacts",
                reviewed.exists(),
            )
    order = {"legal": 0, "email": 1, "name": 2}
    return sorted(entries.values(), key=lambda e: (e.done, order[e.kind], e.page_title, e.field))


@transaction.atomic
def site_publish() -> int:
    """Publish the draft: every page that was online at the source goes online in its latest version.
    Returns the number of pages published."""
    draft = site_draft_get()
    if draft is None:
        return 0
    published = 0
    for page in Page.objects.filter(pk__in=draft.held_back).order_by("path").specific():
        revision = page.latest_revision or page.save_revision()
        revision.publish(skip_permission_checks=True)
        published += 1
    draft.published_at = timezone.now()
    draft.save(update_fields=["published_at"])
    page_cache_purge()
    return published
