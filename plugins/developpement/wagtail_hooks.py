"""Wagtail admin of the développement pole: model deliberations and each case's working screen.

(Wagtail's hooks only; the pole's pluggy hooks are in hooks.py.) Everything vanishes, and answers 404, in a
territory that switched the pole off."""

from __future__ import annotations

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.model import ModelViewSet

from core.admin_views import YesNoColumn, pole_admin_guard, pole_menu_shown
from plugins.developpement.models import DeliberationTemplate
from plugins.developpement.views import (
    DeliberationPdfView,
    DevelopmentCaseListView,
    DevelopmentCaseView,
    SiegReportView,
)

POLE = "developpement"


class DeliberationTemplateViewSet(ModelViewSet):
    model = DeliberationTemplate
    icon = "doc-full"
    menu_label = "Modèles de délibération"
    add_to_admin_menu = True
    menu_order = 330
    form_fields = ["title", "kind", "body", "is_active"]
    list_display = ["title", "kind", YesNoColumn("is_active", label="Actif")]
    search_backend_name = None

    @property
    def menu_item_class(self):
        allowed = super().menu_item_class  # shown to those the model's permission policy lets in

        def is_shown(item, request) -> bool:
            return pole_menu_shown(POLE) and allowed.is_shown(item, request)

        return type("DeliberationTemplateMenuItem", (allowed,), {"is_shown": is_shown})

    def get_urlpatterns(self):
        return pole_admin_guard(POLE, super().get_urlpatterns())


@hooks.register("register_admin_viewset")
def developpement_viewsets():
    return DeliberationTemplateViewSet("developpement_deliberations")


@hooks.register("register_admin_urls")
def developpement_admin_urls():
    return pole_admin_guard(
        POLE,
        [
            path("developpement/dossiers/", DevelopmentCaseListView.as_view(), name="developpement_cases"),
            path("developpement/dossiers/<str:reference>/", DevelopmentCaseView.as_view(), name="developpement_case"),
            path(
                "developpement/dossiers/<str:reference>/rapport/", SiegReportView.as_view(), name="developpement_report"
            ),
            path(
                "developpement/deliberations/<int:pk>/pdf/",
                DeliberationPdfView.as_view(),
                name="developpement_deliberation_pdf",
            ),
        ],
    )


class StaffPoleMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        from core.roles import user_roles
        from plugins.developpement.views import STAFF

        return pole_menu_shown(POLE) and bool(user_roles(request.user) & STAFF)


@hooks.register("register_admin_menu_item")
def developpement_cases_menu_item():
    return StaffPoleMenuItem(
        "Dossiers du pôle développement", reverse("developpement_cases"), icon_name="pick", order=329
    )
