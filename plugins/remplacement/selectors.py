"""Reads of the remplacement pole: settings, the staffing of a request, the pool as the matching engine loads
it, lists for the portals and the pool screens, the monthly hours for payroll and billing, the pilotage
figures."""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format

from core.models import Structure, StructureMembership
from core.roles import COORDINATION_ROLES, user_roles
from plugins.remplacement.communes import commune_get
from plugins.remplacement.matching import (
    MatchingParams,
    PoolData,
    PoolIndex,
    Ranking,
    RequestSpec,
    SlotSpec,
    SubstituteRow,
    horizon_of,
    local_zone,
)
from plugins.remplacement.models import (
    ACTIVE_REQUEST_STATES,
    PENDING_OFFER_STATUSES,
    Assignment,
    AvailabilityException,
    AvailabilityRule,
    Offer,
    Qualification,
    ReplacementRequest,
    RequestSlot,
    RequestState,
    StructurePreference,
    Substitute,
    SubstituteDocument,
    Timesheet,
)
from plugins.remplacement.staffing import Staffing, StaffingRules, staffing_compute
from tenants.models import TerritoryPole

POLE = "remplacement"
COORDINATOR_ROLES = COORDINATION_ROLES


# --- Settings and people ------------------------------------------------------------------------------------
def pole_settings(territory=None) -> dict:
    """The pole's settings in the territory: the pole's defaults overridden by `TerritoryPole.settings`."""
    territory = territory if territory is not None else getattr(connection, "tenant", None)
    values = dict(apps.get_app_config(POLE).default_settings)
    if territory is not None and getattr(territory, "pk", None):
        row = TerritoryPole.objects.filter(territory_id=territory.pk, pole=POLE).only("settings").first()
        if row is not None:
            values.update(row.settings or {})
    return values


def is_coordinator(user) -> bool:
    return bool(user_roles(user) & COORDINATOR_ROLES)


def structures_of(user) -> QuerySet[Structure]:
    """The structures a user acts for (every active one for a coordinator)."""
    if is_coordinator(user):
        return Structure.objects.filter(is_active=True)
    if not getattr(user, "is_authenticated", False):
        return Structure.objects.none()
    return Structure.objects.filter(
        pk__in=StructureMembership.objects.filter(user=user).values("structure_id"), is_active=True
    )


def substitute_of(user) -> Substitute | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Substitute.objects.filter(user=user).first()


# --- Qualifications and staffing ----------------------------------------------------------------------------
def qualification_graph() -> tuple[dict[int, set[int]], dict[int, str], set[int]]:
    """Which qualification may replace which (ids), their labels, and the ids of the most qualified."""
    satisfies: dict[int, set[int]] = defaultdict(set)
    labels = {}
    qualified = set()
    for q in Qualification.objects.prefetch_related("satisfies"):
        labels[q.pk] = q.label
        satisfies[q.pk] = {q.pk} | {other.pk for other in q.satisfies.all()}
        if q.is_qualified_staff:
            qualified.add(q.pk)
    return dict(satisfies), labels, qualified


def staffing_rules() -> StaffingRules:
    return StaffingRules.from_settings(pole_settings())


def qualification_suggested(*, qualified: bool) -> Qualification | None:
    """The qualification a gap calls for: the lowest diploma among the most qualified when they are missing
    (the one the most others may replace), the lowest of all otherwise."""
    qs = Qualification.objects.annotate(replaced_by=Count("satisfied_by"))
    if qualified:
        qs = qs.filter(is_qualified_staff=True)
    return qs.order_by("-replaced_by", "-order").first()


def staffing_of(
    *,
    structure: Structure | None,
    ratio_mode: str,
    children_not_walking: int,
    children_walking: int,
    staff_present: list[dict],
    rules: StaffingRules | None = None,
    qualified_codes: set[str] | None = None,
) -> Staffing:
    if qualified_codes is None:
        qualified_codes = set(Qualification.objects.filter(is_qualified_staff=True).values_list("code", flat=True))
    return staffing_compute(
        rules=rules or staffing_rules(),
        places=structure.places if structure is not None else 0,
        ratio_mode=ratio_mode,
        children_not_walking=children_not_walking,
        children_walking=children_walking,
        staff_present={item["qualification"]: int(item["count"]) for item in staff_present or []},
        qualified_codes=qualified_codes,
    )


