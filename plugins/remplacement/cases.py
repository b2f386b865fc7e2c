"""The bridge between the pole and the case engine. A replacement request IS a `remplacement-demande` case:

- opening: `request_open` opens the case (as the person who posts it) and the pole's `case_data_changed` hook
  builds the `ReplacementRequest` and its slots from the case's data, in the same transaction; a case opened
  in the back office gets its request the same way;
- data: a data edit of the case (back office, API) reaches the request through the same hook, which checks
  what the engine's form cannot (slots in the past, overlaps, booked shifts) and refuses with French messages
  (`FormInvalid`: nothing is saved);
- life: every change of the request's state is a transition of the case (`transition`), made by the pole's
  services in the same transaction as their own writes, as the person acting when their roles allow it, as
  the pole's robot account otherwise;
- back office: a transition taken first in the back office reaches the request through `case_transitioned`
  (after commit): `reconcile` brings the pole's rows to what the new state means (offers withdrawn and
  bookings released on cancellation, timesheets validated or sent back...). It is idempotent: after a
  transition the pole made itself, it finds everything in place and does nothing. Transitions the back office
  cannot take without the pole (« Mission pourvue » while shifts are unbooked, « Heures déclarées » before
  every timesheet) are refused by guard functions.

The workflow's state codes are the pole's contract (`models.RequestState`); an admin may relabel states,
change roles, SLAs and notifications, add states and transitions around them.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format

from core.models import Case
from core.roles import user_roles
from core.services.cases import case_open, transition_apply
from plugins.remplacement.communes import commune_get
from plugins.remplacement.matching import local_zone
from plugins.remplacement.models import (
    AgeGroup,
    Qualification,
    RatioMode,
    ReplacementRequest,
    RequestEvent,
    RequestSlot,
    RequestState,
)
from workflows.engine import compiled_version
from workflows.exceptions import FormInvalid

logger = logging.getLogger("ppe.remplacement")

REQUEST_WORKFLOW = "remplacement-demande"
APPLICATION_WORKFLOW = "remplacement-candidature"
ROBOT_USERNAME = "robot-remplacement"
MAX_SLOT_HOURS = 12
MAX_SLOTS = 31


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


def is_person(actor) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False) and getattr(actor, "pk", None) is not None


def workflow_code(case: Case) -> str:
    return compiled_version(case.workflow_version_id).code


# --- Case data <-> request ----------------------------------------------------------------------------------
def _time(value: Any) -> dt.time | None:
    if isinstance(value, dt.time):
        return value.replace(second=0, microsecond=0)
    try:
        return dt.time.fromisoformat(str(value)).replace(second=0, microsecond=0)
    except ValueError:
        return None


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def _int(value: Any, default: int = 0) -> int | None:
    if value in (None, ""):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def slot_label(start: dt.datetime, end: dt.datetime) -> str:
    zone = local_zone()
    start, end = start.astimezone(zone), end.astimezone(zone)
    return f"{date_format(start.date(), 'l j F')} de {start:%H:%M} à {end:%H:%M}"


def slots_parse(
    slots: list[Mapping[str, Any]], *, min_rest_hours: float, keep: set[tuple[dt.datetime, dt.datetime]] = frozenset()
) -> tuple[list[tuple[dt.datetime, dt.datetime]], list[str]]:
    """Parse `{"date", "start", "end"}` shifts (local time, to the quarter-hour) and check them all at once:
    end after start, in the future (except `keep`, the shifts already in the request), at most 12 hours, no
    overlap, the daily rest between two days. Returns the sorted shifts and the French errors."""
    zone = local_zone()
    now = timezone.now()
    errors: list[str] = []
    parsed: list[tuple[int, dt.datetime, dt.datetime]] = []
    if not slots:
        return [], ["Indiquez au moins un créneau."]
    if len(slots) > MAX_SLOTS:
        return [], [f"Une demande compte au plus {MAX_SLOTS} créneaux."]
    for n, slot in enumerate(slots, start=1):
        if not isinstance(slot, Mapping):
            errors.append(f"Créneau {n} : date, heure de début et heure de fin attendues.")
            continue
        day, start, end = _date(slot.get("date")), _time(slot.get("start")), _time(slot.get("end"))
        if day is None or start is None or end is None:
            errors.append(f"Créneau {n} : date, heure de début et heure de fin attendues (HH:MM).")
            continue
        label = f"Créneau {n} ({date_format(day, 'l j F')})"
        starts_at = dt.datetime.combine(day, start, zone)
        ends_at = dt.datetime.combine(day, end, zone)
        if end <= start:
            errors.append(f"{label} : la fin ({end:%H:%M}) doit être après le début ({start:%H:%M}).")
            continue
        if start.minute % 15 or end.minute % 15:
            errors.append(f"{label} : les horaires doivent tomber sur un quart d'heure (par exemple 7 h 45).")
            continue
        if ends_at - starts_at > dt.timedelta(hours=MAX_SLOT_HOURS):
            errors.append(f"{label} : un créneau dure au plus {MAX_SLOT_HOURS} heures.")
            continue
        if starts_at <= now and (starts_at, ends_at) not in keep:
            errors.append(f"{label} : ce créneau est déjà passé.")
            continue
        parsed.append((n, starts_at, ends_at))
    parsed.sort(key=lambda item: item[1])
    rest = dt.timedelta(hours=min_rest_hours)
    for (n1, _s1, e1), (n2, s2, _e2) in itertools.pairwise(parsed):
        first, second = sorted((n1, n2))
        if s2 < e1:
            errors.append(f"Créneaux {first} et {second} : ils se chevauchent.")
        elif s2.date() != e1.date() and s2 - e1 < rest:
            errors.append(
                f"Créneaux {first} et {second} : moins de {min_rest_hours:g} h de repos entre les deux "
                "(repos quotidien obligatoire)."
            )
    return [(s, e) for _, s, e in parsed], errors


def staff_present_parse(value: Any, known: set[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """`[{"qualification": code, "count": n}]` (a count of 0 is dropped; one line per qualification)."""
    if value in (None, ""):
        return [], []
    if not isinstance(value, list):
        return [], ["Professionnels présents : une liste de qualifications et de nombres est attendue."]
    totals: dict[str, int] = {}
    errors: list[str] = []
    for n, item in enumerate(value, start=1):
        code = str(item.get("qualification", "")) if isinstance(item, Mapping) else ""
        count = _int(item.get("count"), 0) if isinstance(item, Mapping) else None
        if code not in known:
            errors.append(f"Professionnels présents, ligne {n} : qualification inconnue « {code} ».")
        elif count is None or not 0 <= count <= 100:
            errors.append(f"Professionnels présents, ligne {n} : nombre attendu entre 0 et 100.")
        elif count:
            totals[code] = totals.get(code, 0) + count
    return [{"qualification": code, "count": count} for code, count in totals.items()], errors


def request_data(
    *,
    qualification: str,
    slots: list[Mapping[str, Any]],
    headcount: int = 1,
    allow_split: bool = True,
    urgency: str = ReplacementRequest.Urgency.NORMAL,
    reason: str = ReplacementRequest.Reason.SICKNESS,
    age_group: str = AgeGroup.MIXED,
    ratio_mode: str = RatioMode.BY_WALKING,
    children_not_walking: int = 0,
    children_walking: int = 0,
    staff_present: list[Mapping[str, Any]] | None = None,
    notes: str = "",
) -> dict[str, Any]:
    """The case data of a request (what the workflow's opening form holds), in plain JSON values."""

    def text_time(value: Any) -> Any:
        return f"{value:%H:%M}" if isinstance(value, dt.time) else value

    def text_date(value: Any) -> Any:
        return value.isoformat() if isinstance(value, dt.date) else value

    return {
        "qualification": qualification,
        "headcount": headcount,
        "allow_split": allow_split,
        "slots": [
            {"date": text_date(s.get("date")), "start": text_time(s.get("start")), "end": text_time(s.get("end"))}
            for s in slots
        ],
        "reason": reason,
        "urgency": urgency,
        "age_group": age_group,
        "ratio_mode": ratio_mode,
        "children_not_walking": children_not_walking,
        "children_walking": children_walking,
        "staff_present": [dict(item) for item in staff_present or []],
        "notes": notes,
    }


def _choice(data: Mapping[str, Any], name: str, choices, default: str, errors: dict[str, list[str]]) -> str:
    value = data.get(name) or default
    if value not in choices:
        errors[name] = [f"Valeur inconnue : « {value} »."]
    return value


def _data_read(data: Mapping[str, Any], structure, keep: set) -> tuple[dict[str, Any], list, dict[str, list[str]]]:
    """Read a request's case data: the typed values, the parsed shifts and the French errors, by field."""
    from plugins.remplacement import selectors

    settings = selectors.pole_settings()
    errors: dict[str, list[str]] = {}
    if structure is None:
        errors["structure"] = ["Rattachez le dossier à la structure qui demande le remplacement."]
    elif commune_get(structure.commune_insee) is None:
        errors["structure"] = [
            f"La commune de la structure est inconnue (code INSEE « {structure.commune_insee} ») : "
            "impossible de calculer les distances."
        ]
    qualifications = {q.code: q for q in Qualification.objects.all()}
    qualification = qualifications.get(str(data.get("qualification", "")))
    if qualification is None:
        errors["qualification"] = [f"Qualification inconnue : « {data.get('qualification', '')} »."]
    headcount = _int(data.get("headcount"), 1)
    if headcount is None or not 1 <= headcount <= 10:
        errors["headcount"] = ["Nombre de personnes par créneau attendu entre 1 et 10."]
    parsed, slot_errors = slots_parse(
        data.get("slots") or [], min_rest_hours=float(settings.get("min_rest_hours", 11)), keep=keep
    )
    if slot_errors:
        errors["slots"] = slot_errors
    counts = {}
    for name in ("children_not_walking", "children_walking"):
        counts[name] = _int(data.get(name), 0)
        if counts[name] is None or not 0 <= counts[name] <= 200:
            errors[name] = ["Nombre d'enfants attendu entre 0 et 200."]
    staff, staff_errors = staff_present_parse(data.get("staff_present"), set(qualifications))
    if staff_errors:
        errors["staff_present"] = staff_errors
    urgency = _choice(data, "urgency", ReplacementRequest.Urgency.values, "normal", errors)
    reason = _choice(data, "reason", ReplacementRequest.Reason.values, "maladie", errors)
    age_group = _choice(data, "age_group", AgeGroup.values, AgeGroup.MIXED, errors)
    ratio_mode = _choice(data, "ratio_mode", RatioMode.values, RatioMode.BY_WALKING, errors)
    values = {
        "structure": structure,
        "qualification": qualification,
        "headcount": headcount,
        "staff": staff,
        "urgency": urgency,
        "reason": reason,
        "age_group": age_group,
        "ratio_mode": ratio_mode,
        **counts,
    }
    return values, parsed, errors


def request_data_errors(*, structure, data: Mapping[str, Any]) -> dict[str, list[str]]:
    """What the pole refuses in a new request's data (the engine's form checks the rest)."""
    return _data_read(data, structure, set())[2]


def request_sync(*, case: Case, actor) -> ReplacementRequest:
    """Create or update the request of a `remplacement-demande` case from the case's data, inside the
    transaction that changed it. Raises FormInvalid (French, by field) when the data cannot make a request."""
    data = case.data or {}
    request = ReplacementRequest.objects.select_for_update().filter(case=case).first()
    structure = case.structure
    existing = list(request.slots.prefetch_related("assignments").all()) if request is not None else []
    keep = {(s.starts_at, s.ends_at) for s in existing}
    read, parsed, errors = _data_read(data, structure, keep)
    headcount = read["headcount"]
    # What a change may not undo: a booked shift, a filled request's completeness.
    if request is not None and not errors:
        wanted = set(parsed)
        for slot in existing:
            booked = list(slot.assignments.all())
            if booked and (slot.starts_at, slot.ends_at) not in wanted:
                names = ", ".join(str(a.substitute) for a in booked)
                errors.setdefault("slots", []).append(
                    f"Le créneau du {slot_label(slot.starts_at, slot.ends_at)} est réservé ({names}) : "
                    "libérez d'abord l'affectation."
                )
            elif len(booked) > headcount:
                errors.setdefault("headcount", []).append(
                    f"{len(booked)} personnes sont déjà réservées le {slot_label(slot.starts_at, slot.ends_at)}."
                )
        if case.state not in (RequestState.OPEN, RequestState.OFFERED) and (
            wanted != keep or headcount != request.headcount
        ):
            errors.setdefault("slots", []).append(
                "Les créneaux et le nombre de personnes ne changent plus une fois la demande pourvue : "
                "remettez-la d'abord en recherche."
            )
    if errors:
        raise FormInvalid(errors)
    total = sum(((e - s).total_seconds() for s, e in parsed), 0.0) / 3600
    values = {
        "structure": structure,
        "qualification": read["qualification"],
        "headcount": headcount,
        "allow_split": bool(data.get("allow_split", True)),
        "reason": read["reason"],
        "urgency": read["urgency"],
        "age_group": read["age_group"],
        "ratio_mode": read["ratio_mode"],
        "children_not_walking": read["children_not_walking"],
        "children_walking": read["children_walking"],
        "staff_present": read["staff"],
        "notes": str(data.get("notes") or ""),
        "first_slot_start": parsed[0][0],
        "last_slot_end": max(e for _, e in parsed),
        "total_hours": Decimal(str(total)).quantize(Decimal("0.01")),
    }
    if request is None:
        request = ReplacementRequest.objects.create(
            case=case, created_by=actor if is_person(actor) and actor.username != ROBOT_USERNAME else None, **values
        )
        RequestSlot.objects.bulk_create([RequestSlot(request=request, starts_at=s, ends_at=e) for s, e in parsed])
        RequestEvent.objects.create(
            request=request,
            kind="created",
            actor=actor if is_person(actor) else None,
            data={"slots": len(parsed), "hours": str(values["total_hours"])},
        )
        return request
    changed_slots = set(parsed) != keep
    calendar_changed = changed_slots or values["notes"] != request.notes
    for name, value in values.items():
        setattr(request, name, value)
    if calendar_changed:
        request.calendar_sequence += 1
    request.save()
    if changed_slots:
        wanted = set(parsed)
        RequestSlot.objects.filter(pk__in=[s.pk for s in existing if (s.starts_at, s.ends_at) not in wanted]).delete()
        RequestSlot.objects.bulk_create(
            [RequestSlot(request=request, starts_at=s, ends_at=e) for s, e in parsed if (s, e) not in keep]
        )
    RequestEvent.objects.create(
        request=request, kind="updated", actor=actor if is_person(actor) else None, data={"slots": changed_slots}
    )
    _tasks = _tasks_module()
    if calendar_changed:
        _tasks.mission_updated_notify.enqueue_on_commit(request.pk)
    if case.state in (RequestState.OPEN, RequestState.OFFERED):
        _tasks.request_rescan.enqueue_on_commit(request.pk)
    return request


def _tasks_module():
    from plugins.remplacement import tasks

    return tasks


def request_open(*, structure, data: dict[str, Any], actor, channel: str = "backoffice") -> ReplacementRequest:
    """Open the request's case (the `case_data_changed` hook builds the request). FormInvalid otherwise."""
    opener = actor if is_person(actor) else robot()
    case = case_open(workflow=REQUEST_WORKFLOW, data=data, structure=structure, actor=opener, channel=channel)
    return ReplacementRequest.objects.select_related("case", "structure", "qualification").get(case=case)


# --- Transitions --------------------------------------------------------------------------------------------
def transition(*, request: ReplacementRequest, code: str, actor, comment: str = "") -> None:
    """Move the request's case along `code`, as `actor` when their roles allow it, as the pole's robot
    otherwise. Called inside the pole service's transaction, after its own writes: an engine refusal
    (ConcurrentTransition: the case moved meanwhile; WrongState) rolls everything back."""
    case = Case.objects.get(pk=request.case_id)
    spec = compiled_version(case.workflow_version_id).transitions[code]
    mover = actor if is_person(actor) and user_roles(actor) & spec.roles else robot()
    if spec.comment == "required" and not comment:
        comment = "Suivi automatique du pôle remplacement."
    if spec.comment == "none":
        comment = ""
    transition_apply(case=case, transition=code, actor=mover, comment=comment)
    request.case = case


def case_locked(request: ReplacementRequest) -> Case:
    """The request's case, locked for the rest of the transaction: the state every booking checks."""
    return Case.objects.select_for_update().get(pk=request.case_id)


# --- Guard functions (CEL) ----------------------------------------------------------------------------------
def _request_of_reference(reference: str) -> ReplacementRequest | None:
    return ReplacementRequest.objects.filter(case__reference=str(reference)).first()


def guard_slots_filled(reference: str) -> bool:
    """Every shift still to come has its people, and someone is booked (« Mission pourvue »: in full, or in
    part once the shifts left without anyone have started)."""
    from plugins.remplacement import selectors
    from plugins.remplacement.models import Assignment

    request = _request_of_reference(reference)
    return (
        request is not None
        and not selectors.open_slots(request)
        and Assignment.objects.filter(request=request).exists()
    )


def guard_timesheets_submitted(reference: str) -> bool:
    """Everyone booked has declared their hours and none waits for a correction."""
    from plugins.remplacement import selectors

    request = _request_of_reference(reference)
    return request is not None and selectors.timesheets_complete(request, statuses=("submitted", "validated"))


def guard_application_valid(reference: str) -> bool:
    """The application's commune and diplomas make a substitute's record."""
    case = Case.objects.filter(reference=str(reference)).first()
    if case is None:
        return False
    data = case.data or {}
    known = set(Qualification.objects.values_list("code", flat=True))
    return application_commune(data) is not None and str(data.get("qualification")) in known


def application_commune(data: dict[str, Any]):
    """The commune an applicant typed (its name, as people write it, or its INSEE code), in the territory's
    département when several bear that name."""
    from django.db import connection

    from plugins.remplacement.communes import commune_resolve

    departement = str(getattr(getattr(connection, "tenant", None), "code", "") or "")
    return commune_resolve(str(data.get("home_commune_insee", "")), departement=departement)


GUARD_FUNCTIONS = {
    "remplacement_creneaux_pourvus": guard_slots_filled,
    "remplacement_heures_declarees": guard_timesheets_submitted,
    "remplacement_candidature_complete": guard_application_valid,
}


# --- Back-office transitions reach the request ----------------------------------------------------------------
def reconcile(*, case: Case, event) -> None:
    """Bring the pole's rows to what the case's new state means (after a transition commits). Idempotent."""
    from plugins.remplacement import services

    code = workflow_code(case)
    if code == APPLICATION_WORKFLOW:
        if case.state == "acceptee":
            services.substitute_from_application(case=case, actor=event.actor)
        return
    if code != REQUEST_WORKFLOW:
        return
    request = ReplacementRequest.objects.filter(case=case).first()
    if request is None:
        logger.warning("remplacement: no request for case %s", case.reference)
        return
    services.request_reconcile(request=request, event=event)


def case_data_changed(*, case: Case, event) -> None:
    if workflow_code(case) == REQUEST_WORKFLOW:
        request_sync(case=case, actor=event.actor)


def after_transition(*, case: Case, event) -> None:
    try:
        with transaction.atomic():
            reconcile(case=case, event=event)
    except Exception:
        logger.exception("remplacement: reconcile failed for %s after %s", case.reference, event.transition)
