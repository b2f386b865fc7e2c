"""Cases through their workflow: open, transition, migrate to a newer version.

Each service runs in one transaction and writes its `CaseEvent`; hooks and the transitions' named actions
run once the transaction commits (an exception there is logged and never undoes the transition).
"""

from __future__ import annotations

import contextlib
import copy
import functools
import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django_fsm import ConcurrentTransition as FsmConcurrentTransition

from core.api.events import CASE_OPENED, CASE_TRANSITIONED
from core.api.webhooks import case_event_emit, subscribed_events
from core.models import Case, CaseCounter, CaseEvent
from core.plugins import disabled_poles
from core.roles import STAFF_ROLES, Role, user_roles
from core.statements import quoted
from core.workdays import working_days_add
from tenants.models import Territory
from workflows.engine import CompiledWorkflow, TransitionSpec, compiled_version
from workflows.exceptions import (
    ConcurrentTransition,
    ExpressionError,
    FormInvalid,
    GuardFailed,
    TransitionNotAllowed,
    UnknownTransition,
    UnknownWorkflow,
    WorkflowError,
    WrongState,
)
from workflows.expressions import expression_evaluate
from workflows.forms import files_store, form_validate, stored_files_discarded_on_error
from workflows.models import WorkflowVersion
from workflows.selectors import workflow_published_version
from workflows.values import cel_data, cel_today

logger = logging.getLogger("ppe.cases")


# --- helpers shared with the selectors ---------------------------------------------------------------------------


def case_due_date(compiled: CompiledWorkflow, state: str, start: date | None = None) -> date | None:
    spec = compiled.states.get(state)
    if spec is None or spec.sla_days is None or spec.kind == "final":
        return None
    return working_days_add(start or timezone.localdate(), spec.sla_days)


def guard_context(case: Case, actor, roles: frozenset[str], compiled: CompiledWorkflow, *, with_case: bool = True):
    """The CEL variables of a guard: `data` typed by the version's fields (numbers, timestamps), `actor`,
    `today` (a timestamp) and, when the guard reads it, `case`."""
    variables: dict[str, Any] = {
        "data": cel_data({**compiled.data_defaults, **(case.data or {})}, compiled.field_types),
        "actor": actor_context(actor, roles),
        "today": cel_today(),
    }
    if with_case:
        structure = case.structure if case.structure_id else None
        created = case.created_at or timezone.now()
        variables["case"] = {
            "state": case.state,
            "reference": case.reference,
            "structure": None
            if structure is None
            else {"id": structure.pk, "name": structure.name, "kind": structure.kind, "commune": structure.commune,
                  "network": structure.network_id, "professionalisation": structure.professionalisation},
            "created_at": created,
            "age_days": (timezone.now() - created).days,
        }  # fmt: skip
    return variables


def actor_context(actor, roles: frozenset[str]) -> dict[str, Any]:
    return {"roles": sorted(roles), "id": getattr(actor, "pk", None)}


def guard_check(case: Case, spec: TransitionSpec, actor, roles: frozenset[str], compiled: CompiledWorkflow) -> None:
    """Raise GuardFailed (French) when the transition's guard is false or cannot be evaluated."""
    if spec.guard is None:
        return
    variables = guard_context(case, actor, roles, compiled, with_case=spec.guard_uses_case)
    try:
        result = expression_evaluate(spec.guard, variables, compiled.functions)
    except ExpressionError as exc:
        if spec.guard_message:  # data missing, most often: the admin's message says what is needed
            raise GuardFailed(spec.guard_message) from None
        raise GuardFailed(f"La condition de « {spec.label} » n'a pas pu être évaluée : {exc.message}") from None
    if result is not True:
        raise GuardFailed(spec.guard_message or f"Les conditions de « {spec.label} » ne sont pas remplies.")