def request_staffing(request: ReplacementRequest) -> Staffing:
    return staffing_of(
        structure=request.structure,
        ratio_mode=request.ratio_mode,
        children_not_walking=request.children_not_walking,
        children_walking=request.children_walking,
        staff_present=request.staff_present,
    )


def qualified_only(request: ReplacementRequest, staffing: Staffing) -> bool:
    """The staffing calls for the most qualified while the request names a lower diploma: matching then
    asks only the most qualified."""
    return staffing.missing_qualified > 0 and not request.qualification.is_qualified_staff


# --- Shifts, bookings, timesheets of a request -------------------------------------------------------------
def slot_bookings(request: ReplacementRequest) -> dict[int, list[Assignment]]:
    booked: dict[int, list[Assignment]] = defaultdict(list)
    for assignment in Assignment.objects.filter(request=request).select_related("substitute__user"):
        booked[assignment.slot_id].append(assignment)
    return booked


def open_slots(
    request: ReplacementRequest, *, include_past: bool = False, now: dt.datetime | None = None
) -> list[RequestSlot]:
    """The shifts still short of people (those that have not started, unless `include_past`)."""
    slots = RequestSlot.objects.filter(request=request).annotate(booked=Count("assignments")).order_by("starts_at")
    now = now or timezone.now()
    return [s for s in slots if s.booked < request.headcount and (include_past or s.starts_at > now)]


def booked_substitutes(request: ReplacementRequest) -> list[Substitute]:
    ids = Assignment.objects.filter(request=request).values("substitute_id")
    return list(Substitute.objects.filter(pk__in=ids).select_related("user").order_by("user__last_name"))


def timesheets_complete(request: ReplacementRequest, *, statuses: tuple[str, ...]) -> bool:
    """Every person booked on the request has a timesheet in one of `statuses`."""
    people = set(Assignment.objects.filter(request=request).values_list("substitute_id", flat=True))
    if not people:
        return False
    sheets = dict(Timesheet.objects.filter(request=request).values_list("substitute_id", "status"))
    return all(sheets.get(person) in statuses for person in people)


# --- Matching -----------------------------------------------------------------------------------------------
def pool_data_load(*, first_day: dt.date, last_day: dt.date, substitute_ids: list[int] | None = None) -> PoolData:
    """Load the pool in a handful of queries (one per table), for the days given."""
    subs = Substitute.objects.all()
    if substitute_ids is not None:
        subs = subs.filter(pk__in=substitute_ids)
    diplomas: dict[int, list[int]] = defaultdict(list)
    prefs: dict[int, list[int]] = defaultdict(list)
    through_q = Substitute.qualifications.through.objects.all()
    through_p = Substitute.preferred_structures.through.objects.all()
    if substitute_ids is not None:
        through_q = through_q.filter(substitute_id__in=substitute_ids)
        through_p = through_p.filter(substitute_id__in=substitute_ids)
    for sub_id, q_id in through_q.values_list("substitute_id", "qualification_id"):
        diplomas[sub_id].append(q_id)
    for sub_id, s_id in through_p.values_list("substitute_id", "structure_id"):
        prefs[sub_id].append(s_id)
    rows = [
        SubstituteRow(
            id=pk,
            name=f"{first} {last}".strip() or email,
            is_active=active,
            latitude=lat,
            longitude=lon,
            max_distance_km=km,
            max_hours_week=week,
            max_hours_month=month,
            qualification_ids=diplomas.get(pk, []),
            preferred_structure_ids=prefs.get(pk, []),
            preferred_age_groups=ages,
        )
        for pk, first, last, email, active, lat, lon, km, week, month, ages in subs.values_list(
            "pk",
            "user__first_name",
            "user__last_name",
            "user__email",
            "is_active",
            "home_latitude",
            "home_longitude",
            "max_distance_km",
            "max_hours_week",
            "max_hours_month",
            "preferred_age_groups",
        )
    ]
    settings = pole_settings()
    verified_only = bool(settings.get("require_verified_documents", True))
    for required, kind, attribute, label in (
        ("require_criminal_record", SubstituteDocument.Kind.CRIMINAL_RECORD, "record_valid_until", "record"),
        ("require_vaccinations", SubstituteDocument.Kind.VACCINATIONS, "vaccinations_valid_until", "vaccinations"),
    ):
        if not settings.get(required, True):
            continue
        valid_until, unverified = _document_valid_until(kind, substitute_ids, verified_only=verified_only)
        for row in rows:
            setattr(row, attribute, valid_until.get(row.id, dt.date.min))
            if row.id in unverified:
                row.unverified = row.unverified | {label}
    rules = AvailabilityRule.objects.all()
    exceptions = AvailabilityException.objects.filter(
        date__gte=first_day - dt.timedelta(days=1), date__lte=last_day + dt.timedelta(days=1)
    )
    # Hour limits need every booking of the weeks and months the horizon touches.
    zone = local_zone()
    span_start = min(first_day.replace(day=1), first_day - dt.timedelta(days=first_day.weekday()))
    last_month_day = last_day.replace(day=calendar.monthrange(last_day.year, last_day.month)[1])
    span_end = max(last_month_day, last_day + dt.timedelta(days=6 - last_day.weekday())) + dt.timedelta(days=1)
    assignments = Assignment.objects.filter(
        starts_at__gte=dt.datetime.combine(span_start, dt.time(0), zone),
        starts_at__lt=dt.datetime.combine(span_end, dt.time(0), zone),
    )
    if substitute_ids is not None:
        rules = rules.filter(substitute_id__in=substitute_ids)
        exceptions = exceptions.filter(substitute_id__in=substitute_ids)
        assignments = assignments.filter(substitute_id__in=substitute_ids)
    satisfies, labels, qualified = qualification_graph()
    return PoolData(
        substitutes=rows,
        rules=list(rules.values_list("substitute_id", "weekday", "start_time", "end_time")),
        exceptions=list(exceptions.values_list("substitute_id", "date", "kind", "start_time", "end_time")),
        assignments=list(assignments.values_list("substitute_id", "starts_at", "ends_at")),
        satisfies=satisfies,
        qualification_labels=labels,
        qualified=qualified,
    )


