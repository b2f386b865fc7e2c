"""Reads of the remplacement pole: settings, the pool as the matching engine loads it, lists for the portals,
the monthly hours for payroll and billing."""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps
from django.db import connection
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from core.models import Structure, StructureMembership
from core.roles import user_roles
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
    Assignment,
    AvailabilityException,
    AvailabilityRule,
    Offer,
    Qualification,
    ReplacementRequest,
    RequestSlot,
    RequestState,
    Substitute,
    Timesheet,
)
from tenants.models import TerritoryPole

POLE = "remplacement"
COORDINATOR_ROLES = {"platform_admin", "pole_coordinator"}


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


# --- Matching -----------------------------------------------------------------------------------------------
def qualification_graph() -> tuple[dict[int, set[int]], dict[int, str]]:
    satisfies: dict[int, set[int]] = defaultdict(set)
    labels = {}
    for q in Qualification.objects.prefetch_related("satisfies"):
        labels[q.pk] = q.label
        satisfies[q.pk] = {q.pk} | {other.pk for other in q.satisfies.all()}
    return dict(satisfies), labels


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
    satisfies, labels = qualification_graph()
    return PoolData(
        substitutes=rows,
        rules=list(rules.values_list("substitute_id", "weekday", "start_time", "end_time")),
        exceptions=list(exceptions.values_list("substitute_id", "date", "kind", "start_time", "end_time")),
        assignments=list(assignments.values_list("substitute_id", "starts_at", "ends_at")),
        satisfies=satisfies,
        qualification_labels=labels,
    )


def structure_coordinates(structure: Structure) -> tuple[float, float] | None:
    commune = commune_get(structure.commune_insee)
    return (commune.latitude, commune.longitude) if commune else None


def request_spec(request: ReplacementRequest) -> RequestSpec:
    zone = local_zone()
    coordinates = structure_coordinates(request.structure)
    if coordinates is None:
        raise ValueError(f"structure {request.structure_id} has no known commune")
    declined = frozenset(request.offers.filter(status=Offer.Status.DECLINED).values_list("substitute_id", flat=True))
    return RequestSpec(
        request_id=request.pk,
        structure_id=request.structure_id,
        latitude=coordinates[0],
        longitude=coordinates[1],
        qualification_id=request.qualification_id,
        age_group=request.age_group,
        slots=[SlotSpec(s.starts_at.astimezone(zone), s.ends_at.astimezone(zone)) for s in request.slots.all()],
        declined=declined,
    )


def pool_index_for(specs: list[RequestSpec], *, substitute_ids: list[int] | None = None) -> PoolIndex:
    first_day, last_day = horizon_of(specs)
    data = pool_data_load(first_day=first_day, last_day=last_day, substitute_ids=substitute_ids)
    return PoolIndex(data, first_day, last_day, MatchingParams.from_settings(pole_settings()))


def request_ranking(request: ReplacementRequest, *, explain: bool = True) -> Ranking:
    """The ranked eligible substitutes of one request, and why each other one is excluded."""
    spec = request_spec(request)
    return pool_index_for([spec]).rank(spec, explain=explain)


def request_specs_load(requests: QuerySet[ReplacementRequest]) -> list[RequestSpec]:
    """The specs of many requests in three queries of plain values (requests, slots, declined offers)."""
    zone = local_zone()
    rows = list(requests.values_list("pk", "structure_id", "structure__commune_insee", "qualification_id", "age_group"))
    ids = [row[0] for row in rows]
    slots: dict[int, list[SlotSpec]] = defaultdict(list)
    for request_id, start, end in (
        RequestSlot.objects.filter(request_id__in=ids)
        .order_by("starts_at")
        .values_list("request_id", "starts_at", "ends_at")
    ):
        slots[request_id].append(SlotSpec(start.astimezone(zone), end.astimezone(zone)))
    declined: dict[int, set[int]] = defaultdict(set)
    for request_id, substitute_id in Offer.objects.filter(request_id__in=ids, status=Offer.Status.DECLINED).values_list(
        "request_id", "substitute_id"
    ):
        declined[request_id].add(substitute_id)
    specs = []
    for pk, structure_id, insee, qualification_id, age_group in rows:
        commune = commune_get(insee)
        if commune is None or not slots.get(pk):
            continue
        specs.append(
            RequestSpec(
                request_id=pk,
                structure_id=structure_id,
                latitude=commune.latitude,
                longitude=commune.longitude,
                qualification_id=qualification_id,
                age_group=age_group,
                slots=slots[pk],
                declined=frozenset(declined.get(pk, ())),
            )
        )
    return specs


