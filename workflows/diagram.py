"""The diagram of a workflow: its state graph laid out by Graphviz (`dot`, through the `graphviz` package) and
drawn as inline SVG (no CDN, no JavaScript in the page).

Layout: `dot`'s layered layout (rank by rank from the initial state, finals in the last rank, crossings
minimised), each transition a spline of its own with its label placed by `dot` beside it, never over a state;
parallel transitions between the same two states get separate splines and labels. The layout of a graph is
cached per process (`_layout`, keyed by the states and transitions); the current state is only drawn, so a case
page costs no `dot` run once its version was drawn.

The SVG carries a `<title>` and a `<desc>`; `diagram_text` gives the same graph as a list for people who
do not see it. Without Graphviz (`dot` missing), `diagram_build` still gives the states and transitions
(`Diagram.available` false): the page shows the text alternative and says why.
"""

from __future__ import annotations

import functools
import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from html import escape
from typing import Any

logger = logging.getLogger("ppe.workflows")

MARGIN = 16
POINTS = 72  # Graphviz sizes nodes in inches
NODE_FONT_SIZE = 13
EDGE_FONT_SIZE = 12
LAYOUT_CACHE = 256  # graphs laid out per process
SHARED_SOURCES = 3  # a transition from this many states or more is labelled once, its other arrows dashed

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
    x: float = 0  # top-left corner
    y: float = 0
    width: float = 0
    height: float = 0
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
    labelled: bool = True  # false for the other arrows of a transition from many states (drawn dashed)


@dataclass
class Diagram:
    name: str
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    width: float = 0
    height: float = 0
    current: str = ""
    available: bool = True  # false when Graphviz is missing: no drawing, the text alternative only


def _graph_key(diagram: Diagram) -> tuple:
    return (
        tuple((n.code, n.label, n.kind) for n in diagram.nodes.values()),
        tuple((e.code, e.label, e.source, e.target) for e in diagram.edges),
    )


def _dot_text(label: str) -> str:
    """A label as DOT reads it literally: never an HTML-like label (`<...>`), no escape sequences."""
    import graphviz

    return graphviz.nohtml(label.replace("\\", "\\\\"))


@functools.lru_cache(maxsize=LAYOUT_CACHE)
def _layout(key: tuple) -> dict[str, Any] | None:
    """`dot`'s layout of a graph (its JSON output), or None when Graphviz cannot run."""
    import graphviz

    nodes, edges = key
    graph = graphviz.Digraph(
        graph_attr={"rankdir": "TB", "nodesep": "0.5", "ranksep": "0.55", "splines": "spline", "pad": "0"},
        node_attr={"shape": "box", "style": "rounded", "fontname": "Helvetica", "fontsize": str(NODE_FONT_SIZE),
                   "height": "0.62", "width": "2", "margin": "0.18,0.08"},
        edge_attr={"fontname": "Helvetica", "fontsize": str(EDGE_FONT_SIZE)},
    )  # fmt: skip
    index = {code: f"s{i}" for i, (code, _label, _kind) in enumerate(nodes)}
    for code, label, _kind in nodes:
        graph.node(index[code], label=_dot_text(label))
    initial = [index[code] for code, _label, kind in nodes if kind == "initial"]
    finals = [index[code] for code, _label, kind in nodes if kind == "final"]
    if initial:
        graph.body.append("{rank=min; " + " ".join(initial) + "}")
    if finals:
        graph.body.append("{rank=max; " + " ".join(finals) + "}")
    sources = Counter(code for code, _label, _source, _target in edges)
    labelled: set[str] = set()
    for i, (code, label, source, target) in enumerate(edges):
        if sources[code] >= SHARED_SOURCES and code in labelled:  # one label for a transition from many states
            graph.edge(index[source], index[target], id=f"e{i}", style="dashed")
        else:
            graph.edge(index[source], index[target], label=_dot_text(label), id=f"e{i}")
            labelled.add(code)
    try:
        return json.loads(graph.pipe(format="json", encoding="utf-8"))
    except (graphviz.ExecutableNotFound, graphviz.CalledProcessError, ValueError) as error:
        logger.warning("Graphviz could not lay out a workflow diagram: %s", error)
        return None


def _points(text: str) -> tuple[tuple[float, float] | None, list[tuple[float, float]]]:
    """A Graphviz edge `pos` (`e,x,y x1,y1 ...`): the arrow's end point and the B-spline's control points."""
    end, points = None, []
    for part in text.split():
        if part.startswith(("e,", "s,")):
            x, y = part[2:].split(",")
            if part[0] == "e":
                end = (float(x), float(y))
            continue
        x, y = part.split(",")
        points.append((float(x), float(y)))
    return end, points


