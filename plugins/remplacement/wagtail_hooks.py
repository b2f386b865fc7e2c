"""Wagtail admin of the remplacement pole: the pool (list, records, documents, deactivation) and the
pilotage, for coordinators. (Wagtail's hooks only; the pole's pluggy hooks are in hooks.py.) Every screen
vanishes, and answers 404, in a territory that switched the pole off."""

from __future__ import annotations

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem

from core.admin_views import pole_admin_guard, pole_menu_shown
from plugins.remplacement import selectors
from plugins.remplacement.admin_views import PilotageView, PoolListView, SubstituteAdminView

POLE = "remplacement"


@hooks.register("register_admin_urls")
def remplacement_admin_urls():
    return pole_admin_guard(
        POLE,
        [
            path("remplacement/vivier/", PoolListView.as_view(), name="remplacement_pool"),
            path("remplacement/vivier/<int:pk>/", SubstituteAdminView.as_view(), name="remplacement_substitute"),
            path("remplacement/pilotage/", PilotageView.as_view(), name="remplacement_pilotage"),
        ],
    )


class CoordinatorMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return pole_menu_shown(POLE) and selectors.is_coordinator(request.user)


class RemplacementMenuItem(SubmenuMenuItem):
    def is_shown(self, request) -> bool:
        return pole_menu_shown(POLE) and selectors.is_coordinator(request.user) and super().is_shown(request)


remplacement_menu = Menu(register_hook_name="register_remplacement_menu_item", construct_hook_name=None)


@hooks.register("register_admin_menu_item")
def remplacement_menu_item():
    return RemplacementMenuItem("Pôle remplacement", remplacement_menu, icon_name="user", order=340)


@hooks.register("register_remplacement_menu_item")
def pool_menu_item():
    return CoordinatorMenuItem("Vivier de remplaçant·es", reverse("remplacement_pool"), icon_name="group", order=0)


@hooks.register("register_remplacement_menu_item")
def pilotage_menu_item():
    return CoordinatorMenuItem("Pilotage", reverse("remplacement_pilotage"), icon_name="view", order=5)


@hooks.register("register_remplacement_menu_item")
def board_menu_item():
    return CoordinatorMenuItem("Tableau des demandes", "/remplacement/tableau/", icon_name="list-ul", order=10)