def _document_valid_until(
    kind: str, substitute_ids: list[int] | None, *, verified_only: bool
) -> tuple[dict[int, dt.date], set[int]]:
    """The last day each substitute's document of `kind` (criminal-record extract, vaccinations) is valid —
    the one valid longest; one without an expiry date never ends — by substitute id, counting only the
    documents a coordinator verified when `verified_only`; substitutes without one that counts are absent.
    Also the substitutes who hold such a document that does not count only because it is not verified."""
    documents = SubstituteDocument.objects.filter(kind=kind)
    if substitute_ids is not None:
        documents = documents.filter(substitute_id__in=substitute_ids)
    valid: dict[int, dt.date] = {}
    unverified: set[int] = set()
    for substitute_id, expires_on, verified_at in documents.values_list("substitute_id", "expires_on", "verified_at"):
        if verified_only and verified_at is None:
            unverified.add(substitute_id)
            continue
        until = expires_on or dt.date.max
        valid[substitute_id] = max(valid.get(substitute_id, dt.date.min), until)
    return valid, unverified


def structure_coordinates(structure: Structure) -> tuple[float, float] | None:
    commune = commune_get(structure.commune_insee)
    return (commune.latitude, commune.longitude) if commune else None


def structure_preferences(structure_id: int) -> tuple[frozenset[int], frozenset[int]]:
    """The structure's favourites and exclusions (substitute ids)."""
    favourites, excluded = set(), set()
    for substitute_id, kind in StructurePreference.objects.filter(structure_id=structure_id).values_list(
        "substitute_id", "kind"
    ):
        (favourites if kind == StructurePreference.Kind.FAVOURITE else excluded).add(substitute_id)
    return frozenset(favourites), frozenset(excluded)


def request_spec(request: ReplacementRequest, *, slots: list[RequestSlot] | None = None) -> RequestSpec | None:
    """What matching needs of a request: its open shifts (or `slots`), the people who declined or already
    hold one of its shifts, the structure's favourites and exclusions, and the staffing's demand. None when
    no shift is open."""
    zone = local_zone()
    slots = open_slots(request) if slots is None else slots
    if not slots:
        return None
    coordinates = structure_coordinates(request.structure)
    if coordinates is None:
        raise ValueError(f"structure {request.structure_id} has no known commune")
    declined = set(request.offers.filter(status=Offer.Status.DECLINED).values_list("substitute_id", flat=True))
    # Someone already booked on this request is not offered its other shifts again through matching (the
    # structure may still book them directly).
    declined |= set(Assignment.objects.filter(request=request).values_list("substitute_id", flat=True))
    favourites, excluded = structure_preferences(request.structure_id)
    return RequestSpec(
        request_id=request.pk,
        structure_id=request.structure_id,
        latitude=coordinates[0],
        longitude=coordinates[1],
        qualification_id=request.qualification_id,
        age_group=request.age_group,
        slots=[SlotSpec(s.starts_at.astimezone(zone), s.ends_at.astimezone(zone), s.pk) for s in slots],
        declined=frozenset(declined),
        excluded=excluded,
        favourites=favourites,
        allow_split=request.allow_split and len(slots) > 1,
        qualified_only=qualified_only(request, request_staffing(request)),
    )


