"""Wagtail admin of the développement pole: model deliberations and each case's working screen.

(Wagtail's hooks only; the pole's pluggy hooks are in hooks.py.) Everything vanishes, and answers 404, in a
territory that switched the pole off."""

from __future__ import annotations

from django.urls import path
from wagtail import hooks
from wagtail.admin.viewsets.model import ModelViewSet

from core.admin_views import pole_admin_guard, pole_menu_shown
from plugins.developpement.models import DeliberationTemplate
from plugins.developpement.views import DeliberationPdfView, DevelopmentCaseView

POLE = "developpement"


class DeliberationTemplateViewSet(ModelViewSet):
    model = DeliberationTemplate
    icon = "doc-full"
    menu_label = "Modèles de délibération"
    add_to_admin_menu = True
    menu_order = 330
    form_fields = ["title", "kind", "body", "is_active"]
    list_display = ["title", "kind", "is_active"]
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
            path("developpement/dossiers/<str:reference>/", DevelopmentCaseView.as_view(), name="developpement_case"),
            path(
                "developpement/deliberations/<int:pk>/pdf/",
                DeliberationPdfView.as_view(),
                name="developpement_deliberation_pdf",
            ),
        ],
    )
