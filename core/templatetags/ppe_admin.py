"""Template tags of the core's admin templates."""

from __future__ import annotations

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def edits_site(context) -> bool:
    """`{% edits_site as editor %}`: whether the signed-in person edits the public site (`core.roles.edits_site`)."""
    from core.roles import edits_site as person_edits_site

    request = context.get("request")
    return person_edits_site(getattr(request, "user", None))
