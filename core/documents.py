"""Documents from admins' templates (conventions, deliberations): rendered in a sandbox with a case's data,
then laid out as PDF by reportlab (pure Python, installs from PyPI alone).

The sandbox: a template engine of its own with no loader and no tag library, only the tags listed in
ALLOWED_TAGS, autoescaping on, and a context of plain dicts and strings (never a model instance), so a
template can neither read files nor reach the database.
"""

from __future__ import annotations

import io
import re
from html import escape as xml_escape
from html.parser import HTMLParser
from typing import Any

from django.core.exceptions import ValidationError
from django.template import Context, Engine, TemplateSyntaxError
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import ListFlowable, ListItem, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from wagtail.rich_text import expand_db_html

ALLOWED_TAGS = frozenset(
    {
        "if", "elif", "else", "endif", "for", "empty", "endfor", "with", "endwith", "now", "firstof",
        "comment", "endcomment", "cycle", "spaceless", "endspaceless", "filter", "endfilter",
    }
)  # fmt: skip
_TAG = re.compile(r"{%\s*(\w+)")

SANDBOX = Engine(loaders=[], libraries={}, autoescape=True, debug=False, string_if_invalid="")


def template_check(source: str) -> None:
    """Refuse a template using a tag outside ALLOWED_TAGS or that does not compile (French message)."""
    for tag in _TAG.findall(source or ""):
        if tag not in ALLOWED_TAGS:
            raise ValidationError(f"La balise « {{% {tag} %}} » n'est pas autorisée dans un modèle de document.")
    try:
        SANDBOX.from_string(expand_db_html(source or ""))
    except TemplateSyntaxError as exc:
        raise ValidationError(f"Le modèle ne se compile pas : {exc}") from None


def template_render(source: str, context: dict[str, Any]) -> str:
    """Render an admin's template with plain data (checked first)."""
    template_check(source)
    return SANDBOX.from_string(expand_db_html(source)).render(Context(context, autoescape=True))


class _Blocks(HTMLParser):
    """Turns the rich text's HTML into (kind, reportlab inline markup) blocks."""

    BLOCKS = {"p": "p", "h1": "h1", "h2": "h2", "h3": "h3", "h4": "h3", "li": "li", "blockquote": "p"}
    INLINE = {"b": "b", "strong": "b", "i": "i", "em": "i", "u": "u"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, str]] = []
        self._kind: str | None = None
        self._text: list[str] = []

    def _flush(self) -> None:
        text = "".join(self._text).strip()
        if text:
            self.blocks.append((self._kind or "p", text))
        self._text = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCKS:
            self._flush()
            self._kind = self.BLOCKS[tag]
        elif tag in self.INLINE:
            self._text.append(f"<{self.INLINE[tag]}>")
        elif tag == "br":
            self._text.append("<br/>")
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            self._text.append(f'<a href="{xml_escape(href)}" color="blue">' if href else "<u>")
            self._link_open = bool(href)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BLOCKS:
            self._flush()
            self._kind = None
        elif tag in self.INLINE:
            self._text.append(f"</{self.INLINE[tag]}>")
        elif tag == "a":
            self._text.append("</a>" if getattr(self, "_link_open", False) else "</u>")

    def handle_data(self, data: str) -> None:
        self._text.append(xml_escape(data, quote=False))

    def close(self) -> None:
        super().close()
        self._flush()


def html_blocks(html: str) -> list[tuple[str, str]]:
    parser = _Blocks()
    parser.feed(html)
    parser.close()
    return parser.blocks


def document_pdf(*, title: str, html: str, signatories: list[tuple[str, str, str]]) -> bytes:
    """A document's PDF (convention, deliberation): title, rendered text, a signature block per party
    (`(party, name, signed_on or "")`)."""
    styles = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=styles["BodyText"], fontName="Helvetica", fontSize=10.5, leading=14)
    by_kind = {"h1": styles["Heading1"], "h2": styles["Heading2"], "h3": styles["Heading3"], "p": body}
    story: list[Any] = [Paragraph(xml_escape(title), styles["Title"]), Spacer(1, 0.4 * cm)]
    bullets: list[Any] = []
    for kind, markup in html_blocks(html):
        if kind == "li":
            bullets.append(ListItem(Paragraph(markup, body), leftIndent=12))
            continue
        if bullets:
            story.append(ListFlowable(bullets, bulletType="bullet"))
            bullets = []
        story.append(Paragraph(markup, by_kind[kind]))
    if bullets:
        story.append(ListFlowable(bullets, bulletType="bullet"))
    story.append(Spacer(1, 1 * cm))
    cells = [
        [
            Paragraph(
                f"<b>{xml_escape(party)}</b><br/>{xml_escape(name)}<br/>"
                f"Signé le : {xml_escape(signed_on) if signed_on else '____________'}",
                body,
            )
            for party, name, signed_on in signatories
        ]
    ]
    table = Table(cells, colWidths=[8 * cm] * len(signatories), rowHeights=[3 * cm])
    table.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.5, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story.append(table)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, title=title, author="Plateforme Petite Enfance", lang="fr-FR",
        leftMargin=2 * cm, rightMargin=2 * cm, topMargin=2 * cm, bottomMargin=2 * cm,
    )  # fmt: skip
    document.build(story)
    return buffer.getvalue()
