"""The core's screens in the Wagtail admin (Wagtail hooks only; the poles' pluggy hooks live elsewhere)."""

from __future__ import annotations

from django.templatetags.static import static
from django.urls import include, path, reverse
from django.utils.html import format_html
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem

from core.backoffice import views as case_views
from core.roles import user_roles
from core.selectors.case_work import INBOXES

# --- Dossiers: case work ------------------------------------------------------------------------------------


@hooks.register("register_admin_urls")
def register_case_urls():
    urls = [
        path("", case_views.case_list_view, name="list"),
        path("lot/", case_views.case_bulk_view, name="bulk"),
        path("nouveau/", case_views.case_open_choose_view, name="open_choose"),
        path("nouveau/<str:code>/", case_views.case_open_view, name="open"),
        path("piece-jointe/<int:pk>/", case_views.attachment_download_view, name="attachment"),
        path("<str:reference>/", case_views.case_detail_view, name="detail"),
        path("<str:reference>/transition/<str:code>/", case_views.case_transition_view, name="transition"),
        path("<str:reference>/commentaire/", case_views.case_comment_view, name="comment"),
        path("<str:reference>/pieces-jointes/", case_views.case_attachment_view, name="attach"),
        path("<str:reference>/attribution/", case_views.case_assign_view, name="assign"),
        path("<str:reference>/donnees/", case_views.case_data_view, name="data"),
    ]
    return [path("dossiers/", include((urls, "cases_admin"), namespace="cases_admin"))]


class CaseMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return bool(user_roles(request.user))


@hooks.register("register_admin_menu_item")
def register_case_menu():
    items = [
        CaseMenuItem(label, f"{reverse('cases_admin:list')}?inbox={code}", name=f"dossiers-{code}", order=index)
        for index, (code, label) in enumerate(INBOXES.items())
    ]
    items.append(CaseMenuItem("Ouvrir un dossier", reverse("cases_admin:open_choose"), name="dossiers-ouvrir", order=9))
    return SubmenuMenuItem("Dossiers", Menu(items=items), icon_name="folder-open-inverse", name="dossiers", order=150)


@hooks.register("insert_global_admin_css")
def backoffice_css():
    return format_html('<link rel="stylesheet" href="{}">', static("ppe/backoffice.css"))