def role_check(spec: TransitionSpec, roles: frozenset[str]) -> None:
    if not roles & spec.roles:
        labels = ", ".join(sorted(_role_label(r) for r in spec.roles)) or "personne"
        raise TransitionNotAllowed(f"« {spec.label} » est réservée aux rôles : {labels}.")


def _role_label(code: str) -> str:
    try:
        return str(Role(code).label)
    except ValueError:
        return code


def _reference_next(prefix: str) -> str:
    """`<prefix><département>-<year>-<5 digits>`: one atomic upsert of the year's counter row, no race."""
    year = timezone.localdate().year
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {CaseCounter._meta.db_table} (prefix, year, last) VALUES (%s, %s, 1) "  # noqa: S608
            "ON CONFLICT (prefix, year) DO UPDATE SET last = "
            f"{CaseCounter._meta.db_table}.last + 1 RETURNING last",
            [prefix, year],
        )
        number = cursor.fetchone()[0]
    return f"{prefix}{_departement_code()}-{year}-{number:05d}"


def _departement_code() -> str:
    """The current territory's département code, also under `schema_context` (background tasks, the demo's
    seeding), where django-tenants' `connection.tenant` is a stand-in that carries only the schema name."""
    tenant = getattr(connection, "tenant", None)
    code = getattr(tenant, "code", None)
    if code:
        return code
    code = Territory.objects.filter(schema_name=connection.schema_name).values_list("code", flat=True).first()
    return code or "00"


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {key: [before.get(key), after.get(key)] for key in after if before.get(key) != after.get(key)}


def _own_structure(actor, structure):
    """The structure a person outside the platform's team opens a case for: one of theirs, required (their
    only one when they name none), so that the case never escapes them and their structure."""
    own = actor.structure_memberships.values_list("structure_id", flat=True)
    if structure is not None:
        if structure.pk not in set(own):
            raise TransitionNotAllowed("Vous ne pouvez ouvrir un dossier que pour votre structure.")
        return structure
    mine = list(own[:2])
    if len(mine) == 1:
        from core.models import Structure

        return Structure.objects.get(pk=mine[0])
    if not mine:
        raise TransitionNotAllowed(
            "Votre compte n'est rattaché à aucune structure : demandez à l'équipe de la plateforme de vous y "
            "rattacher avant d'ouvrir un dossier."
        )
    raise FormInvalid({"structure": ["Choisissez la structure concernée par ce dossier."]})


# --- services ------------------------------------------------------------------------------------------------------


def case_open(
    *,
    workflow: str,
    data: dict,
    files: dict | None = None,
    structure=None,
    actor=None,
    channel: str = "backoffice",
) -> Case:
    """Open a case of the workflow `workflow` (its code) in the initial state of its published version.

    `data` is validated by the workflow's opening form (FormInvalid otherwise); an actor must hold one of the
    workflow's opening roles (TransitionNotAllowed); a structure member opens only for its own structures.
    `actor=None` is an anonymous opening (the public form). Nothing is written when an error is raised.
    """
    version = workflow_published_version(code=workflow)
    if version is None:
        raise UnknownWorkflow(f"Le type de dossier « {workflow} » n'existe pas ou n'est pas publié.")
    if version.definition.pole and version.definition.pole in disabled_poles():  # a switched-off pole's forms
        raise UnknownWorkflow(f"Le type de dossier « {workflow} » n'est pas proposé sur ce territoire.")
    compiled = compiled_version(version.pk)
    roles = user_roles(actor) if actor is not None else frozenset()
    if actor is not None:
        if compiled.open_roles and not roles & compiled.open_roles:
            raise TransitionNotAllowed(f"Vous n'avez pas le droit d'ouvrir un dossier « {compiled.name} ».")
        if not roles & STAFF_ROLES:
            structure = _own_structure(actor, structure)
    data = data or {}
    if compiled.open_form:
        cleaned = form_validate(
            compiled.forms[compiled.open_form],
            data=data,
            files=files,
            context={"actor": actor_context(actor, roles)},
            functions=compiled.functions,
            field_types=compiled.field_types,
        )
    elif data or files:
        raise FormInvalid({"__all__": ["Ce type de dossier ne prend pas de données à l'ouverture."]})
    else:
        cleaned = {}
    with stored_files_discarded_on_error(), transaction.atomic():
        reference = _reference_next(compiled.reference_prefix)
        cleaned = files_store(cleaned, folder=f"cases/{reference}")
        now = timezone.now()
        case = Case(
            reference=reference,
            workflow_id=version.definition_id,
            workflow_version=version,
            state=compiled.initial,
            data=cleaned,
            structure=structure,
            opened_by=actor if getattr(actor, "pk", None) else None,
            channel=channel,
            state_entered_at=now,
            due_at=case_due_date(compiled, compiled.initial),
        )
        case.save()
        opened = CaseEvent.objects.create(
            case=case,
            kind=CaseEvent.Kind.OPENED,
            actor=case.opened_by,
            to_state=compiled.initial,
            data_diff=_diff({}, cleaned),
            detail={"channel": channel, "version": version.number},
        )
        case_data_changed_notify(case=case, event=opened)
        case_event_emit(event=CASE_OPENED, case=case)  # webhook deliveries, sent on commit
    return case


