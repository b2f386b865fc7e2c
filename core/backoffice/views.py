"""Case work in the Wagtail admin: the inboxes and their filters, exports, bulk transitions, the case page
and its actions. Each view parses its input, calls one service or selector and renders; a refused action
renders the case page again with the person's input and the French error."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from core.backoffice.exports import cases_csv_stream, cases_xlsx_file
from core.backoffice.forms import (
    AssignForm,
    AttachmentForm,
    BulkForm,
    CaseFilterForm,
    CommentForm,
    StructureChoiceForm,
    StructureCorrectForm,
    StructureLinkForm,
    errors_show,
    form_raw_values,
    transition_form_class,
)
from core.backoffice.paging import CasePaginator
from core.downloads import file_response, form_file_response
from core.models import Case, Comment, Structure
from core.plugins import hooks as plugin_hooks
from core.roles import ANY_ROLE, STAFF_ROLES, Role, user_roles
from core.selectors.case_work import (
    INBOXES,
    attachment_get,
    case_attachments,
    case_data_display,
    case_file_get,
    case_files,
    case_inbox,
    case_inbox_counts,
    case_timeline,
    workflows_openable,
)
from core.selectors.cases import available_transitions, case_get, case_list
from core.services.case_structure import case_contact, case_structure_confirm
from core.services.case_updates import case_attachment_add, case_comment_add, case_data_update
from core.services.case_work import (
    assignable_users,
    case_assign,
    case_editable_form,
    case_may_edit_data,
    is_staff_actor,
    transition_bulk_apply,
)
from core.services.cases import case_open, transition_apply
from tenants.access import access
from workflows.engine import compiled_version
from workflows.exceptions import FormInvalid, WorkflowError
from workflows.forms import django_form_class
from workflows.selectors import workflow_diagram

PAGE_SIZE = 50


def _require_case_user(request) -> None:
    if not user_roles(request.user):
        raise PermissionDenied


def _case_or_404(request, reference: str) -> Case:
    _require_case_user(request)
    case = case_get(user=request.user, reference=reference)
    if case is None:
        raise Http404("Dossier introuvable.")
    return case


def _visible_structures(user):
    if is_staff_actor(user):
        return Structure.objects.order_by("name")
    return Structure.objects.filter(pk__in=case_list(user=user).values("structure")).order_by("name")


def _state_choices() -> list[tuple[str, str]]:
    from workflows.models import State

    seen: dict[str, str] = {}
    for code, label in State.objects.filter(version__status="published").values_list("code", "label"):
        seen.setdefault(code, label)
    return sorted(seen.items(), key=lambda item: item[1])


def _overdue(case: Case) -> bool:
    return bool(case.due_at and case.closed_at is None and case.due_at < timezone.localdate())


# --- lists ----------------------------------------------------------------------------------------------------


@access(ANY_ROLE)
def case_list_view(request):
    _require_case_user(request)
    staff = is_staff_actor(request.user)
    assignees = list(assignable_users()) if staff else []
    form = CaseFilterForm(
        request.GET or None, structures=_visible_structures(request.user), assignees=assignees, states=_state_choices()
    )
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        filters = form.selector_filters(assignees)
    inbox = request.GET.get("inbox") or "tous"
    if inbox not in INBOXES:
        inbox = "tous"
    cases = case_inbox(user=request.user, inbox=inbox, **filters)
    export = request.GET.get("export")
    if export in ("csv", "xlsx"):  # streamed: a territory's 100,000 cases never sit in memory at once
        filename = f"dossiers-{timezone.localdate().isoformat()}.{export}"
        if export == "csv":
            response = StreamingHttpResponse(cases_csv_stream(cases), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
            return response
        return FileResponse(
            cases_xlsx_file(cases),
            as_attachment=True,
            filename=filename,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    page = CasePaginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for case in page:
        compiled = compiled_version(case.workflow_version_id)
        rows.append({"case": case, "state_label": compiled.state_label(case.state), "overdue": _overdue(case)})
    bulk_transitions = {}
    if staff:
        for version_id in {case.workflow_version_id for case in page}:
            for spec in compiled_version(version_id).transitions.values():
                if not spec.form:
                    bulk_transitions.setdefault(spec.code, spec.label)
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
    return TemplateResponse(
        request,
        "core/cases/list.html",
        {
            "page_title": "Dossiers",
            "header_icon": "folder-open-inverse",
            "form": form,
            "inbox": inbox,
            "inboxes": INBOXES,
            "counts": case_inbox_counts(user=request.user),
            "page": page,
            "rows": rows,
            "staff": staff,
            "bulk_transitions": sorted(bulk_transitions.items(), key=lambda item: item[1]),
            "query": query.urlencode(),
        },
    )


@access(ANY_ROLE)
def case_bulk_view(request):
    _require_case_user(request)
    if request.method != "POST":
        return redirect("cases_admin:list")
    form = BulkForm(request.POST)
    references = request.POST.getlist("cases")
    if not form.is_valid() or not references:
        messages.error(request, "Choisissez au moins un dossier et une transition.")
        return redirect(request.POST.get("next") or reverse("cases_admin:list"))
    cases = list(case_list(user=request.user).filter(reference__in=references))
    results = transition_bulk_apply(
        cases=cases, transition=form.cleaned_data["transition"], actor=request.user,
        comment=form.cleaned_data.get("comment") or "",
    )  # fmt: skip
    missing = sorted(set(references) - {case.reference for case in cases})
    return TemplateResponse(
        request,
        "core/cases/bulk.html",
        {
            "page_title": "Transition par lot",
            "results": results,
            "missing": missing,
            "succeeded": sum(1 for r in results if r.ok),
            "next": request.POST.get("next") or reverse("cases_admin:list"),
        },
    )


# --- opening a case -------------------------------------------------------------------------------------------


@access(ANY_ROLE)
def case_open_choose_view(request):
    _require_case_user(request)
    return TemplateResponse(
        request,
        "core/cases/open_choose.html",
        {"page_title": "Ouvrir un dossier", "workflows": workflows_openable(user=request.user)},
    )


@access(ANY_ROLE)
def case_open_view(request, code: str):
    _require_case_user(request)
    openable = {w.code: w for w in workflows_openable(user=request.user)}
    if code not in openable:
        raise Http404("Type de dossier inconnu, non publié ou réservé à d'autres rôles.")
    compiled = compiled_version(openable[code].version_id)
    form_spec = compiled.forms.get(compiled.open_form)
    structures = _openable_structures(request.user)
    form_class = transition_form_class(form_spec, "none")
    staff = is_staff_actor(request.user)
    structure_form = StructureChoiceForm(
        request.POST or None, prefix="s", queryset=structures, required=not staff,
        initial={"structure": structures[0]} if not staff and len(structures) == 1 else None,
    )  # fmt: skip
    status = 200
    if request.method == "POST":
        form = form_class(request.POST, request.FILES, prefix="o")
        data, files = form_raw_values(form_spec, request.POST, request.FILES, "o")
        structure = structure_form.cleaned_data.get("structure") if structure_form.is_valid() else None
        if structure_form.is_valid():
            try:
                case = case_open(
                    workflow=code, data=data, files=files or None, structure=structure, actor=request.user,
                    channel=Case.Channel.BACKOFFICE,
                )  # fmt: skip
            except WorkflowError as exc:
                errors_show(form, getattr(exc, "errors", None), exc.message)
            else:
                messages.success(request, f"Dossier {case.reference} ouvert.")
                return redirect("cases_admin:detail", case.reference)
        else:
            errors_show(form, None, "")
        status = 422
        _files_again_say(request)
    else:
        form = form_class(prefix="o")
    return TemplateResponse(
        request,
        "core/cases/open.html",
        {"page_title": f"Ouvrir un dossier « {compiled.name} »", "form": form, "structure_form": structure_form},
        status=status,
    )


def _files_again_say(request) -> None:
    """A refused form comes back without the files it was sent (a page cannot give them back): say so."""
    if request.FILES:
        messages.warning(request, "Les fichiers joints n'ont pas été enregistrés : joignez-les de nouveau.")


def _openable_structures(user):
    if is_staff_actor(user):
        return Structure.objects.filter(is_active=True).order_by("name")
    return Structure.objects.filter(memberships__user=user).order_by("name")


# --- the case page --------------------------------------------------------------------------------------------


def _transition_forms(case: Case, user, bound: dict[str, Any]) -> list[dict[str, Any]]:
    compiled = compiled_version(case.workflow_version_id)
    items = []
    for option in available_transitions(case=case, user=user):
        form = bound.get(option.code)
        if form is None and option.available:
            spec = compiled.forms.get(option.form) if option.form else None
            form = transition_form_class(spec, option.comment)(prefix=f"t-{option.code}")
        items.append({"option": option, "form": form, "open": option.code in bound})
    return items


def _case_panels(request, case: Case) -> list[str]:
    """HTML of the panels the active poles add to the case page (pluggy hook `case_panels`)."""
    return [panel for panel in plugin_hooks().case_panels(request=request, case=case) if panel]


def _posted_revision(request) -> int | None:
    """The case revision the submitted page displayed (its hidden `revision` input), if any."""
    try:
        return int(request.POST["revision"])
    except (KeyError, ValueError):
        return None


def _case_page(
    request, case: Case, *, bound: dict[str, Any] | None = None, refusal: dict | None = None, status: int = 200
):
    bound = bound or {}
    user = request.user
    staff = is_staff_actor(user)
    compiled = compiled_version(case.workflow_version_id)
    comment_form = bound.get("comment") or CommentForm(initial={"visibility": "internal" if staff else "structure"})
    attachment_form = bound.get("attachment") or AttachmentForm(
        initial={"visibility": "internal" if staff else "structure"}
    )
    if not staff:
        for form in (comment_form, attachment_form):
            form.fields["visibility"].choices = [c for c in Comment.Visibility.choices if c[0] == "structure"]
    assign_form = None
    if staff:
        assign_form = bound.get("assign") or AssignForm(
            queryset=assignable_users(), initial={"users": list(case.assignees.values_list("pk", flat=True))}
        )
    state = compiled.states.get(case.state)
    # The structure panel where structures take part: the case has one, or its type is one a structure opens
    # (not a pool application, whose applicant is a person, nor a municipality's SIEG support).
    with_structure = case.structure_id is not None or Role.STRUCTURE_MEMBER in compiled.open_roles
    structure_panel = _structure_panel(case, bound) if staff and with_structure else None
    return TemplateResponse(
        request,
        "core/cases/detail.html",
        {
            "page_title": f"Dossier {case.reference}",
            "header_icon": "folder-open-inverse",
            "case": case,
            "compiled": compiled,
            "state_label": compiled.state_label(case.state),
            "state": state,
            "overdue": _overdue(case),
            "sections": case_data_display(case=case),
            "form_files": case_files(case=case),
            "timeline": case_timeline(case=case, user=user),
            "transitions": _transition_forms(case, user, bound.get("transitions", {})),
            "comment_form": comment_form,
            "attachment_form": attachment_form,
            "attachments": case_attachments(case=case, user=user),
            "assign_form": assign_form,
            "staff": staff,
            "may_edit": case_may_edit_data(case=case, user=user) and case_editable_form(case) is not None,
            "diagram": workflow_diagram(version=case.workflow_version, current=case.state),
            "panels": _case_panels(request, case),
            "refusal": refusal,
            "structure_panel": structure_panel,
        },
        status=status,
    )


def _link_choices():
    return Structure.objects.filter(is_active=True, status=Structure.Status.CONFIRMED).order_by("name", "commune")


def _structure_panel(case: Case, bound: dict[str, Any]) -> dict[str, Any]:
    """What the team sees of the case's structure: confirm it (correcting a new one) or link another."""
    structure = case.structure
    pending = structure is not None and structure.status == Structure.Status.PENDING
    correct_form = None
    if pending:
        correct_form = bound.get("structure_correct") or StructureCorrectForm(instance=structure, prefix="st")
    return {
        "structure": structure,
        "to_confirm": case.structure_to_confirm or pending,
        "pending": pending,
        "contact": case_contact(case) if case.channel == Case.Channel.PUBLIC else None,
        "correct_form": correct_form,
        "link_form": bound.get("structure_link") or StructureLinkForm(queryset=_link_choices(), prefix="sl"),
        "open": bool(bound.get("structure_correct") or bound.get("structure_link")),
    }


