"""StreamField blocks of the public site: charter values, body content, key figures and accessible charts.

Charts are drawn on the server as SVG with a title, a description and a data table (their text alternative);
no JavaScript is involved.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.images.blocks import ImageBlock

# Colours of chart series: each has a contrast of at least 3:1 against white (WCAG 1.4.11) and carries
# white text of 4.5:1 or more; the values are written out as well, so colour is never the only cue.
CHART_COLOURS = ["#00566b", "#8a3b00", "#5a3d8a", "#2f6b1f", "#9b1c4a", "#3d4f66"]


class ValueBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Valeur"))
    explanation = blocks.RichTextBlock(label=_("Explication"), features=["bold", "italic", "link", "ul"])
    commitments = blocks.ListBlock(
        blocks.CharBlock(label=_("Engagement")),
        label=_("Engagements concrets"),
        required=False,
        default=[],
    )

    class Meta:
        icon = "pick"
        label = _("Valeur")
        template = "cms/blocks/value.html"


class HeadingBlock(blocks.CharBlock):
    class Meta:
        icon = "title"
        label = _("Intertitre")
        template = "cms/blocks/heading.html"


class ListItemsBlock(blocks.StructBlock):
    ordered = blocks.BooleanBlock(label=_("Liste numérotée"), required=False)
    items = blocks.ListBlock(blocks.CharBlock(label=_("Élément")), label=_("Éléments"))

    class Meta:
        icon = "list-ul"
        label = _("Liste")
        template = "cms/blocks/list.html"


class FigureBlock(blocks.StructBlock):
    """An image with its text alternative (or marked decorative) and an optional caption."""

    image = ImageBlock(label=_("Image"))
    caption = blocks.CharBlock(label=_("Légende"), required=False, max_length=250)

    class Meta:
        icon = "image"
        label = _("Image")
        template = "cms/blocks/figure.html"


class BodyBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    paragraph = blocks.RichTextBlock(
        label=_("Paragraphe"), features=["bold", "italic", "link", "ol", "ul", "document-link"]
    )
    list = ListItemsBlock()
    figure = FigureBlock()

    class Meta:
        label = _("Contenu")


class KeyFigureBlock(blocks.StructBlock):
    value = blocks.DecimalBlock(label=_("Valeur"), decimal_places=1)
    unit = blocks.CharBlock(label=_("Unité"), required=False, help_text=_("Par exemple : %, M€, salariés."))
    label = blocks.CharBlock(label=_("Libellé"))

    class Meta:
        icon = "order"
        label = _("Chiffre clé")


class FigureGroupBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Titre"))
    figures = blocks.ListBlock(KeyFigureBlock(), label=_("Chiffres"))
    source = blocks.CharBlock(label=_("Source"), required=False)

    class Meta:
        icon = "table"
        label = _("Groupe de chiffres clés")
        template = "cms/blocks/figure_group.html"


class ChartItemBlock(blocks.StructBlock):
    label = blocks.CharBlock(label=_("Libellé"))
    value = blocks.DecimalBlock(label=_("Valeur"), decimal_places=1, min_value=0)
    note = blocks.CharBlock(label=_("Précision"), required=False, help_text=_("Par exemple : 156 établissements."))


class _ChartBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Titre"))
    summary = blocks.TextBlock(
        label=_("Ce que montre le graphique"),
        help_text=_("Une ou deux phrases lues par les lecteurs d'écran et affichées sous le graphique."),
    )
    unit = blocks.CharBlock(label=_("Unité"), required=False)
    items = blocks.ListBlock(ChartItemBlock(), label=_("Données"), min_num=1)
    source = blocks.CharBlock(label=_("Source"), required=False)


class ShareChartBlock(_ChartBlock):
    """Parts of a whole (percentages adding up to at most 100), drawn as one stacked bar."""

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        total = sum((item["value"] for item in value["items"]), Decimal(0))
        if total > 100:
            raise StructBlockValidationError(
                block_errors={"items": ValidationError(f"Les parts totalisent {total} % : 100 % au plus.")}
            )
        return value

    def get_context(self, value: Any, parent_context: dict | None = None) -> dict:
        context = super().get_context(value, parent_context)
        segments, offset = [], Decimal(0)
        for index, item in enumerate(value["items"]):
            segments.append(
                {
                    "label": item["label"],
                    "value": item["value"],
                    "note": item["note"],
                    "x": offset * 10,
                    "width": item["value"] * 10,
                    "middle": offset * 10 + item["value"] * 5,
                    "colour": CHART_COLOURS[index % len(CHART_COLOURS)],
                    "labelled": item["value"] >= 8,
                }
            )
            offset += item["value"]
        context["segments"] = segments
        return context

    class Meta:
        icon = "radio-full"
        label = _("Graphique de répartition (parts en %)")
        template = "cms/blocks/share_chart.html"


class BarChartBlock(_ChartBlock):
    """Values to compare, drawn as horizontal bars scaled to the largest one."""

    def get_context(self, value: Any, parent_context: dict | None = None) -> dict:
        context = super().get_context(value, parent_context)
        top = max((item["value"] for item in value["items"]), default=Decimal(0)) or Decimal(1)
        context["bars"] = [
            {
                "label": item["label"],
                "value": item["value"],
                "note": item["note"],
                "percent": (item["value"] / top * 100).quantize(Decimal("0.1")),
                "colour": CHART_COLOURS[index % len(CHART_COLOURS)],
            }
            for index, item in enumerate(value["items"])
        ]
        return context

    class Meta:
        icon = "doc-full"
        label = _("Graphique en barres (comparaison)")
        template = "cms/blocks/bar_chart.html"


class KeyFiguresBlock(blocks.StreamBlock):
    figures = FigureGroupBlock()
    share_chart = ShareChartBlock()
    bar_chart = BarChartBlock()
    heading = HeadingBlock()
    paragraph = blocks.RichTextBlock(label=_("Paragraphe"), features=["bold", "italic", "link", "ul"])

    class Meta:
        label = _("Chiffres et graphiques")
