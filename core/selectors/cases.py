"""Reads of cases: what a person may see, and which transitions they may take."""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Lower
from django.utils import timezone

from core.models import Case, Structure
from core.roles import STAFF_ROLES, Role, user_roles
from core.statements import ModelColumns, quoted, row_split
from workflows.engine import compiled_version
from workflows.exceptions import GuardFailed, TransitionNotAllowed
from workflows.models import WorkflowDefinition, WorkflowVersion


@dataclass(frozen=True)
class AvailableTransition:
    code: str
    label: str
    target: str
    target_label: str
    available: bool
    reason: str  # French, empty when available
    form: str
    comment: str  # none | optional | required


def available_transitions(*, case: Case, user) -> list[AvailableTransition]:
    """Every transition leaving the case's current state, each saying whether `user` may take it now and, if
    not, why (role, or guard), in French."""
    from core.services.cases import guard_check, role_check

    compiled = compiled_version(case.workflow_version_id)
    roles = user_roles(user)
    answers = []
    for spec in compiled.outgoing(case.state):
        reason = ""
        try:
            role_check(spec, roles)
            guard_check(case, spec, user, roles, compiled)
        except (TransitionNotAllowed, GuardFailed) as exc:
            reason = exc.message
        answers.append(
            AvailableTransition(
                code=spec.code,
                label=spec.label,
                target=spec.target,
                target_label=compiled.state_label(spec.target),
                available=not reason,
                reason=reason,
                form=spec.form,
                comment=spec.comment,
            )
        )
    return answers


def case_visibility_filter(user) -> Q | None:
    """The cases `user` may see: staff roles see all (None), structure members their structures' cases,
    operators the cases their operators serve, and each person the cases they opened; anyone without a role
    nothing."""
    roles = user_roles(user)
    if roles & STAFF_ROLES:
        return None
    condition = Q(opened_by=user) if roles else Q(pk__in=[])  # a case never escapes the person who opened it
    if Role.STRUCTURE_MEMBER in roles:
        condition |= Q(structure__memberships__user=user)
    if Role.OPERATOR in roles:
        condition |= Q(operators__memberships__user=user)
    return condition


def case_list(
    *,
    user,
    workflow: str | None = None,
    state: str | None = None,
    structure=None,
    assignee=None,
    overdue: bool | None = None,
    search: str | None = None,
) -> QuerySet[Case]:
    """The cases `user` may see, filtered; newest first."""
    qs = Case.objects.select_related("workflow", "structure")
    visibility = case_visibility_filter(user)
    if visibility is not None:
        qs = qs.filter(visibility).distinct()
    if workflow:
        qs = qs.filter(workflow__code=workflow)
    if state:
        qs = qs.filter(state=state)
    if isinstance(structure, QuerySet):  # several structures (a search by name in a large directory)
        qs = qs.filter(structure__in=structure)
    elif structure is not None:
        qs = qs.filter(structure=structure)
    if assignee is not None:
        qs = qs.filter(assignees=assignee)
    if overdue is True:
        qs = qs.filter(due_at__lt=timezone.localdate(), closed_at__isnull=True)
    elif overdue is False:
        qs = qs.exclude(due_at__lt=timezone.localdate(), closed_at__isnull=True)
    if search:
        qs = qs.filter(case_search_filter(search))
    return qs.order_by("-created_at", "-pk")


def _folded(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text.casefold()) if not unicodedata.combining(c))


def _choice_matches(search: str) -> Q:
    """Cases whose choice (or multiple choice) fields hold an option whose label contains every word of
    `search` (accents and case aside): « multi-accueil » finds `kind = multi_accueil`."""
    words = [w for w in _folded(search).split() if len(w) >= 2]
    condition = Q(pk__in=[])
    if not words:
        return condition
    versions = WorkflowVersion.objects.exclude(status=WorkflowVersion.Status.DRAFT).values_list("pk", flat=True)
    seen: set[tuple[str, str, str]] = set()
    for version_id in versions:
        for form in compiled_version(version_id).forms.values():
            for f in form.input_fields():
                if f.type not in ("choice", "multichoice"):
                    continue
                for choice in f.options.get("choices") or []:
                    label, value = _folded(str(choice.get("label") or "")), str(choice.get("value"))
                    if (f.code, value, f.type) in seen or not all(w in label for w in words):
                        continue
                    seen.add((f.code, value, f.type))
                    wanted = [value] if f.type == "multichoice" else value
                    condition |= Q(data__contains={f.code: wanted})
    return condition


def case_search_filter(search: str) -> Q:
    """A case matches a search when its reference, its structure's name or commune contains it, when its data's
    values hold its words (PostgreSQL full-text search, French configuration: « crèches » finds « crèche »)
    or contain it as text (part of an e-mail, digits), never the data's keys, or when one of its choices is
    labelled with it.

    Written so that no arm is computed case by case beyond a comparison (measured on 100,000 cases,
    docs/performance.md): the words in the stored column `search_document`, the text in the stored column
    `search_values` (lowercased by PostgreSQL, as the search is), the structures by a subquery on the
    directory."""
    query = SearchQuery(search, config="french", search_type="websearch")
    structures = Structure.objects.filter(Q(name__icontains=search) | Q(commune__icontains=search))
    return (
        Q(reference__icontains=search)
        | Q(structure__in=structures.values("pk"))
        | Q(search_document=query)
        | Q(search_values__contains=Lower(Value(search)))
        | _choice_matches(search)
    )


def case_get(*, user, reference: str) -> Case | None:
    """The case `reference` if `user` may see it, its workflow and structure read with it (as `case_list`)."""
    if case_visibility_filter(user) is None:
        return _case_by_reference(reference)  # staff see every case: a lookup by key
    return case_list(user=user).filter(reference=reference).first()


@functools.cache
def _case_statement() -> tuple[str, ModelColumns, ModelColumns, ModelColumns]:
    """`Case.objects.select_related("workflow", "structure").filter(reference=…)` as SQL written once per
    process (asked by every case page and API call on a case: the ORM compiled it each time, about 1.4 ms of a
    5 ms API transition in bench/api.py's profile)."""
    case, workflow, structure = (
        ModelColumns(Case, "c"),
        ModelColumns(WorkflowDefinition, "w"),
        ModelColumns(Structure, "s"),
    )
    statement = (
        f"SELECT {case.select}, {workflow.select}, {structure.select} "  # noqa: S608 (names from the models)
        f"FROM {quoted(Case._meta.db_table)} c "
        f"JOIN {quoted(WorkflowDefinition._meta.db_table)} w ON {workflow.column('id')} = {case.column('workflow')} "
        f"LEFT JOIN {quoted(Structure._meta.db_table)} s ON {structure.column('id')} = {case.column('structure')} "
        f"WHERE {case.column('reference')} = %s"
    )
    return statement, case, workflow, structure


def _case_by_reference(reference: str) -> Case | None:
    statement, *parts = _case_statement()
    with connection.cursor() as cursor:
        cursor.execute(statement, [reference])
        row = cursor.fetchone()
    if row is None:
        return None
    case, workflow, structure = row_split(row, *parts)
    case._state.fields_cache["workflow"] = workflow
    case._state.fields_cache["structure"] = structure
    return case