def pool_index_for(specs: list[RequestSpec], *, substitute_ids: list[int] | None = None) -> PoolIndex:
    first_day, last_day = horizon_of(specs)
    data = pool_data_load(first_day=first_day, last_day=last_day, substitute_ids=substitute_ids)
    return PoolIndex(data, first_day, last_day, MatchingParams.from_settings(pole_settings()))


@dataclass
class RequestRanking:
    """A request's ranking with the shifts it was computed for (`ranking.slot_ok` columns)."""

    spec: RequestSpec | None
    ranking: Ranking

    @property
    def candidates(self):
        return self.ranking.candidates

    @property
    def excluded(self) -> dict[int, list[str]]:
        return self.ranking.excluded

    def slot_ids_of(self, substitute_id: int) -> list[int]:
        if self.spec is None:
            return []
        for candidate in self.ranking.candidates:
            if candidate.substitute_id == substitute_id:
                return [self.spec.slots[k].slot_id for k in candidate.slot_indexes]
        return []


def _empty_ranking(request_id) -> Ranking:
    import numpy as np

    empty = np.zeros(0)
    return Ranking(request_id, ids=np.zeros(0, dtype=np.int64), scores=empty, distances=empty, hours=empty,
                   preferred=np.zeros(0, dtype=bool))  # fmt: skip


def request_ranking(
    request: ReplacementRequest, *, explain: bool = True, substitute_ids: list[int] | None = None
) -> RequestRanking:
    """The ranked eligible substitutes of a request's open shifts, and why each other one is excluded."""
    spec = request_spec(request)
    if spec is None:
        return RequestRanking(None, _empty_ranking(request.pk))
    return RequestRanking(spec, pool_index_for([spec], substitute_ids=substitute_ids).rank(spec, explain=explain))


def request_specs_load(requests: QuerySet[ReplacementRequest]) -> list[RequestSpec]:
    """The specs of many requests' open shifts in a few queries of plain values (requests, shifts and their
    bookings, declined offers, structures' preferences), with each request's staffing computed."""
    zone = local_zone()
    now = timezone.now()
    rows = list(
        requests.values_list(
            "pk", "structure_id", "structure__commune_insee", "structure__places", "qualification_id",
            "qualification__is_qualified_staff", "age_group", "headcount", "allow_split", "ratio_mode",
            "children_not_walking", "children_walking", "staff_present",
        )
    )  # fmt: skip
    ids = [row[0] for row in rows]
    slots: dict[int, list[SlotSpec]] = defaultdict(list)
    booked = dict(
        Assignment.objects.filter(request_id__in=ids)
        .values("slot_id")
        .annotate(n=Count("pk"))
        .values_list("slot_id", "n")
    )
    for slot_id, request_id, start, end in (
        RequestSlot.objects.filter(request_id__in=ids, starts_at__gt=now)
        .order_by("starts_at")
        .values_list("pk", "request_id", "starts_at", "ends_at")
    ):
        slots[request_id].append((slot_id, SlotSpec(start.astimezone(zone), end.astimezone(zone), slot_id)))
    declined: dict[int, set[int]] = defaultdict(set)
    for request_id, substitute_id in Offer.objects.filter(request_id__in=ids, status=Offer.Status.DECLINED).values_list(
        "request_id", "substitute_id"
    ):
        declined[request_id].add(substitute_id)
    for request_id, substitute_id in Assignment.objects.filter(request_id__in=ids).values_list(
        "request_id", "substitute_id"
    ):
        declined[request_id].add(substitute_id)
    preferences: dict[int, tuple[set[int], set[int]]] = defaultdict(lambda: (set(), set()))
    structure_ids = {row[1] for row in rows}
    for structure_id, substitute_id, kind in StructurePreference.objects.filter(
        structure_id__in=structure_ids
    ).values_list("structure_id", "substitute_id", "kind"):
        preferences[structure_id][0 if kind == StructurePreference.Kind.FAVOURITE else 1].add(substitute_id)
    rules = staffing_rules()
    qualified_codes = set(Qualification.objects.filter(is_qualified_staff=True).values_list("code", flat=True))
    specs = []
    for (
        pk, structure_id, insee, places, qualification_id, is_qualified, age_group, headcount, allow_split,
        ratio_mode, not_walking, walking, staff,
    ) in rows:  # fmt: skip
        commune = commune_get(insee)
        open_ = [spec for slot_id, spec in slots.get(pk, []) if booked.get(slot_id, 0) < headcount]
        if commune is None or not open_:
            continue
        staffing = staffing_compute(
            rules=rules,
            places=places or 0,
            ratio_mode=ratio_mode,
            children_not_walking=not_walking,
            children_walking=walking,
            staff_present={item["qualification"]: int(item["count"]) for item in staff or []},
            qualified_codes=qualified_codes,
        )
        favourites, excluded = preferences.get(structure_id, (set(), set()))
        specs.append(
            RequestSpec(
                request_id=pk,
                structure_id=structure_id,
                latitude=commune.latitude,
                longitude=commune.longitude,
                qualification_id=qualification_id,
                age_group=age_group,
                slots=open_,
                declined=frozenset(declined.get(pk, ())),
                excluded=frozenset(excluded),
                favourites=frozenset(favourites),
                allow_split=allow_split and len(open_) > 1,
                qualified_only=staffing.missing_qualified > 0 and not is_qualified,
            )
        )
    return specs