@access(ANY_ROLE)
def case_detail_view(request, reference: str):
    return _case_page(request, _case_or_404(request, reference))


@access(ANY_ROLE)
def case_transition_view(request, reference: str, code: str):
    case = _case_or_404(request, reference)
    if request.method != "POST":
        return redirect("cases_admin:detail", reference)
    compiled = compiled_version(case.workflow_version_id)
    spec = compiled.transitions.get(code)
    form_spec = compiled.forms.get(spec.form) if spec is not None and spec.form else None
    prefix = f"t-{code}"
    data, files = form_raw_values(form_spec, request.POST, request.FILES, prefix)
    try:
        transition_apply(
            case=case, transition=code, actor=request.user, data=data or None, files=files or None,
            comment=request.POST.get(f"{prefix}-comment", ""), expected_revision=_posted_revision(request),
        )  # fmt: skip
    except WorkflowError as exc:
        if spec is None:
            messages.error(request, exc.message)
            return redirect("cases_admin:detail", reference)
        form = transition_form_class(form_spec, spec.comment)(request.POST, request.FILES, prefix=prefix)
        errors_show(form, getattr(exc, "errors", None), exc.message)
        _files_again_say(request)
        fields = bool(getattr(exc, "errors", None))
        refusal = {"code": code, "label": spec.label, "message": exc.message, "fields": fields}
        # The page shows the case as it is now (another person may have moved it), with the refusal on top.
        fresh = _case_or_404(request, reference)
        return _case_page(request, fresh, bound={"transitions": {code: form}}, refusal=refusal, status=422)
    target = compiled.state_label(spec.target)
    messages.success(request, f"« {spec.label} » : le dossier est passé à l'état « {target} ».")
    return redirect("cases_admin:detail", reference)


