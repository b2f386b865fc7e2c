"""The workflow diagram: a layered layout drawn as accessible inline SVG, with a text alternative."""

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from tests.workflows.helpers import fixture_text
from workflows.diagram import diagram_build, diagram_svg, diagram_text
from workflows.templatetags.workflow_diagram import workflow_diagram

ROOT = Path(__file__).resolve().parents[2]

SVG = "{http://www.w3.org/2000/svg}"


def _spec(name="simple.yaml"):
    return yaml.safe_load(fixture_text(name))


needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz (dot) absent: make install installs it")


def _support():
    return yaml.safe_load((ROOT / "plugins/support/workflows/support-accompagnement.yaml").read_text("utf-8"))


def _box(node, pad=0.0):
    return (node.x - pad, node.y - pad, node.x + node.width + pad, node.y + node.height + pad)


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _label_box(edge):
    width = len(edge.label) * 6.2  # Helvetica 12 px: about 6 px a character
    return (edge.label_x - width / 2, edge.label_y - 7, edge.label_x + width / 2, edge.label_y + 7)


@needs_dot
def test_states_are_layered_from_the_initial_state_and_finals_sit_below():
    diagram = diagram_build(_spec("demande.yaml"))
    nodes = diagram.nodes
    assert nodes["recue"].rank == 0
    assert nodes["recue"].y < nodes["diagnostic"].y < nodes["close"].y
    assert {(e.code, e.source, e.target) for e in diagram.edges} >= {
        ("abandonner", "recue", "close"),
        ("abandonner", "diagnostic", "close"),
    }


@needs_dot
def test_the_support_workflow_stays_readable():
    """11 states, 16 transitions (27 arrows): no state over another, no label over a state, every label of a
    transition between the same two states at its own place, final states in the last row."""
    diagram = diagram_build(_support())
    assert len(diagram.nodes) == 11
    assert len({e.code for e in diagram.edges}) == 16
    boxes = [_box(n) for n in diagram.nodes.values()]
    for i, a in enumerate(boxes):
        assert all(not _overlap(a, b) for b in boxes[i + 1 :])
        assert min(a[0], a[1]) >= 0
        assert a[2] <= diagram.width
        assert a[3] <= diagram.height
    labelled = [e for e in diagram.edges if e.labelled]
    for edge in labelled:
        assert all(not _overlap(_label_box(edge), box) for box in boxes), edge.label
    positions = [(round(e.label_x), round(e.label_y)) for e in labelled]
    assert len(set(positions)) == len(positions)
    last = max(n.rank for n in diagram.nodes.values())
    assert {n.code for n in diagram.nodes.values() if n.kind == "final"} == {
        n.code for n in diagram.nodes.values() if n.rank == last
    }
    # A transition from many states is labelled once, its other arrows dashed; none is lost.
    withdraw = [e for e in diagram.edges if e.code == "retirer"]
    assert len(withdraw) >= 3
    assert sum(e.labelled for e in withdraw) == 1


@needs_dot
def test_parallel_transitions_have_their_own_arrows_and_labels():
    spec = _spec()
    spec["transitions"].append({"code": "deleguer", "label": "Déléguer", "from": ["ouvert"], "to": "en_cours"})
    diagram = diagram_build(spec)
    take, delegate = (next(e for e in diagram.edges if e.code == code) for code in ("prendre", "deleguer"))
    assert take.path != delegate.path
    assert (round(take.label_x), round(take.label_y)) != (round(delegate.label_x), round(delegate.label_y))
    assert " C" in take.path  # Graphviz's splines


def test_without_graphviz_the_page_gets_the_text_alternative(monkeypatch):
    import graphviz

    from workflows import diagram as module

    def missing(*args, **kwargs):
        raise graphviz.ExecutableNotFound(["dot"])

    module._layout.cache_clear()
    monkeypatch.setattr(graphviz.Digraph, "pipe", missing)
    try:
        diagram = diagram_build(_spec(), current="en_cours")
    finally:
        module._layout.cache_clear()
    assert not diagram.available
    assert [s["label"] for s in diagram_text(diagram)] == ["Ouvert", "En cours", "Fermé"]
    html = workflow_diagram(diagram, "d2")
    assert "<svg" not in html
    assert "Graphviz n'y est pas installé" in html


@needs_dot
def test_the_svg_is_valid_accessible_and_highlights_the_current_state():
    svg = diagram_svg(diagram_build(_spec(), current="en_cours"), element_id="d1")
    root = ET.fromstring(svg)  # noqa: S314
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "d1-title d1-desc"
    assert root.find(f"{SVG}title").text == "Diagramme du workflow « Dossier simple »"
    desc = root.find(f"{SVG}desc").text
    assert "3 états" in desc
    assert "État actuel : En cours." in desc
    current = [g for g in root.iter(f"{SVG}g") if g.get("aria-current") == "step"]
    assert [g.get("data-state") for g in current] == ["en_cours"]
    assert current[0].find(f"{SVG}rect").get("stroke") == "#c2410c"
    labels = [t.text for t in root.iter(f"{SVG}text")]
    assert {"Ouvert", "En cours", "Fermé", "Prendre en charge", "Rouvrir", "Fermer"} <= set(labels)
    fills = {g.get("data-state"): g.find(f"{SVG}rect").get("fill") for g in root.iter(f"{SVG}g") if g.get("data-state")}
    assert len({fills["ouvert"], fills["en_cours"], fills["ferme"]}) == 3  # coloured by kind


def test_labels_are_escaped_and_missing_targets_left_out():
    spec = _spec()
    spec["states"][0]["label"] = "<script>alert(1)</script>"
    spec["transitions"].append({"code": "perdu", "label": "Perdu", "from": ["ouvert"], "to": "nulle_part"})
    diagram = diagram_build(spec)
    svg = diagram_svg(diagram)
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    ET.fromstring(svg)  # noqa: S314
    assert "perdu" not in {e.code for e in diagram.edges}
    assert diagram.available or shutil.which("dot") is None  # laid out by Graphviz, label taken literally


def test_the_text_alternative_lists_each_state_and_its_transitions():
    text = diagram_text(diagram_build(_spec(), current="ouvert"))
    assert [s["label"] for s in text] == ["Ouvert", "En cours", "Fermé"]
    assert text[0]["current"]
    assert text[0]["kind_label"] == "état initial"
    assert text[1]["transitions"] == [
        {"code": "rouvrir", "label": "Rouvrir", "target_label": "Ouvert"},
        {"code": "fermer", "label": "Fermer", "target_label": "Fermé"},
    ]
    assert text[2]["transitions"] == []


def test_an_empty_version_draws_an_empty_diagram():
    diagram = diagram_build({"code": "vide", "name": "Vide", "states": [], "transitions": []})
    ET.fromstring(diagram_svg(diagram))  # noqa: S314
    assert diagram_text(diagram) == []
