"""The matching engine: which substitutes may take a request, ranked, and why the others may not.

The pool is loaded once into a `PoolIndex` of numpy arrays for a horizon of days, at quarter-hour resolution:

- `avail_cum[t, i]`: how many available quarter-hours substitute i has before quarter t of the horizon
  (weekly pattern, then the dated exceptions), so "available for the whole slot [a, b)" is one subtraction;
  time-major, so that reading every substitute at one quarter is one contiguous row;
- `busy_cum[t, i]`: the same for the quarter-hours already booked by assignments, which answers "overlaps a
  mission" and "less than the minimum rest before or after a mission on another day";
- hours already booked per ISO week and per month, qualification bit masks, home coordinates (radians).

Ranking a request is then a cascade of vector operations: the substitutes holding a suitable diploma (cached
per qualification), then those within their accepted distance (haversine), then availability, bookings and
hour limits on the survivors only, shift by shift. With `explain=True` every rule is evaluated over the whole
pool instead, so that each excluded person gets every reason (in French); both paths give the same ranking
(tested).

A request's open shifts are ranked together. When the request may be split between several people
(`allow_split`), a person is a candidate for the shifts they can take (at least one); otherwise only a
person who can take every shift is. `Ranking.slot_ok` says which shifts each candidate can take.

Rules (each excludes; all failing rules are reported):
1. the account is active;
2. a diploma that satisfies the qualification asked (an EJE may replace an auxiliaire de puériculture...),
   and one of the most qualified when the staffing rules call for them (`qualified_only`);
3. availability covering the shift;
4. the structure within the distance the substitute accepts;
5. no overlap with a mission already booked;
6. the minimum rest (pole setting `min_rest_hours`, 11 h by default) between a mission on another day and
   the shift;
7. the weekly and monthly hour limits not exceeded once the shift's hours are added (all the request's
   hours when it cannot be split);
8. has not declined this very request;
9. the structure has not excluded this person.

Score (0..1, higher first), a weighted sum (weights are pole settings) of `proximity` (1 at the door, 0 at
`proximity_scale_km`), `fairness` (1 minus the hours already given this month over the monthly limit) and
`preference` (the structure is among the preferred ones: 0.6, the age group too: 0.4), times
`0.5 + 0.5 * coverage` (the share of the open shifts the person can take: one person for the whole
replacement is better for the children). The structure's favourites come first; ties go to the nearest.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.utils.formats import date_format

from plugins.remplacement.communes import EARTH_RADIUS_KM

QUARTERS_PER_DAY = 96
QUARTER = dt.timedelta(minutes=15)


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def week_key(day: dt.date) -> tuple[int, int]:
    iso = day.isocalendar()
    return iso[0], iso[1]


def month_key(day: dt.date) -> tuple[int, int]:
    return day.year, day.month


@dataclass(frozen=True)
class SlotSpec:
    start: dt.datetime  # local, naive-free (aware, Europe/Paris)
    end: dt.datetime
    slot_id: int | None = None

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600


@dataclass
class RequestSpec:
    """What the engine needs of a request (built from a `ReplacementRequest` or from plain values)."""

    request_id: int | None
    structure_id: int
    latitude: float
    longitude: float
    qualification_id: int
    age_group: str
    slots: list[SlotSpec]  # the open shifts to fill
    declined: frozenset[int] = frozenset()  # substitute ids
    excluded: frozenset[int] = frozenset()  # excluded by the structure
    favourites: frozenset[int] = frozenset()  # the structure's favourites
    allow_split: bool = False  # several people may share the shifts
    qualified_only: bool = False  # the staffing rules call for one of the most qualified

    def hours_by(self, key) -> dict[tuple[int, int], float]:
        totals: dict[tuple[int, int], float] = defaultdict(float)
        for slot in self.slots:
            totals[key(slot.start.date())] += slot.hours
        return dict(totals)


@dataclass
class Candidate:
    substitute_id: int
    score: float
    distance_km: float
    hours_this_month: float
    preferred: bool
    favourite: bool = False
    slot_indexes: list[int] = field(default_factory=list)  # the request's open shifts this person can take


class Ranking:
    """The eligible substitutes of a request, best first, as arrays (`ids`, `scores`, `distances`, `hours`,
    `preferred`, `favourite`, and `slot_ok`: candidates by open shifts); `candidates` turns them into objects on
    first use. `excluded` maps each excluded substitute's id to its French reasons (filled with
    `explain=True`)."""

    def __init__(self, request_id, *, ids, scores, distances, hours, preferred, favourite=None, slot_ok=None) -> None:
        self.request_id = request_id
        self.ids, self.scores, self.distances, self.hours, self.preferred = ids, scores, distances, hours, preferred
        self.favourite = favourite if favourite is not None else np.zeros(len(ids), dtype=bool)
        self.slot_ok = slot_ok if slot_ok is not None else np.ones((len(ids), 1), dtype=bool)
        self.excluded: dict[int, list[str]] = {}
        self._candidates: list[Candidate] | None = None

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def candidates(self) -> list[Candidate]:
        if self._candidates is None:
            self._candidates = [
                Candidate(
                    substitute_id=sid,
                    score=sc,
                    distance_km=km,
                    hours_this_month=h,
                    preferred=pf,
                    favourite=fav,
                    slot_indexes=np.flatnonzero(row).tolist(),
                )
                for sid, sc, km, h, pf, fav, row in zip(
                    self.ids.tolist(),
                    np.round(self.scores, 4).tolist(),
                    np.round(self.distances, 1).tolist(),
                    np.round(self.hours, 2).tolist(),
                    self.preferred.tolist(),
                    self.favourite.tolist(),
                    self.slot_ok,
                    strict=True,
                )
            ]
        return self._candidates


@dataclass
class MatchingParams:
    min_rest_hours: float = 11
    proximity_scale_km: float = 40
    weight_proximity: float = 0.5
    weight_fairness: float = 0.35
    weight_preference: float = 0.15

    @classmethod
    def from_settings(cls, values: dict) -> MatchingParams:
        weights = values.get("weights") or {}
        return cls(
            min_rest_hours=float(values.get("min_rest_hours", cls.min_rest_hours)),
            proximity_scale_km=float(values.get("proximity_scale_km", cls.proximity_scale_km)),
            weight_proximity=float(weights.get("proximity", cls.weight_proximity)),
            weight_fairness=float(weights.get("fairness", cls.weight_fairness)),
            weight_preference=float(weights.get("preference", cls.weight_preference)),
        )


@dataclass
class SubstituteRow:
    """One substitute as the index loads it (from the database or from a benchmark's generator)."""

    id: int
    name: str
    is_active: bool
    latitude: float
    longitude: float
    max_distance_km: float
    max_hours_week: float
    max_hours_month: float
    qualification_ids: list[int]
    preferred_structure_ids: list[int]
    preferred_age_groups: list[str]
    # Last day the criminal-record extract is valid (dt.date.min: none that counts); None when not required.
    record_valid_until: dt.date | None = None
    # Last day the vaccinations are up to date (dt.date.min: none that counts); None when not required.
    vaccinations_valid_until: dt.date | None = None
    # Kinds of required document of which one on file does not count because nobody verified it yet (the
    # French reason of an exclusion says so): "record", "vaccinations".
    unverified: frozenset[str] = frozenset()


@dataclass
class PoolData:
    """Everything the index is built from: plain rows, so that a benchmark can feed it without the ORM."""

    substitutes: list[SubstituteRow]
    rules: list[tuple[int, int, dt.time, dt.time]]  # substitute id, weekday, start, end
    exceptions: list[tuple[int, dt.date, str, dt.time | None, dt.time | None]]  # id, date, kind, start, end
    assignments: list[tuple[int, dt.datetime, dt.datetime]]  # substitute id, start, end (aware)
    satisfies: dict[int, set[int]]  # qualification id -> qualification ids it may replace (itself included)
    qualification_labels: dict[int, str] = field(default_factory=dict)
    qualified: set[int] = field(default_factory=set)  # ids of the most qualified diplomas (CSP R2324-42, 1°)


def _quarter_floor(value: dt.time) -> int:
    return (value.hour * 60 + value.minute) // 15


def _quarter_ceil(value: dt.time) -> int:
    minutes = value.hour * 60 + value.minute + (1 if value.second or value.microsecond else 0)
    return -(-minutes // 15)


def _fmt_hours(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") + " h"


def _fmt_slot(slot: SlotSpec) -> str:
    return f"{date_format(slot.start.date(), 'l j F')} de {slot.start:%H:%M} à {slot.end:%H:%M}"


@dataclass
class _Group:
    idx: np.ndarray
    ids: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    cos_lat: np.ndarray
    max_km: np.ndarray
    max_week: np.ndarray
    max_month: np.ndarray
    record_until: np.ndarray
    vaccinations_until: np.ndarray
    avail_cum: np.ndarray
    busy_cum: np.ndarray
    week: dict[tuple[int, int], np.ndarray]
    month: dict[tuple[int, int], np.ndarray]


def _time_cumsum(flags: np.ndarray) -> np.ndarray:
    """Cumulative counts over time of a time-major (horizon, n) boolean array, with a leading row of zeros.
    Row by row on purpose: each step adds two contiguous rows, about 15 times faster here than `np.cumsum`
    along axis 0, which walks the array column by column."""
    out = np.zeros((flags.shape[0] + 1, flags.shape[1]), dtype=np.int16)
    out[1:] = flags
    for t in range(1, out.shape[0]):
        np.add(out[t], out[t - 1], out=out[t])
    return out


class PoolIndex:
    """The pool loaded for the days [first_day, last_day] (both included)."""

    def __init__(self, data: PoolData, first_day: dt.date, last_day: dt.date, params: MatchingParams) -> None:
        self.params = params
        self.zone = local_zone()
        # One day of margin on each side for the rest rule.
        self.day0 = first_day - dt.timedelta(days=1)
        self.days = (last_day - first_day).days + 3
        self.horizon = self.days * QUARTERS_PER_DAY
        subs = data.substitutes
        n = len(subs)
        self.n = n
        self.ids = np.array([s.id for s in subs], dtype=np.int64)
        self.position = {s.id: i for i, s in enumerate(subs)}
        self.names = [s.name for s in subs]
        self.active = np.array([s.is_active for s in subs], dtype=bool)
        self.lat = np.radians(np.array([s.latitude for s in subs], dtype=np.float64))
        self.lon = np.radians(np.array([s.longitude for s in subs], dtype=np.float64))
        self.cos_lat = np.cos(self.lat)
        self.max_km = np.array([s.max_distance_km for s in subs], dtype=np.float64)
        self.max_km_any = float(self.max_km.max()) if n else 0.0
        self.max_week = np.array([s.max_hours_week for s in subs], dtype=np.float64)
        self.max_month = np.array([s.max_hours_month for s in subs], dtype=np.float64)
        unlimited = dt.date.max.toordinal()
        self.record_until = np.array(
            [unlimited if s.record_valid_until is None else s.record_valid_until.toordinal() for s in subs],
            dtype=np.int64,
        )
        self.vaccinations_until = np.array(
            [unlimited if s.vaccinations_valid_until is None else s.vaccinations_valid_until.toordinal() for s in subs],
            dtype=np.int64,
        )
        self.unverified = {s.id: s.unverified for s in subs if s.unverified}
        self.qualification_labels = data.qualification_labels
        # Qualifications: bit b(q) per qualification; a substitute's mask holds every qualification it satisfies.
        all_q = sorted({q for qs in data.satisfies.values() for q in qs} | set(data.satisfies))
        self.qbit = {q: 1 << i for i, q in enumerate(all_q)}
        satisfied_mask = {
            q: sum(self.qbit[x] for x in data.satisfies.get(q, {q}) | {q} if x in self.qbit) for q in all_q
        }
        self.qmask = np.array(
            [int(np.bitwise_or.reduce([satisfied_mask.get(q, 0) for q in s.qualification_ids] or [0])) for s in subs],
            dtype=np.int64,
        )
        self.held = {s.id: s.qualification_ids for s in subs}
        self.has_qualified = np.array([bool(set(s.qualification_ids) & data.qualified) for s in subs], dtype=bool)
        self.pref_by_structure: dict[int, np.ndarray] = {}
        by_structure: dict[int, list[int]] = defaultdict(list)
        for i, s in enumerate(subs):
            for structure_id in s.preferred_structure_ids:
                by_structure[structure_id].append(i)
        self.pref_by_structure = {k: np.array(v, dtype=np.int64) for k, v in by_structure.items()}
        self.age_groups = [set(s.preferred_age_groups) for s in subs]
        self._groups: dict[tuple[int, bool], _Group] = {}
        self._build_availability(data)
        self._build_bookings(data)

    # --- construction -------------------------------------------------------------------------------------
    def _day_index(self, day: dt.date) -> int:
        return (day - self.day0).days

    def _build_availability(self, data: PoolData) -> None:
        weekly = np.zeros((7, QUARTERS_PER_DAY, self.n), dtype=bool)
        pos = self.position
        for sub_id, weekday, start, end in data.rules:
            i = pos.get(sub_id)
            if i is not None:
                weekly[weekday, _quarter_ceil(start) : _quarter_floor(end) if end != dt.time(0) else 96, i] = True
        weekdays = [(self.day0 + dt.timedelta(days=d)).weekday() for d in range(self.days)]
        avail = weekly[weekdays]  # (days, 96, n): time-major
        for sub_id, day, kind, start, end in data.exceptions:
            i = pos.get(sub_id)
            d = self._day_index(day)
            if i is None or not 0 <= d < self.days:
                continue
            if kind == "unavailable":
                a = 0 if start is None else _quarter_floor(start)
                b = QUARTERS_PER_DAY if end is None else _quarter_ceil(end)
                avail[d, a:b, i] = False
            else:
                a = 0 if start is None else _quarter_ceil(start)
                b = QUARTERS_PER_DAY if end is None else _quarter_floor(end)
                avail[d, a:b, i] = True
        # Time-major (horizon + 1, n): reading "every substitute at quarter t" is one contiguous row.
        self.avail_cum = _time_cumsum(avail.reshape(self.horizon, self.n))

    def _build_bookings(self, data: PoolData) -> None:
        busy = np.zeros((self.horizon, self.n), dtype=bool)
        self.week_hours: dict[tuple[int, int], np.ndarray] = defaultdict(lambda: np.zeros(self.n))
        self.month_hours: dict[tuple[int, int], np.ndarray] = defaultdict(lambda: np.zeros(self.n))
        self.bookings: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
        for sub_id, booked_start, booked_end in data.assignments:
            i = self.position.get(sub_id)
            if i is None:
                continue
            start, end = booked_start.astimezone(self.zone), booked_end.astimezone(self.zone)
            hours = (end - start).total_seconds() / 3600
            self.week_hours[week_key(start.date())][i] += hours
            self.month_hours[month_key(start.date())][i] += hours
            self.bookings[sub_id].append((start, end))
            a = self._quarter_of(start, ceil=False)
            b = self._quarter_of(end, ceil=True)
            a, b = max(a, 0), min(b, self.horizon)
            if a < b:
                busy[a:b, i] = True
        self.busy_cum = _time_cumsum(busy)

    def _quarter_of(self, moment: dt.datetime, *, ceil: bool) -> int:
        local = moment.astimezone(self.zone)
        d = self._day_index(local.date())
        q = _quarter_ceil(local.time()) if ceil else _quarter_floor(local.time())
        return d * QUARTERS_PER_DAY + q

    # --- ranking ------------------------------------------------------------------------------------------
    def covers(self, spec: RequestSpec) -> bool:
        return all(0 <= self._day_index(s.start.astimezone(self.zone).date()) < self.days for s in spec.slots)

    def _slot_bounds(self, slot: SlotSpec) -> tuple[int, int, int, int, int, int]:
        """Quarter indexes of a shift: start, end, its day's bounds, and the rest window around it."""
        ts = self._quarter_of(slot.start, ceil=False)
        te = self._quarter_of(slot.end, ceil=True)
        rest_q = round(self.params.min_rest_hours * 4)
        day_start = (ts // QUARTERS_PER_DAY) * QUARTERS_PER_DAY
        return ts, te, day_start, day_start + QUARTERS_PER_DAY, max(ts - rest_q, 0), min(te + rest_q, self.horizon)

    def _masks(self, spec: RequestSpec) -> tuple[dict[str, np.ndarray], list[dict[str, np.ndarray]], np.ndarray]:
        """Every rule over the whole pool: the person's own rules, and each shift's rules (one dict a shift)."""
        n = self.n
        qbit = self.qbit.get(spec.qualification_id, 0)
        qual_ok = (self.qmask & qbit) != 0 if qbit else np.zeros(n, dtype=bool)
        lat, lon = np.radians(spec.latitude), np.radians(spec.longitude)
        a = np.sin((self.lat - lat) / 2) ** 2 + np.cos(lat) * self.cos_lat * np.sin((self.lon - lon) / 2) ** 2
        distance = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0)))
        per_slot: list[dict[str, np.ndarray]] = []
        for slot in spec.slots:
            ts, te, day_start, day_end, before, after = self._slot_bounds(slot)
            rest_ok = np.ones(n, dtype=bool)
            if before < day_start:
                rest_ok &= self.busy_cum[day_start] == self.busy_cum[before]
            if after > day_end:
                rest_ok &= self.busy_cum[after] == self.busy_cum[day_end]
            masks = {
                "availability": (self.avail_cum[te] - self.avail_cum[ts]) == (te - ts),
                "overlap": self.busy_cum[te] == self.busy_cum[ts],
                "rest": rest_ok,
            }
            if spec.allow_split:  # each shift on its own against the limits
                day = slot.start.astimezone(self.zone).date()
                booked = self.week_hours.get(week_key(day))
                masks["week"] = ((booked if booked is not None else 0) + slot.hours) <= self.max_week + 1e-9
                booked = self.month_hours.get(month_key(day))
                masks["month"] = ((booked if booked is not None else 0) + slot.hours) <= self.max_month + 1e-9
            per_slot.append(masks)
        not_declined = np.ones(n, dtype=bool)
        if spec.declined:
            not_declined[[self.position[s] for s in spec.declined if s in self.position]] = False
        not_excluded = np.ones(n, dtype=bool)
        if spec.excluded:
            not_excluded[[self.position[s] for s in spec.excluded if s in self.position]] = False
        person = {
            "active": self.active,
            "qualification": qual_ok,
            "qualified": self.has_qualified if spec.qualified_only else np.ones(n, dtype=bool),
            "distance": distance <= self.max_km,
            "record": self.record_until >= self._last_day(spec),
            "vaccinations": self.vaccinations_until >= self._last_day(spec),
            "declined": not_declined,
            "excluded": not_excluded,
        }
        if not spec.allow_split:  # the whole request against the limits
            week_ok = np.ones(n, dtype=bool)
            for key, hours in spec.hours_by(week_key).items():
                booked = self.week_hours.get(key)
                week_ok &= ((booked if booked is not None else 0) + hours) <= self.max_week + 1e-9
            month_ok = np.ones(n, dtype=bool)
            for key, hours in spec.hours_by(month_key).items():
                booked = self.month_hours.get(key)
                month_ok &= ((booked if booked is not None else 0) + hours) <= self.max_month + 1e-9
            person["week"], person["month"] = week_ok, month_ok
        return person, per_slot, distance

    def _last_day(self, spec: RequestSpec) -> int:
        """The ordinal of the request's last day (the extract and the vaccinations must be valid until then)."""
        return max((slot.end.astimezone(self.zone).date() for slot in spec.slots), default=self.day0).toordinal()

    def _given(self, spec: RequestSpec) -> np.ndarray | None:
        return self.month_hours.get(month_key(spec.slots[0].start.astimezone(self.zone).date()))

    def _group(self, qualification_id: int, qualified_only: bool) -> _Group:
        """The active substitutes who satisfy a qualification (and hold one of the most qualified diplomas when
        asked), sorted by latitude, with their own copies of every per-person array (built on first use, then
        cached): ranking a request reads contiguous slices of these, never gathers."""
        key = (qualification_id, qualified_only)
        group = self._groups.get(key)
        if group is None:
            bit = self.qbit.get(qualification_id, 0)
            wanted = ((self.qmask & bit) != 0) & self.active if bit else np.zeros(self.n, dtype=bool)
            if qualified_only:
                wanted &= self.has_qualified
            idx = np.flatnonzero(wanted)
            idx = idx[np.argsort(self.lat[idx], kind="stable")]
            group = _Group(
                idx=idx,
                ids=self.ids[idx],
                lat=self.lat[idx],
                lon=self.lon[idx],
                cos_lat=self.cos_lat[idx],
                max_km=self.max_km[idx],
                max_week=self.max_week[idx] + 1e-9,
                max_month=self.max_month[idx] + 1e-9,
                record_until=self.record_until[idx],
                vaccinations_until=self.vaccinations_until[idx],
                # np.take keeps rows contiguous; `a[:, idx]` would build a transposed copy, ten times slower.
                avail_cum=np.take(self.avail_cum, idx, axis=1),
                busy_cum=np.take(self.busy_cum, idx, axis=1),
                week={key: hours[idx] for key, hours in self.week_hours.items()},
                month={key: hours[idx] for key, hours in self.month_hours.items()},
            )
            self._groups[key] = group
        return group

    def _eligible(self, spec: RequestSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The eligible positions, their distances, hours given this month and the shifts each can take, from
        the qualification's group: a latitude band (no one accepts more than the pool's largest distance)
        bounds the slice, then every rule is one vector operation on it."""
        g = self._group(spec.qualification_id, spec.qualified_only)
        lat, lon = np.radians(spec.latitude), np.radians(spec.longitude)
        band = self.max_km_any / EARTH_RADIUS_KM
        lo, hi = (int(x) for x in np.searchsorted(g.lat, [lat - band, lat + band]))
        a = (
            np.sin((g.lat[lo:hi] - lat) / 2) ** 2
            + np.cos(lat) * g.cos_lat[lo:hi] * np.sin((g.lon[lo:hi] - lon) / 2) ** 2
        )
        distance = (2 * EARTH_RADIUS_KM) * np.arcsin(np.sqrt(np.minimum(a, 1.0)))
        ok = distance <= g.max_km[lo:hi]
        last_day = self._last_day(spec)
        ok &= g.record_until[lo:hi] >= last_day
        ok &= g.vaccinations_until[lo:hi] >= last_day
        if spec.declined:
            ok &= ~np.isin(g.ids[lo:hi], np.fromiter(spec.declined, dtype=np.int64))
        if spec.excluded:
            ok &= ~np.isin(g.ids[lo:hi], np.fromiter(spec.excluded, dtype=np.int64))
        busy = g.busy_cum[:, lo:hi]
        slot_ok = np.zeros((len(spec.slots), hi - lo), dtype=bool)
        for k, slot in enumerate(spec.slots):
            ts, te, day_start, day_end, before, after = self._slot_bounds(slot)
            here = (g.avail_cum[te, lo:hi] - g.avail_cum[ts, lo:hi]) == (te - ts)
            # Nothing booked from `before` to `after`, except on the slot's own day outside the slot itself.
            clash = busy[max(after, te)] != busy[min(before, ts)]
            if clash.any():
                clash = busy[te] != busy[ts]
                if before < day_start:
                    clash |= busy[day_start] != busy[before]
                if after > day_end:
                    clash |= busy[after] != busy[day_end]
                here &= ~clash
            if spec.allow_split:
                day = slot.start.astimezone(self.zone).date()
                booked = g.week.get(week_key(day))
                here &= (booked[lo:hi] + slot.hours if booked is not None else slot.hours) <= g.max_week[lo:hi]
                booked = g.month.get(month_key(day))
                here &= (booked[lo:hi] + slot.hours if booked is not None else slot.hours) <= g.max_month[lo:hi]
            slot_ok[k] = here
        if spec.allow_split:
            ok &= slot_ok.any(axis=0)
        else:
            ok &= slot_ok.all(axis=0)
            for key, hours in spec.hours_by(week_key).items():
                booked = g.week.get(key)
                ok &= (booked[lo:hi] + hours if booked is not None else hours) <= g.max_week[lo:hi]
            for key, hours in spec.hours_by(month_key).items():
                booked = g.month.get(key)
                ok &= (booked[lo:hi] + hours if booked is not None else hours) <= g.max_month[lo:hi]
        chosen = np.flatnonzero(ok)
        given = g.month.get(month_key(spec.slots[0].start.astimezone(self.zone).date()))
        return (
            g.idx[lo + chosen],
            distance[chosen],
            given[lo + chosen] if given is not None else np.zeros(len(chosen)),
            slot_ok[:, chosen].T,
        )

    def rank(self, spec: RequestSpec, *, explain: bool = False, limit: int | None = None) -> Ranking:
        if explain:
            person, per_slot, all_distance = self._masks(spec)
            person_ok = np.logical_and.reduce(list(person.values()))
            all_slot_ok = np.array(
                [np.logical_and.reduce(list(masks.values())) for masks in per_slot], dtype=bool
            ).reshape(len(spec.slots), self.n)
            shifts_ok = all_slot_ok.any(axis=0) if spec.allow_split else all_slot_ok.all(axis=0)
            eligible = person_ok & shifts_ok
            idx = np.flatnonzero(eligible)
            distance = all_distance[idx]
            given = self._given(spec)
            given = given[idx] if given is not None else np.zeros(len(idx))
            slot_ok = all_slot_ok[:, idx].T
        else:
            idx, distance, given, slot_ok = self._eligible(spec)
        p = self.params
        proximity = 1 - np.minimum(distance / max(p.proximity_scale_km, 1e-9), 1)
        fairness = 1 - np.minimum(given / np.maximum(self.max_month[idx], 1), 1)
        preferred = np.zeros(len(idx), dtype=bool)
        pref_idx = self.pref_by_structure.get(spec.structure_id)
        if pref_idx is not None and len(idx):
            preferred = np.isin(idx, pref_idx)
        age = np.array([spec.age_group in self.age_groups[i] for i in idx], dtype=bool) if len(idx) else preferred
        preference = 0.6 * preferred + 0.4 * age
        coverage = slot_ok.mean(axis=1) if len(spec.slots) else np.ones(len(idx))
        score = (p.weight_proximity * proximity + p.weight_fairness * fairness + p.weight_preference * preference) * (
            0.5 + 0.5 * coverage
        )
        favourite = (
            np.isin(self.ids[idx], np.fromiter(spec.favourites, dtype=np.int64))
            if spec.favourites and len(idx)
            else np.zeros(len(idx), dtype=bool)
        )
        order = np.lexsort((distance, -score, ~favourite))
        if limit is not None:
            order = order[:limit]
        ranking = Ranking(
            spec.request_id,
            ids=self.ids[idx[order]],
            scores=score[order],
            distances=distance[order],
            hours=given[order],
            preferred=preferred[order],
            favourite=favourite[order],
            slot_ok=slot_ok[order],
        )
        if explain:
            for i in np.flatnonzero(~eligible):
                ranking.excluded[int(self.ids[i])] = self._reasons(spec, int(i), person, per_slot, all_distance)
        return ranking

    def _reasons(  # noqa: PLR0912  (one branch per rule reads best)
        self,
        spec: RequestSpec,
        i: int,
        person: dict[str, np.ndarray],
        per_slot: list[dict[str, np.ndarray]],
        distance: np.ndarray,
    ) -> list[str]:
        sub_id = int(self.ids[i])
        reasons: list[str] = []
        if not person["active"][i]:
            reasons.append("Compte de remplaçant·e inactif.")
        if not person["qualification"][i]:
            held = ", ".join(self.qualification_labels.get(q, str(q)) for q in self.held.get(sub_id, [])) or "aucun"
            wanted = self.qualification_labels.get(spec.qualification_id, str(spec.qualification_id))
            reasons.append(f"Qualification insuffisante : « {wanted} » demandée (diplômes : {held}).")
        elif not person["qualified"][i]:
            reasons.append(
                "Le taux d'encadrement demande un professionnel parmi les plus qualifiés (article R2324-42 du code "
                "de la santé publique)."
            )
        if not person["distance"][i]:
            reasons.append(f"Trop loin : {distance[i]:.0f} km, au-delà des {self.max_km[i]:.0f} km acceptés.")
        reasons += self._document_reasons(i, sub_id, person)
        rest = dt.timedelta(hours=self.params.min_rest_hours)
        for slot, masks in zip(spec.slots, per_slot, strict=True):
            if not masks["availability"][i]:
                reasons.append(f"Pas disponible le {_fmt_slot(slot)}.")
            for start, end in self.bookings.get(sub_id, []):
                if start < slot.end and slot.start < end:
                    reasons.append(f"Déjà en mission le {_fmt_slot(SlotSpec(start, end))}.")
                elif start.date() != slot.start.date() and (
                    dt.timedelta(0) <= slot.start - end < rest or dt.timedelta(0) <= start - slot.end < rest
                ):
                    reasons.append(
                        f"Repos de {_fmt_hours(self.params.min_rest_hours)} non respecté avec la mission du "
                        f"{_fmt_slot(SlotSpec(start, end))}."
                    )
            if "week" in masks and not masks["week"][i]:
                reasons.append(self._limit_reason("week", i, week_key(slot.start.date()), slot.hours))
            if "month" in masks and not masks["month"][i]:
                reasons.append(self._limit_reason("month", i, month_key(slot.start.date()), slot.hours))
        if "week" in person and not person["week"][i]:
            for key, hours in spec.hours_by(week_key).items():
                booked = float(self.week_hours[key][i]) if key in self.week_hours else 0.0
                if booked + hours > self.max_week[i] + 1e-9:
                    reasons.append(self._limit_reason("week", i, key, hours))
        if "month" in person and not person["month"][i]:
            for key, hours in spec.hours_by(month_key).items():
                booked = float(self.month_hours[key][i]) if key in self.month_hours else 0.0
                if booked + hours > self.max_month[i] + 1e-9:
                    reasons.append(self._limit_reason("month", i, key, hours))
        if not person["declined"][i]:
            reasons.append("A décliné cette mission.")
        if not person["excluded"][i]:
            reasons.append("Exclu·e par la structure.")
        if not reasons:  # split request: no shift possible although no single rule fails everywhere
            reasons.append("Ne peut prendre aucun des créneaux restants.")
        return list(dict.fromkeys(reasons))

    def _document_reasons(self, i: int, sub_id: int, person: dict[str, np.ndarray]) -> list[str]:
        """Why the extract or the vaccinations keep the person out: none that counts, one not verified yet, or
        one that ends before the mission does."""
        reasons = []
        unverified = self.unverified.get(sub_id, frozenset())
        for key, until_of, document, valid, missing, waiting in (
            (
                "record",
                self.record_until,
                "Extrait de casier judiciaire",
                "valable",
                "Aucun extrait de casier judiciaire au dossier.",
                "Extrait de casier judiciaire pas encore vérifié par un·e coordinateur·rice.",
            ),
            (
                "vaccinations",
                self.vaccinations_until,
                "Vaccinations",
                "à jour",
                "Aucun justificatif de vaccinations à jour au dossier.",
                "Justificatif de vaccinations pas encore vérifié par un·e coordinateur·rice.",
            ),
        ):
            if person[key][i]:
                continue
            until = int(until_of[i])
            if until != dt.date.min.toordinal():
                day = date_format(dt.date.fromordinal(until), "j F Y")
                later = " ; un document plus récent attend sa vérification" if key in unverified else ""
                reasons.append(f"{document} {valid} jusqu'au {day} seulement, avant la fin de la mission{later}.")
            else:
                reasons.append(waiting if key in unverified else missing)
        return reasons

    def _limit_reason(self, which: str, i: int, key: tuple[int, int], hours: float) -> str:
        if which == "week":
            booked = float(self.week_hours[key][i]) if key in self.week_hours else 0.0
            monday = dt.date.fromisocalendar(key[0], key[1], 1)
            return (
                f"Plafond hebdomadaire dépassé (semaine du {date_format(monday, 'j F')}) : "
                f"{_fmt_hours(booked)} déjà prévues + {_fmt_hours(hours)} > {_fmt_hours(self.max_week[i])}."
            )
        booked = float(self.month_hours[key][i]) if key in self.month_hours else 0.0
        month = date_format(dt.date(key[0], key[1], 1), "F Y")
        return (
            f"Plafond mensuel dépassé ({month}) : {_fmt_hours(booked)} déjà prévues + "
            f"{_fmt_hours(hours)} > {_fmt_hours(self.max_month[i])}."
        )


def horizon_of(specs: Iterable[RequestSpec]) -> tuple[dt.date, dt.date]:
    zone = local_zone()
    days = [s.start.astimezone(zone).date() for spec in specs for s in spec.slots]
    days += [s.end.astimezone(zone).date() for spec in specs for s in spec.slots]
    return min(days), max(days)


def hours_decimal(value: float) -> Decimal:
    return Decimal(str(round(value, 2)))
