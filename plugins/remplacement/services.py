"""Writes of the remplacement pole. Every service is keyword-only, atomic, writes its audit row
(`RequestEvent`) in the same transaction and schedules notifications and waves on commit.

The request's lifecycle (open → offered → filled → done → timesheet_validated → billed; cancelled, unfilled)
moves only here, so that the case engine's transition actions can call these services.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.formats import date_format

from core.models import Structure, StructureMembership
from plugins.remplacement import cases, selectors
from plugins.remplacement.communes import commune_get
from plugins.remplacement.matching import local_zone
from plugins.remplacement.models import (
    ACTIVE_REQUEST_STATES,
    AgeGroup,
    Assignment,
    AvailabilityException,
    AvailabilityRule,
    Offer,
    Qualification,
    ReplacementRequest,
    RequestEvent,
    RequestSlot,
    RequestState,
    Substitute,
    SubstituteQualification,
    Timesheet,
    TimesheetLine,
)

SUBSTITUTE_ROLE = "substitute"
MAX_SLOT_HOURS = 12
WEEKDAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]


class MissionUnavailableError(ValidationError):
    """The mission was filled or cancelled meanwhile (the API answers 409)."""


def _event(request: ReplacementRequest, kind: str, actor, **data: Any) -> None:
    RequestEvent.objects.create(request=request, kind=kind, actor=actor if _is_user(actor) else None, data=data)


def _is_user(actor) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False) and getattr(actor, "pk", None) is not None


def _tasks():
    from plugins.remplacement import tasks

    return tasks


def _require_structure(actor, structure: Structure) -> None:
    if actor is None:  # system (engine action, task)
        return
    if not selectors.structures_of(actor).filter(pk=structure.pk).exists():
        raise PermissionDenied("Vous n'agissez pas pour cette structure.")


def _require_coordinator(actor) -> None:
    if actor is not None and not selectors.is_coordinator(actor):
        raise PermissionDenied("Réservé aux coordinateurs du pôle remplacement.")


def _require_self_or_coordinator(actor, substitute: Substitute) -> None:
    if actor is None or selectors.is_coordinator(actor):
        return
    if substitute.user_id != getattr(actor, "pk", None):
        raise PermissionDenied("Cette fiche de remplaçant·e n'est pas la vôtre.")


def _fmt_time(value: dt.time) -> str:
    return f"{value:%H:%M}"


# --- Structures' accounts -----------------------------------------------------------------------------------
@transaction.atomic
def structure_member_add(*, structure: Structure, user, actor=None) -> StructureMembership:
    """Let an account post and follow the structure's requests (the core's membership, and the
    `structure_member` role)."""
    _require_coordinator(actor)
    member, _ = StructureMembership.objects.get_or_create(structure=structure, user=user)
    user.groups.add(Group.objects.get_or_create(name="structure_member")[0])
    return member


# --- The pool -----------------------------------------------------------------------------------------------
def _commune_or_error(code: str) -> tuple[str, str, float, float]:
    commune = commune_get(code)
    if commune is None:
        raise ValidationError({"home_commune_insee": f"Commune inconnue : « {code} » (code INSEE attendu)."})
    return commune.code, commune.name, commune.latitude, commune.longitude


def _qualifications_or_error(codes: Iterable[str]) -> list[Qualification]:
    codes = list(dict.fromkeys(codes))
    found = {q.code: q for q in Qualification.objects.filter(code__in=codes)}
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise ValidationError({"qualifications": [f"Qualification inconnue : « {c} »." for c in unknown]})
    return [found[c] for c in codes]


def _limits_check(values: Mapping[str, Any]) -> None:
    errors: dict[str, str] = {}
    km, week, month = values.get("max_distance_km"), values.get("max_hours_week"), values.get("max_hours_month")
    if km is not None and not 1 <= km <= 300:
        errors["max_distance_km"] = "La distance acceptée doit être comprise entre 1 et 300 km."
    if week is not None and not 1 <= week <= 48:
        errors["max_hours_week"] = "Le plafond hebdomadaire doit être compris entre 1 et 48 heures (durée légale)."
    if month is not None and not 1 <= month <= 220:
        errors["max_hours_month"] = "Le plafond mensuel doit être compris entre 1 et 220 heures."
    ages = values.get("preferred_age_groups") or []
    if any(a not in AgeGroup.values for a in ages):
        errors["preferred_age_groups"] = "Tranche d'âge inconnue."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def substitute_create(
    *,
    user,
    home_commune_insee: str,
    qualifications: list[str],
    max_distance_km: int = 25,
    max_hours_week: int = 35,
    max_hours_month: int = 151,
    phone: str = "",
    preferred_structure_ids: list[int] | None = None,
    preferred_age_groups: list[str] | None = None,
    verified: bool = True,
    actor=None,
) -> Substitute:
    """Add a person to the pool (coordinators, or the acceptance of a pool application)."""
    _require_coordinator(actor)
    if Substitute.objects.filter(user=user).exists():
        raise ValidationError({"user": "Cette personne fait déjà partie du vivier."})
    code, name, lat, lon = _commune_or_error(home_commune_insee)
    quals = _qualifications_or_error(qualifications)
    if not quals:
        raise ValidationError({"qualifications": "Indiquez au moins un diplôme."})
    _limits_check(locals())
    substitute = Substitute.objects.create(
        user=user,
        phone=phone,
        home_commune_insee=code,
        home_commune_name=name,
        home_latitude=lat,
        home_longitude=lon,
        max_distance_km=max_distance_km,
        max_hours_week=max_hours_week,
        max_hours_month=max_hours_month,
        preferred_age_groups=list(preferred_age_groups or []),
    )
    now = timezone.now()
    SubstituteQualification.objects.bulk_create(
        [
            SubstituteQualification(substitute=substitute, qualification=q, verified_at=now if verified else None)
            for q in quals
        ]
    )
    if preferred_structure_ids:
        substitute.preferred_structures.set(preferred_structure_ids)
    user.groups.add(Group.objects.get_or_create(name=SUBSTITUTE_ROLE)[0])
    return substitute


@transaction.atomic
def substitute_update(*, substitute: Substitute, actor, **changes: Any) -> Substitute:
    """Change a substitute's profile: commune, distance, hour limits, preferences, phone, active switch."""
    _require_self_or_coordinator(actor, substitute)
    allowed = {
        "home_commune_insee",
        "max_distance_km",
        "max_hours_week",
        "max_hours_month",
        "phone",
        "preferred_age_groups",
        "preferred_structure_ids",
        "is_active",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(f"Champs non modifiables : {', '.join(sorted(unknown))}.")
    _limits_check(changes)
    if "home_commune_insee" in changes:
        code, name, lat, lon = _commune_or_error(changes.pop("home_commune_insee"))
        substitute.home_commune_insee, substitute.home_commune_name = code, name
        substitute.home_latitude, substitute.home_longitude = lat, lon
    structures = changes.pop("preferred_structure_ids", None)
    for name, value in changes.items():
        setattr(substitute, name, value)
    substitute.save()
    if structures is not None:
        substitute.preferred_structures.set(structures)
    return substitute


def _parse_time(value: Any, label: str) -> dt.time:
    if isinstance(value, dt.time):
        return value
    try:
        return dt.time.fromisoformat(str(value))
    except ValueError:
        raise ValidationError(f"{label} : heure invalide « {value} » (format HH:MM).") from None


@transaction.atomic
def availability_weekly_set(*, substitute: Substitute, rules: list[Mapping[str, Any]], actor) -> list[AvailabilityRule]:
    """Replace the weekly pattern: `rules` is a list of `{"weekday": 0-6, "start": time, "end": time}`."""
    _require_self_or_coordinator(actor, substitute)
    errors: list[str] = []
    parsed: list[tuple[int, dt.time, dt.time]] = []
    for n, rule in enumerate(rules, start=1):
        try:
            weekday = int(rule["weekday"])
            start = _parse_time(rule["start"], f"Plage {n}")
            end = _parse_time(rule["end"], f"Plage {n}")
        except (KeyError, TypeError, ValueError):
            errors.append(f"Plage {n} : jour et heures attendus.")
            continue
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        if not 0 <= weekday <= 6:
            errors.append(f"Plage {n} : jour inconnu.")
        elif end <= start:
            errors.append(
                f"Plage {n} ({WEEKDAYS[weekday]}) : la fin ({_fmt_time(end)}) "
                f"doit suivre le début ({_fmt_time(start)})."
            )
        else:
            parsed.append((weekday, start, end))
    for i, (d1, s1, e1) in enumerate(parsed):
        for d2, s2, e2 in parsed[i + 1 :]:
            if d1 == d2 and s1 < e2 and s2 < e1:
                errors.append(f"Deux plages du {WEEKDAYS[d1]} se chevauchent.")
    if errors:
        raise ValidationError({"rules": errors})
    substitute.availability_rules.all().delete()
    return AvailabilityRule.objects.bulk_create(
        [AvailabilityRule(substitute=substitute, weekday=d, start_time=s, end_time=e) for d, s, e in parsed]
    )


@transaction.atomic
def availability_exception_add(
    *,
    substitute: Substitute,
    date: dt.date,
    kind: str,
    start: dt.time | None = None,
    end: dt.time | None = None,
    actor,
) -> AvailabilityException:
    """A dated exception: unavailable (all day when no hours) or available for extra hours."""
    _require_self_or_coordinator(actor, substitute)
    errors: dict[str, str] = {}
    if kind not in AvailabilityException.Kind.values:
        errors["kind"] = "Type d'exception inconnu."
    if (start is None) != (end is None):
        errors["end"] = "Indiquez le début et la fin, ou aucun des deux pour toute la journée."
    elif start is not None and end <= start:
        errors["end"] = f"La fin ({_fmt_time(end)}) doit suivre le début ({_fmt_time(start)})."
    if date < timezone.localdate():
        errors["date"] = "Cette date est déjà passée."
    if kind == AvailabilityException.Kind.AVAILABLE and start is None:
        errors["start"] = "Indiquez les heures de disponibilité."
    if errors:
        raise ValidationError(errors)
    return AvailabilityException.objects.create(
        substitute=substitute, date=date, kind=kind, start_time=start, end_time=end
    )


@transaction.atomic
def availability_exception_delete(*, exception: AvailabilityException, actor) -> None:
    _require_self_or_coordinator(actor, exception.substitute)
    exception.delete()


# --- Requests -----------------------------------------------------------------------------------------------
def _slots_parse(
    slots: list[Mapping[str, Any]], *, min_rest_hours: float
) -> tuple[list[tuple[dt.datetime, dt.datetime]], list[str]]:
    zone = local_zone()
    now = timezone.now()
    errors: list[str] = []
    parsed: list[tuple[int, dt.datetime, dt.datetime]] = []
    if not slots:
        return [], ["Indiquez au moins un créneau."]
    for n, slot in enumerate(slots, start=1):
        try:
            day = slot["date"] if isinstance(slot["date"], dt.date) else dt.date.fromisoformat(str(slot["date"]))
            start = _parse_time(slot["start"], f"Créneau {n}")
            end = _parse_time(slot["end"], f"Créneau {n}")
        except (KeyError, TypeError, ValueError):
            errors.append(f"Créneau {n} : date, heure de début et heure de fin attendues.")
            continue
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        label = f"Créneau {n} ({date_format(day, 'l j F')})"
        starts_at = dt.datetime.combine(day, start, zone)
        ends_at = dt.datetime.combine(day, end, zone)
        if end <= start:
            errors.append(f"{label} : la fin ({_fmt_time(end)}) doit être après le début ({_fmt_time(start)}).")
            continue
        if starts_at <= now:
            errors.append(f"{label} : ce créneau est déjà passé.")
            continue
        if start.minute % 15 or end.minute % 15 or start.second or end.second:
            errors.append(f"{label} : les horaires doivent tomber sur un quart d'heure (par exemple 7 h 45).")
            continue
        if ends_at - starts_at > dt.timedelta(hours=MAX_SLOT_HOURS):
            errors.append(f"{label} : un créneau dure au plus {MAX_SLOT_HOURS} heures.")
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


@transaction.atomic
def request_create(
    *,
    structure: Structure,
    qualification: str,
    slots: list[Mapping[str, Any]],
    children_present: int,
    staff_present: int,
    children_per_staff: int = 6,
    urgency: str = ReplacementRequest.Urgency.NORMAL,
    reason: str = ReplacementRequest.Reason.SICKNESS,
    age_group: str = AgeGroup.MIXED,
    notes: str = "",
    dispatch: bool = True,
    actor,
) -> ReplacementRequest:
    """Post a replacement request. Every problem is reported at once, in French, and nothing is saved unless
    all is right. `slots` are `{"date", "start", "end"}` in local time. Dispatch starts on commit unless
    `dispatch=False` (the case engine then starts it through its transition action)."""
    _require_structure(actor, structure)
    settings = selectors.pole_settings()
    errors: dict[str, list[str]] = {}
    quals = list(Qualification.objects.filter(code=qualification))
    if not quals:
        errors["qualification"] = [f"Qualification inconnue : « {qualification} »."]
    parsed, slot_errors = _slots_parse(slots, min_rest_hours=float(settings.get("min_rest_hours", 11)))
    if slot_errors:
        errors["slots"] = slot_errors
    if not structure.is_active:
        errors["structure"] = ["Cette structure n'est plus active."]
    elif commune_get(structure.commune_insee) is None:
        errors["structure"] = [
            f"La commune de la structure est inconnue (code INSEE « {structure.commune_insee} ») : "
            "impossible de calculer les distances."
        ]
    for name, value, low, high in (
        ("children_present", children_present, 0, 200),
        ("staff_present", staff_present, 0, 100),
        ("children_per_staff", children_per_staff, 1, 12),
    ):
        if not isinstance(value, int) or not low <= value <= high:
            errors[name] = [f"Nombre attendu entre {low} et {high}."]
    for name, value, choices in (
        ("urgency", urgency, ReplacementRequest.Urgency.values),
        ("reason", reason, ReplacementRequest.Reason.values),
        ("age_group", age_group, AgeGroup.values),
    ):
        if value not in choices:
            errors[name] = [f"Valeur inconnue : « {value} »."]
    if errors:
        raise ValidationError(errors)
    total = sum(((e - s).total_seconds() for s, e in parsed), 0.0) / 3600
    request = ReplacementRequest.objects.create(
        structure=structure,
        qualification=quals[0],
        reason=reason,
        urgency=urgency,
        age_group=age_group,
        children_present=children_present,
        staff_present=staff_present,
        children_per_staff=children_per_staff,
        notes=notes,
        first_slot_start=parsed[0][0],
        last_slot_end=max(e for _, e in parsed),
        total_hours=Decimal(str(total)).quantize(Decimal("0.01")),
        created_by=actor if _is_user(actor) else None,
    )
    RequestSlot.objects.bulk_create([RequestSlot(request=request, starts_at=s, ends_at=e) for s, e in parsed])
    zone = local_zone()
    request.case = cases.case_for_request_open(
        request=request,
        slots=[
            {
                "date": s.astimezone(zone).date().isoformat(),
                "start": f"{s.astimezone(zone):%H:%M}",
                "end": f"{e.astimezone(zone):%H:%M}",
            }
            for s, e in parsed
        ],
        actor=actor,
    )
    if request.case is not None:
        request.save(update_fields=["case"])
    _event(request, "created", actor, slots=len(parsed), hours=str(request.total_hours), case=request.case_id)
    if dispatch:
        request_dispatch_start(request=request, actor=actor)
    return request


@transaction.atomic
def request_dispatch_start(*, request: ReplacementRequest, actor=None) -> None:
    """Start sending offers (first wave on commit). Engine action `remplacement_matching_start`."""
    if request.state not in ACTIVE_REQUEST_STATES:
        raise MissionUnavailableError("Cette demande n'est plus ouverte.")
    _event(request, "dispatch_started", actor)
    _tasks().offer_wave_send.enqueue_on_commit(request.pk, 1)


def _wave_size(settings: Mapping[str, Any], wave: int) -> int:
    base = int(settings.get("wave_size", 10))
    return base * (2 ** (wave - 1))  # each wave twice as wide as the one before


@transaction.atomic
def offer_wave_send(*, request_id: int, wave: int) -> list[Offer]:
    """Send the next wave of offers: the best-ranked eligible substitutes not offered yet. Schedules the next
    (wider) wave after `wave_delay_minutes` while the mission is unfilled and candidates remain. A critical
    request goes to every eligible substitute at once."""
    request = ReplacementRequest.objects.select_for_update().select_related("structure").get(pk=request_id)
    if request.state not in ACTIVE_REQUEST_STATES or request.first_slot_start <= timezone.now():
        return []
    if wave <= request.waves_sent:  # already sent (a retried task)
        return []
    settings = selectors.pole_settings()
    ranking = selectors.request_ranking(request, explain=False)
    offered = set(request.offers.values_list("substitute_id", flat=True))
    fresh = [c for c in ranking.candidates if c.substitute_id not in offered]
    critical = request.urgency == ReplacementRequest.Urgency.CRITICAL
    chosen = fresh if critical else fresh[: _wave_size(settings, wave)]
    if not chosen:
        _event(request, "pool_exhausted", None, wave=wave)
        return []
    rank_of = {c.substitute_id: n for n, c in enumerate(ranking.candidates, start=1)}
    offers = Offer.objects.bulk_create(
        [
            Offer(
                request=request,
                substitute_id=c.substitute_id,
                wave=wave,
                rank=rank_of[c.substitute_id],
                score=c.score,
                distance_km=c.distance_km,
            )
            for c in chosen
        ]
    )
    if request.state == RequestState.OPEN:
        request.mark_offered()
    request.waves_sent = wave
    request.save()
    cases.case_follow(request=request, actor=None)
    _event(request, "wave_sent", None, wave=wave, offers=len(offers))
    tasks = _tasks()
    tasks.offers_notify.enqueue_on_commit([o.pk for o in offers])
    if len(fresh) > len(chosen) and wave < int(settings.get("max_waves", 5)):
        delay = int(settings.get("wave_delay_minutes", 15)) * 60
        if request.urgency == ReplacementRequest.Urgency.URGENT:
            delay //= 3
        schema = connection.schema_name
        transaction.on_commit(
            lambda: tasks.offer_wave_send.huey_task.schedule(args=(schema, request.pk, wave + 1), delay=delay)
        )
    return offers


def _offer_for_update(offer: Offer) -> Offer:
    return Offer.objects.select_for_update().get(pk=offer.pk)


@transaction.atomic
def offer_decline(*, offer: Offer, actor) -> Offer:
    _require_self_or_coordinator(actor, offer.substitute)
    offer = _offer_for_update(offer)
    if offer.status not in (Offer.Status.SENT, Offer.Status.VOLUNTEERED):
        raise MissionUnavailableError("Cette proposition n'attend plus de réponse.")
    offer.status = Offer.Status.DECLINED
    offer.answered_at = timezone.now()
    offer.save(update_fields=["status", "answered_at"])
    _event(offer.request, "offer_declined", actor, substitute=offer.substitute_id)
    return offer


@transaction.atomic
def offer_accept(*, offer: Offer, actor) -> Offer:
    """The substitute says yes. With the `first_accept` policy the first yes fills the mission (exactly one
    winner, however many answer at once); with `structure_picks` they become a volunteer the structure may
    confirm."""
    _require_self_or_coordinator(actor, offer.substitute)
    policy = selectors.pole_settings().get("dispatch_policy", "structure_picks")
    if policy == "first_accept":
        return _request_fill(offer_id=offer.pk, actor=actor)
    request = ReplacementRequest.objects.select_for_update().get(pk=offer.request_id)
    offer = _offer_for_update(offer)
    if request.state not in ACTIVE_REQUEST_STATES:
        raise MissionUnavailableError("Cette mission vient d'être pourvue : merci de votre réactivité !")
    if offer.status != Offer.Status.SENT:
        raise MissionUnavailableError("Vous avez déjà répondu à cette proposition.")
    _eligibility_recheck(request, offer.substitute_id)
    offer.status = Offer.Status.VOLUNTEERED
    offer.answered_at = timezone.now()
    offer.save(update_fields=["status", "answered_at"])
    _event(request, "offer_volunteered", actor, substitute=offer.substitute_id)
    _tasks().volunteer_notify.enqueue_on_commit(offer.pk)
    return offer


@transaction.atomic
def offer_confirm(*, offer: Offer, actor) -> Offer:
    """The structure picks one of its volunteers: the mission is filled."""
    offer = Offer.objects.select_related("request__structure").get(pk=offer.pk)
    _require_structure(actor, offer.request.structure)
    if offer.status != Offer.Status.VOLUNTEERED:
        raise ValidationError("Seul·e un·e volontaire peut être retenu·e.")
    return _request_fill(offer_id=offer.pk, actor=actor)


def _eligibility_recheck(request: ReplacementRequest, substitute_id: int) -> None:
    spec = selectors.request_spec(request)
    spec.declined = frozenset()
    ranking = selectors.pool_index_for([spec], substitute_ids=[substitute_id]).rank(spec, explain=True)
    reasons = ranking.excluded.get(substitute_id)
    if reasons:
        raise ValidationError(["Vous ne pouvez plus prendre cette mission :", *reasons])


def _request_fill(*, offer_id: int, actor) -> Offer:
    """Fill a request with an offer's substitute: the request row is locked (SELECT … FOR UPDATE), so that
    of many concurrent acceptances exactly one wins; the others get `MissionUnavailableError`."""
    with transaction.atomic():
        request_id = Offer.objects.filter(pk=offer_id).values_list("request_id", flat=True).get()
        request = ReplacementRequest.objects.select_for_update().select_related("structure").get(pk=request_id)
        if request.state not in ACTIVE_REQUEST_STATES:
            raise MissionUnavailableError("Cette mission vient d'être pourvue : merci de votre réactivité !")
        offer = Offer.objects.select_for_update().get(pk=offer_id)
        if offer.status not in (Offer.Status.SENT, Offer.Status.VOLUNTEERED):
            raise MissionUnavailableError("Cette proposition n'attend plus de réponse.")
        # One substitute cannot be booked twice at once by two requests filled concurrently.
        Substitute.objects.select_for_update().filter(pk=offer.substitute_id).get()
        _eligibility_recheck(request, offer.substitute_id)
        now = timezone.now()
        request.mark_filled()
        request.substitute_id = offer.substitute_id
        request.filled_at = now
        request.save()
        cases.case_follow(request=request, actor=actor)
        Assignment.objects.bulk_create(
            [
                Assignment(
                    substitute_id=offer.substitute_id,
                    request=request,
                    slot=slot,
                    starts_at=slot.starts_at,
                    ends_at=slot.ends_at,
                )
                for slot in request.slots.all()
            ]
        )
        offer.status = Offer.Status.ACCEPTED
        offer.answered_at = now
        offer.save(update_fields=["status", "answered_at"])
        others = request.offers.filter(status__in=[Offer.Status.SENT, Offer.Status.VOLUNTEERED]).exclude(pk=offer.pk)
        other_ids = list(others.values_list("pk", flat=True))
        others.update(status=Offer.Status.FILLED_BY_OTHER)
        _event(request, "filled", actor, substitute=offer.substitute_id, offer=offer.pk)
        _tasks().mission_filled_notify.enqueue_on_commit(request.pk, other_ids)
        return offer


@transaction.atomic
def request_cancel(*, request: ReplacementRequest, actor, reason: str = "") -> ReplacementRequest:
    """Cancel a request (open, offered or filled): bookings are released, everyone offered is told."""
    if actor is not None and not selectors.is_coordinator(actor):
        _require_structure(actor, request.structure)
    request = ReplacementRequest.objects.select_for_update().get(pk=request.pk)
    if request.state not in (*ACTIVE_REQUEST_STATES, RequestState.FILLED):
        raise ValidationError("Cette demande ne peut plus être annulée.")
    was_filled = request.state == RequestState.FILLED
    request.mark_cancelled()
    request.save()
    cases.case_follow(request=request, actor=actor, comment=reason)
    request.assignments.all().delete()
    notified = list(
        request.offers.filter(
            status__in=[Offer.Status.SENT, Offer.Status.VOLUNTEERED, Offer.Status.ACCEPTED]
        ).values_list("pk", flat=True)
    )
    request.offers.filter(status__in=[Offer.Status.SENT, Offer.Status.VOLUNTEERED]).update(
        status=Offer.Status.WITHDRAWN
    )
    _event(request, "cancelled", actor, reason=reason, was_filled=was_filled)
    _tasks().mission_cancelled_notify.enqueue_on_commit(request.pk, notified)
    return request


@transaction.atomic
def requests_expire(*, now: dt.datetime | None = None) -> int:
    """Requests still unfilled when their first slot starts become `unfilled`. Returns how many."""
    now = now or timezone.now()
    count = 0
    for request in ReplacementRequest.objects.select_for_update(skip_locked=True).filter(
        state__in=ACTIVE_REQUEST_STATES, first_slot_start__lte=now
    ):
        _unfilled_record(request, actor=None)
        count += 1
    return count


def _unfilled_record(request: ReplacementRequest, *, actor) -> None:
    """Move a locked request to `unfilled`, follow with its case, withdraw its pending offers, audit."""
    request.mark_unfilled()
    request.save()
    cases.case_follow(request=request, actor=actor)
    request.offers.filter(status__in=[Offer.Status.SENT, Offer.Status.VOLUNTEERED]).update(
        status=Offer.Status.WITHDRAWN
    )
    _event(request, "unfilled", actor)


@transaction.atomic
def request_unfilled(*, request: ReplacementRequest, actor) -> ReplacementRequest:
    """Record that nobody could be found (coordinators, or the case engine's `constater_non_pourvue`)."""
    _require_coordinator(actor)
    request = ReplacementRequest.objects.select_for_update().get(pk=request.pk)
    _unfilled_record(request, actor=actor)
    return request


# --- After the mission --------------------------------------------------------------------------------------
def _timesheet_lines_parse(
    lines: list[Mapping[str, Any]], slots: dict[int, RequestSlot]
) -> tuple[list[TimesheetLine], list[str]]:
    zone = local_zone()
    errors: list[str] = []
    parsed: list[TimesheetLine] = []
    seen: set[int] = set()
    for n, line in enumerate(lines, start=1):
        slot = slots.get(int(line.get("slot", 0) or 0))
        if slot is None or slot.pk in seen:
            errors.append(f"Ligne {n} : créneau inconnu pour cette mission, ou déclaré deux fois.")
            continue
        seen.add(slot.pk)
        try:
            start = _parse_time(line["start"], f"Ligne {n}")
            end = _parse_time(line["end"], f"Ligne {n}")
            pause = int(line.get("break_minutes") or 0)
        except (KeyError, TypeError, ValueError):
            errors.append(f"Ligne {n} : heures d'arrivée et de départ attendues.")
            continue
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        day = slot.starts_at.astimezone(zone).date()
        started, ended = dt.datetime.combine(day, start, zone), dt.datetime.combine(day, end, zone)
        if ended <= started:
            errors.append(f"Ligne {n} : le départ ({_fmt_time(end)}) doit suivre l'arrivée ({_fmt_time(start)}).")
        elif pause < 0 or pause * 60 >= (ended - started).total_seconds():
            errors.append(f"Ligne {n} : pause impossible ({pause} min).")
        else:
            parsed.append(TimesheetLine(slot=slot, started_at=started, ended_at=ended, break_minutes=pause))
    if not parsed and not errors:
        errors.append("Déclarez au moins un créneau travaillé.")
    return parsed, errors


@transaction.atomic
def timesheet_submit(
    *, request: ReplacementRequest, lines: list[Mapping[str, Any]], actor, comment: str = ""
) -> Timesheet:
    """The substitute declares the hours done, slot by slot (`{"slot": id, "start", "end", "break_minutes"}`,
    local times on the slot's day). The mission becomes `done`; a rejected timesheet may be submitted again."""
    request = ReplacementRequest.objects.select_for_update().get(pk=request.pk)
    if request.substitute is None:
        raise ValidationError("Cette mission n'est pas pourvue.")
    _require_self_or_coordinator(actor, request.substitute)
    if request.state not in (RequestState.FILLED, RequestState.DONE):
        raise ValidationError("Les heures de cette mission ne peuvent plus être déclarées.")
    existing = Timesheet.objects.filter(request=request).first()
    if existing is not None and existing.status != Timesheet.Status.REJECTED:
        raise ValidationError("Les heures ont déjà été déclarées.")
    slots = {slot.pk: slot for slot in request.slots.all()}
    if timezone.now() < min(s.starts_at for s in slots.values()):
        raise ValidationError("La mission n'a pas encore commencé.")
    parsed, errors = _timesheet_lines_parse(lines, slots)
    if errors:
        raise ValidationError({"lines": errors})
    minutes = sum(int((line.ended_at - line.started_at).total_seconds()) // 60 - line.break_minutes for line in parsed)
    hours = (Decimal(minutes) / Decimal(60)).quantize(Decimal("0.01"))
    if existing is not None:
        existing.lines.all().delete()
        existing.delete()
    sheet = Timesheet.objects.create(
        request=request, substitute=request.substitute, hours=hours, comment=comment, submitted_at=timezone.now()
    )
    for line in parsed:
        line.timesheet = sheet
    TimesheetLine.objects.bulk_create(parsed)
    if request.state == RequestState.FILLED:
        request.mark_done()
        request.save()
        cases.case_follow(request=request, actor=actor)
    _event(request, "timesheet_submitted", actor, hours=str(hours))
    _tasks().timesheet_submitted_notify.enqueue_on_commit(sheet.pk)
    return sheet


@transaction.atomic
def timesheet_validate(*, timesheet: Timesheet, actor, approve: bool = True, comment: str = "") -> Timesheet:
    """The structure validates the hours (or sends them back for correction, with a comment)."""
    request = ReplacementRequest.objects.select_for_update().select_related("structure").get(pk=timesheet.request_id)
    _require_structure(actor, request.structure)
    timesheet = Timesheet.objects.select_for_update().get(pk=timesheet.pk)
    if timesheet.status != Timesheet.Status.SUBMITTED:
        raise ValidationError("Ce relevé n'attend pas de validation.")
    if not approve and not comment.strip():
        raise ValidationError({"comment": "Expliquez ce qu'il faut corriger."})
    timesheet.status = Timesheet.Status.VALIDATED if approve else Timesheet.Status.REJECTED
    timesheet.validated_at = timezone.now() if approve else None
    timesheet.validated_by = actor if approve and _is_user(actor) else None
    if comment:
        timesheet.comment = f"{timesheet.comment}\n{comment}".strip()
    timesheet.save()
    if approve:
        request.mark_timesheet_validated()
        request.save()
        cases.case_follow(request=request, actor=actor)
    _event(request, "timesheet_validated" if approve else "timesheet_rejected", actor, comment=comment)
    return timesheet


@transaction.atomic
def requests_bill(*, year: int, month: int, actor) -> int:
    """Mark the month's validated missions as billed (after the billing export). Returns how many."""
    _require_coordinator(actor)
    start, end = selectors.month_bounds(year, month)
    count = 0
    for request in ReplacementRequest.objects.select_for_update().filter(
        state=RequestState.TIMESHEET_VALIDATED, first_slot_start__gte=start, first_slot_start__lt=end
    ):
        request.mark_billed()
        request.save()
        cases.case_follow(request=request, actor=actor)
        _event(request, "billed", actor, month=f"{year}-{month:02d}")
        count += 1
    return count


@transaction.atomic
def request_bill(*, request: ReplacementRequest, actor) -> ReplacementRequest:
    _require_coordinator(actor)
    request = ReplacementRequest.objects.select_for_update().get(pk=request.pk)
    request.mark_billed()
    request.save()
    cases.case_follow(request=request, actor=actor)
    _event(request, "billed", actor)
    return request


# --- Joining the pool (a `remplacement-candidature` case) ---
@transaction.atomic
def substitute_from_application(*, data: Mapping[str, Any], actor) -> Substitute:
    """Create (or reactivate) the substitute of an accepted application (`remplacement-candidature` case
    data: names, e-mail, phone, commune, qualifications, limits). The account is created when needed."""
    from django.contrib.auth import get_user_model

    from core.services.users import user_create

    _require_coordinator(actor)
    email = str(data.get("email", "")).strip().lower()
    user = get_user_model().objects.filter(username=email).first()
    if user is None:
        user = user_create(
            email=email, first_name=str(data.get("first_name", "")), last_name=str(data.get("last_name", ""))
        )
    existing = Substitute.objects.filter(user=user).first()
    if existing is not None:
        existing.is_active = True
        existing.save(update_fields=["is_active"])
        return existing
    return substitute_create(
        user=user,
        home_commune_insee=str(data.get("home_commune_insee", "")),
        qualifications=list(data.get("qualifications") or []),
        max_distance_km=int(data.get("max_distance_km") or 25),
        max_hours_week=int(data.get("max_hours_week") or 35),
        max_hours_month=int(data.get("max_hours_month") or 151),
        phone=str(data.get("phone", "")),
        preferred_age_groups=list(data.get("preferred_age_groups") or []),
        actor=None,
    )
