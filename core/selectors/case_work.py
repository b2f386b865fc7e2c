"""Reads for the back office's case screens: inboxes, a case's data with its labels, its timeline."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import date_format

from core.models import Case, CaseAttachment, CaseEvent, Comment
from core.roles import user_roles
from core.selectors.cases import STAFF_ROLES, case_list
from workflows.engine import CompiledWorkflow, compiled_version
from workflows.forms import FieldSpec

INBOXES = {
    "moi": "Assignés à moi",
    "equipe": "Mon équipe",
    "retard": "En retard",
    "tous": "Tous les dossiers",
}


def case_team_filter(*, user) -> Q:
    """The cases whose current state is the responsibility of one of `user`'s roles (the team's cases)."""
    from workflows.models import WorkflowVersion

    roles = user_roles(user)
    condition = Q(pk__in=[])
    # Every version a case can run on (never a draft): a handful of rows, where the versions the cases use
    # were a scan of every case (40 ms at each inbox page over 100,000 cases, bench/volume.py).
    versions = WorkflowVersion.objects.exclude(status=WorkflowVersion.Status.DRAFT).order_by("pk")
    for version_id in versions.values_list("pk", flat=True):
        compiled = compiled_version(version_id)
        states = [code for code, s in compiled.states.items() if s.responsible and s.responsible in roles]
        if states:
            condition |= Q(workflow_version_id=version_id, state__in=states)
    return condition


def case_inbox(*, user, inbox: str = "tous", **filters: Any) -> QuerySet[Case]:
    """`case_list` (what `user` may see, filtered) narrowed to one inbox: `moi` (assigned to me), `equipe`
    (states my roles are responsible for, open cases), `retard` (due date passed), `tous`."""
    cases = case_list(user=user, **filters)
    if inbox == "moi":
        cases = cases.filter(assignees=user)
    elif inbox == "equipe":
        cases = cases.filter(case_team_filter(user=user), closed_at__isnull=True)
    elif inbox == "retard":
        cases = cases.filter(due_at__lt=timezone.localdate(), closed_at__isnull=True)
    # The version for its number; never its snapshot (the whole published definition, tens of kB of JSON to
    # decode per row: 7 of the 16 s of a CSV export of 1,500 cases, measured with bench/volume.py's data).
    return cases.prefetch_related("assignees").select_related("workflow_version").defer("workflow_version__snapshot")


COUNT_CAP = 10_000  # cases counted at most in a list or an inbox (past it: « plus de 10 000 »)


def capped_count(cases: QuerySet[Case]) -> int:
    """How many cases `cases` holds, counted up to COUNT_CAP + 1 (a count of every case of a territory that has
    lived for years reads them all, at every page)."""
    return cases.order_by()[: COUNT_CAP + 1].count()


def count_label(count: int) -> str:
    """A capped count as a person reads it: « 42 », « 1 250 », « plus de 10 000 »."""
    from django.contrib.humanize.templatetags.humanize import intcomma

    return f"plus de {intcomma(COUNT_CAP)}" if count > COUNT_CAP else intcomma(count)


def case_inbox_counts(*, user) -> dict[str, str]:
    """Each inbox's number of cases, as displayed (`count_label`)."""
    return {code: count_label(capped_count(case_inbox(user=user, inbox=code))) for code in INBOXES}


def _choice_labels(spec: FieldSpec) -> dict[str, str]:
    return {str(c["value"]): str(c["label"]) for c in spec.options.get("choices") or []}


