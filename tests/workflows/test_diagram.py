"""The workflow diagram: a layered layout drawn as accessible inline SVG, with a text alternative."""

import xml.etree.ElementTree as ET

import yaml

from tests.workflows.helpers import fixture_text
from workflows.diagram import diagram_build, diagram_svg, diagram_text

SVG = "{http://www.w3.org/2000/svg}"


def _spec(name="simple.yaml"):
    return yaml.safe_load(fixture_text(name))


def test_states_are_ranked_from_the_initial_state_and_finals_sit_below():
    diagram = diagram_build(_spec("demande.yaml"))
    nodes = diagram.nodes
    assert nodes["recue"].rank == 0
    assert nodes["diagnostic"].rank == 1
    assert nodes["close"].rank == 2  # reached from recue too, but drawn below diagnostic
    assert nodes["recue"].y < nodes["diagnostic"].y < nodes["close"].y
    assert {(e.code, e.source, e.target) for e in diagram.edges} >= {
        ("abandonner", "recue", "close"),
        ("abandonner", "diagnostic", "close"),
    }


def test_a_backward_edge_is_a_curve_and_no_two_states_overlap():
    diagram = diagram_build(_spec())
    back = next(e for e in diagram.edges if e.code == "rouvrir")
    forward = next(e for e in diagram.edges if e.code == "prendre")
    assert " C" in back.path
    assert " L" in forward.path
    boxes = [(n.x, n.y) for n in diagram.nodes.values()]
    assert len(set(boxes)) == len(boxes)
    assert all(x >= 0 and x + 190 <= diagram.width for x, _y in boxes)


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