@access(STAFF_ROLES)
def case_structure_view(request, reference: str):
    """The team confirms the case's structure (correcting one created from the request) or links another one;
    the request's contact person is then invited as a member of it."""
    case = _case_or_404(request, reference)
    if request.method != "POST":
        return redirect("cases_admin:detail", reference)
    if not is_staff_actor(request.user):
        raise PermissionDenied
    action = request.POST.get("action")
    if action == "link":
        form = StructureLinkForm(request.POST, queryset=_link_choices(), prefix="sl")
        bound_key = "structure_link"
        valid = form.is_valid()
        arguments = {"structure": form.cleaned_data["structure"]} if valid else {}
    elif action == "confirm" and case.structure is not None and case.structure.status == Structure.Status.PENDING:
        form = StructureCorrectForm(request.POST, instance=Structure.objects.get(pk=case.structure_id), prefix="st")
        bound_key = "structure_correct"
        valid = form.is_valid()
        arguments = {"corrections": dict(form.cleaned_data)} if valid else {}
    elif action == "confirm" and case.structure is not None:
        form, bound_key, valid, arguments = None, "", True, {}
    else:
        messages.error(request, "Action inconnue : rechargez la page et recommencez.")
        return redirect("cases_admin:detail", reference)
    if valid:
        try:
            outcome = case_structure_confirm(case=case, actor=request.user, request=request, **arguments)
        except ValidationError as exc:
            if form is None:
                messages.error(request, " ".join(exc.messages))
                return redirect("cases_admin:detail", reference)
            _error_on(form, exc)
        else:
            messages.success(request, outcome.message)
            return redirect("cases_admin:detail", reference)
    return _case_page(request, _case_or_404(request, reference), bound={bound_key: form}, status=422)