def value_display(spec: FieldSpec | None, value: Any) -> str:  # noqa: PLR0911, PLR0912
    """A stored value as a person reads it (French dates, Oui/Non, choice labels, euros)."""
    if value is None or value in ("", [], {}):
        return "—"
    kind = spec.type if spec else ""
    if isinstance(value, bool) or kind == "boolean":
        return "Oui" if value else "Non"
    if kind == "choice":
        return _choice_labels(spec).get(str(value), str(value))
    if kind == "multichoice" and isinstance(value, list):
        labels = _choice_labels(spec)
        return ", ".join(labels.get(str(v), str(v)) for v in value)
    if kind == "reference":
        from workflows.selectors import reference_items

        return dict(reference_items(code=spec.options.get("reference", ""))).get(str(value), str(value))
    if kind == "date" and isinstance(value, str) and parse_date(value):
        return date_format(parse_date(value), "j F Y")
    if kind == "datetime" and isinstance(value, str) and parse_datetime(value):
        return date_format(parse_datetime(value), "j F Y H:i")
    if kind == "money":
        try:
            return f"{Decimal(str(value)):,.2f} €".replace(",", "\u202f").replace(".", ",")
        except InvalidOperation:
            return str(value)
    if kind == "file" and isinstance(value, dict):
        return str(value.get("name") or "fichier")
    if kind == "group" and isinstance(value, list):
        subs = {f.code: f for f in spec.fields}
        return " ; ".join(
            ", ".join(
                f"{subs[k].label if k in subs else k} : {value_display(subs.get(k), item[k])}"
                for k in [*(c for c in subs if c in item), *(k for k in item if k not in subs)]
            )
            for item in value
            if isinstance(item, dict)
        )  # fmt: skip (each row's values in the form's order: JSONB keeps its keys in an order of its own)
    if isinstance(value, (list, dict)):
        import json

        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (date, datetime)):
        return date_format(value, "j F Y")
    return str(value)


def field_specs(compiled: CompiledWorkflow) -> dict[str, FieldSpec]:
    """Every input field of a version's forms by code (the opening form's first)."""
    specs: dict[str, FieldSpec] = {}
    forms = sorted(compiled.forms.values(), key=lambda f: f.code != compiled.open_form)
    for form in forms:
        for f in form.input_fields():
            specs.setdefault(f.code, f)
    return specs


@dataclass
class DataSection:
    title: str = ""
    rows: list[tuple[str, str, Any]] = field(default_factory=list)  # (label, display, raw value)


def case_data_display(*, case: Case) -> list[DataSection]:
    """A case's data grouped by form, with the forms' labels and section titles; values no form knows last."""
    compiled = compiled_version(case.workflow_version_id)
    data = case.data or {}
    shown: set[str] = set()
    sections: list[DataSection] = []
    forms = sorted(compiled.forms.values(), key=lambda f: f.code != compiled.open_form)
    for form in forms:
        section = DataSection(title=form.name)
        for f in form.fields:
            if f.type == "section":
                if section.rows:
                    sections.append(section)
                section = DataSection(title=f.label)
                continue
            if f.type == "help" or f.code in shown or f.code not in data:
                continue
            shown.add(f.code)
            section.rows.append((f.label, value_display(f, data[f.code]), data[f.code]))
        if section.rows:
            sections.append(section)
    others = [(code, value_display(None, value), value) for code, value in data.items() if code not in shown]
    if others:
        sections.append(DataSection(title="Autres données", rows=others))
    return sections


@dataclass(frozen=True)
class CaseFile:
    """A file a case's form stored: `key` names it (`<field>`, or `<group>.<row>.<field>` in a repeatable
    group, rows from 0), `label` is its field's label (with the row's number in a group)."""

    key: str
    label: str
    name: str
    size: int
    content_type: str
    value: dict


def _is_stored_file(value: Any) -> bool:
    return isinstance(value, dict) and bool(value.get("path"))


def case_files(*, case: Case) -> list[CaseFile]:
    """The files the case's forms stored, in the forms' order (the people who may see the case may download
    them: core.backoffice.views.case_file_download_view, the API's `files/<key>/download`)."""
    specs = field_specs(compiled_version(case.workflow_version_id))
    data = case.data or {}
    found: list[CaseFile] = []

    def add(key: str, label: str, value: dict) -> None:
        found.append(CaseFile(key=key, label=label, name=str(value.get("name") or "fichier"),
                              size=int(value.get("size") or 0), content_type=str(value.get("content_type") or ""),
                              value=value))  # fmt: skip

    for code, spec in specs.items():
        value = data.get(code)
        if spec.type == "file" and _is_stored_file(value):
            add(code, spec.label, value)
        elif spec.type == "group" and isinstance(value, list):
            subs = [f for f in spec.fields if f.type == "file"]
            for row, item in enumerate(value):
                for sub in subs:
                    if isinstance(item, dict) and _is_stored_file(item.get(sub.code)):
                        add(f"{code}.{row}.{sub.code}", f"{spec.label} n° {row + 1} — {sub.label}", item[sub.code])
    return found


