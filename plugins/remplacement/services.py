"""Writes of the remplacement pole. Every service is keyword-only and atomic, writes its journal row
(`RequestEvent`) in the same transaction, moves the request's case through the engine when the request's
state changes (`cases.transition`), and schedules notifications and waves on commit (tenant tasks, which the
outbox makes reliable).

Concurrency: every booking of a request locks the request row, then its case row (`SELECT … FOR UPDATE`), so
that of many people accepting at once exactly the shifts' headcount win and the others are told the mission
was just filled; a transition made meanwhile in the back office waits for the lock and is checked afterwards.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from core.models import Case, Structure, StructureMembership
from plugins.remplacement import cases, selectors
from plugins.remplacement.communes import commune_resolve
from plugins.remplacement.matching import local_zone
from plugins.remplacement.models import (
    ACTIVE_REQUEST_STATES,
    PENDING_OFFER_STATUSES,
    AgeGroup,
    Assignment,
    AvailabilityException,
    AvailabilityRule,
    Offer,
    Qualification,
    RatioMode,
    ReplacementRequest,
    RequestEvent,
    RequestSlot,
    RequestState,
    StructurePreference,
    Substitute,
    SubstituteDocument,
    SubstituteQualification,
    Timesheet,
    TimesheetLine,
)
from workflows.exceptions import ConcurrentTransition, FormInvalid, WorkflowError

logger = logging.getLogger("ppe.remplacement")

SUBSTITUTE_ROLE = "substitute"
WEEKDAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
FILLED_MESSAGE = "Cette mission vient d'être pourvue : merci de votre réactivité !"


class MissionUnavailableError(ValidationError):
    """The mission was filled or cancelled meanwhile (the API answers 409)."""


def _event(request: ReplacementRequest, kind: str, actor, **data: Any) -> None:
    RequestEvent.objects.create(request=request, kind=kind, actor=actor if cases.is_person(actor) else None, data=data)


def _tasks():
    from plugins.remplacement import tasks

    return tasks


def _engine_errors(exc: WorkflowError) -> ValidationError:
    """The engine's refusal as the pole's ValidationError (French messages, by field when known)."""
    if isinstance(exc, ConcurrentTransition):
        return MissionUnavailableError(exc.message)
    errors = getattr(exc, "errors", None)
    if errors:
        return ValidationError({("__all__" if k == "__all__" else k): v for k, v in errors.items()})
    return ValidationError(exc.message)


def _require_structure(actor, structure: Structure) -> None:
    if actor is None:  # system (engine reconcile, task)
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
    """The commune a person names (its name as written, or its INSEE code), in the territory's département when
    several bear that name."""
    departement = str(getattr(getattr(connection, "tenant", None), "code", "") or "")
    commune = commune_resolve(code, departement=departement)
    if commune is None:
        raise ValidationError(
            {"home_commune_insee": f"Commune inconnue : « {code} ». Indiquez son nom, suivi du département entre "
             "parenthèses s'il y a plusieurs communes de ce nom, par exemple « Saint-Just (35) »."}
        )  # fmt: skip
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


def _pool_changed(substitute: Substitute) -> None:
    """Someone's availability, limits or activity changed: offer them the open requests they now fit."""
    _tasks().pool_changed.enqueue_on_commit(substitute.pk)


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
    application: Case | None = None,
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
        application=application,
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
    _pool_changed(substitute)
    return substitute


PROFILE_FIELDS = {
    "home_commune_insee",
    "max_distance_km",
    "max_hours_week",
    "max_hours_month",
    "phone",
    "preferred_age_groups",
    "preferred_structure_ids",
}


@transaction.atomic
def substitute_update(*, substitute: Substitute, actor, **changes: Any) -> Substitute:
    """Change a substitute's profile: commune, distance, hour limits, preferences, phone (the person or a
    coordinator); `is_active` through `substitute_deactivate` / `substitute_reactivate`."""
    _require_self_or_coordinator(actor, substitute)
    if "is_active" in changes:
        active = changes.pop("is_active")
        if not active and substitute.is_active:
            substitute_deactivate(substitute=substitute, actor=actor, reason="")
        elif active and not substitute.is_active:
            substitute_reactivate(substitute=substitute, actor=actor)
        substitute.refresh_from_db()
    unknown = set(changes) - PROFILE_FIELDS
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
    _pool_changed(substitute)
    return substitute


@transaction.atomic
def substitute_deactivate(*, substitute: Substitute, actor, reason: str) -> Substitute:
    """Take someone out of the pool (coordinators; a substitute may pause themself): no more offers, pending
    ones withdrawn, their coming shifts released and offered to others (everyone concerned is told)."""
    _require_self_or_coordinator(actor, substitute)
    substitute = Substitute.objects.select_for_update().get(pk=substitute.pk)
    substitute.is_active = False
    substitute.deactivated_reason = (reason or "").strip()[:300]
    substitute.save(update_fields=["is_active", "deactivated_reason", "updated_at"])
    Offer.objects.filter(substitute=substitute, status__in=PENDING_OFFER_STATUSES).update(status=Offer.Status.WITHDRAWN)
    request_ids = set(
        Assignment.objects.filter(substitute=substitute, starts_at__gt=timezone.now()).values_list(
            "request_id", flat=True
        )
    )
    live = [*ACTIVE_REQUEST_STATES, RequestState.FILLED]
    for request in ReplacementRequest.objects.filter(pk__in=request_ids, case__state__in=live):
        request_release(request=request, substitute=substitute, actor=None, reason="Remplaçant·e désactivé·e")
    return substitute


@transaction.atomic
def substitute_reactivate(*, substitute: Substitute, actor) -> Substitute:
    _require_self_or_coordinator(actor, substitute)
    substitute.is_active = True
    substitute.deactivated_reason = ""
    substitute.save(update_fields=["is_active", "deactivated_reason", "updated_at"])
    _pool_changed(substitute)
    return substitute


def _time(value: Any, label: str) -> dt.time:
    if isinstance(value, dt.time):
        return value.replace(second=0, microsecond=0)
    try:
        return dt.time.fromisoformat(str(value)).replace(second=0, microsecond=0)
    except ValueError:
        raise ValidationError(f"{label} : heure invalide « {value} » (format HH:MM).") from None