def active_requests() -> QuerySet[ReplacementRequest]:
    return ReplacementRequest.objects.filter(case__state__in=ACTIVE_REQUEST_STATES)


def requests_rank_all(requests: QuerySet[ReplacementRequest]) -> dict[int, Ranking]:
    """Rank many requests on one index (the board and the benchmark)."""
    specs = request_specs_load(requests)
    if not specs:
        return {}
    index = pool_index_for(specs)
    return {spec.request_id: index.rank(spec) for spec in specs}


# --- Lists for the portals and the API -----------------------------------------------------------------------
def request_list(*, user, states=None, since: dt.datetime | None = None) -> QuerySet[ReplacementRequest]:
    qs = ReplacementRequest.objects.select_related("case", "structure", "qualification").prefetch_related(
        "slots", Prefetch("assignments", queryset=Assignment.objects.select_related("substitute__user"))
    )
    if not is_coordinator(user):
        qs = qs.filter(structure__in=structures_of(user))
    if states:
        qs = qs.filter(case__state__in=states)
    if since is not None:
        qs = qs.filter(last_slot_end__gte=since)
    return qs.order_by("first_slot_start")


def board(*, days: int = 7) -> dict[str, list[ReplacementRequest]]:
    """Open, offered and filled requests of the coming days, for the coordinators' live board."""
    now = timezone.now()
    qs = (
        ReplacementRequest.objects.filter(
            case__state__in=[*ACTIVE_REQUEST_STATES, RequestState.FILLED],
            last_slot_end__gte=now,
            first_slot_start__lt=now + dt.timedelta(days=days),
        )
        .select_related("case", "structure", "qualification")
        .prefetch_related(
            "slots",
            Prefetch("offers", queryset=Offer.objects.only("request_id", "status")),
            Prefetch("assignments", queryset=Assignment.objects.select_related("substitute__user")),
        )
        .order_by("first_slot_start")
    )
    columns: dict[str, list[ReplacementRequest]] = {state: [] for state in ACTIVE_REQUEST_STATES}
    columns[RequestState.FILLED] = []
    for request in qs:
        columns[request.case.state].append(request)
    return columns


def offer_list_for(substitute: Substitute) -> QuerySet[Offer]:
    return (
        Offer.objects.filter(substitute=substitute)
        .select_related("request__structure", "request__qualification", "request__case")
        .prefetch_related("request__slots", "slots")
        .order_by("-sent_at")
    )


def missions_of(substitute: Substitute) -> QuerySet[ReplacementRequest]:
    """The requests this person holds at least one shift of."""
    return (
        ReplacementRequest.objects.filter(assignments__substitute=substitute)
        .distinct()
        .select_related("structure", "qualification", "case")
        .prefetch_related(Prefetch("assignments", queryset=Assignment.objects.filter(substitute=substitute)))
        .order_by("-first_slot_start")
    )


def my_shifts(substitute: Substitute, request: ReplacementRequest) -> list[RequestSlot]:
    return list(RequestSlot.objects.filter(request=request, assignments__substitute=substitute).order_by("starts_at"))


