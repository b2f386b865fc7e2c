"""The bridge between the pole's requests and the case engine: a request opens its `remplacement-demande`
case, and each step of the request's own lifecycle moves the case along the matching transition.

The pole's lifecycle is the source of truth for matching; the case carries the audit trail, the SLAs and
the back office. When a person moves the case first (back office), the transition's named action calls the
pole's service (`plugins.remplacement.actions`), which then finds the case already moved and does nothing
more: no loop. A territory where the workflow is not published runs requests without cases.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from core.models import Case
from core.roles import user_roles
from core.services.cases import case_open, transition_apply
from workflows.engine import compiled_version
from workflows.exceptions import WorkflowError
from workflows.selectors import workflow_published_version

logger = logging.getLogger("ppe.remplacement")

REQUEST_WORKFLOW = "remplacement-demande"
APPLICATION_WORKFLOW = "remplacement-candidature"
# The request's state reached -> the case transition that mirrors it.
CASE_TRANSITIONS = {
    "offered": "proposer",
    "filled": "pourvoir",
    "done": "declarer_heures",
    "timesheet_validated": "valider_heures",
    "billed": "facturer",
    "cancelled": "annuler",
    "unfilled": "constater_non_pourvue",
}
ROBOT_USERNAME = "robot-remplacement"


def robot():
    """The account the pole acts as when nobody does (a wave sent by a task, an expiry): a coordinator of
    the territory, with no usable password."""
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=ROBOT_USERNAME, defaults={"first_name": "Pôle", "last_name": "remplacement (automatique)"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        user.groups.add(Group.objects.get_or_create(name="pole_coordinator")[0])
    return user


def case_for_request_open(*, request, slots: list[dict[str, Any]], actor) -> Case | None:
    """Open the request's case (same transaction as the request). None where the workflow is not published."""
    if workflow_published_version(code=REQUEST_WORKFLOW) is None:
        return None
    data = {
        "qualification": request.qualification.code,
        "slots": slots,
        "reason": request.reason,
        "urgency": request.urgency,
        "age_group": request.age_group,
        "children_present": request.children_present,
        "staff_present": request.staff_present,
        "children_per_staff": request.children_per_staff,
        "notes": request.notes,
    }
    opener = actor if actor is not None and getattr(actor, "pk", None) else robot()
    return case_open(workflow=REQUEST_WORKFLOW, data=data, structure=request.structure, actor=opener, channel="api")


def case_follow(*, request, actor, comment: str = "") -> None:
    """Move the request's case to mirror the request's new state, as `actor` when their roles allow that
    transition, as the pole's robot otherwise. A case already there (moved first in the back office) is
    left alone; an engine refusal is logged, never undoes the pole's step."""
    if request.case_id is None:
        return
    code = CASE_TRANSITIONS.get(request.state)
    case = Case.objects.filter(pk=request.case_id).first()
    if code is None or case is None:
        return
    spec = compiled_version(case.workflow_version_id).transitions.get(code)
    if spec is None or case.state not in spec.sources:
        return
    mover = actor if actor is not None and getattr(actor, "pk", None) and user_roles(actor) & spec.roles else robot()
    if spec.comment == "required" and not comment:
        comment = "Suivi automatique du pôle remplacement."
    if spec.comment == "none":
        comment = ""
    try:
        transition_apply(case=case, transition=code, actor=mover, comment=comment)
    except WorkflowError as exc:
        logger.warning("remplacement: case %s not moved by %s: %s", case.reference, code, exc)