@transaction.atomic
def availability_weekly_set(*, substitute: Substitute, rules: list[Mapping[str, Any]], actor) -> list[AvailabilityRule]:
    """Replace the weekly pattern: `rules` is a list of `{"weekday": 0-6, "start": time, "end": time}`, as many
    ranges a day as needed (split shifts), none overlapping."""
    _require_self_or_coordinator(actor, substitute)
    errors: list[str] = []
    parsed: list[tuple[int, dt.time, dt.time]] = []
    for n, rule in enumerate(rules, start=1):
        try:
            weekday = int(rule["weekday"])
            start = _time(rule["start"], f"Plage {n}")
            end = _time(rule["end"], f"Plage {n}")
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
                errors.append(
                    f"Deux plages du {WEEKDAYS[d1]} se chevauchent (de {_fmt_time(s1)} à {_fmt_time(e1)} et "
                    f"de {_fmt_time(s2)} à {_fmt_time(e2)})."
                )
    if errors:
        raise ValidationError({"rules": errors})
    substitute.availability_rules.all().delete()
    created = AvailabilityRule.objects.bulk_create(
        [AvailabilityRule(substitute=substitute, weekday=d, start_time=s, end_time=e) for d, s, e in sorted(parsed)]
    )
    _pool_changed(substitute)
    return created


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
    exception = AvailabilityException.objects.create(
        substitute=substitute, date=date, kind=kind, start_time=start, end_time=end
    )
    _pool_changed(substitute)
    return exception


@transaction.atomic
def availability_exception_delete(*, exception: AvailabilityException, actor) -> None:
    _require_self_or_coordinator(actor, exception.substitute)
    substitute = exception.substitute
    exception.delete()
    _pool_changed(substitute)


# --- Documents of the record --------------------------------------------------------------------------------
DOCUMENT_MAX_BYTES = 10 * 1024 * 1024


@transaction.atomic
def document_add(
    *,
    substitute: Substitute,
    kind: str,
    file,
    actor,
    qualification: str = "",
    issued_on: dt.date | None = None,
    expires_on: dt.date | None = None,
    verified: bool = False,
) -> SubstituteDocument:
    """Add a document to a substitute's record (the person or a coordinator). The file is judged by its bytes
    (PDF, JPEG or PNG, 10 Mo at most); a diploma names its qualification; only a coordinator verifies."""
    from core.uploads import UploadValidator

    _require_self_or_coordinator(actor, substitute)
    errors: dict[str, list[str]] = {}
    if kind not in SubstituteDocument.Kind.values:
        errors["kind"] = ["Type de document inconnu."]
    try:
        UploadValidator()(file)
    except ValidationError as exc:
        errors["file"] = exc.messages
    if getattr(file, "size", 0) > DOCUMENT_MAX_BYTES:
        errors["file"] = ["Le fichier dépasse 10 Mo."]
    found = None
    if kind == SubstituteDocument.Kind.DIPLOMA:
        found = Qualification.objects.filter(code=qualification).first()
        if found is None:
            errors["qualification"] = ["Indiquez le diplôme dont c'est la copie."]
    if issued_on and expires_on and expires_on < issued_on:
        errors["expires_on"] = ["La fin de validité précède la date de délivrance."]
    if issued_on and issued_on > timezone.localdate():
        errors["issued_on"] = ["La date de délivrance est dans le futur."]
    if errors:
        raise ValidationError(errors)
    is_coordinator = actor is None or selectors.is_coordinator(actor)
    from pathlib import PurePath

    name = PurePath(getattr(file, "name", "") or "document").name[:200]
    document = SubstituteDocument(
        substitute=substitute,
        kind=kind,
        qualification=found,
        original_name=name,
        issued_on=issued_on,
        expires_on=expires_on,
        verified_at=timezone.now() if verified and is_coordinator else None,
        verified_by=actor if verified and is_coordinator and cases.is_person(actor) else None,
    )
    document.file.save(name, file, save=False)
    document.save()
    if found is not None:
        SubstituteQualification.objects.get_or_create(substitute=substitute, qualification=found)
    return document


@transaction.atomic
def document_verify(*, document: SubstituteDocument, actor, expires_on: dt.date | None = None) -> SubstituteDocument:
    """A coordinator checked the document (and, for a diploma, the qualification it proves)."""
    _require_coordinator(actor)
    document.verified_at = timezone.now()
    document.verified_by = actor if cases.is_person(actor) else None
    if expires_on is not None:
        document.expires_on = expires_on
    document.save(update_fields=["verified_at", "verified_by", "expires_on"])
    if document.kind == SubstituteDocument.Kind.DIPLOMA and document.qualification_id:
        SubstituteQualification.objects.filter(
            substitute=document.substitute, qualification_id=document.qualification_id
        ).update(verified_at=document.verified_at)
    return document


@transaction.atomic
def document_delete(*, document: SubstituteDocument, actor) -> None:
    _require_coordinator(actor)
    document.file.delete(save=False)
    document.delete()


# --- Favourites and exclusions ------------------------------------------------------------------------------
@transaction.atomic
def preference_set(
    *, structure: Structure, substitute: Substitute, kind: str, actor, reason: str = ""
) -> StructurePreference:
    """A structure names a favourite (offered first) or excludes someone (never offered to it again). A
    structure names only people it has met (booked or volunteered); coordinators anyone."""
    _require_structure(actor, structure)
    if kind not in StructurePreference.Kind.values:
        raise ValidationError({"kind": "Choisissez « favori·te » ou « exclu·e »."})
    if (
        actor is not None
        and not selectors.is_coordinator(actor)
        and not selectors.people_of_structure(structure).filter(pk=substitute.pk).exists()
    ):
        raise PermissionDenied("Vous ne pouvez nommer que des personnes venues ou volontaires chez vous.")
    if kind == StructurePreference.Kind.EXCLUDED and not reason.strip():
        raise ValidationError({"reason": "Indiquez le motif de l'exclusion (lu par les coordinateurs seulement)."})
    preference, _ = StructurePreference.objects.update_or_create(
        structure=structure,
        substitute=substitute,
        defaults={
            "kind": kind,
            "reason": reason.strip()[:500],
            "created_by": actor if cases.is_person(actor) else None,
        },
    )
    if kind == StructurePreference.Kind.EXCLUDED:
        Offer.objects.filter(
            request__structure=structure, substitute=substitute, status__in=PENDING_OFFER_STATUSES
        ).update(status=Offer.Status.WITHDRAWN)
    else:
        _pool_changed(substitute)
    return preference


@transaction.atomic
def preference_remove(*, structure: Structure, substitute: Substitute, actor) -> None:
    _require_structure(actor, structure)
    StructurePreference.objects.filter(structure=structure, substitute=substitute).delete()
    _pool_changed(substitute)