def case_data_changed_notify(*, case: Case, event: CaseEvent) -> None:
    """Let the poles keep their rows in step with the case's data, inside the transaction (they may refuse
    the change with FormInvalid)."""
    from core.plugins import hooks

    hooks().case_data_changed(case=case, event=event)


def transition_apply(
    *,
    case: Case,
    transition: str,
    actor,
    data: dict | None = None,
    files: dict | None = None,
    comment: str = "",
    expected_revision: int | None = None,
) -> CaseEvent:
    """Move a case along one of its workflow's transitions, in one transaction that locks and re-reads the
    case row: state, role, CEL guard and form are checked on that fresh row, the form's values merge onto its
    data (a data edit committed meanwhile is kept), the row's `revision` is bumped, a CaseEvent is written.
    Then, on commit, the `case_transitioned` hook and the transition's named actions.

    `case` is the copy the caller read: when the row's state (or workflow version) moved on since, the
    transition is refused (ConcurrentTransition); `expected_revision` (the revision a page displayed) also
    refuses it when anything changed since. On success `case` is brought up to date with the row.

    Raises UnknownTransition (404), TransitionNotAllowed (403) / WrongState (409), GuardFailed (422),
    FormInvalid (422, `.errors`), ConcurrentTransition (409). Nothing is written when one is raised.
    """
    compiled = compiled_version(case.workflow_version_id)
    spec = compiled.transitions.get(transition)
    if spec is None:
        raise UnknownTransition(f"Transition « {transition} » inconnue pour un dossier « {compiled.name} ».")
    roles = user_roles(actor)
    comment = str(comment or "").strip()
    checks = (spec, compiled, actor, roles, data, files, comment)
    if case.pk is not None and not files and expected_revision in {None, case.revision}:
        # First from a copy of the caller's case, without reading the row: the UPDATE is guarded by the revision
        # and the state the caller read, so it writes only when the row is still that copy. Anything else — the
        # row moved on, or a check refused the copy — is decided on the fresh row, locked (below): a refusal is
        # never made on stale data. (Not with files, which would be stored twice.)
        row = _case_copy(case)
        try:
            before_data, cleaned = _transition_check(row, *checks)
        except WorkflowError:
            pass
        else:
            # One statement writes the row and its event: a transaction only when more is written with them.
            alone = not _transition_listened(spec, compiled)
            with contextlib.nullcontext() if alone else transaction.atomic(savepoint=False):
                event = _transition_write(row, before_data, cleaned, spec, compiled, actor, comment, guarded=True)
            if event is not None:
                case_refresh_from(case, row)
                return event
    try:
        with stored_files_discarded_on_error(), transaction.atomic():
            locked = Case.objects.select_for_update().get(pk=case.pk)
            if locked.workflow_version_id != case.workflow_version_id:
                raise ConcurrentTransition()
            stale = expected_revision is not None and locked.revision != expected_revision
            if locked.state != case.state or (stale and locked.state not in spec.sources):
                raise ConcurrentTransition(
                    f"Le dossier est passé à l'état « {compiled.state_label(locked.state)} » entre-temps : "
                    "vérifiez-le avant de recommencer."
                )
            if stale:
                raise ConcurrentTransition(
                    "Le dossier a été modifié par quelqu'un d'autre depuis l'affichage de la page : "
                    "vérifiez-le avant de recommencer."
                )
            before_data, cleaned = _transition_check(locked, *checks)
            if cleaned:
                cleaned = files_store(cleaned, folder=f"cases/{locked.reference}")
            event = _transition_write(locked, before_data, cleaned, spec, compiled, actor, comment, guarded=False)
    except FsmConcurrentTransition:
        raise ConcurrentTransition() from None
    case_refresh_from(case, locked)
    return event


