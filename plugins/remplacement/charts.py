"""The pilotage charts, drawn on the server as inline SVG (no script): a column per month, or a bar per
structure. Each chart is an `<svg role="img">` named by its `<title>` and described by its `<desc>`; every
column carries its value as text, and the screen shows the same figures as a table."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import count

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

COLOUR = "#1f4e8c"  # 8.6:1 on white
ALERT = "#b3261e"  # 6.1:1 on white
_ids = count(1)


@dataclass(frozen=True)
class Point:
    label: str
    value: float | None  # None: nothing to show this month
    text: str = ""  # the value as read ("85 %", "2 h 10")


def column_chart_svg(*, title: str, description: str, points: list[Point], maximum: float, alert: bool = False):
    """Vertical columns, one per point (months), the value written above each column."""
    uid = f"rp-chart-{next(_ids)}"
    column, gap, height, top, bottom = 46, 14, 180, 24, 40
    width = max(len(points), 1) * (column + gap) + gap
    colour = ALERT if alert else COLOUR
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="rp-chart" width="100%" '
        f'viewBox="0 0 {width} {height + top + bottom}" aria-labelledby="{uid}-t {uid}-d" '
        f'style="max-width:{width}px;font-family:sans-serif;font-size:12px">',
        f'<title id="{uid}-t">{escape(title)}</title><desc id="{uid}-d">{escape(description)}</desc>',
        f'<line x1="0" y1="{top + height}" x2="{width}" y2="{top + height}" stroke="#555"/>',
    ]
    for index, point in enumerate(points):
        x = gap + index * (column + gap)
        if point.value is not None:
            share = 0 if maximum <= 0 else max(0.0, min(1.0, point.value / maximum))
            bar = round(height * share, 1)
            parts.append(f'<rect x="{x}" y="{top + height - bar}" width="{column}" height="{bar}" fill="{colour}"/>')
            parts.append(
                f'<text x="{x + column / 2}" y="{top + height - bar - 6}" text-anchor="middle" fill="#1b1b1b">'
                f"{escape(point.text or f'{point.value:g}')}</text>"
            )
        else:
            parts.append(f'<text x="{x + column / 2}" y="{top + height - 6}" text-anchor="middle" fill="#555">—</text>')
        parts.append(
            f'<text x="{x + column / 2}" y="{top + height + 18}" text-anchor="middle" fill="#1b1b1b">'
            f"{escape(point.label)}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every text above is escaped)


def bar_chart_svg(*, title: str, description: str, points: list[Point], maximum: float) -> SafeString:
    """Horizontal bars, one per point (structures), the label on the left and the value at the end."""
    uid = f"rp-chart-{next(_ids)}"
    row, label_width, bar_width, top = 28, 260, 300, 8
    height = top + row * max(len(points), 1) + 8
    width = label_width + bar_width + 80
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="rp-chart" width="100%" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="{uid}-t {uid}-d" '
        f'style="max-width:{width}px;font-family:sans-serif;font-size:13px">',
        f'<title id="{uid}-t">{escape(title)}</title><desc id="{uid}-d">{escape(description)}</desc>',
        f'<line x1="{label_width}" y1="{top - 4}" x2="{label_width}" y2="{height - 4}" stroke="#555"/>',
    ]
    for index, point in enumerate(points):
        y = top + index * row
        value = point.value or 0
        length = 0 if maximum <= 0 else round(bar_width * max(0.0, min(1.0, value / maximum)), 1)
        name, text = escape(point.label[:40]), escape(point.text or f"{value:g}")
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 17}" text-anchor="end" fill="#1b1b1b">{name}</text>'
            f'<rect x="{label_width}" y="{y + 4}" width="{length}" height="18" fill="{ALERT}"/>'
            f'<text x="{label_width + length + 6}" y="{y + 17}" fill="#1b1b1b">{text}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every text above is escaped)


def minutes_text(minutes: float | None) -> str:
    if minutes is None:
        return "—"
    minutes = round(minutes)
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours >= 48:
        return f"{hours // 24} j {hours % 24} h"
    return f"{hours} h {rest:02d}" if rest else f"{hours} h"
