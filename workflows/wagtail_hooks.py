"""The engine's screens in the Wagtail admin: workflows, versions (with their states), transitions, forms (with
their fields), reference lists; publish, new draft, YAML import and export."""

from __future__ import annotations

from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.admin.widgets import ListingButton
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from workflows import views
from workflows.models import FormDefinition, ReferenceList, Transition, WorkflowDefinition, WorkflowVersion


class WorkflowDefinitionViewSet(SnippetViewSet):
    model = WorkflowDefinition
    icon = "cogs"
    list_display = ["name", "code", "pole", "updated_at"]
    search_fields = ["name", "code"]
    panels = [
        FieldPanel("code"),
        FieldPanel("name"),
        FieldPanel("description"),
        FieldPanel("pole"),
        FieldPanel("reference_prefix"),
        FieldPanel("open_form"),
        FieldPanel("open_roles"),
    ]


class WorkflowVersionViewSet(SnippetViewSet):
    model = WorkflowVersion
    icon = "list-ol"
    list_display = ["definition", "number", "status", "published_at"]
    list_filter = ["status", "definition"]
    panels = [
        MultiFieldPanel([FieldPanel("definition"), FieldPanel("number")], heading="Version"),
        InlinePanel("states", heading="États", label="État"),
    ]


class TransitionViewSet(SnippetViewSet):
    model = Transition
    icon = "arrow-right"
    list_display = ["label", "code", "version", "target"]
    list_filter = ["version"]
    panels = [
        FieldPanel("version"),
        FieldPanel("code"),
        FieldPanel("label"),
        FieldPanel("position"),
        FieldPanel("sources"),
        FieldPanel("target"),
        FieldPanel("roles"),
        FieldPanel("guard"),
        FieldPanel("form"),
        FieldPanel("comment"),
        FieldPanel("actions"),
    ]


class FormDefinitionViewSet(SnippetViewSet):
    model = FormDefinition
    icon = "form"
    list_display = ["name", "code", "version"]
    list_filter = ["version"]
    panels = [FieldPanel("version"), FieldPanel("code"), FieldPanel("name"), InlinePanel("fields", heading="Champs")]


class ReferenceListViewSet(SnippetViewSet):
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
    ]
    return [path("workflows/", include((urls, "workflows_admin"), namespace="workflows_admin"))]


@hooks.register("register_admin_menu_item")
def register_import_menu_item():
    return MenuItem("Importer un workflow", reverse("workflows_admin:import"), icon_name="upload", order=251)


@hooks.register("register_snippet_listing_buttons")
def version_listing_buttons(snippet, user, next_url=None):
    if isinstance(snippet, WorkflowVersion):
        if snippet.status == WorkflowVersion.Status.DRAFT:
            yield ListingButton(
                "Vérifier et publier", reverse("workflows_admin:publish", args=[snippet.pk]), priority=5
            )
        else:
            yield ListingButton("Nouveau brouillon", reverse("workflows_admin:publish", args=[snippet.pk]), priority=5)
        yield ListingButton("Exporter (YAML)", reverse("workflows_admin:export", args=[snippet.pk]), priority=6)
