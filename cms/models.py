"""The public site of a territory (Wagtail pages)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page


class ValueBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Valeur"))
    explanation = blocks.RichTextBlock(label=_("Explication"), features=["bold", "italic", "link", "ul"])

    class Meta:
        icon = "pick"
        label = _("Valeur")
        template = "cms/blocks/value.html"


class HomePage(Page):
    """The territory's home page."""

    intro = RichTextField(_("introduction"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = ["cms.CharterPage"]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("page d'accueil")


class CharterPage(Page):
    """The values charter shared by the network (based on UNIOPSS's), which a territory may adapt."""

    intro = RichTextField(_("introduction"), blank=True)
    values = StreamField([("value", ValueBlock())], verbose_name=_("valeurs"), blank=True, use_json_field=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("values")]
    parent_page_types = ["cms.HomePage"]
    subpage_types: list[str] = []
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("charte des valeurs")


__all__ = ["CharterPage", "HomePage", "models"]
