from django import template

from plugins.support.panels import profile_panel

register = template.Library()


@register.simple_tag
def support_profile_panel(case):
    """The diagnostic profile of a support case: chart and its table (text alternative)."""
    return profile_panel(case)