def timesheet_of(substitute: Substitute, request: ReplacementRequest) -> Timesheet | None:
    return Timesheet.objects.filter(request=request, substitute=substitute).prefetch_related("lines").first()


@dataclass
class MissionRow:
    """A mission of a substitute's list, with its shifts and the state of its timesheet."""

    request: ReplacementRequest
    shifts: list[RequestSlot]
    timesheet: Timesheet | None

    @property
    def started(self) -> bool:
        return bool(self.shifts) and self.shifts[0].starts_at <= timezone.now()

    @property
    def upcoming(self) -> bool:
        return bool(self.shifts) and self.shifts[-1].ends_at >= timezone.now()


def substitute_missions(substitute: Substitute) -> dict[str, list[MissionRow]]:
    """A substitute's missions: coming, hours to declare, hours sent back to correct (with the structure's
    comment), hours waiting for the structure, done."""
    sheets = {t.request_id: t for t in Timesheet.objects.filter(substitute=substitute).prefetch_related("lines")}
    shifts: dict[int, list[RequestSlot]] = defaultdict(list)
    for slot in RequestSlot.objects.filter(assignments__substitute=substitute).order_by("starts_at"):
        shifts[slot.request_id].append(slot)
    rows = [
        MissionRow(request=request, shifts=shifts[request.pk], timesheet=sheets.get(request.pk))
        for request in ReplacementRequest.objects.filter(pk__in=list(shifts)).select_related(
            "structure", "qualification", "case"
        )
    ]
    rows.sort(key=lambda r: r.shifts[0].starts_at)
    out: dict[str, list[MissionRow]] = {"upcoming": [], "to_declare": [], "to_fix": [], "waiting": [], "done": []}
    live = (RequestState.FILLED, RequestState.OFFERED, RequestState.OPEN, RequestState.DONE)
    for row in rows:
        sheet = row.timesheet
        if row.request.case.state == RequestState.CANCELLED:
            continue
        if sheet is not None and sheet.status == Timesheet.Status.REJECTED:
            out["to_fix"].append(row)
        elif sheet is not None and sheet.status == Timesheet.Status.SUBMITTED:
            out["waiting"].append(row)
        elif sheet is not None:
            out["done"].append(row)
        elif row.started and row.request.case.state in live:
            out["to_declare"].append(row)
        if row.upcoming and (sheet is None or sheet.status != Timesheet.Status.VALIDATED):
            out["upcoming"].append(row)
    out["done"].reverse()
    return out


# --- The pool, for coordinators -----------------------------------------------------------------------------
def pool_list(
    *,
    query: str = "",
    qualification: str = "",
    commune: str = "",
    active: str = "",
    documents: str = "",
) -> QuerySet[Substitute]:
    """The pool with its filters: a name or e-mail, a diploma held, a commune, active or not, documents
    (`expired`, `expiring` within 30 days, `unverified`, `missing` criminal-record extract)."""
    today = timezone.localdate()
    qs = Substitute.objects.select_related("user").prefetch_related("diplomas__qualification", "documents")
    if query:
        qs = qs.filter(
            Q(user__first_name__icontains=query) | Q(user__last_name__icontains=query) | Q(user__email__icontains=query)
        )
    if qualification:
        qs = qs.filter(diplomas__qualification__code=qualification)
    if commune:
        qs = qs.filter(Q(home_commune_name__icontains=commune) | Q(home_commune_insee=commune))
    if active in ("1", "0"):
        qs = qs.filter(is_active=active == "1")
    if documents == "expired":
        qs = qs.filter(documents__expires_on__lt=today)
    elif documents == "expiring":
        qs = qs.filter(documents__expires_on__gte=today, documents__expires_on__lte=today + dt.timedelta(days=30))
    elif documents == "unverified":
        qs = qs.filter(documents__verified_at__isnull=True)
    elif documents == "missing":
        qs = qs.exclude(documents__kind=SubstituteDocument.Kind.CRIMINAL_RECORD)
    return qs.distinct().order_by("user__last_name", "user__first_name")


@dataclass
class DocumentStatus:
    kind: str
    label: str
    document: SubstituteDocument | None
    state: str  # ok, expiring, expired, unverified, missing

    @property
    def state_label(self) -> str:
        return {
            "ok": "À jour",
            "expiring": "Expire bientôt",
            "expired": "Expiré",
            "unverified": "À vérifier",
            "missing": "Manquant",
        }[self.state]