# --- Requests -----------------------------------------------------------------------------------------------
def request_create(
    *,
    structure: Structure,
    qualification: str,
    slots: list[Mapping[str, Any]],
    headcount: int = 1,
    allow_split: bool = True,
    children_not_walking: int = 0,
    children_walking: int = 0,
    staff_present: list[Mapping[str, Any]] | None = None,
    ratio_mode: str = RatioMode.BY_WALKING,
    urgency: str = ReplacementRequest.Urgency.NORMAL,
    reason: str = ReplacementRequest.Reason.SICKNESS,
    age_group: str = AgeGroup.MIXED,
    notes: str = "",
    dispatch: bool = True,
    channel: str = "backoffice",
    actor,
) -> ReplacementRequest:
    """Post a replacement request: opens its case (every problem reported at once, in French, nothing saved
    unless all is right) and, unless `dispatch=False`, moves it to « proposée » so that the first wave of
    offers goes out on commit. `slots` are `{"date", "start", "end"}` in local time."""
    _require_structure(actor, structure)
    data = cases.request_data(
        qualification=qualification,
        slots=slots,
        headcount=headcount,
        allow_split=allow_split,
        urgency=urgency,
        reason=reason,
        age_group=age_group,
        ratio_mode=ratio_mode,
        children_not_walking=children_not_walking,
        children_walking=children_walking,
        staff_present=staff_present,
        notes=notes,
    )
    try:
        with transaction.atomic():
            request = cases.request_open(structure=structure, data=data, actor=actor, channel=channel)
            if dispatch:
                cases.transition(request=request, code="proposer", actor=actor)
    except FormInvalid as exc:
        # Every problem at once: the engine's form stopped before the pole's own checks ran.
        errors = {key: list(messages) for key, messages in exc.errors.items()}
        for key, messages in cases.request_data_errors(structure=structure, data=data).items():
            if key not in errors:
                errors[key] = messages
        raise ValidationError(errors) from None
    except WorkflowError as exc:
        raise _engine_errors(exc) from None
    return request


def request_update(*, request: ReplacementRequest, actor, **changes: Any) -> ReplacementRequest:
    """Change a request's data through its case (coordinators: the engine lets staff edit case data)."""
    from core.services.case_updates import case_data_update

    _require_coordinator(actor)
    data = dict(changes)
    for key in ("slots",):
        if key in data:
            data[key] = cases.request_data(qualification="", slots=data[key])["slots"]
    try:
        case_data_update(case=Case.objects.get(pk=request.case_id), data=data, actor=actor)
    except WorkflowError as exc:
        raise _engine_errors(exc) from None
    return ReplacementRequest.objects.select_related("case").get(pk=request.pk)


@transaction.atomic
def request_dispatch_start(*, request: ReplacementRequest, actor=None) -> None:
    """Start sending offers: the case moves to « proposée » and the first wave goes out on commit."""
    if request.case.state != RequestState.OPEN:
        raise MissionUnavailableError("Cette demande n'est plus ouverte.")
    try:
        cases.transition(request=request, code="proposer", actor=actor)
    except WorkflowError as exc:
        raise _engine_errors(exc) from None


def _wave_size(settings: Mapping[str, Any], wave: int) -> int:
    base = int(settings.get("wave_size", 10))
    max_waves = int(settings.get("max_waves", 5))
    return base * (2 ** (min(wave, max_waves) - 1))  # each wave twice as wide as the one before


def _request_for_update(request_id: int) -> ReplacementRequest:
    return (
        ReplacementRequest.objects.select_for_update().select_related("structure", "qualification").get(pk=request_id)
    )


@transaction.atomic
def offer_wave_send(*, request_id: int, wave: int | None = None, reason: str = "wave", actor=None) -> list[Offer]:
    """Send a wave of offers for the request's open shifts: the best-ranked eligible substitutes not offered
    yet (the structure's favourites first). `wave` is the wave expected (a retried or late task whose wave was
    sent already does nothing); None sends the next one now (a re-scan, the coordinator widening). A critical
    request goes to every eligible substitute at once. While candidates remain, the next wave is scheduled
    after `wave_delay_minutes` (a third of it when urgent); when none remains and nobody has an offer pending,
    the structure and the coordinators are told at once (once)."""
    request = _request_for_update(request_id)
    case = cases.case_locked(request)
    if case.state not in ACTIVE_REQUEST_STATES or (wave is not None and wave <= request.waves_sent):
        return []
    wave = request.waves_sent + 1 if wave is None else wave
    settings = selectors.pole_settings()
    if case.state == RequestState.OPEN:  # dispatch starts, even when nobody can be asked yet
        cases.transition(request=request, code="proposer", actor=actor)
    ranked = selectors.request_ranking(request, explain=False)
    if ranked.spec is None:  # every shift has its people, or they all started
        return []
    offered = set(request.offers.values_list("substitute_id", flat=True))
    fresh = [c for c in ranked.ranking.candidates if c.substitute_id not in offered]
    critical = request.urgency == ReplacementRequest.Urgency.CRITICAL
    favourites = [c for c in fresh if c.favourite]
    others = [c for c in fresh if not c.favourite]
    chosen = fresh if critical else favourites + others[: max(_wave_size(settings, wave) - len(favourites), 0)]
    if not chosen:
        if not selectors.pending_offers(request).exists() and request.exhausted_notified_at is None:
            _event(request, "pool_exhausted", None, wave=wave, reason=reason)
            request.exhausted_notified_at = timezone.now()
            request.save(update_fields=["exhausted_notified_at", "updated_at"])
            _tasks().request_exhausted_notify.enqueue_on_commit(request.pk)
        return []
    rank_of = {c.substitute_id: n for n, c in enumerate(ranked.ranking.candidates, start=1)}
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
    through = Offer.slots.through
    through.objects.bulk_create(
        [
            through(offer_id=offer.pk, requestslot_id=ranked.spec.slots[k].slot_id)
            for offer, c in zip(offers, chosen, strict=True)
            for k in c.slot_indexes
        ]
    )
    request.waves_sent = wave
    request.exhausted_notified_at = None
    request.save(update_fields=["waves_sent", "exhausted_notified_at", "updated_at"])
    _event(request, "wave_sent", actor, wave=wave, offers=len(offers), reason=reason)
    tasks = _tasks()
    for offer in offers:
        tasks.offer_notify.enqueue_on_commit(offer.pk)
    if len(fresh) > len(chosen):
        delay = int(settings.get("wave_delay_minutes", 15)) * 60
        if request.urgency == ReplacementRequest.Urgency.URGENT:
            delay //= 3
        tasks.offer_wave_send.effect(args=(request.pk, wave + 1), delay=delay, key=f"wave:{request.pk}:{wave + 1}")
    return offers


