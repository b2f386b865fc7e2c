"""Wagtail admin of the core: the territory's poles, its service catalogue, its structures and partnerships.

(Wagtail's hooks only; the poles' pluggy hooks live in `core/hookspecs.py`.)"""

from __future__ import annotations

from django.urls import path, reverse
from django.utils.html import format_html
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.model import ModelViewSet

from core.admin_views import PoleSettingsView, StructurePartnershipsView
from core.models import CatalogueService, Structure
from core.roles import Role, user_roles


@hooks.register("register_admin_urls")
def core_admin_urls():
    return [
        path("poles/", PoleSettingsView.as_view(), name="ppe_poles"),
        path(
            "partenariats/<int:pk>/",
            StructurePartnershipsView.as_view(),
            name="ppe_structure_partnerships",
        ),
    ]


class PlatformAdminMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return Role.PLATFORM_ADMIN in user_roles(request.user)


@hooks.register("register_settings_menu_item")
def poles_menu_item():
    return PlatformAdminMenuItem("Pôles du territoire", reverse("ppe_poles"), icon_name="cogs", order=50)


class CatalogueServiceViewSet(ModelViewSet):
    """The catalogue services the poles registered; admins edit their texts (a later pole upgrade keeps
    the edits: see `core.services.catalogue.catalogue_sync`)."""

    model = CatalogueService
    icon = "list-ul"
    menu_label = "Catalogue de services"
    add_to_admin_menu = True
    menu_order = 300
    form_fields = ["title", "summary", "description", "audience", "is_active"]
    list_display = ["title", "pole", "audience", "is_active"]
    list_filter = ["pole", "audience", "is_active"]
    search_fields = ["title", "summary", "code"]
    search_backend_name = None


class PartnershipColumn(Column):
    def get_value(self, instance):
        return instance

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        current = instance.current_partnership
        label = current.get_kind_display() if current else "Aucun"
        context["value"] = format_html(
            '<a href="{}">{}</a>', reverse("ppe_structure_partnerships", args=[instance.pk]), label
        )
        return context


class StructureViewSet(ModelViewSet):
    """The territory's structures; each links to its partnership history with its municipality."""

    model = Structure
    icon = "home"
    menu_label = "Structures"
    add_to_admin_menu = True
    menu_order = 310
    form_fields = [
        "name",
        "kind",
        "network",
        "siret",
        "address",
        "postcode",
        "commune",
        "commune_insee",
        "places",
        "employees",
        "fte",
        "professionalisation",
        "email",
        "phone",
        "is_active",
    ]
    list_display = ["name", "commune", "network", PartnershipColumn("partnership", label="Partenariat en cours")]
    list_filter = ["kind", "network", "professionalisation"]
    search_fields = ["name", "commune"]
    search_backend_name = None


@hooks.register("register_admin_viewset")
def core_viewsets():
    return [
        CatalogueServiceViewSet("catalogue_services"),
        StructureViewSet("structures"),
    ]


# --- Drift report (what this territory changed compared with its template) ----------------------------------
from core.wagtail_views import drift_report  # noqa: E402


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
