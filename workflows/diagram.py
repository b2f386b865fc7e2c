"""The diagram of a workflow: a small layered layout of its state graph drawn as inline SVG (no CDN, no
JavaScript, no Graphviz).

Layout: states are ranked by their distance from the initial state (breadth-first; unreachable states go
below the rest), one row per rank, ordered in a row by the mean position of their predecessors (one
barycentre pass, enough for the small graphs of case workflows). Forward edges are straight; edges that go
back up, or stay in their row, are drawn as curves on the side so that they never cross a state.

The SVG carries a `<title>` and a `<desc>`; `diagram_text` gives the same graph as a list for people who
do not see it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from html import escape
from typing import Any

NODE_WIDTH = 190
NODE_HEIGHT = 46
COLUMN_GAP = 70
ROW_GAP = 96
MARGIN = 40
SIDE_MARGIN = 120  # room for the curves of backward edges

KIND_STYLES = {  # fill, stroke, text colour (contrast >= 4.5 for the text)
    "initial": ("#e3f4e8", "#1e7b3c", "#0b3d1b"),
    "normal": ("#e6eefb", "#2e5aac", "#13264d"),
    "final": ("#ececec", "#555555", "#1f1f1f"),
}
KIND_LABELS = {"initial": "état initial", "normal": "état intermédiaire", "final": "état final"}
CURRENT_STROKE = "#c2410c"


@dataclass
class Node:
    code: str
    label: str
    kind: str
    rank: int = 0
    order: float = 0
    x: float = 0
    y: float = 0
    current: bool = False


@dataclass
class Edge:
    code: str
    label: str
    source: str
    target: str
    path: str = ""
    label_x: float = 0
    label_y: float = 0


@dataclass
class Diagram:
    name: str
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    width: float = 0
    height: float = 0
    current: str = ""


def _ranks(nodes: dict[str, Node], edges: list[Edge]) -> None:
    initial = next((n.code for n in nodes.values() if n.kind == "initial"), None)
    successors: dict[str, list[str]] = {code: [] for code in nodes}
    for edge in edges:
        successors[edge.source].append(edge.target)
    seen: dict[str, int] = {}
    if initial is not None:
        seen[initial] = 0
        queue = deque([initial])
        while queue:
            current = queue.popleft()
            for target in successors[current]:
                if target not in seen:
                    seen[target] = seen[current] + 1
                    queue.append(target)
    bottom = max(seen.values(), default=-1) + 1
    for node in nodes.values():
        node.rank = seen.get(node.code, bottom)
    # Final states sit at least one row below the states that lead to them, so that a closing transition
    # reads downwards.
    for edge in edges:
        target, source = nodes[edge.target], nodes[edge.source]
        if target.kind == "final" and target.rank <= source.rank and edge.source != edge.target:
            target.rank = source.rank + 1


def _orders(nodes: dict[str, Node], edges: list[Edge]) -> list[list[Node]]:
    rows: dict[int, list[Node]] = {}
    for index, node in enumerate(nodes.values()):
        node.order = index
        rows.setdefault(node.rank, []).append(node)
    ordered = []
    for rank in sorted(rows):
        row = rows[rank]
        for node in row:
            above = [nodes[e.source].order for e in edges if e.target == node.code and nodes[e.source].rank < rank]
            if above:
                node.order = sum(above) / len(above)
        row.sort(key=lambda n: n.order)
        for index, node in enumerate(row):
            node.order = index
        ordered.append(row)
    return ordered


def diagram_build(spec: dict[str, Any], *, current: str = "") -> Diagram:
    """Lay out a `ppe-workflow/1` spec (`workflows.serialization.version_spec`). Transitions towards a
    state that does not exist are left out (validation reports them)."""
    diagram = Diagram(name=str(spec.get("name") or spec.get("code") or ""), current=current)
    for state in spec.get("states") or []:
        code = str(state["code"])
        diagram.nodes[code] = Node(
            code=code,
            label=str(state.get("label") or code),
            kind=state.get("kind") or "normal",
            current=code == current,
        )
    for t in spec.get("transitions") or []:
        for source in t.get("from") or []:
            if source in diagram.nodes and t.get("to") in diagram.nodes:
                diagram.edges.append(
                    Edge(code=t["code"], label=str(t.get("label") or t["code"]), source=source, target=t["to"])
                )
    if not diagram.nodes:
        diagram.width, diagram.height = 2 * MARGIN + NODE_WIDTH, 2 * MARGIN
        return diagram
    _ranks(diagram.nodes, diagram.edges)
    rows = _orders(diagram.nodes, diagram.edges)
    widest = max(len(row) for row in rows)
    inner_width = widest * NODE_WIDTH + (widest - 1) * COLUMN_GAP
    for row_index, row in enumerate(rows):
        row_width = len(row) * NODE_WIDTH + (len(row) - 1) * COLUMN_GAP
        left = SIDE_MARGIN + (inner_width - row_width) / 2
        for node in row:
            node.x = left + node.order * (NODE_WIDTH + COLUMN_GAP)
            node.y = MARGIN + row_index * (NODE_HEIGHT + ROW_GAP)
    diagram.width = inner_width + 2 * SIDE_MARGIN
    diagram.height = MARGIN * 2 + len(rows) * NODE_HEIGHT + (len(rows) - 1) * ROW_GAP
    _route(diagram, [node.rank for node in diagram.nodes.values()])
    return diagram


def _route(diagram: Diagram, ranks: list[int]) -> None:
    row_of = {code: index for index, code in enumerate(sorted(set(ranks)))}
    pairs: dict[tuple[str, str], int] = {}
    for edge in diagram.edges:
        source, target = diagram.nodes[edge.source], diagram.nodes[edge.target]
        nth = pairs.get((edge.source, edge.target), 0)
        pairs[(edge.source, edge.target)] = nth + 1
        shift = nth * 16
        if source.code == target.code:  # a loop on the right of the state
            x, y = source.x + NODE_WIDTH, source.y + NODE_HEIGHT / 2
            edge.path = f"M{x},{y - 10} C{x + 50 + shift},{y - 40} {x + 50 + shift},{y + 40} {x},{y + 10}"
            edge.label_x, edge.label_y = x + 48 + shift, y - 22
        elif row_of[target.rank] > row_of[source.rank]:  # downwards: straight
            x1, y1 = source.x + NODE_WIDTH / 2 + shift, source.y + NODE_HEIGHT
            x2, y2 = target.x + NODE_WIDTH / 2 + shift, target.y
            edge.path = f"M{x1},{y1} L{x2},{y2}"
            edge.label_x, edge.label_y = (x1 + x2) / 2, (y1 + y2) / 2 - 4
        else:  # upwards or in the same row: a curve on the left side
            x1, y1 = source.x, source.y + NODE_HEIGHT / 2 + 6
            x2, y2 = target.x, target.y + NODE_HEIGHT / 2 - 6
            bend = max(12, min(x1, x2) - 60 - 20 * abs(row_of[source.rank] - row_of[target.rank]) - shift)
            edge.path = f"M{x1},{y1} C{bend},{y1} {bend},{y2} {x2},{y2}"
            edge.label_x, edge.label_y = bend + 30, (y1 + y2) / 2
    diagram.width = max(diagram.width, *(e.label_x + 130 for e in diagram.edges)) if diagram.edges else diagram.width


def _text(x: float, y: float, content: str, **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{escape(v)}"' for k, v in attrs.items())
    return f'<text x="{x:.0f}" y="{y:.0f}"{extra}>{escape(content)}</text>'


def _short(label: str, limit: int = 26) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def diagram_svg(diagram: Diagram, *, element_id: str = "workflow-diagram") -> str:
    """The diagram as an inline `<svg>` element (safe to mark safe: every text is escaped)."""
    title = f"Diagramme du workflow « {diagram.name} »"
    desc = diagram_description(diagram)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="ppe-diagram" id="{escape(element_id)}" role="img" '
        f'aria-labelledby="{escape(element_id)}-title {escape(element_id)}-desc" '
        f'viewBox="0 0 {diagram.width:.0f} {diagram.height:.0f}" width="{diagram.width:.0f}" '
        f'height="{diagram.height:.0f}" font-family="sans-serif" font-size="13">',
        f'<title id="{escape(element_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(element_id)}-desc">{escape(desc)}</desc>',
        f'<defs><marker id="{escape(element_id)}-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker></defs>',
    ]
    parts.extend(
        (
            f'<g class="ppe-diagram-edge" data-transition="{escape(edge.code)}">'
            f'<path d="{edge.path}" fill="none" stroke="#444" stroke-width="1.4" '
            f'marker-end="url(#{escape(element_id)}-arrow)"/>'
            + _text(
                edge.label_x,
                edge.label_y,
                _short(edge.label, 30),
                text_anchor="middle",
                fill="#222",
                font_size="12",
                paint_order="stroke",
                stroke="#fff",
                stroke_width="4",
            )
            + "</g>"
        )
        for edge in diagram.edges
    )
    for node in diagram.nodes.values():
        fill, stroke, colour = KIND_STYLES.get(node.kind, KIND_STYLES["normal"])
        width = 4 if node.current else 1.6
        stroke = CURRENT_STROKE if node.current else stroke
        rx = 23 if node.kind in ("initial", "final") else 6
        double = (
            f'<rect x="{node.x + 4:.0f}" y="{node.y + 4:.0f}" width="{NODE_WIDTH - 8}" height="{NODE_HEIGHT - 8}" '
            f'rx="{rx - 4}" fill="none" stroke="{stroke}" stroke-width="1"/>'
            if node.kind == "final"
            else ""
        )
        current = ' aria-current="step"' if node.current else ""
        parts.append(
            f'<g class="ppe-diagram-state ppe-diagram-{escape(node.kind)}{" is-current" if node.current else ""}" '
            f'data-state="{escape(node.code)}"{current}>'
            f"<title>{escape(node.label)} ({escape(KIND_LABELS.get(node.kind, node.kind))}"
            f"{', état actuel du dossier' if node.current else ''})</title>"
            f'<rect x="{node.x:.0f}" y="{node.y:.0f}" width="{NODE_WIDTH}" height="{NODE_HEIGHT}" rx="{rx}" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="{width}"/>'
            + double
            + _text(
                node.x + NODE_WIDTH / 2,
                node.y + NODE_HEIGHT / 2 + 5,
                _short(node.label),
                text_anchor="middle",
                fill=colour,
                font_weight="bold" if node.current else "normal",
            )
            + "</g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def diagram_description(diagram: Diagram) -> str:
    states = ", ".join(
        f"{n.label} ({KIND_LABELS.get(n.kind, n.kind)})" for n in sorted(diagram.nodes.values(), key=_position)
    )
    text = f"{len(diagram.nodes)} états : {states}. {len(diagram.edges)} transitions."
    if diagram.current and diagram.current in diagram.nodes:
        text += f" État actuel : {diagram.nodes[diagram.current].label}."
    return text


def _position(node: Node) -> tuple[int, float]:
    return (node.rank, node.order)


def diagram_text(diagram: Diagram) -> list[dict[str, Any]]:
    """The graph as text, state by state: `[{code, label, kind, kind_label, current, transitions: [...]}]`,
    each transition `{code, label, target_label}`."""
    return [
        {
            "code": node.code,
            "label": node.label,
            "kind": node.kind,
            "kind_label": KIND_LABELS.get(node.kind, node.kind),
            "current": node.current,
            "transitions": [
                {"code": e.code, "label": e.label, "target_label": diagram.nodes[e.target].label}
                for e in diagram.edges
                if e.source == node.code
            ],
        }
        for node in sorted(diagram.nodes.values(), key=_position)
    ]