def request_widen(*, request: ReplacementRequest, actor) -> list[Offer]:
    """The coordinator sends the next wave now (however many waves went already)."""
    _require_coordinator(actor)
    return offer_wave_send(request_id=request.pk, wave=None, reason="widen", actor=actor)


@transaction.atomic
def request_resend(*, request: ReplacementRequest, actor) -> int:
    """The coordinator reminds everyone whose offer still waits for an answer (a new e-mail each)."""
    _require_coordinator(actor)
    now = timezone.now()
    ids = list(request.offers.filter(status=Offer.Status.SENT).values_list("pk", flat=True))
    Offer.objects.filter(pk__in=ids).update(reminded_at=now)
    _event(request, "offers_reminded", actor, offers=len(ids))
    for offer_id in ids:
        _tasks().offer_remind.enqueue_on_commit(offer_id, now.isoformat())
    return len(ids)


@transaction.atomic
def request_rescan(*, request_id: int) -> list[Offer]:
    """Look again for people for a request whose shifts are still open (the pool or its data changed): a
    wave goes to the new eligible people at once."""
    request = ReplacementRequest.objects.select_related("case").get(pk=request_id)
    if request.case.state != RequestState.OFFERED:  # not searching (yet, or any more)
        return []
    return offer_wave_send(request_id=request_id, wave=None, reason="rescan")


def pool_changed(*, substitute_id: int) -> int:
    """A person's availability, limits, diplomas or activity changed: every open request they now fit and
    were not offered gets a new wave at once (until the request starts). Returns how many requests."""
    substitute = Substitute.objects.filter(pk=substitute_id, is_active=True).first()
    if substitute is None:
        return 0
    requests = ReplacementRequest.objects.filter(
        case__state=RequestState.OFFERED, last_slot_end__gt=timezone.now()
    ).exclude(offers__substitute=substitute)
    specs = selectors.request_specs_load(requests)
    if not specs:
        return 0
    index = selectors.pool_index_for(specs, substitute_ids=[substitute_id])
    count = 0
    for spec in specs:
        if len(index.rank(spec)):
            offer_wave_send(request_id=spec.request_id, wave=None, reason="pool_changed")
            count += 1
    return count


def _offer_for_update(offer: Offer) -> Offer:
    return Offer.objects.select_for_update().get(pk=offer.pk)


@transaction.atomic
def offer_decline(*, offer: Offer, actor) -> Offer:
    _require_self_or_coordinator(actor, offer.substitute)
    offer = _offer_for_update(offer)
    if offer.status not in PENDING_OFFER_STATUSES:
        raise MissionUnavailableError("Cette proposition n'attend plus de réponse.")
    offer.status = Offer.Status.DECLINED
    offer.answered_at = timezone.now()
    offer.save(update_fields=["status", "answered_at"])
    _event(offer.request, "offer_declined", actor, substitute=offer.substitute_id)
    _tasks().offer_declined.enqueue_on_commit(offer.request_id)
    return offer


def offer_accept(*, offer: Offer, actor, slot_ids: list[int] | None = None) -> Offer:
    """The substitute says yes (to all the offered shifts still open, or to `slot_ids`). With the
    `first_accept` policy the shifts are booked at once (exactly the headcount wins, however many answer at
    once); with `structure_picks` the person becomes a volunteer the structure may confirm."""
    _require_self_or_coordinator(actor, offer.substitute)
    policy = selectors.pole_settings().get("dispatch_policy", "structure_picks")
    if policy == "first_accept":
        return _book(offer_id=offer.pk, slot_ids=slot_ids, actor=actor)
    with transaction.atomic():
        request = _request_for_update(offer.request_id)
        case = cases.case_locked(request)
        offer = _offer_for_update(offer)
        if case.state not in ACTIVE_REQUEST_STATES:
            raise MissionUnavailableError(FILLED_MESSAGE)
        if offer.status != Offer.Status.SENT:
            raise MissionUnavailableError("Vous avez déjà répondu à cette proposition.")
        possible = _bookable_slots(request, offer.substitute_id, _wanted_slots(offer, slot_ids))
        if not possible:
            raise MissionUnavailableError(FILLED_MESSAGE)
        offer.status = Offer.Status.VOLUNTEERED
        offer.answered_at = timezone.now()
        offer.save(update_fields=["status", "answered_at"])
        offer.slots.set(possible)
        _event(request, "offer_volunteered", actor, substitute=offer.substitute_id, slots=[s.pk for s in possible])
        _tasks().volunteer_notify.enqueue_on_commit(offer.pk)
        return offer


@transaction.atomic
def offer_confirm(*, offer: Offer, actor, slot_ids: list[int] | None = None) -> Offer:
    """The structure picks one of its volunteers: their shifts are booked."""
    offer = Offer.objects.select_related("request__structure").get(pk=offer.pk)
    _require_structure(actor, offer.request.structure)
    if offer.status != Offer.Status.VOLUNTEERED:
        raise ValidationError("Seul·e un·e volontaire peut être retenu·e.")
    return _book(offer_id=offer.pk, slot_ids=slot_ids, actor=actor)


def request_assign(*, request: ReplacementRequest, substitute: Substitute, actor, slot_ids: list[int] | None = None):
    """The coordinator assigns someone directly (they were called on the phone): the same checks as an
    acceptance (diploma, availability, bookings, rest, limits, the structure's exclusions), the person's open
    shifts booked at once."""
    _require_coordinator(actor)
    with transaction.atomic():
        request = _request_for_update(request.pk)
        offer = Offer.objects.filter(request=request, substitute=substitute).first()
        if offer is None:
            distance = 0.0
            coordinates = selectors.structure_coordinates(request.structure)
            if coordinates is not None:
                from plugins.remplacement.communes import distance_km

                distance = distance_km(substitute.home_latitude, substitute.home_longitude, *coordinates)
            offer = Offer.objects.create(
                request=request,
                substitute=substitute,
                wave=0,
                rank=0,
                score=0,
                distance_km=round(distance, 1),
                direct=True,
            )
        elif offer.status not in PENDING_OFFER_STATUSES:
            offer.status = Offer.Status.SENT
            offer.direct = True
            offer.save(update_fields=["status", "direct"])
        return _book(offer_id=offer.pk, slot_ids=slot_ids, actor=actor, direct=True)