REQUIRED_DOCUMENTS = (SubstituteDocument.Kind.CRIMINAL_RECORD, SubstituteDocument.Kind.VACCINATIONS)


def document_statuses(substitute: Substitute) -> list[DocumentStatus]:
    """The documents a childcare worker must show (criminal-record extract, vaccinations) and the diplomas,
    each with its latest file and whether it is valid, expiring within 30 days, expired or unverified."""
    today = timezone.localdate()
    latest: dict[tuple[str, int | None], SubstituteDocument] = {}
    for document in substitute.documents.order_by("uploaded_at"):
        latest[(document.kind, document.qualification_id)] = document
    out = []

    def status_of(document: SubstituteDocument | None) -> str:
        if document is None:
            return "missing"
        if document.expires_on is not None and document.expires_on < today:
            return "expired"
        if document.verified_at is None:
            return "unverified"
        if document.expires_on is not None and document.expires_on <= today + dt.timedelta(days=30):
            return "expiring"
        return "ok"

    for kind in REQUIRED_DOCUMENTS:
        document = next((d for (k, _q), d in latest.items() if k == kind), None)
        out.append(DocumentStatus(kind, SubstituteDocument.Kind(kind).label, document, status_of(document)))
    for diploma in substitute.diplomas.select_related("qualification"):
        document = latest.get((SubstituteDocument.Kind.DIPLOMA, diploma.qualification_id))
        out.append(
            DocumentStatus(
                SubstituteDocument.Kind.DIPLOMA,
                f"Diplôme : {diploma.qualification.label}",
                document,
                status_of(document),
            )
        )
    return out


def structures_met(substitute: Substitute) -> QuerySet[Structure]:
    return Structure.objects.filter(replacement_requests__assignments__substitute=substitute).distinct()


def people_of_structure(structure: Structure) -> QuerySet[Substitute]:
    """The substitutes a structure may see: those it booked and those who volunteered for its requests."""
    ids = set(Assignment.objects.filter(request__structure=structure).values_list("substitute_id", flat=True))
    ids |= set(
        Offer.objects.filter(
            request__structure=structure, status__in=[Offer.Status.VOLUNTEERED, Offer.Status.ACCEPTED]
        ).values_list("substitute_id", flat=True)
    )
    return Substitute.objects.filter(pk__in=ids).select_related("user")


def pending_offers(request: ReplacementRequest) -> QuerySet[Offer]:
    return request.offers.filter(status__in=PENDING_OFFER_STATUSES)


# --- Monthly hours ------------------------------------------------------------------------------------------
@dataclass
class HoursRow:
    key: str
    label: str
    missions: int
    hours: Decimal


@dataclass
class HoursLine:
    """One shift worked: the export's detail lines (one per mission and per shift)."""

    reference: str
    structure: str
    structure_key: str
    substitute: str
    substitute_email: str
    qualification: str
    planned_start: dt.datetime
    planned_end: dt.datetime
    started_at: dt.datetime
    ended_at: dt.datetime
    break_minutes: int
    minutes: int

    @property
    def hours(self) -> Decimal:
        return (Decimal(self.minutes) / Decimal(60)).quantize(Decimal("0.01"))


@dataclass
class MonthHours:
    lines: list[HoursLine] = field(default_factory=list)
    by_substitute: list[HoursRow] = field(default_factory=list)
    by_structure: list[HoursRow] = field(default_factory=list)


def month_bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    zone = local_zone()
    start = dt.datetime(year, month, 1, tzinfo=zone)
    end = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=zone)
    return start, end