def _case_copy(case: Case) -> Case:
    """A copy of the caller's case to write from (the caller's is brought up to date once the row is written);
    its structure is read again if a guard needs it."""
    row = copy.copy(case)  # Model.__getstate__ copies _state and its fields cache
    row._state.fields_cache.pop("structure", None)
    return row


def _transition_check(  # noqa: PLR0917
    row: Case, spec: TransitionSpec, compiled: CompiledWorkflow, actor, roles, data, files, comment: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Whether `spec` may move `row` (state, role, guard, comment, form): its data before, and the form's
    cleaned values. Raises the refusal (WrongState, TransitionNotAllowed, GuardFailed, FormInvalid); reads
    nothing but, when the guard uses it, the case's structure."""
    if row.state not in spec.sources:
        raise WrongState(f"« {spec.label} » n'est pas possible depuis l'état « {compiled.state_label(row.state)} ».")
    role_check(spec, roles)
    guard_check(row, spec, actor, roles, compiled)
    if spec.comment == "required" and not comment:
        raise FormInvalid({"comment": ["Le commentaire est obligatoire pour cette transition."]})
    if spec.comment == "none" and comment:
        raise FormInvalid({"comment": ["Cette transition ne prend pas de commentaire."]})
    before_data = dict(row.data or {})
    if spec.form:
        cleaned = form_validate(
            compiled.forms[spec.form],
            data=data or {},
            files=files,
            case_data={**compiled.data_defaults, **before_data},
            context={"actor": actor_context(actor, roles)},
            functions=compiled.functions,
            field_types=compiled.field_types,
            existing_data=before_data,
        )
    elif data or files:
        raise FormInvalid({"__all__": ["Cette transition ne prend pas de données."]})
    else:
        cleaned = {}
    if cleaned:
        _pole_data_check(row, spec, cleaned, before_data)
    return before_data, cleaned


def _pole_data_check(row: Case, spec: TransitionSpec, cleaned: dict[str, Any], before: dict[str, Any]) -> None:
    """The active poles' rules across a transition form's fields (hook `transition_data_check`)."""
    from core.plugins import hooks

    errors: dict[str, list[str]] = {}
    for answer in hooks().transition_data_check(case=row, transition=spec.code, data={**before, **cleaned}):
        for code, messages in (answer or {}).items():
            errors.setdefault(code, []).extend(messages)
    if errors:
        raise FormInvalid(errors)


def _transition_write(  # noqa: PLR0917
    row: Case,
    before_data: dict[str, Any],
    cleaned: dict[str, Any],
    spec: TransitionSpec,
    compiled: CompiledWorkflow,
    actor,
    comment: str,
    *,
    guarded: bool,
) -> CaseEvent | None:
    """Write the checked transition: the case row, its CaseEvent, the webhook deliveries, and what runs on commit.

    `guarded`: `row` was not read under a lock, so the UPDATE applies only while the row is still at `row`'s
    revision and state; None (nothing written) when it is not. Otherwise the locked row is saved.
    """
    before_state = row.state
    now = timezone.now()
    if cleaned:
        row.data = {**before_data, **cleaned}
    row.move_to(spec.target)
    row.state_entered_at = now
    row.due_at = case_due_date(compiled, spec.target)
    row.closed_at = now if compiled.states[spec.target].kind == "final" else None
    event = CaseEvent(
        case=row,
        kind=CaseEvent.Kind.TRANSITIONED,
        actor=actor,
        from_state=before_state,
        to_state=spec.target,
        transition=spec.code,
        data_diff=_diff(before_data, row.data),
        comment=comment,
        created_at=now,
    )
    if guarded:
        row.updated_at = now
        if not _case_guarded_move(row, before_state, event):
            return None
        row.revision += 1
    else:
        row.save(update_fields=["state", "data", "state_entered_at", "due_at", "closed_at", "updated_at"])
        event.save(force_insert=True)
    case_event_emit(event=CASE_TRANSITIONED, case=row, case_event=event)  # webhooks, sent on commit
    _transition_effects_record(event, spec, compiled)  # the hook and actions, run right after commit
    return event


def _transition_listened(spec: TransitionSpec, compiled: CompiledWorkflow) -> bool:
    """Whether a transition writes more than its case row and its event: a webhook subscription to
    `case.transitioned`, or an outbox effect (`_transition_effected`)."""
    return CASE_TRANSITIONED in subscribed_events.get() or _transition_effected(spec, compiled)


def _transition_effected(spec: TransitionSpec, compiled: CompiledWorkflow) -> bool:
    """Whether a transition has an outbox effect: named actions, or an active pole whose `case_transitioned`
    reacts to this workflow (`core.plugins.case_transitioned_listened`)."""
    from core.plugins import case_transitioned_listened

    return bool(spec.actions) or case_transitioned_listened(compiled.code)


_GUARDED_UPDATE_FIELDS = ("state", "data", "state_entered_at", "due_at", "closed_at", "updated_at")
_EVENT_FIELDS = ("kind", "actor", "from_state", "to_state", "transition", "data_diff", "comment", "detail",
                 "created_at")  # fmt: skip


@functools.cache
def _guarded_move_statement() -> tuple[str, list, list]:
    """The guarded move of a transition as one statement — the case row's UPDATE and, when it wrote, the
    INSERT of its event (`WITH moved AS (UPDATE … RETURNING) INSERT … SELECT FROM moved`) — with the fields each
    sets, written once per process from the models' metadata. The ORM compiled an UPDATE and an INSERT at
    every transition (about a quarter of the service's own time in bench/transitions.py's profile), and they
    took two round trips, four with the BEGIN and COMMIT around them: one statement is atomic by itself."""
    meta, event_meta = Case._meta, CaseEvent._meta
    fields = [meta.get_field(name) for name in _GUARDED_UPDATE_FIELDS]
    event_fields = [event_meta.get_field(name) for name in _EVENT_FIELDS]
    assignments = ", ".join(f"{quoted(field.column)} = %s" for field in fields)
    revision, state = quoted(meta.get_field("revision").column), quoted(meta.get_field("state").column)
    pk = quoted(meta.pk.column)
    columns = ", ".join(quoted(field.column) for field in [event_meta.get_field("case"), *event_fields])
    values = ", ".join(["moved.id"] + ["%s"] * len(event_fields))
    statement = (
        f"WITH moved AS (UPDATE {quoted(meta.db_table)} SET {assignments}, {revision} = {revision} + 1 "  # noqa: S608
        f"WHERE {pk} = %s AND {revision} = %s AND {state} = %s RETURNING {pk} AS id) "
        f"INSERT INTO {quoted(event_meta.db_table)} ({columns}) SELECT {values} FROM moved "
        f"RETURNING {quoted(event_meta.pk.column)}"
    )  # (names from the models' metadata, values as parameters)
    return statement, fields, event_fields


def _case_guarded_move(row: Case, before_state: str, event: CaseEvent) -> bool:
    """Write `row`'s transition fields only while the row is still at `row.revision` and `before_state`, as
    `Case.objects.filter(pk=…, revision=…, state=…).update(…)` would, and `event` with them (neither sends a
    signal: nothing listens to CaseEvent's); True when written, `event` then saved."""
    statement, fields, event_fields = _guarded_move_statement()
    params = [field.get_db_prep_save(getattr(row, field.attname), connection) for field in fields]
    params += [row.pk, row.revision, before_state]
    params += [field.get_db_prep_save(getattr(event, field.attname), connection) for field in event_fields]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        written = cursor.fetchone()
    if written is None:
        return False
    event.pk = written[0]
    event._state.adding, event._state.db = False, connection.alias
    return True


CASE_ROW_FIELDS = ("state", "data", "state_entered_at", "due_at", "closed_at", "updated_at", "revision",
                   "workflow_version_id", "structure_id")  # fmt: skip


def case_refresh_from(case: Case, row: Case) -> None:
    """Bring the caller's copy of a case up to date with the row a service wrote (state included, which
    django-fsm's protected field refuses to assign)."""
    if case is row:
        return
    for name in CASE_ROW_FIELDS:
        case.__dict__[name] = row.__dict__[name]
    case._update_initial_state()
    case._state.fields_cache.pop("structure", None)
    case._state.fields_cache.pop("workflow_version", None)


def _transition_effects_record(event: CaseEvent, spec: TransitionSpec, compiled: CompiledWorkflow) -> None:
    """The outbox effect of a transition, when it has one: named actions, or an active pole whose
    `case_transitioned` reacts to this workflow (`core.plugins.case_transitioned_listened`). A transition nobody
    reacts to costs no outbox row (issue #17: its UPDATE and its event row, nothing more)."""
    from core.tasks import case_transition_effects

    if not _transition_effected(spec, compiled):
        return
    case_transition_effects.effect(args=(event.pk,), key=f"transition:{event.pk}")


def case_transition_effects_run(*, event_id: int) -> None:
    """What follows a committed transition (the outbox effect `core.tasks.case_transition_effects`): the
    `case_transitioned` hook, then the transition's named actions, each in a savepoint of the effect's
    transaction (a failing one is logged and never undoes the others)."""
    event = CaseEvent.objects.select_related("case").filter(pk=event_id).first()
    if event is None:
        return
    case = event.case
    spec = compiled_version(case.workflow_version_id).transitions.get(event.transition)
    if spec is None:
        logger.error("transition %r of %s is no longer in its workflow version", event.transition, case.reference)
        return
    _after_transition(case, event, spec)


def _after_transition(case: Case, event: CaseEvent, spec: TransitionSpec) -> None:
    from core.plugins import hooks, results_by_pole

    try:
        with transaction.atomic():
            hooks().case_transitioned(case=case, event=event)
    except Exception:
        logger.exception("case_transitioned hook failed for %s (%s)", case.reference, spec.code)
    if not spec.actions:
        return
    available: dict[str, Any] = {}
    for actions in results_by_pole("transition_actions").values():
        available.update(actions or {})
    for name in spec.actions:
        action = available.get(name)
        if action is None:
            logger.error("unknown transition action %r on %s (%s)", name, case.reference, spec.code)
            continue
        try:
            with transaction.atomic():
                action(case, event)
        except Exception:
            logger.exception("transition action %r failed for %s (%s)", name, case.reference, spec.code)


@dataclass(frozen=True)
class MigrationStep:
    """What a migration does to one case (`case_migration_plan`): its state before and after, by labels, or
    why it is refused (`reason`, French)."""

    case: Case
    from_version: int
    from_state: str
    from_label: str
    to_state: str
    to_label: str
    reason: str = ""

    @property
    def ok(self) -> bool:
        return not self.reason

    @property
    def moves(self) -> bool:
        return self.ok and self.from_state != self.to_state


def case_migration_plan(
    *, cases, to_version: WorkflowVersion, state_mapping: dict[str, str] | None = None
) -> list[MigrationStep]:
    """The dry run of `case_migrate_version`: for each case, where it goes in `to_version` (states mapped by
    `{old_code: new_code}`, unmapped states keep their code) or why it cannot (closed, another workflow,
    already on this version, a state with no counterpart, an open case sent to a final state). Writes
    nothing."""
    compiled = compiled_version(to_version.pk)
    mapping = state_mapping or {}
    steps = []
    for case in cases:
        old = compiled_version(case.workflow_version_id)
        from_label = old.state_label(case.state)
        to_state = mapping.get(case.state) or case.state
        target = compiled.states.get(to_state)
        reason = ""
        if case.workflow_id != to_version.definition_id:
            reason = "Ce dossier relève d'un autre type de dossier."
        elif case.closed_at is not None:
            reason = "Ce dossier est clôturé : seuls les dossiers en cours changent de version."
        elif case.workflow_version_id == to_version.pk:
            reason = f"Ce dossier est déjà sur la version {to_version.number}."
        elif target is None:
            reason = (
                f"L'état « {from_label} » n'existe pas dans la version {to_version.number} : "
                "choisissez l'état qui lui correspond."
            )
        elif target.kind == "final":
            reason = f"« {target.label} » est un état final : un dossier en cours n'y passe que par une transition."
        steps.append(
            MigrationStep(
                case=case,
                from_version=old.number,
                from_state=case.state,
                from_label=from_label,
                to_state=to_state,
                to_label=target.label if target else "",
                reason=reason,
            )
        )
    return steps


@transaction.atomic
def case_migrate_version(
    *, cases, to_version: WorkflowVersion, state_mapping: dict[str, str] | None = None, actor=None
) -> list[CaseEvent]:
    """Move open cases to another published version of their workflow, mapping states that changed
    (`{old_code: new_code}`; unmapped states keep their code). Each case's history records it, with the
    states' labels. Raises WorkflowError (nothing written) when any case is refused by
    `case_migration_plan` (another workflow, closed, a state with no counterpart, a final state)."""
    if to_version.status != WorkflowVersion.Status.PUBLISHED:
        raise WorkflowError(f"La version {to_version.number} n'est pas publiée.")
    compiled = compiled_version(to_version.pk)
    ids = [c.pk for c in cases]
    locked = list(
        Case.objects.select_for_update().filter(pk__in=ids).exclude(workflow_version=to_version).order_by("pk")
    )
    steps = case_migration_plan(cases=locked, to_version=to_version, state_mapping=state_mapping)
    errors = [f"{step.case.reference} : {step.reason}" for step in steps if not step.ok]
    if errors:
        raise WorkflowError(" ".join(errors))
    events = []
    for step in steps:
        case, new_state = step.case, step.to_state
        Case.objects.filter(pk=case.pk).update(
            workflow_version=to_version, state=new_state, updated_at=timezone.now(), revision=F("revision") + 1,
            due_at=case_due_date(compiled, new_state, case.state_entered_at.date())
            if new_state != case.state else F("due_at"),
        )  # fmt: skip
        events.append(
            CaseEvent.objects.create(
                case=case,
                kind=CaseEvent.Kind.MIGRATED,
                actor=actor if getattr(actor, "pk", None) else None,
                from_state=case.state,
                to_state=new_state,
                detail={
                    "from_version": step.from_version,
                    "to_version": to_version.number,
                    "from_label": step.from_label,
                    "to_label": step.to_label,
                },
            )
        )
    return events