def _wanted_slots(offer: Offer, slot_ids: list[int] | None) -> list[RequestSlot]:
    slots = RequestSlot.objects.filter(request_id=offer.request_id).order_by("starts_at")
    if slot_ids is not None:
        slots = slots.filter(pk__in=slot_ids)
    elif not offer.direct and offer.slots.exists():
        slots = slots.filter(pk__in=offer.slots.values("pk"))
    return list(slots)


def _bookable_slots(
    request: ReplacementRequest, substitute_id: int, wanted: list[RequestSlot], *, direct: bool = False
) -> list[RequestSlot]:
    """Of the shifts wanted, those still short of people that this person may take, chronologically, as long
    as their weekly and monthly limits hold with all of them. Raises ValidationError with the French reasons
    when none is possible for the person."""
    open_ids = {s.pk for s in selectors.open_slots(request)}
    candidates = [s for s in wanted if s.pk in open_ids]
    if not candidates:
        return []
    chosen: list[RequestSlot] = []
    last_reasons: list[str] = []
    for slot in candidates:
        trial = [*chosen, slot]
        spec = selectors.request_spec(request, slots=trial)
        spec.allow_split = False
        if direct:
            spec.declined = frozenset()
        else:
            spec.declined = (
                frozenset(spec.declined - {substitute_id})
                if substitute_id not in _booked_ids(request)
                else spec.declined
            )
        ranking = selectors.pool_index_for([spec], substitute_ids=[substitute_id]).rank(spec, explain=True)
        reasons = ranking.excluded.get(substitute_id)
        if reasons:
            last_reasons = reasons
            continue
        chosen.append(slot)
    if not chosen and last_reasons:
        raise ValidationError(["Cette mission n'est plus possible pour cette personne :", *last_reasons])
    return chosen


def _booked_ids(request: ReplacementRequest) -> set[int]:
    return set(Assignment.objects.filter(request=request).values_list("substitute_id", flat=True))


def _book(*, offer_id: int, slot_ids: list[int] | None, actor, direct: bool = False) -> Offer:
    """Book an offer's substitute on the request's open shifts they may take. The request row, then its case
    row, are locked (SELECT … FOR UPDATE), so that of many concurrent acceptances exactly the headcount win;
    the others get `MissionUnavailableError`. When no shift is left open the case moves to « pourvue »."""
    try:
        with transaction.atomic():
            request_id = Offer.objects.filter(pk=offer_id).values_list("request_id", flat=True).get()
            request = _request_for_update(request_id)
            case = cases.case_locked(request)
            if case.state not in ACTIVE_REQUEST_STATES:
                raise MissionUnavailableError(FILLED_MESSAGE)
            offer = Offer.objects.select_for_update().get(pk=offer_id)
            if offer.status not in PENDING_OFFER_STATUSES:
                raise MissionUnavailableError("Cette proposition n'attend plus de réponse.")
            # One substitute cannot be booked twice at once by two requests filled concurrently.
            Substitute.objects.select_for_update().filter(pk=offer.substitute_id).get()
            slots = _bookable_slots(request, offer.substitute_id, _wanted_slots(offer, slot_ids), direct=direct)
            if not slots:
                raise MissionUnavailableError(FILLED_MESSAGE)
            now = timezone.now()
            Assignment.objects.bulk_create(
                [
                    Assignment(
                        substitute_id=offer.substitute_id,
                        request=request,
                        slot=slot,
                        starts_at=slot.starts_at,
                        ends_at=slot.ends_at,
                        created_at=now,
                    )
                    for slot in slots
                ]
            )
            offer.status = Offer.Status.ACCEPTED
            offer.answered_at = now
            offer.save(update_fields=["status", "answered_at"])
            offer.slots.set(slots)
            _event(request, "booked", actor, substitute=offer.substitute_id, slots=[s.pk for s in slots], direct=direct)
            remaining = selectors.open_slots(request)
            closed: list[int] = []
            if not remaining:
                request.filled_at = now
                request.save(update_fields=["filled_at", "updated_at"])
                cases.transition(request=request, code="pourvoir", actor=actor)
                pending = request.offers.filter(status__in=PENDING_OFFER_STATUSES)
                closed = list(pending.values_list("pk", flat=True))
                pending.update(status=Offer.Status.FILLED_BY_OTHER)
            else:
                # Pending offers none of whose shifts is still open are over for their holders.
                open_ids = {s.pk for s in remaining}
                for other in request.offers.filter(status__in=PENDING_OFFER_STATUSES).prefetch_related("slots"):
                    offered = {s.pk for s in other.slots.all()}
                    if offered and not offered & open_ids:
                        closed.append(other.pk)
                Offer.objects.filter(pk__in=closed).update(status=Offer.Status.FILLED_BY_OTHER)
            tasks = _tasks()
            tasks.mission_booked_notify.enqueue_on_commit(request.pk, offer.pk, closed)
            return offer
    except ConcurrentTransition:
        raise MissionUnavailableError(FILLED_MESSAGE) from None


@transaction.atomic
def request_release(*, request: ReplacementRequest, substitute: Substitute, actor, reason: str = "") -> int:
    """Free a person's coming shifts on a request (a coordinator, the structure, or a deactivation): the
    shifts are offered again and the person is told. Returns how many shifts were freed."""
    if actor is not None and not selectors.is_coordinator(actor):
        _require_structure(actor, request.structure)
    request = _request_for_update(request.pk)
    case = cases.case_locked(request)
    if case.state not in (*ACTIVE_REQUEST_STATES, RequestState.FILLED):
        raise ValidationError("Les affectations de cette demande ne changent plus.")
    released = list(
        Assignment.objects.filter(request=request, substitute=substitute, starts_at__gt=timezone.now()).values_list(
            "slot_id", flat=True
        )
    )
    if not released:
        raise ValidationError("Cette personne n'a pas de créneau à venir sur cette demande.")
    Assignment.objects.filter(request=request, substitute=substitute, slot_id__in=released).delete()
    Offer.objects.filter(request=request, substitute=substitute).update(status=Offer.Status.WITHDRAWN)
    request.calendar_sequence += 1
    request.filled_at = None
    request.save(update_fields=["calendar_sequence", "filled_at", "updated_at"])
    _event(request, "released", actor, substitute=substitute.pk, slots=released, reason=reason)
    if case.state == RequestState.FILLED:
        try:
            cases.transition(request=request, code="liberer", actor=actor, comment=reason)
        except WorkflowError as exc:
            raise _engine_errors(exc) from None
    tasks = _tasks()
    tasks.mission_released_notify.enqueue_on_commit(request.pk, substitute.pk, released)
    tasks.request_rescan.enqueue_on_commit(request.pk)
    return len(released)