def case_file_get(*, case: Case, key: str) -> CaseFile | None:
    return next((f for f in case_files(case=case) if f.key == key), None)


@dataclass
class TimelineEntry:
    kind: str
    kind_label: str
    created_at: datetime
    actor: str
    title: str = ""
    body: str = ""
    internal: bool = False
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # (label, before, after)


def _actor_name(user) -> str:
    if user is None:
        return "Système ou formulaire public"
    return user.get_full_name() or user.get_username()


@functools.cache
def pole_event_kinds() -> dict[tuple[str, str], Any]:
    """Every pole's history event kinds (`case_event_kinds` hook, switched-off poles included), by
    (pole code, event code)."""
    from core.plugins import plugin_manager

    kinds: dict[tuple[str, str], Any] = {}
    for impl in plugin_manager().hook.case_event_kinds.get_hookimpls():
        for kind in impl.function() or []:
            kinds[(impl.plugin_name, kind.code)] = kind
    return kinds


def pole_event_describe(event: CaseEvent) -> tuple[str, str, bool]:
    """(label, title, staff_only) of a pole's history event, in French."""
    detail = event.detail or {}
    kind = pole_event_kinds().get((detail.get("pole", ""), detail.get("event", "")))
    if kind is None:
        return "Travail du pôle", "Travail du pôle", False
    title = kind.label
    if kind.title is not None:
        try:
            title = kind.title(detail) or kind.label
        except (KeyError, TypeError, ValueError):
            title = kind.label
    return kind.label, title, kind.staff_only


def _detail_title(event: CaseEvent) -> str:
    detail = event.detail or {}
    if event.kind == CaseEvent.Kind.STRUCTURE:
        from core.services.case_structure import structure_link_label

        return structure_link_label(detail)
    if event.kind == CaseEvent.Kind.NOTIFIED:
        from core.services.notifications import notification_event_title

        return notification_event_title(detail)
    return _migrated_title(detail)


def case_timeline(*, case: Case, user) -> list[TimelineEntry]:
    """The history of a case and its comments on one timeline, oldest first. People outside the platform's
    team (structure members, operators) see neither internal comments and attachments, nor the comments of
    transitions, nor the values of data changes."""
    compiled = compiled_version(case.workflow_version_id)
    staff = bool(user_roles(user) & STAFF_ROLES)
    specs = field_specs(compiled)
    order = {code: index for index, code in enumerate(specs)}
    entries = []
    for event in case.events.select_related("actor").order_by("created_at", "pk"):
        visibility = (event.detail or {}).get("visibility")
        if not staff and visibility == Comment.Visibility.INTERNAL:
            continue
        entry = TimelineEntry(
            kind=event.kind,
            kind_label=event.get_kind_display(),
            created_at=event.created_at,
            actor=_actor_name(event.actor),
        )
        if event.kind == CaseEvent.Kind.OPENED:
            entry.title = f"Dossier ouvert à l'état « {compiled.state_label(event.to_state)} »"
        elif event.kind == CaseEvent.Kind.TRANSITIONED:
            spec = compiled.transitions.get(event.transition)
            label = spec.label if spec else event.transition
            entry.title = (
                f"{label} : « {compiled.state_label(event.from_state)} » → « {compiled.state_label(event.to_state)} »"
            )
            entry.body = event.comment if staff else ""
        elif event.kind == CaseEvent.Kind.COMMENT and (event.detail or {}).get("attachment"):
            entry.internal = visibility == Comment.Visibility.INTERNAL
            entry.kind, entry.kind_label = "attachment", "Pièce jointe"
            entry.title = event.comment or "Pièce jointe ajoutée"
        elif event.kind == CaseEvent.Kind.COMMENT:
            entry.internal = visibility == Comment.Visibility.INTERNAL
            entry.title = "Commentaire interne" if entry.internal else "Commentaire visible par la structure"
            entry.body = event.comment
        elif event.kind == CaseEvent.Kind.ASSIGNED:
            names = ", ".join(a["name"] for a in (event.detail or {}).get("assignees", [])) or "personne"
            entry.title = f"Dossier attribué à : {names}"
        elif event.kind == CaseEvent.Kind.POLE:
            entry.kind_label, entry.title, _staff_only = pole_event_describe(event)
        elif event.kind in (CaseEvent.Kind.STRUCTURE, CaseEvent.Kind.MIGRATED, CaseEvent.Kind.NOTIFIED):
            entry.title = _detail_title(event)
        else:
            entry.title = "Données modifiées"
        if staff and event.kind in (CaseEvent.Kind.DATA_UPDATED, CaseEvent.Kind.TRANSITIONED):
            # in the forms' order (JSONB keeps a dict's keys in an order of its own)
            diff = sorted((event.data_diff or {}).items(), key=lambda item: order.get(item[0], len(order)))
            for code, (before, after) in diff:
                spec = specs.get(code)
                entry.changes.append((spec.label if spec else code, value_display(spec, before),
                                      value_display(spec, after)))  # fmt: skip
        entries.append(entry)
    return entries