@access(ANY_ROLE)
def case_comment_view(request, reference: str):
    case = _case_or_404(request, reference)
    if request.method != "POST":
        return redirect("cases_admin:detail", reference)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            case_comment_add(
                case=case, text=form.cleaned_data["body"], visibility=form.cleaned_data["visibility"],
                actor=request.user,
            )  # fmt: skip
        except WorkflowError as exc:
            _workflow_error_on(form, exc, {"text": "body"})
        else:
            messages.success(request, "Commentaire ajouté.")
            return redirect(reverse("cases_admin:detail", args=[reference]) + "#historique")
    return _case_page(request, case, bound={"comment": form}, status=422)


@access(ANY_ROLE)
def case_attachment_view(request, reference: str):
    case = _case_or_404(request, reference)
    if request.method != "POST":
        return redirect("cases_admin:detail", reference)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            case_attachment_add(
                case=case, file=form.cleaned_data["file"], visibility=form.cleaned_data["visibility"],
                actor=request.user,
            )  # fmt: skip
        except WorkflowError as exc:
            _workflow_error_on(form, exc, {})
        else:
            messages.success(request, "Pièce jointe ajoutée.")
            return redirect(reverse("cases_admin:detail", args=[reference]) + "#pieces")
    return _case_page(request, case, bound={"attachment": form}, status=422)