def _withdraw_pending(request: ReplacementRequest) -> list[int]:
    pending = request.offers.filter(status__in=PENDING_OFFER_STATUSES)
    ids = list(pending.values_list("pk", flat=True))
    pending.update(status=Offer.Status.WITHDRAWN)
    return ids


@transaction.atomic
def request_cancel(*, request: ReplacementRequest, actor, reason: str = "") -> ReplacementRequest:
    """Cancel a request (open, offered or filled): bookings are released, everyone offered or booked is told."""
    if actor is not None and not selectors.is_coordinator(actor):
        _require_structure(actor, request.structure)
    request = _request_for_update(request.pk)
    case = cases.case_locked(request)
    if case.state not in (*ACTIVE_REQUEST_STATES, RequestState.FILLED):
        raise ValidationError("Cette demande ne peut plus être annulée.")
    if request.last_slot_end is not None and request.last_slot_end <= timezone.now():
        raise ValidationError("La mission a eu lieu : elle ne peut plus être annulée (ses heures restent à valider).")
    if not reason.strip():
        raise ValidationError({"reason": "Indiquez le motif de l'annulation."})
    try:
        cases.transition(request=request, code="annuler", actor=actor, comment=reason)
    except WorkflowError as exc:
        raise _engine_errors(exc) from None
    _cancel_effects(request, actor=actor, reason=reason)
    return request


def _cancel_effects(request: ReplacementRequest, *, actor, reason: str) -> None:
    booked = list(Assignment.objects.filter(request=request).values_list("substitute_id", flat=True).distinct())
    offer_ids = _withdraw_pending(request)
    Assignment.objects.filter(request=request).delete()
    request.calendar_sequence += 1
    request.save(update_fields=["calendar_sequence", "updated_at"])
    _event(request, "cancelled", actor, reason=reason, booked=booked)
    _tasks().mission_cancelled_notify.enqueue_on_commit(request.pk, offer_ids, booked)


@transaction.atomic
def request_unfilled(*, request: ReplacementRequest, actor) -> ReplacementRequest:
    """Record that nobody could be found (coordinators): the structure and the coordinators are told."""
    _require_coordinator(actor)
    request = _request_for_update(request.pk)
    case = cases.case_locked(request)
    if case.state not in ACTIVE_REQUEST_STATES:
        raise ValidationError("Cette demande n'est plus en recherche.")
    try:
        cases.transition(request=request, code="constater_non_pourvue", actor=actor)
    except WorkflowError as exc:
        raise _engine_errors(exc) from None
    _unfilled_effects(request, actor=actor)
    return request


def _unfilled_effects(request: ReplacementRequest, *, actor) -> None:
    _withdraw_pending(request)
    _event(request, "unfilled", actor)
    if request.unfilled_notified_at is None:
        request.unfilled_notified_at = timezone.now()
        request.save(update_fields=["unfilled_notified_at", "updated_at"])
        _tasks().request_unfilled_notify.enqueue_on_commit(request.pk)


def requests_expire(*, now: dt.datetime | None = None) -> int:
    """Requests with no shift left to fill in the future are settled: unfilled when nobody was booked, filled
    (in part) otherwise, the structure told of the shifts without anyone. Returns how many."""
    now = now or timezone.now()
    count = 0
    candidates = ReplacementRequest.objects.filter(case__state__in=ACTIVE_REQUEST_STATES, first_slot_start__lte=now)
    for request_id in candidates.values_list("pk", flat=True):
        with transaction.atomic():
            request = ReplacementRequest.objects.select_for_update(skip_locked=True).filter(pk=request_id).first()
            if request is None:
                continue
            case = cases.case_locked(request)
            if case.state not in ACTIVE_REQUEST_STATES or selectors.open_slots(request, now=now):
                continue
            missing = selectors.open_slots(request, include_past=True)
            if not Assignment.objects.filter(request=request).exists():
                cases.transition(request=request, code="constater_non_pourvue", actor=None)
                _unfilled_effects(request, actor=None)
            else:
                labels = "; ".join(cases.slot_label(s.starts_at, s.ends_at) for s in missing)
                request.filled_at = request.filled_at or now
                request.save(update_fields=["filled_at", "updated_at"])
                cases.transition(
                    request=request,
                    code="pourvoir",
                    actor=None,
                    comment=f"Pourvue en partie : créneaux sans remplaçant·e : {labels}." if missing else "",
                )
                _withdraw_pending(request)
                if missing and request.unfilled_notified_at is None:
                    request.unfilled_notified_at = now
                    request.save(update_fields=["unfilled_notified_at", "updated_at"])
                    _tasks().request_unfilled_notify.enqueue_on_commit(request.pk)
            count += 1
    return count


# --- After the mission --------------------------------------------------------------------------------------
def _timesheet_lines_parse(
    lines: list[Mapping[str, Any]], slots: dict[int, RequestSlot]
) -> tuple[list[TimesheetLine], list[str]]:
    zone = local_zone()
    errors: list[str] = []
    parsed: list[TimesheetLine] = []
    seen: set[int] = set()
    for n, line in enumerate(lines, start=1):
        try:
            slot = slots.get(int(line.get("slot", 0) or 0))
        except (TypeError, ValueError):
            slot = None
        if slot is None or slot.pk in seen:
            errors.append(f"Ligne {n} : créneau inconnu pour cette mission, ou déclaré deux fois.")
            continue
        seen.add(slot.pk)
        label = cases.slot_label(slot.starts_at, slot.ends_at)
        try:
            start = _time(line["start"], f"Le {label}")
            end = _time(line["end"], f"Le {label}")
            pause = int(line.get("break_minutes") or 0)
        except (KeyError, TypeError, ValueError):
            errors.append(f"Le {label} : heures d'arrivée et de départ attendues.")
            continue
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        day = slot.starts_at.astimezone(zone).date()
        started, ended = dt.datetime.combine(day, start, zone), dt.datetime.combine(day, end, zone)
        if ended <= started:
            errors.append(f"Le {label} : le départ ({_fmt_time(end)}) doit suivre l'arrivée ({_fmt_time(start)}).")
        elif pause < 0 or pause * 60 >= (ended - started).total_seconds():
            errors.append(f"Le {label} : pause impossible ({pause} min).")
        elif started > timezone.now():
            errors.append(f"Le {label} : l'arrivée est dans le futur.")
        else:
            parsed.append(TimesheetLine(slot=slot, started_at=started, ended_at=ended, break_minutes=pause))
    if not parsed and not errors:
        errors.append("Déclarez au moins un créneau travaillé.")
    return parsed, errors


