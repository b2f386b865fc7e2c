"""The engine's screens in the Wagtail admin: workflows, versions (with their states), transitions, forms (with
their fields), reference lists; publish, new draft, YAML import and export."""

from __future__ import annotations

from django.templatetags.static import static
from django.urls import include, path, reverse
from django.utils.html import format_html
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, ObjectList
from wagtail.admin.widgets import ListingButton
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.chooser import SnippetChooserViewSet
from wagtail.snippets.views.snippets import CreateView, DeleteView, EditView, SnippetViewSet, SnippetViewSetGroup

from tenants.access import access
from workflows import views
from workflows.admin_forms import (
    FieldDefinitionForm,
    FormDefinitionForm,
    StateForm,
    TransitionForm,
    WorkflowDefinitionForm,
)
from workflows.models import FormDefinition, ReferenceList, Transition, WorkflowDefinition, WorkflowVersion
from workflows.panels import CspInlinePanel as InlinePanel
from workflows.panels import FormInlinePanel


class _BackToVersion:
    """After saving a part of a version (its states, a transition, a form), go back to the version's page."""

    def get_success_url(self):
        version_id = getattr(self.object, "version_id", None) or (
            self.object.pk if isinstance(self.object, WorkflowVersion) else None
        )
        if version_id:
            return reverse("workflows_admin:version", args=[version_id])
        return super().get_success_url()


class _VersionFromQuery:
    """`?version=<id>` (the version page's "add" links) preselects the version."""

    def get_initial_form_instance(self):
        version = self.request.GET.get("version", "")
        if version.isdigit() and WorkflowVersion.objects.filter(pk=version, status="draft").exists():
            return self.model(version_id=int(version))
        return super().get_initial_form_instance()


class VersionPartCreateView(_VersionFromQuery, _BackToVersion, CreateView):
    pass


class VersionPartEditView(_BackToVersion, EditView):
    pass


class VersionPartDeleteView(DeleteView):
    """Deleting a part of a published version (or the version itself) is refused in French, never a 500."""

    def post(self, request, *args, **kwargs):
        from django.contrib import messages
        from django.core.exceptions import ValidationError
        from django.db.models import ProtectedError
        from django.shortcuts import redirect

        try:
            return super().post(request, *args, **kwargs)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        except ProtectedError:
            messages.error(request, "Des dossiers suivent encore cette version : elle ne peut pas être supprimée.")
        version_id = getattr(self.object, "version_id", None) or (
            self.object.pk if isinstance(self.object, WorkflowVersion) else None
        )
        if version_id and WorkflowVersion.objects.filter(pk=version_id).exists():
            return redirect("workflows_admin:version", version_id)
        return redirect(self.get_success_url())


class DefinitionCreateView(CreateView):
    def get_success_url(self):
        return reverse("workflows_admin:workflow", args=[self.object.pk])


class EditorsChooserViewSet(SnippetChooserViewSet):
    """Wagtail's snippet choosers check no permission: these answer only to the workflow editors."""

    def get_urlpatterns(self):
        patterns = super().get_urlpatterns()
        for pattern in patterns:
            pattern.callback = access(perm="workflows.change_workflowversion")(pattern.callback)
        return patterns


class EditorsSnippetViewSet(SnippetViewSet):
    chooser_viewset_class = EditorsChooserViewSet


class WorkflowDefinitionViewSet(EditorsSnippetViewSet):
    model = WorkflowDefinition
    icon = "cogs"
    list_display = ["name", "code", "pole", "updated_at"]
    search_fields = ["name", "code"]
    add_view_class = DefinitionCreateView
    edit_handler = ObjectList(
        [
            FieldPanel("code"),
            FieldPanel("name"),
            FieldPanel("description"),
            FieldPanel("pole"),
            FieldPanel("reference_prefix"),
            FieldPanel("open_form"),
            FieldPanel("open_roles"),
        ],
        base_form_class=WorkflowDefinitionForm,
    )


class WorkflowVersionViewSet(EditorsSnippetViewSet):
    model = WorkflowVersion
    icon = "list-ol"
    list_display = ["definition", "number", "status", "published_at"]
    list_filter = ["status", "definition"]
    edit_view_class = VersionPartEditView
    delete_view_class = VersionPartDeleteView
    panels = [
        MultiFieldPanel([FieldPanel("definition"), FieldPanel("number")], heading="Version"),
        FormInlinePanel("states", heading="États", label="État", form_class=StateForm),
    ]