@access(STAFF_ROLES)
def case_assign_view(request, reference: str):
    case = _case_or_404(request, reference)
    if request.method != "POST":
        return redirect("cases_admin:detail", reference)
    if not is_staff_actor(request.user):
        raise PermissionDenied
    form = AssignForm(request.POST, queryset=assignable_users())
    if form.is_valid():
        try:
            event = case_assign(case=case, users=form.cleaned_data["users"], actor=request.user)
        except (ValidationError, PermissionDenied) as exc:
            _error_on(form, exc)
        else:
            messages.success(request, "Attribution enregistrée." if event else "Attribution inchangée.")
            return redirect("cases_admin:detail", reference)
    return _case_page(request, case, bound={"assign": form}, status=422)


def _error_on(form, exc: Exception) -> None:
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages[0] if isinstance(exc, ValidationError) else str(exc))


def _workflow_error_on(form, exc: WorkflowError, renamed: dict[str, str]) -> None:
    errors = getattr(exc, "errors", None)
    if not errors:
        form.add_error(None, exc.message)
        return
    for code, messages_ in errors.items():
        name = renamed.get(code, code)
        form.add_error(name if name in form.fields else None, messages_)


@access(STAFF_ROLES)
def case_data_view(request, reference: str):
    case = _case_or_404(request, reference)
    if not case_may_edit_data(case=case, user=request.user):
        raise PermissionDenied
    spec = case_editable_form(case)
    if spec is None:
        raise Http404("Ce dossier n'a pas de données modifiables.")
    form_class = django_form_class(spec, display=True)
    status = 200
    if request.method == "POST":
        data, files = form_raw_values(spec, request.POST, request.FILES, "d")
        try:
            event = case_data_update(
                case=case, data=data, files=files, actor=request.user, expected_revision=_posted_revision(request)
            )
        except FormInvalid as exc:
            form = errors_show(form_class(request.POST, prefix="d"), exc.errors, exc.message)
            status = 422
            _files_again_say(request)
        except WorkflowError as exc:
            form = errors_show(form_class(request.POST, prefix="d"), None, exc.message)
            status = 422
            _files_again_say(request)
        else:
            messages.success(request, "Données enregistrées." if event.data_diff else "Aucune donnée n'a changé.")
            return redirect("cases_admin:detail", reference)
    else:
        form = form_class(prefix="d", initial={code: _initial(value) for code, value in case.data.items()
                                               if not isinstance(value, dict)})  # fmt: skip
    return TemplateResponse(
        request,
        "core/cases/edit.html",
        {"page_title": f"Modifier les données du dossier {case.reference}", "case": case, "form": form},
        status=status,
    )


def _initial(value: Any) -> Any:
    """A stored value as the initial value of its form field."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and not all(isinstance(v, str) for v in value):
        return json.dumps(value, ensure_ascii=False)
    return value


@access(ANY_ROLE)
def attachment_download_view(request, pk: int):
    _require_case_user(request)
    attachment = attachment_get(user=request.user, pk=pk)
    if attachment is None:
        raise Http404("Pièce jointe introuvable.")
    return file_response(attachment.file, filename=attachment.name, content_type=attachment.content_type)


@access(ANY_ROLE)
def case_file_download_view(request, reference: str, key: str):
    """A file a form of the case stored, for the people who may see the case (`case_get` decides)."""
    found = case_file_get(case=_case_or_404(request, reference), key=key)
    if found is None:
        raise Http404("Ce dossier n'a pas de fichier à cet endroit.")
    return form_file_response(found.value)