def requests_rank_all(requests: QuerySet[ReplacementRequest]) -> dict[int, Ranking]:
    """Rank many requests on one index (the board and the benchmark)."""
    specs = request_specs_load(requests)
    if not specs:
        return {}
    index = pool_index_for(specs)
    return {spec.request_id: index.rank(spec) for spec in specs}


# --- Lists for the portals and the API -----------------------------------------------------------------------
def request_list(*, user, states=None, since: dt.datetime | None = None) -> QuerySet[ReplacementRequest]:
    qs = ReplacementRequest.objects.select_related("structure", "qualification", "substitute__user").prefetch_related(
        "slots"
    )
    if not is_coordinator(user):
        qs = qs.filter(structure__in=structures_of(user))
    if states:
        qs = qs.filter(state__in=states)
    if since is not None:
        qs = qs.filter(last_slot_end__gte=since)
    return qs.order_by("first_slot_start")


def board(*, days: int = 7) -> dict[str, list[ReplacementRequest]]:
    """Open, offered and filled requests of the coming days, for the coordinators' live board."""
    now = timezone.now()
    qs = (
        ReplacementRequest.objects.filter(
            state__in=[*ACTIVE_REQUEST_STATES, RequestState.FILLED],
            last_slot_end__gte=now,
            first_slot_start__lt=now + dt.timedelta(days=days),
        )
        .select_related("structure", "qualification", "substitute__user")
        .prefetch_related("slots", Prefetch("offers", queryset=Offer.objects.only("request_id", "status")))
        .order_by("first_slot_start")
    )
    columns: dict[str, list[ReplacementRequest]] = {state: [] for state in ("open", "offered", "filled")}
    for request in qs:
        columns[request.state].append(request)
    return columns


def offer_list_for(substitute: Substitute) -> QuerySet[Offer]:
    return (
        Offer.objects.filter(substitute=substitute)
        .select_related("request__structure", "request__qualification")
        .prefetch_related("request__slots")
        .order_by("-sent_at")
    )


def missions_of(substitute: Substitute) -> QuerySet[ReplacementRequest]:
    return (
        ReplacementRequest.objects.filter(substitute=substitute)
        .select_related("structure", "qualification")
        .prefetch_related("slots")
        .order_by("-first_slot_start")
    )


# --- Monthly hours ------------------------------------------------------------------------------------------
@dataclass
class HoursRow:
    key: str
    label: str
    missions: int
    hours: Decimal


def month_bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    zone = local_zone()
    start = dt.datetime(year, month, 1, tzinfo=zone)
    end = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=zone)
    return start, end


def monthly_hours(*, year: int, month: int, by: str) -> list[HoursRow]:
    """Validated hours of the month, per substitute (`by="substitute"`, payroll) or per structure
    (`by="structure"`, billing). A mission counts in the month of its first slot."""
    start, end = month_bounds(year, month)
    timesheets = Timesheet.objects.filter(
        status=Timesheet.Status.VALIDATED, request__first_slot_start__gte=start, request__first_slot_start__lt=end
    ).select_related("substitute__user", "request__structure")
    rows: dict[str, HoursRow] = {}
    for sheet in timesheets:
        if by == "substitute":
            key = sheet.substitute.user.email
            label = str(sheet.substitute)
        else:
            structure = sheet.request.structure
            key = structure.siret or f"structure-{structure.pk}"
            label = structure.name
        row = rows.setdefault(key, HoursRow(key=key, label=label, missions=0, hours=Decimal("0")))
        row.missions += 1
        row.hours += sheet.hours
    return sorted(rows.values(), key=lambda r: r.label.lower())
