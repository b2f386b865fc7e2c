"""Moving running cases to the published version of their workflow, from the back office (platform admins).

`/admin/dossiers/changer-de-version/` lists the case types whose open cases sit on an older version; a case
type's page chooses the cases (all the open cases of one version, or the ones ticked), maps each state they are
in to a state of the published version, shows the dry run (`case_migration_plan`: each case's state before and
after, by labels, or why it is refused) and applies it (`case_migrate_version`, one transaction: all or
nothing).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from core.models import Case
from core.roles import ADMIN_ROLES, Role, user_roles
from core.services.cases import case_migrate_version, case_migration_plan
from tenants.access import access
from workflows.engine import compiled_version
from workflows.exceptions import WorkflowError
from workflows.models import WorkflowDefinition, WorkflowVersion

CASES_SHOWN = 500  # cases listed for ticking (all of a version can still be chosen at once)


def _require_platform_admin(request) -> None:
    if Role.PLATFORM_ADMIN not in user_roles(request.user):
        raise PermissionDenied("Réservé aux administrateurs de la plateforme.")


def _behind(definition: WorkflowDefinition, published: WorkflowVersion):
    """The open cases of `definition` that run on a version other than `published`."""
    return (
        Case.objects.filter(workflow=definition, closed_at__isnull=True)
        .exclude(workflow_version=published)
        .select_related("workflow_version", "structure")
        .defer("workflow_version__snapshot")
    )


@access(ADMIN_ROLES)
def migration_index_view(request):
    _require_platform_admin(request)
    definitions = WorkflowDefinition.objects.filter(versions__status=WorkflowVersion.Status.PUBLISHED).annotate(
        behind=Count(
            "cases",
            distinct=True,
            filter=Q(cases__closed_at__isnull=True)
            & ~Q(cases__workflow_version__status=WorkflowVersion.Status.PUBLISHED),
        )
    )
    rows = [
        {"definition": definition, "published": definition.published_version, "behind": definition.behind}
        for definition in definitions.order_by("name")
    ]
    return TemplateResponse(
        request, "core/cases/migration_index.html", {"page_title": "Changer la version des dossiers", "rows": rows}
    )


@dataclass
class StateRow:
    """A state the chosen cases are in, with the states of the new version it may become."""

    key: str  # "<version number>:<state code>": the same code may mean different things in two versions
    version: int
    code: str
    label: str
    count: int
    chosen: str


def _posted(request, key: str) -> str:
    return (request.POST.get(key) or request.GET.get(key) or "").strip()


@access(ADMIN_ROLES)
def migration_view(request, code: str):
    _require_platform_admin(request)
    definition = WorkflowDefinition.objects.filter(code=code).first()
    published = definition.published_version if definition else None
    if definition is None or published is None:
        raise Http404("Type de dossier introuvable ou sans version publiée.")
    target = compiled_version(published.pk)
    behind = _behind(definition, published)
    versions = [
        (number, count, f"version:{number}")
        for number, count in sorted(Counter(behind.values_list("workflow_version__number", flat=True)).items())
    ]

    scope = _posted(request, "scope") or (f"version:{versions[0][0]}" if len(versions) == 1 else "all")
    chosen_refs = request.POST.getlist("cases")
    if scope == "chosen":
        selected = behind.filter(reference__in=chosen_refs)
    elif scope.startswith("version:") and scope[8:].isdigit():
        selected = behind.filter(workflow_version__number=int(scope[8:]))
    else:
        scope, selected = "all", behind
    selected = list(selected.order_by("reference"))

    states: dict[str, StateRow] = {}
    for case in selected:
        number = case.workflow_version.number
        key = f"{number}:{case.state}"
        if key not in states:
            old = compiled_version(case.workflow_version_id)
            default = case.state if case.state in target.states else ""
            states[key] = StateRow(key=key, version=number, code=case.state, label=old.state_label(case.state),
                                   count=0, chosen=request.POST.get(f"map-{key}", default))  # fmt: skip
        states[key].count += 1
    target_states = [(s.code, s.label) for s in target.states.values() if s.kind != "final"]
    valid = {code for code, _label in target_states}
    for row in states.values():
        if row.chosen not in valid and row.chosen not in target.states:
            row.chosen = ""

    action = request.POST.get("action", "") if request.method == "POST" else ""
    plan, error, events = None, "", None
    if action in ("preview", "apply"):
        plan, error, events = _run(action, selected, published, states, request.user)
    if events is not None:
        count = len(events)
        plural = "s" if count > 1 else ""
        messages.success(request, f"{count} dossier{plural} passé{plural} en version {published.number}.")
        return redirect(reverse("cases_admin:migrate", args=[definition.code]))

    return TemplateResponse(
        request,
        "core/cases/migration.html",
        {
            "page_title": f"Changer de version : {definition.name}",
            "definition": definition,
            "published": published,
            "versions": versions,
            "scope": scope,
            "behind": _labelled(behind.order_by("reference")[:CASES_SHOWN]),
            "behind_count": behind.count(),
            "chosen_refs": set(chosen_refs),
            "selected_count": len(selected),
            "states": list(states.values()),
            "target_states": target_states,
            "plan": plan,
            "plan_ok": bool(plan) and all(step.ok for step in plan),
            "plan_refused": sum(1 for step in plan or [] if not step.ok),
            "plan_moving": sum(1 for step in plan or [] if step.moves),
            "error": error,
        },
    )


def _run(action: str, selected: list[Case], published: WorkflowVersion, states: dict[str, StateRow], actor):
    """The dry run, and for `apply` the migration when the dry run refuses nothing: (plan, error, events)."""
    if not selected:
        return None, "Choisissez au moins un dossier.", None
    plan = _plan(selected, published, states)
    if action != "apply":
        return plan, "", None
    if any(not step.ok for step in plan):
        return plan, "Rien n'a été changé : corrigez d'abord les dossiers refusés ci-dessous.", None
    try:
        return plan, "", _apply(selected, published, states, actor)
    except WorkflowError as exc:
        return plan, f"Rien n'a été changé : {exc.message}", None


def _labelled(cases) -> list[Case]:
    cases = list(cases)
    for case in cases:
        case.ppe_state_label = compiled_version(case.workflow_version_id).state_label(case.state)
    return cases


def _mapping_for(states: dict[str, StateRow]) -> dict[int, dict[str, str]]:
    """The state mapping of each old version (its number → {old code: new code})."""
    by_version: dict[int, dict[str, str]] = {}
    for row in states.values():
        if row.chosen:
            by_version.setdefault(row.version, {})[row.code] = row.chosen
    return by_version


def _plan(cases: list[Case], published: WorkflowVersion, states: dict[str, StateRow]):
    by_version = _mapping_for(states)
    steps = []
    for case in cases:
        mapping = by_version.get(case.workflow_version.number, {})
        if case.state not in mapping:  # no counterpart chosen: keep no code that the new version would misread
            mapping = {**mapping, case.state: "\x00"}
        steps += case_migration_plan(cases=[case], to_version=published, state_mapping=mapping)
    return steps


def _apply(cases: list[Case], published: WorkflowVersion, states: dict[str, StateRow], actor):
    """Apply the plan `_plan` accepted: one transaction for every old version's cases (all or nothing)."""
    by_version = _mapping_for(states)
    events = []
    with transaction.atomic():
        for number in sorted({case.workflow_version.number for case in cases}):
            group = [case for case in cases if case.workflow_version.number == number]
            mapping = by_version.get(number, {})
            events += case_migrate_version(cases=group, to_version=published, state_mapping=mapping, actor=actor)
    return events
