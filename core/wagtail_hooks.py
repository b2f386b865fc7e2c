"""Wagtail admin hooks of the core (Wagtail's own hooks, not pluggy's)."""

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from core.wagtail_views import drift_report


@hooks.register("register_admin_urls")
def register_drift_report_url():
    return [path("ecarts-avec-le-modele/", drift_report, name="ppe_drift_report")]


class SuperuserMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.is_superuser


@hooks.register("register_reports_menu_item")
def register_drift_report_menu_item():
    return SuperuserMenuItem(
        "Écarts avec le modèle", reverse("ppe_drift_report"), name="ppe-drift", icon_name="doc-full", order=1000
    )
