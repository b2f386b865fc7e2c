"""The work on a case beside its transitions and `core.services.case_updates` (data, comments, attachments):
assignment and bulk transitions.

Each service checks that the actor may do it, runs in one transaction and writes its `CaseEvent`.
Errors: `PermissionDenied` (French message) when the actor may not, `ValidationError` (French) for bad input.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from core.models import Case, CaseEvent
from core.roles import user_roles
from core.selectors.cases import STAFF_ROLES, case_list
from core.services.cases import transition_apply
from workflows.engine import compiled_version
from workflows.exceptions import WorkflowError
from workflows.forms import FormSpec


def is_staff_actor(user) -> bool:
    return bool(user_roles(user) & STAFF_ROLES)


def _require_visible(case: Case, actor) -> None:
    if actor is None or not case_list(user=actor).filter(pk=case.pk).exists():
        raise PermissionDenied("Vous n'avez pas accès à ce dossier.")


def _require_staff(actor, what: str) -> None:
    if not is_staff_actor(actor):
        raise PermissionDenied(f"Seule l'équipe de la plateforme peut {what}.")


def assignable_users():
    """The people a case can be assigned to: active holders of a staff role."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(groups__name__in=sorted(STAFF_ROLES))
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


@transaction.atomic
def case_assign(*, case: Case, users, actor) -> CaseEvent | None:
    """Set who works on a case (replaces the assignees). Returns the `assigned` event, or None when nothing
    changed."""
    _require_staff(actor, "attribuer un dossier")
    _require_visible(case, actor)
    users = list(users)
    allowed = set(assignable_users().values_list("pk", flat=True))
    refused = [_name(u) for u in users if u.pk not in allowed]
    if refused:
        raise ValidationError({"users": f"Ces personnes n'ont pas de rôle de l'équipe : {', '.join(refused)}."})
    case = Case.objects.select_for_update().get(pk=case.pk)
    before = {u.pk: u for u in case.assignees.all()}
    after = {u.pk: u for u in users}
    added = [after[pk] for pk in after if pk not in before]
    removed = [before[pk] for pk in before if pk not in after]
    if not added and not removed:
        return None
    case.assignees.set(users)
    return CaseEvent.objects.create(
        case=case,
        kind=CaseEvent.Kind.ASSIGNED,
        actor=actor,
        detail={
            "added": [{"id": u.pk, "name": _name(u)} for u in added],
            "removed": [{"id": u.pk, "name": _name(u)} for u in removed],
            "assignees": [{"id": u.pk, "name": _name(u)} for u in users],
        },
    )


def case_editable_form(case: Case) -> FormSpec | None:
    """The fields of a case's data that can be edited (`case_data_update`): its opening form's, files excepted
    (they change through a transition). None when there are none."""
    compiled = compiled_version(case.workflow_version_id)
    form = compiled.forms.get(compiled.open_form)
    if form is None or not [f for f in form.input_fields() if f.type != "file"]:
        return None
    return FormSpec(code=form.code, name=form.name, fields=tuple(f for f in form.fields if f.type != "file"))


def case_may_edit_data(*, case: Case, user) -> bool:
    return is_staff_actor(user) and case.closed_at is None


@dataclass(frozen=True)
class BulkResult:
    reference: str
    ok: bool
    message: str


def transition_bulk_apply(*, cases, transition: str, actor, comment: str = "") -> list[BulkResult]:
    """Apply one transition to several cases, each through `transition_apply` in its own transaction (one
    refusal does not stop the others). Transitions that need a form cannot be applied in bulk."""
    results = []
    for case in cases:
        try:
            _require_visible(case, actor)
            compiled = compiled_version(case.workflow_version_id)
            spec = compiled.transitions.get(transition)
            if spec is not None and spec.form:
                raise WorkflowError(f"« {spec.label} » demande un formulaire : appliquez-la dossier par dossier.")
            transition_apply(
                case=case,
                transition=transition,
                actor=actor,
                comment=comment if spec is None or spec.comment != "none" else "",
            )
        except WorkflowError as exc:
            results.append(BulkResult(case.reference, False, exc.message))
        except PermissionDenied as exc:
            results.append(BulkResult(case.reference, False, str(exc)))
        else:
            results.append(BulkResult(case.reference, True, f"Passé à l'état « {compiled.state_label(spec.target)} »."))
    return results