def _settle_hours(request: ReplacementRequest, case: Case, *, actor) -> None:
    """Move the case when the timesheets say so: all declared → « réalisée », all validated → « heures
    validées »."""
    if case.state == RequestState.FILLED and selectors.timesheets_complete(
        request, statuses=("submitted", "validated")
    ):
        cases.transition(request=request, code="declarer_heures", actor=actor)
        case.refresh_from_db()
    if case.state == RequestState.DONE and selectors.timesheets_complete(request, statuses=("validated",)):
        cases.transition(request=request, code="valider_heures", actor=actor)


@transaction.atomic
def timesheet_submit(
    *, request: ReplacementRequest, lines: list[Mapping[str, Any]], actor, comment: str = "", substitute=None
) -> Timesheet:
    """A substitute declares the hours done on their shifts of a mission (`{"slot": id, "start", "end",
    "break_minutes"}`, local times to the minute on the shift's day). A timesheet sent back for correction is
    submitted again the same way. When everyone booked has declared, the case moves to « réalisée »."""
    substitute = substitute or selectors.substitute_of(actor)
    if substitute is None:
        raise PermissionDenied("Réservé aux remplaçant·es du vivier.")
    _require_self_or_coordinator(actor, substitute)
    request = _request_for_update(request.pk)
    case = cases.case_locked(request)
    slots = {s.pk: s for s in selectors.my_shifts(substitute, request)}
    if not slots:
        raise ValidationError("Vous n'avez pas de créneau sur cette mission.")
    if case.state not in (RequestState.OFFERED, RequestState.FILLED, RequestState.DONE):
        raise ValidationError("Les heures de cette mission ne peuvent plus être déclarées.")
    existing = Timesheet.objects.select_for_update().filter(request=request, substitute=substitute).first()
    if existing is not None and existing.status != Timesheet.Status.REJECTED:
        raise ValidationError("Les heures ont déjà été déclarées.")
    if timezone.now() < min(s.starts_at for s in slots.values()):
        raise ValidationError("La mission n'a pas encore commencé.")
    parsed, errors = _timesheet_lines_parse(lines, slots)
    if errors:
        raise ValidationError({"lines": errors})
    minutes = sum(line.minutes for line in parsed)
    hours = (Decimal(minutes) / Decimal(60)).quantize(Decimal("0.01"))
    now = timezone.now()
    if existing is not None:
        existing.lines.all().delete()
        sheet = existing
        sheet.status = Timesheet.Status.SUBMITTED
        sheet.minutes, sheet.hours, sheet.comment, sheet.submitted_at = minutes, hours, comment.strip(), now
        sheet.save()
    else:
        sheet = Timesheet.objects.create(
            request=request, substitute=substitute, minutes=minutes, hours=hours, comment=comment.strip(),
            submitted_at=now,
        )  # fmt: skip
    for line in parsed:
        line.timesheet = sheet
    TimesheetLine.objects.bulk_create(parsed)
    _event(request, "timesheet_submitted", actor, substitute=substitute.pk, hours=str(hours))
    try:
        _settle_hours(request, case, actor=actor)
    except WorkflowError as exc:
        raise _engine_errors(exc) from None
    _tasks().timesheet_submitted_notify.enqueue_on_commit(sheet.pk)
    return sheet


@transaction.atomic
def timesheet_review(*, timesheet: Timesheet, actor, approve: bool = True, comment: str = "") -> Timesheet:
    """The structure validates a person's hours, or sends them back for correction with a comment: the
    timesheet goes back to the person's list with the comment, and they are e-mailed."""
    request = _request_for_update(timesheet.request_id)
    _require_structure(actor, request.structure)
    case = cases.case_locked(request)
    timesheet = Timesheet.objects.select_for_update().get(pk=timesheet.pk)
    if timesheet.status != Timesheet.Status.SUBMITTED:
        raise ValidationError("Ce relevé n'attend pas de validation.")
    comment = (comment or "").strip()
    if not approve and not comment:
        raise ValidationError({"comment": "Expliquez ce qu'il faut corriger."})
    now = timezone.now()
    timesheet.status = Timesheet.Status.VALIDATED if approve else Timesheet.Status.REJECTED
    timesheet.reviewed_at = now
    timesheet.review_comment = comment
    timesheet.validated_at = now if approve else None
    timesheet.validated_by = actor if approve and cases.is_person(actor) else None
    timesheet.save()
    _event(
        request,
        "timesheet_validated" if approve else "timesheet_rejected",
        actor,
        substitute=timesheet.substitute_id,
        comment=comment,
    )
    try:
        if approve:
            _settle_hours(request, case, actor=actor)
        elif case.state == RequestState.DONE:
            cases.transition(request=request, code="renvoyer_heures", actor=actor, comment=comment)
    except WorkflowError as exc:
        raise _engine_errors(exc) from None
    if not approve:
        _tasks().timesheet_rejected_notify.enqueue_on_commit(timesheet.pk)
    return timesheet


def timesheet_validate(*, timesheet: Timesheet, actor, approve: bool = True, comment: str = "") -> Timesheet:
    return timesheet_review(timesheet=timesheet, actor=actor, approve=approve, comment=comment)


@transaction.atomic
def requests_bill(*, year: int, month: int, actor) -> int:
    """Mark the month's validated missions as billed (after the billing export). Returns how many."""
    _require_coordinator(actor)
    start, end = selectors.month_bounds(year, month)
    count = 0
    for request in ReplacementRequest.objects.select_for_update().filter(
        case__state=RequestState.TIMESHEET_VALIDATED, first_slot_start__gte=start, first_slot_start__lt=end
    ):
        cases.transition(request=request, code="facturer", actor=actor)
        _event(request, "billed", actor, month=f"{year}-{month:02d}")
        count += 1
    return count


@transaction.atomic
def request_bill(*, request: ReplacementRequest, actor) -> ReplacementRequest:
    _require_coordinator(actor)
    request = _request_for_update(request.pk)
    try:
        cases.transition(request=request, code="facturer", actor=actor)
    except WorkflowError as exc:
        raise _engine_errors(exc) from None
    _event(request, "billed", actor)
    return request