class TransitionViewSet(EditorsSnippetViewSet):
    model = Transition
    icon = "arrow-right"
    list_display = ["label", "code", "version", "target"]
    list_filter = ["version"]
    add_view_class = VersionPartCreateView
    edit_view_class = VersionPartEditView
    delete_view_class = VersionPartDeleteView
    edit_handler = ObjectList(
        [
            FieldPanel("version"),
            FieldPanel("code"),
            FieldPanel("label"),
            FieldPanel("position"),
            FieldPanel("sources"),
            FieldPanel("target"),
            FieldPanel("roles"),
            FieldPanel("guard_builder", heading="Condition à remplir"),
            FieldPanel("guard"),
            FieldPanel("guard_message"),
            FieldPanel("form"),
            FieldPanel("comment"),
            FieldPanel("actions"),
        ],
        base_form_class=TransitionForm,
    )


class FormDefinitionViewSet(EditorsSnippetViewSet):
    model = FormDefinition
    icon = "form"
    list_display = ["name", "code", "version"]
    list_filter = ["version"]
    add_view_class = VersionPartCreateView
    edit_view_class = VersionPartEditView
    delete_view_class = VersionPartDeleteView
    edit_handler = ObjectList(
        [
            FieldPanel("version"),
            FieldPanel("code"),
            FieldPanel("name"),
            FormInlinePanel("fields", heading="Champs", label="Champ", form_class=FieldDefinitionForm),
        ],
        base_form_class=FormDefinitionForm,
    )


class ReferenceListViewSet(EditorsSnippetViewSet):
    model = ReferenceList
    icon = "list-ul"
    list_display = ["name", "code"]
    panels = [FieldPanel("code"), FieldPanel("name"), InlinePanel("items", heading="Éléments", label="Élément")]


class WorkflowsGroup(SnippetViewSetGroup):
    menu_label = "Workflows"
    menu_icon = "cogs"
    menu_order = 250
    items = (
        WorkflowDefinitionViewSet,
        WorkflowVersionViewSet,
        TransitionViewSet,
        FormDefinitionViewSet,
        ReferenceListViewSet,
    )


register_snippet(WorkflowsGroup)


@hooks.register("register_admin_urls")
def register_admin_urls():
    urls = [
        path("version/<int:pk>/publier/", views.version_publish, name="publish"),
        path("version/<int:pk>/exporter/", views.version_export, name="export"),
        path("workflow/<int:pk>/brouillon/", views.version_draft_create, name="draft"),
        path("importer/", views.workflow_import_view, name="import"),
        path("version/<int:pk>/", views.version_overview, name="version"),
        path("workflow/<int:pk>/", views.workflow_overview, name="workflow"),
    ]
    return [path("workflows/", include((urls, "workflows_admin"), namespace="workflows_admin"))]


class EditorMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return request.user.has_perm("workflows.change_workflowversion")


@hooks.register("insert_global_admin_js")
def inline_panel_js():
    return format_html(
        '<script src="{}"></script><script src="{}" defer></script><script src="{}" defer></script>',
        static("workflows/inline_panel.js"),
        static("workflows/form_conditions.js"),
        static("workflows/form_groups.js"),
    )


@hooks.register("register_admin_menu_item")
def register_import_menu_item():
    return EditorMenuItem("Importer un workflow", reverse("workflows_admin:import"), icon_name="upload", order=251)


@hooks.register("register_snippet_listing_buttons")
def version_listing_buttons(snippet, user, next_url=None):
    if isinstance(snippet, WorkflowDefinition):
        yield ListingButton("Versions", reverse("workflows_admin:workflow", args=[snippet.pk]), priority=5)
    if isinstance(snippet, WorkflowVersion):
        yield ListingButton("Voir et diagramme", reverse("workflows_admin:version", args=[snippet.pk]), priority=4)
        if snippet.status == WorkflowVersion.Status.DRAFT:
            yield ListingButton(
                "Vérifier et publier", reverse("workflows_admin:publish", args=[snippet.pk]), priority=5
            )
        else:
            yield ListingButton("Nouveau brouillon", reverse("workflows_admin:publish", args=[snippet.pk]), priority=5)
        yield ListingButton("Exporter (YAML)", reverse("workflows_admin:export", args=[snippet.pk]), priority=6)
