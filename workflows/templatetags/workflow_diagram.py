"""`{% workflow_diagram diagram %}`: a workflow's diagram as inline SVG with its text alternative."""

from __future__ import annotations

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from workflows.diagram import Diagram, diagram_svg, diagram_text

register = template.Library()


@register.simple_tag
def workflow_diagram(diagram: Diagram, element_id: str = "workflow-diagram") -> str:
    return render_to_string(
        "workflows/diagram.html",
        {
            "svg": mark_safe(diagram_svg(diagram, element_id=element_id)),  # noqa: S308 - every text is escaped
            "states": diagram_text(diagram),
            "element_id": element_id,
            "available": diagram.available,
        },
    )
