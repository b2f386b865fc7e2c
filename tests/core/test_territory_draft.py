"""A clone of the demo starts as a draft of the new territory: its pages offline, a checklist of what still
names Ille-et-Vilaine (its texts, its e-mail addresses, its legal pages), published when its admin is ready."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django_tenants.utils import schema_context
from wagtail.models import Page

from cms.models import ContactPage, HomePage, LegalPage
from core.admin import territory_checklist
from tenants.services import territory_clone, territory_publish


@pytest.fixture
def draft(territory):
    return territory_clone(source=territory, code="56", name="Morbihan")


def _live_slugs(territory) -> set[str]:
    with schema_context(territory.schema_name):
        return set(Page.objects.filter(depth__gt=1).live().values_list("slug", flat=True))


def test_a_clone_of_the_demo_is_an_offline_draft(territory, draft, client):
    assert draft.is_draft
    assert _live_slugs(territory)
    assert _live_slugs(draft) == set()
    response = client.get("/", HTTP_HOST=draft.primary_domain)
    assert response.status_code == 404  # nothing of Ille-et-Vilaine is shown under the new name
    from_template = territory_clone(code="29", name="Finistère")
    assert not from_template.is_draft  # the template names nobody: its clones are online at once
    assert _live_slugs(from_template)


def test_territory_checklist(draft):
    entries = territory_checklist(draft)
    by_kind = {kind: [e for e in entries if e.kind == kind] for kind in ("name", "email", "legal")}
    assert {e.page_title for e in by_kind["legal"]} == {"Mentions légales", "Données personnelles"}
    assert any(e.page_title.startswith("Plateforme Petite Enfance") and e.field == "contenu" for e in by_kind["name"])
    assert all("nomme « Ille-et-Vilaine »" in e.detail for e in by_kind["name"])
    assert any("contact@plateforme-petite-enfance-35.example.org" in e.detail for e in by_kind["email"])
    assert not [e for e in entries if e.done]
    with schema_context(draft.schema_name):
        home = HomePage.objects.get()
        home.body = [("heading", "Dans le Morbihan"), ("paragraph", "<p>La plateforme du Morbihan.</p>")]
        home.save_revision()  # saved as a draft, as the editor does: the checklist reads the latest version
        contact = ContactPage.objects.get()
        contact.email = "contact@morbihan.example.org"
        contact.save_revision()
        legal = LegalPage.objects.get(slug="mentions-legales")
        legal.save_revision()
    entries = territory_checklist(draft)
    done = {(e.kind, e.page_title, e.field) for e in entries if e.done}
    assert ("legal", "Mentions légales", "") in done
    assert ("name", home.title, "contenu") in done
    assert ("email", "Contact", "courriel") in done
    assert [e for e in entries if not e.done]  # the rest still waits


def test_territory_published(territory, draft):
    live_at_source = _live_slugs(territory)
    with schema_context(draft.schema_name):
        charter = Page.objects.get(slug="charte").specific
        charter.intro = "<p>La charte du Morbihan.</p>"
        charter.save_revision()
    territory_publish(territory=draft)
    draft.refresh_from_db()
    assert not draft.is_draft
    assert _live_slugs(draft) == live_at_source
    with schema_context(draft.schema_name):
        assert Page.objects.get(slug="charte").specific.intro == "<p>La charte du Morbihan.</p>"  # latest version
    assert territory_checklist(draft) == []
    with pytest.raises(ValidationError, match="déjà publié"):
        territory_publish(territory=draft)


def test_publish_command(draft, capsys):
    call_command("territory_publish", "56")
    assert "est en ligne" in capsys.readouterr().out
    assert _live_slugs(draft)