# --- A back-office transition reaches the request -----------------------------------------------------------
def request_reconcile(*, request: ReplacementRequest, event) -> None:  # noqa: PLR0912 (one branch per state)
    """After a transition of the request's case commits, bring the pole's rows to what the new state means.
    A transition the pole made itself finds everything in place; one taken in the back office gets its
    effects here (offers withdrawn, bookings released, timesheets validated or sent back, dispatch started)."""
    actor = event.actor if cases.is_person(event.actor) and event.actor.username != cases.ROBOT_USERNAME else None
    with transaction.atomic():
        request = _request_for_update(request.pk)
        case = cases.case_locked(request)
        state, before = case.state, event.from_state
        if state != event.to_state:  # the case moved again since: the later transition reconciles
            return
        if state == RequestState.OFFERED:
            if request.waves_sent == 0:
                _tasks().offer_wave_send.enqueue_on_commit(request.pk, 1)
            elif before == RequestState.FILLED and not selectors.open_slots(request):
                # « Remettre en recherche » in the back office: everyone booked is released.
                for substitute in selectors.booked_substitutes(request):
                    request_release(request=request, substitute=substitute, actor=None, reason=event.comment)
        elif state == RequestState.CANCELLED:
            if request.offers.filter(status__in=PENDING_OFFER_STATUSES).exists() or request.assignments.exists():
                _cancel_effects(request, actor=actor, reason=event.comment)
        elif state == RequestState.UNFILLED:
            _unfilled_effects(request, actor=actor)
        elif state == RequestState.FILLED and before == RequestState.DONE:
            if not request.timesheets.filter(status=Timesheet.Status.REJECTED).exists():
                # « Renvoyer les heures » in the back office: every submitted timesheet goes back.
                for sheet in request.timesheets.filter(status=Timesheet.Status.SUBMITTED):
                    sheet.status = Timesheet.Status.REJECTED
                    sheet.review_comment = event.comment
                    sheet.reviewed_at = timezone.now()
                    sheet.save(update_fields=["status", "review_comment", "reviewed_at"])
                    _tasks().timesheet_rejected_notify.enqueue_on_commit(sheet.pk)
        elif state == RequestState.TIMESHEET_VALIDATED:
            for sheet in request.timesheets.filter(status=Timesheet.Status.SUBMITTED):
                sheet.status = Timesheet.Status.VALIDATED
                sheet.validated_at = sheet.reviewed_at = timezone.now()
                sheet.validated_by = actor
                sheet.save(update_fields=["status", "validated_at", "reviewed_at", "validated_by"])
        if state == RequestState.FILLED and request.filled_at is None:
            request.filled_at = case.state_entered_at
            request.save(update_fields=["filled_at", "updated_at"])
            _withdraw_pending(request)


# --- Joining the pool (a `remplacement-candidature` case) ---------------------------------------------------
APPLICATION_DOCUMENTS = (
    ("diploma_file", SubstituteDocument.Kind.DIPLOMA, "qualification", None),
    ("other_diploma_file", SubstituteDocument.Kind.DIPLOMA, "other_qualification", None),
    ("criminal_record_file", SubstituteDocument.Kind.CRIMINAL_RECORD, None, "criminal_record_issued_on"),
    ("vaccination_file", SubstituteDocument.Kind.VACCINATIONS, None, None),
)
CRIMINAL_RECORD_VALIDITY_DAYS = 90


def _stored_file_open(value: Mapping[str, Any]):
    """A file a case form stored, opened through the storage API (never a path on disk)."""
    from tenants.storage import stored_file_open

    return stored_file_open(value)


@transaction.atomic
def substitute_from_application(*, case: Case, actor) -> Substitute:
    """Create (or reactivate) the substitute of an accepted application: the account (created when needed),
    the record (commune, diplomas, limits, preferences) and the application's files copied onto it as
    documents (diplomas, criminal-record extract valid 3 months from its date, vaccinations). Idempotent."""
    from django.contrib.auth import get_user_model
    from django.core.files.base import File

    from core.services.users import user_create

    existing = Substitute.objects.filter(application=case).first()
    if existing is not None:
        return existing
    data = case.data or {}
    email = str(data.get("email", "")).strip().lower()
    user = get_user_model().objects.filter(username=email).first()
    if user is None:
        user = user_create(
            email=email,
            first_name=str(data.get("first_name", "")),
            last_name=str(data.get("last_name", "")),
            send_welcome=False,
        )
    if not user.has_usable_password():
        # The person sets their password from the invitation's link (the account exists already, so the
        # pool's record can point to it; accepting the invitation completes it).
        from core.services.accounts import invitation_create

        invitation_create(
            email=email, roles=[SUBSTITUTE_ROLE], first_name=user.first_name, last_name=user.last_name, actor=actor
        )
    substitute = Substitute.objects.filter(user=user).first()
    codes = [c for c in (data.get("qualification"), data.get("other_qualification")) if c]
    if substitute is not None:
        substitute.is_active = True
        substitute.application = case
        substitute.save(update_fields=["is_active", "application", "updated_at"])
        for quals in _qualifications_or_error(codes):
            SubstituteQualification.objects.get_or_create(substitute=substitute, qualification=quals)
    else:
        substitute = substitute_create(
            user=user,
            home_commune_insee=getattr(
                cases.application_commune(data), "code", str(data.get("home_commune_insee", ""))
            ),
            qualifications=codes,
            max_distance_km=int(data.get("max_distance_km") or 25),
            max_hours_week=int(data.get("max_hours_week") or 35),
            max_hours_month=int(data.get("max_hours_month") or 151),
            phone=str(data.get("phone", "")),
            preferred_age_groups=list(data.get("preferred_age_groups") or []),
            application=case,
            actor=None,
        )
    qualifications = {q.code: q for q in Qualification.objects.filter(code__in=codes)}
    now = timezone.now()
    verifier = actor if cases.is_person(actor) else None
    for field_code, kind, qualification_field, issued_field in APPLICATION_DOCUMENTS:
        value = data.get(field_code)
        if not isinstance(value, Mapping) or not value.get("path"):
            continue
        issued = cases._date(data.get(issued_field)) if issued_field else None
        expires = issued + dt.timedelta(days=CRIMINAL_RECORD_VALIDITY_DAYS) if issued else None
        document = SubstituteDocument(
            substitute=substitute,
            kind=kind,
            qualification=qualifications.get(str(data.get(qualification_field))) if qualification_field else None,
            original_name=str(value.get("name") or "document")[:200],
            issued_on=issued,
            expires_on=expires,
            verified_at=now,  # the coordinator checked the application's files before accepting it
            verified_by=verifier,
        )
        with _stored_file_open(value) as handle:
            document.file.save(document.original_name, File(handle), save=False)
        document.save()
    _pool_changed(substitute)
    return substitute
