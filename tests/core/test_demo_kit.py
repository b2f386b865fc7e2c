"""The demo is a kit (`core/demo/kit/`): its content is fit to publish, it holds a page of every type, and the
demo territory has no configuration outside it (what the kit lacks is the platform's shipped configuration)."""

from __future__ import annotations

import re

import pytest
import yaml
from django.apps import apps
from django_tenants.utils import schema_context
from wagtail.models import Page

from cms.kit import text_of
from cms.services import START_PAGES
from core.services.demo import DEMO_KIT
from core.services.kit import configuration_export
from tenants.services import template_ensure

INTERNAL_REMARKS = ("compliqué", "techniquement", "politiquement", "pas trop", "délicat")


def _pages(path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _text(page: dict) -> str:
    return re.sub(r"\s+", " ", text_of({k: v for k, v in page.items() if k not in ("type", "parent")}))


@pytest.mark.parametrize("path", [DEMO_KIT / "sections" / "pages.yaml", START_PAGES], ids=["demo", "start"])
def test_pages_keep_none_of_the_seeds_internal_remarks(path):
    for key, page in _pages(path).items():
        text = _text(page).lower()
        assert not [remark for remark in INTERNAL_REMARKS if remark in text], key


def test_demo_legal_notice_names_publisher_director_and_host():
    notice = _text(_pages(DEMO_KIT / "sections" / "pages.yaml")["/mentions-legales/"])
    assert "Éditeur du site" in notice
    assert "édité par l'Association de gestion de la Plateforme Petite Enfance d'Ille-et-Vilaine" in notice
    assert "Directrice de la publication Anne Le Floch" in notice
    assert "hébergés en France par la Coopérative numérique de l'Ouest" in notice
    assert "35510 Cesson-Sévigné" in notice


def test_demo_privacy_page_covers_every_person_the_platform_holds_data_on():
    privacy = _text(_pages(DEMO_KIT / "sections" / "pages.yaml")["/donnees-personnelles/"])
    for heading in (
        "Les personnes qui demandent un accompagnement",
        "Les membres des structures d'accueil",
        "Les opérateurs de l'économie sociale et solidaire",
        "Les professionnels remplaçants",
        "Les partenaires et les collectivités",
        "L'équipe de la plateforme et les administrateurs",
        "Les applications connectées (API)",
        "Les visiteurs du site",
        "Vos droits",
    ):
        assert heading in privacy
    for substitutes_data in ("copie des diplômes", "commune de résidence", "disponibilités", "relevés d'heures"):
        assert substitutes_data in privacy


def test_demo_kit_has_a_page_of_every_type_an_image_and_a_document():
    pages = _pages(DEMO_KIT / "sections" / "pages.yaml")
    page_types = {
        model._meta.label_lower
        for model in apps.get_app_config("cms").get_models()
        if issubclass(model, Page) and not model._meta.abstract
    }
    assert {page["type"] for page in pages.values()} == page_types
    media = _pages(DEMO_KIT / "sections" / "media.yaml")
    assert {item["kind"] for item in media.values()} == {"image", "document"}
    for key, item in media.items():
        assert (DEMO_KIT / "files" / "media" / item["file"]).is_file(), key
    image = next(key for key, item in media.items() if item["kind"] == "image")
    document = next(key for key, item in media.items() if item["kind"] == "document")
    home_figure = next(block for block in pages["/"]["body"] if block["type"] == "figure")
    assert home_figure["value"]["image"]["image"] == image
    assert home_figure["value"]["image"]["alt_text"]
    assert f'id="{document}"' in pages["/charte/"]["adaptation"]


def test_the_demo_has_no_configuration_outside_its_kit(territory):
    """What the demo kit does not carry (workflows, catalogue, rules, templates, roles...) is exactly what the
    template has: the platform's shipped configuration."""
    kit_sections = set(yaml.safe_load((DEMO_KIT / "kit.yaml").read_text())["sections"])
    with schema_context(template_ensure().schema_name):
        template = configuration_export(with_files=False)[0]
    with schema_context(territory.schema_name):
        demo = configuration_export(with_files=False)[0]
    for code in set(demo) - kit_sections - {"poles"}:  # pole switches are rows of each territory
        assert demo[code] == template[code], f"the demo's « {code} » is not in the demo kit"
