"""Documents from admins' templates: rendered in a sandbox, then laid out as PDF."""

import base64
import re
import zlib

import pytest
from django.core.exceptions import ValidationError

from core.documents import document_pdf, template_check, template_render


def pdf_text(pdf: bytes) -> str:
    """The text drawn in a reportlab PDF (its content streams, ASCII85 then Flate encoded)."""
    text = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        data = stream.strip()
        try:
            data = zlib.decompress(base64.a85decode(data, adobe=True) if data.endswith(b"~>") else data)
        except (ValueError, zlib.error):
            continue
        text += [m.decode("latin-1") for m in re.findall(rb"\((.*?)(?<!\\)\) Tj", data)]
    joined = " ".join(text)
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), joined).replace("\\", "")


pdf_text.__test__ = False


def test_a_template_renders_plain_data_escaped():
    html = template_render(
        "<p>{{ structure.name }} - {% for s in services %}{{ s.title }};{% endfor %}</p>",
        {"structure": {"name": "Les <Loupiots>"}, "services": [{"title": "Paie"}, {"title": "RH"}]},
    )
    assert html == "<p>Les &lt;Loupiots&gt; - Paie;RH;</p>"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{% load static %}", "n'est pas autorisée"),
        ('{% include "/etc/passwd" %}', "n'est pas autorisée"),
        ("{% debug %}", "n'est pas autorisée"),
        ("{% if %}{% endif %}", "ne se compile pas"),
        ("{% for s in services %}", "ne se compile pas"),
    ],
)
def test_the_sandbox_refuses_tags_outside_its_list_and_broken_templates(source, message):
    with pytest.raises(ValidationError, match=message):
        template_check(source)


def test_the_pdf_holds_the_text_and_the_signature_block():
    pdf = document_pdf(
        title="Convention d'accompagnement",
        html="<h2>Article 1</h2><p>Entre <b>la plateforme</b> et la crèche.</p><ul><li>Paie</li></ul>",
        signatories=[
            ("La plateforme", "Plateforme Petite Enfance", "02/03/2026"),
            ("La structure", "Les Loupiots", ""),
        ],
    )
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    for expected in ("Article 1", "la plateforme", "Paie", "Signé le : 02/03/2026", "Les Loupiots"):
        assert expected in text
