"""Accessible charts drawn on the server as inline SVG (no script, no CDN).

Each chart is an `<svg role="img">` named by its `<title>` and described by its `<desc>`; every bar carries
its value and reading as text (never colour alone), and callers render the same figures as a table (the text
alternative) next to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import count

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Colours with a contrast ratio of at least 3:1 against white (WCAG 1.4.11, graphical objects).
PALETTE = {"besoin fort": "#b3261e", "à consolider": "#8a5a00", "maîtrisé": "#1e6b34", "": "#1f4e8c"}

_ids = count(1)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    reading: str = ""  # "besoin fort", "maîtrisé"... shown after the value


def bar_chart_svg(*, title: str, description: str, bars: list[Bar], maximum: float = 100, unit: str = "") -> SafeString:
    """A horizontal bar chart: one row per bar, label on the left, value and reading at the bar's end."""
    uid = f"ppe-chart-{next(_ids)}"
    row, label_width, bar_width, top = 30, 230, 300, 10
    height = top + row * len(bars) + 10
    width = label_width + bar_width + 190
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="ppe-chart" width="100%" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="{uid}-title {uid}-desc" '
        f'style="max-width:{width}px;font-family:sans-serif;font-size:14px">',
        f'<title id="{uid}-title">{escape(title)}</title>',
        f'<desc id="{uid}-desc">{escape(description)}</desc>',
        f'<line x1="{label_width}" y1="{top - 4}" x2="{label_width}" y2="{height - 6}" stroke="#555"/>',
    ]
    for index, bar in enumerate(bars):
        y = top + index * row
        share = 0 if maximum <= 0 else max(0.0, min(1.0, bar.value / maximum))
        length = round(bar_width * share, 1)
        value = f"{bar.value:g}{unit}"
        text = f"{value} — {bar.reading}" if bar.reading else value
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 17}" text-anchor="end" fill="#1b1b1b">{escape(bar.label)}</text>'
            f'<rect x="{label_width}" y="{y + 4}" width="{length}" height="18" '
            f'fill="{PALETTE.get(bar.reading, PALETTE[""])}"/>'
            f'<text x="{label_width + length + 6}" y="{y + 17}" fill="#1b1b1b">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308  every interpolated text is escaped above
