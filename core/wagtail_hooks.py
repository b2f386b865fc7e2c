"""Wagtail admin of the core: the territory's poles, its service catalogue, its structures and partnerships.

(Wagtail's hooks only; the poles' pluggy hooks live in `core/hookspecs.py`.)"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import include, path, reverse
from django.utils.html import format_html
from wagtail import hooks
from wagtail.admin.menu import Menu, SubmenuMenuItem
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.models import CreateView, EditView
from wagtail.admin.viewsets.model import ModelViewSet

from core.admin_views import AccessMenuItem, PoleSettingsView, StructurePartnershipsView, YesNoColumn
from core.backoffice import migration as migration_views
from core.backoffice import views as case_views
from core.models import CatalogueService, NotificationTemplate, Operator, Structure
from core.roles import user_roles
from core.selectors.case_work import INBOXES


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


@hooks.register("register_admin_urls")
def people_admin_urls():
    from core import people_views as people

    return [
        path("personnes/", people.PeopleListView.as_view(), name="ppe_people"),
        path("personnes/inviter/", people.PersonInviteView.as_view(), name="ppe_person_invite"),
        path("personnes/<int:pk>/", people.PersonDetailView.as_view(), name="ppe_person"),
        path(
            "personnes/invitations/<int:pk>/<str:action>/",
            people.InvitationActionView.as_view(),
            name="ppe_invitation_action",
        ),
    ]


@hooks.register("register_admin_urls")
def personal_data_admin_urls():
    from core import personal_data_views as views

    return [
        path("donnees-personnelles/", views.PersonalDataHomeView.as_view(), name="ppe_personal_data"),
        path("donnees-personnelles/personne/", views.PersonalDataPersonView.as_view(), name="ppe_personal_data_person"),
        path(
            "donnees-personnelles/personne/exporter/",
            views.PersonalDataExportView.as_view(),
            name="ppe_personal_data_export",
        ),
        path(
            "donnees-personnelles/personne/effacer/",
            views.PersonalDataEraseView.as_view(),
            name="ppe_personal_data_erase",
        ),
    ]


@hooks.register("register_admin_menu_item")
def personal_data_menu_item():
    return AccessMenuItem("Données personnelles", reverse("ppe_personal_data"), icon_name="lock", order=325)


@hooks.register("register_admin_menu_item")
def people_menu_item():
    return AccessMenuItem("Personnes", reverse("ppe_people"), icon_name="group", order=320)


@hooks.register("register_settings_menu_item")
def poles_menu_item():
    return AccessMenuItem("Pôles du territoire", reverse("ppe_poles"), icon_name="cogs", order=50)


class PoleColumn(Column):
    """A pole's French name (its code otherwise, for a pole no longer installed)."""

    def get_value(self, instance):
        from core.plugins import poles

        code = getattr(instance, self.accessor)
        config = poles().get(code)
        return str(config.pole_label) if config is not None and config.pole_label else code


class CatalogueServiceViewSet(ModelViewSet):
    """The catalogue services the poles registered; admins edit their texts (a later pole upgrade keeps
    the edits: see `core.services.catalogue.catalogue_sync`)."""

    model = CatalogueService
    icon = "list-ul"
    menu_label = "Catalogue de services"
    add_to_admin_menu = True
    menu_order = 300
    form_fields = ["title", "summary", "description", "audience", "is_active"]
    list_display = ["title", PoleColumn("pole", label="Pôle"), "audience", YesNoColumn("is_active", label="Actif")]
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


class StructureCreateView(CreateView):
    def save_instance(self):  # through the audited directory service
        from core.services.directory import STRUCTURE_FIELDS, structure_create

        data = {k: v for k, v in self.form.cleaned_data.items() if k in STRUCTURE_FIELDS}
        return structure_create(actor=self.request.user, **data)


class StructureEditView(EditView):
    def save_instance(self):  # through the audited directory service (it records what changed)
        from core.services.directory import STRUCTURE_FIELDS, structure_update

        data = {k: v for k, v in self.form.cleaned_data.items() if k in STRUCTURE_FIELDS}
        return structure_update(structure=Structure.objects.get(pk=self.object.pk), actor=self.request.user, **data)


