"""Wagtail admin of the support pole: proposal rules, convention templates, the evaluation dashboard.

(Wagtail's hooks only; the pole's pluggy hooks are in hooks.py.) Every screen vanishes, and answers 404,
in a territory that switched the pole off."""

from __future__ import annotations

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import SubmenuMenuItem
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from core.admin_views import AccessMenuItem, YesNoColumn, pole_admin_guard, pole_menu_shown
from plugins.support.models import ConventionTemplate, ProposalRule
from plugins.support.views import (
    ConventionDocumentView,
    ConventionPdfView,
    EvaluationDashboardView,
    SupportCaseListView,
    SupportCaseView,
    SupportParticipationView,
)

POLE = "support"


class PoleGuardedViewSet(ModelViewSet):
    def get_urlpatterns(self):
        return pole_admin_guard(POLE, super().get_urlpatterns())


class ProposalRuleViewSet(PoleGuardedViewSet):
    model = ProposalRule
    icon = "tasks"
    menu_label = "Règles de proposition"
    form_fields = ["name", "condition", "service_code", "priority", "reason", "is_active"]
    list_display = ["name", "service_code", "priority", YesNoColumn("is_active", label="Actif")]
    search_fields = ["name", "condition", "service_code"]
    search_backend_name = None


class ConventionTemplateViewSet(PoleGuardedViewSet):
    model = ConventionTemplate
    icon = "doc-full"
    menu_label = "Modèles de convention"
    form_fields = ["title", "party", "body", "is_active"]
    list_display = ["title", "party", YesNoColumn("is_active", label="Actif")]
    search_backend_name = None


class SupportMenuItem(SubmenuMenuItem):
    def is_shown(self, request) -> bool:
        return pole_menu_shown(POLE) and super().is_shown(request)


class SupportGroup(ViewSetGroup):
    menu_label = "Pôle support"
    menu_icon = "group"
    menu_order = 320
    items = (ProposalRuleViewSet("support_rules"), ConventionTemplateViewSet("support_conventions"))
    submenu_hook = "register_support_menu_item"

    def get_menu_item(self, order=None):
        item = super().get_menu_item(order)
        item.__class__ = SupportMenuItem
        return item


@hooks.register("register_admin_viewset")
def support_viewsets():
    return SupportGroup()


@hooks.register("register_admin_urls")
def support_admin_urls():
    return pole_admin_guard(
        POLE,
        [
            path("support/dossiers/", SupportCaseListView.as_view(), name="support_cases"),
            path("support/dossiers/<str:reference>/", SupportCaseView.as_view(), name="support_case"),
            path(
                "support/dossiers/<str:reference>/participation/",
                SupportParticipationView.as_view(),
                name="support_participation",
            ),
            path("support/conventions/<int:pk>/", ConventionDocumentView.as_view(), name="support_convention_document"),
            path("support/conventions/<int:pk>/pdf/", ConventionPdfView.as_view(), name="support_convention_pdf"),
            path("support/tableau-de-bord/", EvaluationDashboardView.as_view(), name="support_dashboard"),
        ],
    )


@hooks.register("register_support_menu_item")
def support_cases_menu_item():
    return AccessMenuItem(
        "Dossiers d'accompagnement", reverse("support_cases"), icon_name="folder-open-inverse", order=0, pole=POLE
    )


@hooks.register("register_support_menu_item")
def support_dashboard_menu_item():
    return AccessMenuItem(
        "Tableau de bord de l'évaluation", reverse("support_dashboard"), icon_name="view", order=5, pole=POLE
    )