def _place(diagram: Diagram, layout: dict[str, Any]) -> None:
    """Give the nodes and edges their coordinates (SVG's: y downwards, a margin around)."""
    _x0, _y0, width, height = (float(v) for v in layout["bb"].split(","))
    flip = lambda x, y: (x + MARGIN, height - y + MARGIN)  # noqa: E731
    codes = list(diagram.nodes)
    for obj in layout.get("objects", []):
        name = obj.get("name", "")
        if not name.startswith("s") or "pos" not in obj:
            continue
        node = diagram.nodes[codes[int(name[1:])]]
        cx, cy = flip(*(float(v) for v in obj["pos"].split(",")))
        node.width, node.height = float(obj["width"]) * POINTS, float(obj["height"]) * POINTS
        node.x, node.y = cx - node.width / 2, cy - node.height / 2
    for edge_obj in layout.get("edges", []):
        edge = diagram.edges[int(edge_obj["id"][1:])]
        end, points = _points(edge_obj.get("pos", ""))
        points = [flip(x, y) for x, y in points]
        path = f"M{points[0][0]:.1f},{points[0][1]:.1f}"
        for i in range(1, len(points) - 2, 3):
            (ax, ay), (bx, by), (cx, cy) = points[i : i + 3]
            path += f" C{ax:.1f},{ay:.1f} {bx:.1f},{by:.1f} {cx:.1f},{cy:.1f}"
        if end is not None:
            ex, ey = flip(*end)
            path += f" L{ex:.1f},{ey:.1f}"
        edge.path = path
        if "lp" in edge_obj:
            edge.label_x, edge.label_y = flip(*(float(v) for v in edge_obj["lp"].split(",")))
        else:
            edge.labelled = False
    rows = sorted({round(n.y) for n in diagram.nodes.values()})
    for node in diagram.nodes.values():
        node.rank, node.order = rows.index(round(node.y)), node.x
    diagram.width, diagram.height = width + 2 * MARGIN, height + 2 * MARGIN


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
        diagram.width, diagram.height = 2 * MARGIN + 200, 2 * MARGIN
        return diagram
    layout = _layout(_graph_key(diagram))
    if layout is None:
        diagram.available = False
        for order, node in enumerate(diagram.nodes.values()):
            node.order = order
        return diagram
    _place(diagram, layout)
    return diagram


def _text(x: float, y: float, content: str, **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{escape(v)}"' for k, v in attrs.items())
    return f'<text x="{x:.0f}" y="{y:.0f}"{extra}>{escape(content)}</text>'


def diagram_svg(diagram: Diagram, *, element_id: str = "workflow-diagram") -> str:
    """The diagram as an inline `<svg>` element (safe to mark safe: every text is escaped)."""
    title = f"Diagramme du workflow « {diagram.name} »"
    desc = diagram_description(diagram)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="ppe-diagram" id="{escape(element_id)}" role="img" '
        f'aria-labelledby="{escape(element_id)}-title {escape(element_id)}-desc" '
        f'viewBox="0 0 {diagram.width:.0f} {diagram.height:.0f}" width="{diagram.width:.0f}" '
        f'height="{diagram.height:.0f}" font-family="Helvetica, Arial, sans-serif" font-size="{NODE_FONT_SIZE}">',
        f'<title id="{escape(element_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(element_id)}-desc">{escape(desc)}</desc>',
        f'<defs><marker id="{escape(element_id)}-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker></defs>',
    ]
    for edge in diagram.edges:
        dashed = "" if edge.labelled else ' stroke-dasharray="5 4"'
        label = (
            _text(
                edge.label_x,
                edge.label_y,
                edge.label,
                text_anchor="middle",
                dominant_baseline="middle",
                fill="#222",
                font_size=str(EDGE_FONT_SIZE),
                paint_order="stroke",
                stroke="#fff",
                stroke_width="4",
            )
            if edge.labelled
            else f"<title>{escape(edge.label)}</title>"
        )
        parts.append(
            f'<g class="ppe-diagram-edge" data-transition="{escape(edge.code)}">'
            f'<path d="{edge.path}" fill="none" stroke="#444" stroke-width="1.4"{dashed} '
            f'marker-end="url(#{escape(element_id)}-arrow)"/>{label}</g>'
        )
    for node in diagram.nodes.values():
        fill, stroke, colour = KIND_STYLES.get(node.kind, KIND_STYLES["normal"])
        width = 4 if node.current else 1.6
        stroke = CURRENT_STROKE if node.current else stroke
        rx = round(node.height / 2) if node.kind in ("initial", "final") else 6
        double = (
            f'<rect x="{node.x + 4:.1f}" y="{node.y + 4:.1f}" width="{node.width - 8:.1f}" '
            f'height="{node.height - 8:.1f}" '
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
            f'<rect x="{node.x:.1f}" y="{node.y:.1f}" width="{node.width:.1f}" height="{node.height:.1f}" rx="{rx}" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="{width}"/>'
            + double
            + _text(
                node.x + node.width / 2,
                node.y + node.height / 2 + 5,
                node.label,
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