class StructureViewSet(ModelViewSet):
    """The territory's structures; each links to its page (members, cases, partnership history, journal)."""

    model = Structure
    add_view_class = StructureCreateView
    edit_view_class = StructureEditView
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
    list_display = [
        "name", "commune", "network", "status", PartnershipColumn("partnership", label="Partenariat en cours")
    ]  # fmt: skip
    list_filter = ["status", "kind", "network", "professionalisation"]
    search_fields = ["name", "commune"]
    search_backend_name = None


class OperatorCreateView(CreateView):
    def save_instance(self):  # through the audited directory service
        from core.services.directory import OPERATOR_FIELDS, operator_create

        data = {k: v for k, v in self.form.cleaned_data.items() if k in (*OPERATOR_FIELDS, "services")}
        return operator_create(actor=self.request.user, **data)


class OperatorEditView(EditView):
    def save_instance(self):  # through the audited directory service (it records what changed)
        from core.services.directory import OPERATOR_FIELDS, operator_update

        data = {k: v for k, v in self.form.cleaned_data.items() if k in (*OPERATOR_FIELDS, "services")}
        return operator_update(operator=Operator.objects.get(pk=self.object.pk), actor=self.request.user, **data)


class OperatorViewSet(ModelViewSet):
    """The territory's ESS operators and the catalogue services each carries out."""

    model = Operator
    add_view_class = OperatorCreateView
    edit_view_class = OperatorEditView
    icon = "group"
    menu_label = "Opérateurs ESS"
    add_to_admin_menu = True
    menu_order = 315
    form_fields = [
        "name", "legal_form", "siret", "description", "services", "communes_covered", "capacity", "email",
        "phone", "website", "is_active",
    ]  # fmt: skip
    list_display = ["name", "legal_form", "capacity", YesNoColumn("is_active", label="Actif")]
    list_filter = ["is_active"]
    search_fields = ["name", "description"]
    search_backend_name = None


class NotificationTemplateViewSet(ModelViewSet):
    """The e-mails workflow transitions send (action « Envoyer le courriel … » of the workflow editor)."""

    model = NotificationTemplate
    icon = "mail"
    menu_label = "Modèles de notification"
    add_to_admin_menu = True
    menu_order = 305
    list_display = ["name", YesNoColumn("is_active", label="Utilisé")]
    search_fields = ["name", "subject", "code"]
    search_backend_name = None

    def get_form_class(self, for_update=False):
        from core.admin_forms import NotificationTemplateForm

        return NotificationTemplateForm


@hooks.register("register_admin_viewset")
def core_viewsets():
    return [
        CatalogueServiceViewSet("catalogue_services"),
        StructureViewSet("structures"),
        OperatorViewSet("operators"),
        NotificationTemplateViewSet("notification_templates"),
    ]


# --- Drift report (what this territory changed compared with its template) ----------------------------------
from core.wagtail_views import drift_report  # noqa: E402


@hooks.register("register_admin_urls")
def register_drift_report_url():
    return [path("ecarts-avec-le-modele/", drift_report, name="ppe_drift_report")]


@hooks.register("register_reports_menu_item")
def register_drift_report_menu_item():
    return AccessMenuItem(
        "Écarts avec le modèle", reverse("ppe_drift_report"), name="ppe-drift", icon_name="doc-full", order=1000
    )


# --- Dossiers: case work ------------------------------------------------------------------------------------


@hooks.register("register_admin_urls")
def register_case_urls():
    urls = [
        path("", case_views.case_list_view, name="list"),
        path("lot/", case_views.case_bulk_view, name="bulk"),
        path("nouveau/", case_views.case_open_choose_view, name="open_choose"),
        path("nouveau/<str:code>/", case_views.case_open_view, name="open"),
        path("piece-jointe/<int:pk>/", case_views.attachment_download_view, name="attachment"),
        path("changer-de-version/", migration_views.migration_index_view, name="migrate_index"),
        path("changer-de-version/<str:code>/", migration_views.migration_view, name="migrate"),
        path("<str:reference>/", case_views.case_detail_view, name="detail"),
        path("<str:reference>/transition/<str:code>/", case_views.case_transition_view, name="transition"),
        path("<str:reference>/commentaire/", case_views.case_comment_view, name="comment"),
        path("<str:reference>/pieces-jointes/", case_views.case_attachment_view, name="attach"),
        path("<str:reference>/attribution/", case_views.case_assign_view, name="assign"),
        path("<str:reference>/structure/", case_views.case_structure_view, name="structure"),
        path("<str:reference>/donnees/", case_views.case_data_view, name="data"),
        path("<str:reference>/fichiers/<str:key>/", case_views.case_file_download_view, name="form_file"),
    ]
    return [path("dossiers/", include((urls, "cases_admin"), namespace="cases_admin"))]