def _migrated_title(detail: dict[str, Any]) -> str:
    title = f"Passage de la version {detail.get('from_version')} à la version {detail.get('to_version')}"
    if detail.get("from_label") and detail.get("to_label"):
        title += f" : « {detail['from_label']} » → « {detail['to_label']} »"
    return title


def case_events_visible(*, case: Case, user) -> QuerySet[CaseEvent]:
    """A case's events as `user` may read them: without internal comments and attachments unless staff."""
    events = case.events.order_by("created_at", "pk")
    if not user_roles(user) & STAFF_ROLES:
        # `contains`, not a key lookup: an event without the key would compare NULL and vanish from the list.
        events = events.exclude(detail__contains={"visibility": Comment.Visibility.INTERNAL})
    return events


def case_attachments(*, case: Case, user) -> QuerySet[CaseAttachment]:
    attachments = case.attachments.select_related("uploaded_by")
    if not user_roles(user) & STAFF_ROLES:
        attachments = attachments.filter(visibility=Comment.Visibility.STRUCTURE)
    return attachments


def attachment_get(*, user, pk: int) -> CaseAttachment | None:
    """An attachment `user` may download: its case is visible to them, and it is not internal for a
    non-staff person."""
    attachment = CaseAttachment.objects.select_related("case").filter(pk=pk).first()
    if attachment is None or not case_list(user=user).filter(pk=attachment.case_id).exists():
        return None
    if attachment.visibility == Comment.Visibility.INTERNAL and not user_roles(user) & STAFF_ROLES:
        return None
    return attachment


@dataclass(frozen=True)
class OpenableWorkflow:
    code: str
    name: str
    description: str
    version_id: int


def workflows_openable(*, user) -> list[OpenableWorkflow]:
    """The published workflows `user` may open a case of (its roles among the workflow's opening roles; a
    workflow without opening roles is open to all), leaving out those of the poles switched off here."""
    from core.plugins import disabled_poles
    from workflows.models import WorkflowVersion

    roles = user_roles(user)
    answers = []
    versions = WorkflowVersion.objects.filter(status=WorkflowVersion.Status.PUBLISHED).select_related("definition")
    versions = versions.exclude(definition__pole__in=disabled_poles())
    for version in versions.order_by("definition__name"):
        compiled = compiled_version(version.pk)
        if compiled.open_roles and not roles & compiled.open_roles:
            continue
        answers.append(OpenableWorkflow(compiled.code, compiled.name, version.definition.description, version.pk))
    return answers