def month_hours(*, year: int, month: int) -> MonthHours:
    """Validated hours of the month, shift by shift (a shift counts in the month it was worked), with the
    totals per substitute (payroll) and per structure (billing)."""
    start, end = month_bounds(year, month)
    zone = local_zone()
    from plugins.remplacement.models import TimesheetLine

    lines = (
        TimesheetLine.objects.filter(
            timesheet__status=Timesheet.Status.VALIDATED, started_at__gte=start, started_at__lt=end
        )
        .select_related(
            "slot", "timesheet__substitute__user", "timesheet__request__structure",
            "timesheet__request__case", "timesheet__request__qualification",
        )
        .order_by("started_at")
    )  # fmt: skip
    out = MonthHours()
    by_sub: dict[str, HoursRow] = {}
    by_structure: dict[str, HoursRow] = {}
    missions_sub: dict[str, set[int]] = defaultdict(set)
    missions_structure: dict[str, set[int]] = defaultdict(set)
    for line in lines:
        sheet = line.timesheet
        request = sheet.request
        structure = request.structure
        structure_key = structure.siret or f"structure-{structure.pk}"
        row = HoursLine(
            reference=request.case.reference,
            structure=structure.name,
            structure_key=structure_key,
            substitute=str(sheet.substitute),
            substitute_email=sheet.substitute.user.email,
            qualification=request.qualification.label,
            planned_start=line.slot.starts_at.astimezone(zone),
            planned_end=line.slot.ends_at.astimezone(zone),
            started_at=line.started_at.astimezone(zone),
            ended_at=line.ended_at.astimezone(zone),
            break_minutes=line.break_minutes,
            minutes=line.minutes,
        )
        out.lines.append(row)
        sub = by_sub.setdefault(row.substitute_email, HoursRow(row.substitute_email, row.substitute, 0, Decimal(0)))
        sub.hours += row.hours
        missions_sub[row.substitute_email].add(request.pk)
        total = by_structure.setdefault(structure_key, HoursRow(structure_key, structure.name, 0, Decimal(0)))
        total.hours += row.hours
        missions_structure[structure_key].add(request.pk)
    for key, row in by_sub.items():
        row.missions = len(missions_sub[key])
    for key, row in by_structure.items():
        row.missions = len(missions_structure[key])
    out.by_substitute = sorted(by_sub.values(), key=lambda r: r.label.lower())
    out.by_structure = sorted(by_structure.values(), key=lambda r: r.label.lower())
    return out


def monthly_hours(*, year: int, month: int, by: str) -> list[HoursRow]:
    hours = month_hours(year=year, month=month)
    return hours.by_substitute if by == "substitute" else hours.by_structure


# --- Pilotage -----------------------------------------------------------------------------------------------
@dataclass
class PilotageRow:
    key: str  # "2026-11" or a structure's name
    label: str
    requests: int = 0
    filled: int = 0
    unfilled: int = 0
    cancelled: int = 0
    fill_minutes: list[float] = field(default_factory=list)

    @property
    def fill_rate(self) -> float | None:
        decided = self.filled + self.unfilled
        return round(100 * self.filled / decided, 1) if decided else None

    @property
    def median_fill_minutes(self) -> float | None:
        if not self.fill_minutes:
            return None
        values = sorted(self.fill_minutes)
        middle = len(values) // 2
        return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


FILLED_STATES = (RequestState.FILLED, RequestState.DONE, RequestState.TIMESHEET_VALIDATED, RequestState.BILLED)


def pilotage(*, months: int = 12, today: dt.date | None = None) -> dict[str, list[PilotageRow]]:
    """Fill rate (filled over filled and unfilled), time to fill (median minutes from posting to the last
    shift booked) and unfilled requests, by month of the first shift and by structure, over `months` months."""
    today = today or timezone.localdate()
    first = (today.replace(day=1) - dt.timedelta(days=31 * (months - 1))).replace(day=1)
    start = dt.datetime.combine(first, dt.time(0), local_zone())
    rows = ReplacementRequest.objects.filter(first_slot_start__gte=start).values_list(
        "first_slot_start", "created_at", "filled_at", "case__state", "structure__name"
    )
    by_month: dict[str, PilotageRow] = {}
    by_structure: dict[str, PilotageRow] = {}
    cursor = first
    while cursor <= today.replace(day=1):
        key = f"{cursor:%Y-%m}"
        by_month[key] = PilotageRow(key=key, label=date_format(cursor, "F Y"))
        cursor = (cursor + dt.timedelta(days=32)).replace(day=1)
    zone = local_zone()
    for first_start, created, filled_at, state, structure in rows:
        key = f"{first_start.astimezone(zone):%Y-%m}"
        targets = [by_structure.setdefault(structure, PilotageRow(key=structure, label=structure))]
        if key in by_month:
            targets.append(by_month[key])
        for row in targets:
            row.requests += 1
            if state in FILLED_STATES:
                row.filled += 1
                if filled_at is not None:
                    row.fill_minutes.append(max((filled_at - created).total_seconds() / 60, 0))
            elif state == RequestState.UNFILLED:
                row.unfilled += 1
            elif state == RequestState.CANCELLED:
                row.cancelled += 1
    return {
        "months": list(by_month.values()),
        "structures": sorted(by_structure.values(), key=lambda r: (-r.unfilled, r.label.lower())),
    }