@hooks.register("register_admin_menu_item")
def register_case_menu():
    items = [
        AccessMenuItem(label, f"{reverse('cases_admin:list')}?inbox={code}", name=f"dossiers-{code}", order=index)
        for index, (code, label) in enumerate(INBOXES.items())
    ]
    items.append(
        AccessMenuItem("Ouvrir un dossier", reverse("cases_admin:open_choose"), name="dossiers-ouvrir", order=9)
    )
    items.append(
        AccessMenuItem("Changer de version", reverse("cases_admin:migrate_index"), name="dossiers-version", order=10)
    )
    return SubmenuMenuItem("Dossiers", Menu(items=items), icon_name="folder-open-inverse", name="dossiers", order=150)


@hooks.register("construct_admin_api")
def admin_api_declared(router):
    """Wagtail's admin API (the page explorer, the choosers) runs under the API's deny-by-default permission:
    its endpoints declare their roles here; the door itself is `core.wagtail_access` (the site's editors)."""
    from wagtail.admin.api.views import PagesAdminAPIViewSet
    from wagtail.documents.api.admin.views import DocumentsAdminAPIViewSet
    from wagtail.images.api.admin.views import ImagesAdminAPIViewSet

    from core.roles import ANY_ROLE

    for name, base in (("pages", PagesAdminAPIViewSet), ("documents", DocumentsAdminAPIViewSet),
                       ("images", ImagesAdminAPIViewSet)):  # fmt: skip
        declared = {"read": ANY_ROLE, "write": ANY_ROLE}
        # Kept in Wagtail's module: Wagtail's door (core.wagtail_access), not one of our views.
        attributes = {"required_roles": declared, "__module__": base.__module__}
        router.register_endpoint(name, type(base.__name__, (base,), attributes))


@hooks.register("construct_main_menu")
def help_menu_for_site_editors(request, menu_items):
    """Wagtail's « Aide » menu (its editor guide, what is new in Wagtail) is about editing the public site: shown
    only to those who edit it (`core.roles.edits_site`)."""
    from core.roles import edits_site

    if not edits_site(request.user):
        menu_items[:] = [item for item in menu_items if item.name != "help"]


@hooks.register("insert_global_admin_css")
def backoffice_css():
    return format_html('<link rel="stylesheet" href="{}">', static("ppe/backoffice.css"))


# --- Home screen: each role lands on its own work ------------------------------------------------------------


class HomePanelComponent(Component):
    """A panel of the dashboard: the core's « Mon travail », or a pole's (`home_panels` hook)."""

    def __init__(self, *, name: str, title: str, template: str, context: dict, order: int, request=None) -> None:
        self.name, self.title, self.template, self.context, self.order = name, title, template, context, order
        self.request = request  # panels may hold forms (the person acts from the home screen): CSRF token

    def render_html(self, parent_context=None) -> str:
        body = render_to_string(self.template, self.context, request=self.request)
        return render_to_string("core/home/panel.html", {"panel": self, "body": body})


@hooks.register("construct_homepage_panels")
def home_panels(request, panels):
    from core.plugins import hooks as pole_hooks
    from core.selectors.home import home_work

    if not user_roles(request.user):
        return
    work = home_work(user=request.user)
    panels.append(
        HomePanelComponent(
            name="ppe-work",
            title="Mon travail",
            template="core/home/work.html",
            order=100,
            context={
                "work": work,
                "list_url": reverse("cases_admin:list"),
                "inbox_links": [
                    (label, work.counts.get(code, "0"), f"{reverse('cases_admin:list')}?inbox={code}")
                    for code, label in INBOXES.items()
                    if code != "tous"
                ],
            },
        )
    )
    for index, answer in enumerate(pole_hooks().home_panels(request=request)):
        for number, panel in enumerate(answer or []):
            panels.append(
                HomePanelComponent(
                    name=f"ppe-pole-{index}-{number}",
                    title=panel.title,
                    template=panel.template,
                    context=panel.context,
                    order=panel.order,
                    request=request,
                )
            )
