"""Template filters of the pole's screens: labels, never codes."""

from django import template

register = template.Library()


@register.filter
def state_label(request) -> str:
    """The French label of a request's state (its case's, as its workflow version names it)."""
    from workflows.engine import compiled_version

    case = request.case
    return compiled_version(case.workflow_version_id).state_label(case.state)


@register.filter
def hours_minutes(minutes) -> str:
    """390 → « 6 h 30 »."""
    minutes = int(minutes or 0)
    return f"{minutes // 60} h {minutes % 60:02d}" if minutes % 60 else f"{minutes // 60} h"


@register.filter
def duration(minutes) -> str:
    """A time to fill, read by a person (« 2 h 10 », « 3 j 4 h »)."""
    from plugins.remplacement.charts import minutes_text

    return minutes_text(minutes)
