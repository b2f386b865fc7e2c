"""Admin views of the engine (Wagtail admin): check and publish a version, new draft, YAML export and import."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from tenants.access import access
from workflows import registry
from workflows.admin_forms import _version_field_infos
from workflows.conditions import condition_text
from workflows.exceptions import DefinitionInvalid
from workflows.models import WorkflowDefinition, WorkflowVersion
from workflows.selectors import workflow_diagram
from workflows.services import (
    workflow_export,
    workflow_import,
    workflow_publish,
    workflow_version_check,
    workflow_version_draft_create,
)


def _require_editor(request) -> None:
    if not request.user.has_perm("workflows.change_workflowversion"):
        raise PermissionDenied


def _versions_url() -> str:
    return reverse("wagtailsnippets_workflows_workflowversion:list")


@access(perm="workflows.change_workflowversion")
def version_publish(request, pk: int):
    _require_editor(request)
    version = get_object_or_404(WorkflowVersion.objects.select_related("definition"), pk=pk)
    if request.method == "POST":
        try:
            workflow_publish(version=version, actor=request.user)
        except DefinitionInvalid as exc:
            for error in exc.errors:
                messages.error(request, error)
            return redirect("workflows_admin:publish", pk=pk)
        published = f"Version {version.number} de « {version.definition} » publiée."
        if version.number > 1:  # the cases opened before keep running on their version until moved
            published += (
                " Les dossiers en cours restent sur leur version : faites-les passer sur celle-ci depuis "
                "Dossiers → Changer de version."
            )
        messages.success(request, published)
        return redirect("workflows_admin:version", pk=pk)
    errors = workflow_version_check(version=version) if version.status == WorkflowVersion.Status.DRAFT else []
    return TemplateResponse(
        request,
        "workflows/admin/publish.html",
        {"version": version, "errors": errors, "page_title": "Publier", "diagram": workflow_diagram(version=version)},
    )


@access(perm="workflows.change_workflowversion")
def version_draft_create(request, pk: int):
    _require_editor(request)
    if request.method != "POST":
        return redirect(_versions_url())
    definition = get_object_or_404(WorkflowDefinition, pk=pk)
    draft = workflow_version_draft_create(definition=definition, actor=request.user)
    messages.success(request, f"Brouillon {draft.number} de « {definition} » prêt à modifier.")
    return redirect("workflows_admin:version", pk=draft.pk)


@access(perm="workflows.change_workflowversion")
def version_export(request, pk: int):
    _require_editor(request)
    version = get_object_or_404(WorkflowVersion.objects.select_related("definition"), pk=pk)
    response = HttpResponse(workflow_export(version=version), content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{version.definition.code}-v{version.number}.yaml"'
    return response


class ImportForm(forms.Form):
    file = forms.FileField(label="Fichier YAML (format ppe-workflow/1)", required=False)
    source = forms.CharField(label="… ou son contenu", widget=forms.Textarea(attrs={"rows": 16}), required=False)
    publish = forms.BooleanField(label="Publier aussitôt", required=False)

    def clean(self):
        data = super().clean()
        if not data.get("file") and not data.get("source"):
            raise forms.ValidationError("Choisissez un fichier ou collez son contenu.")
        return data


@access(perm="workflows.change_workflowversion")
def workflow_import_view(request):
    _require_editor(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("file")
        source = upload.read().decode("utf-8", errors="replace") if upload else form.cleaned_data["source"]
        try:
            version = workflow_import(source=source, actor=request.user, publish=form.cleaned_data["publish"])
        except DefinitionInvalid as exc:
            errors = exc.errors
        else:
            messages.success(request, f"« {version.definition} » importé (version {version.number}).")
            return redirect("workflows_admin:version", pk=version.pk)
    return TemplateResponse(
        request, "workflows/admin/import.html", {"form": form, "errors": errors, "page_title": "Importer un workflow"}
    )


def snippet_url(model: str, action: str, *args) -> str:
    return reverse(f"wagtailsnippets_workflows_{model}:{action}", args=args)


@access(perm="workflows.change_workflowversion")
def version_overview(request, pk: int):
    """A version at a glance: its diagram, what stops it from being published, its states, transitions and
    forms with links to edit them, and the next steps (publish, export, new draft)."""
    _require_editor(request)
    version = get_object_or_404(WorkflowVersion.objects.select_related("definition"), pk=pk)
    draft = version.status == WorkflowVersion.Status.DRAFT
    transitions = list(version.transitions.prefetch_related("sources").select_related("target"))
    roles = {code: label.removesuffix(f" ({code})") for code, label in registry.choices("roles")}
    infos = _version_field_infos(version.pk)
    states = list(version.states.all())
    for state in states:  # what the page shows: labels, never codes or CEL
        state.responsible_label = roles.get(state.responsible, state.responsible) if state.responsible else ""
    for transition in transitions:
        transition.roles_label = ", ".join(roles.get(code, code) for code in transition.roles or [])
        transition.guard_label = condition_text(transition.guard, infos) if transition.guard else ""
    return TemplateResponse(
        request,
        "workflows/admin/version.html",
        {
            "page_title": f"{version.definition} · version {version.number}",
            "version": version,
            "draft": draft,
            "errors": workflow_version_check(version=version) if draft else [],
            "diagram": workflow_diagram(version=version),
            "states": states,
            "transitions": transitions,
            "forms": list(version.forms.prefetch_related("fields")),
            "versions": list(version.definition.versions.order_by("-number")),
        },
    )


@access(perm="workflows.change_workflowversion")
def workflow_overview(request, pk: int):
    """A workflow's versions, with the way to start a new draft."""
    _require_editor(request)
    definition = get_object_or_404(WorkflowDefinition, pk=pk)
    return TemplateResponse(
        request,
        "workflows/admin/workflow.html",
        {
            "page_title": str(definition),
            "definition": definition,
            "versions": list(definition.versions.order_by("-number")),
            "has_draft": definition.versions.filter(status=WorkflowVersion.Status.DRAFT).exists(),
        },
    )
