"""How fast the matching engine ranks a territory's open requests, and whether one mission gets exactly one
substitute when many accept at once.

A throwaway territory is filled (bulk inserts, seeded at random): 5,000 substitutes around Ille-et-Vilaine's
communes with their diplomas, weekly availability and dated exceptions, 1,000 open requests over 30 days,
and missions already booked (for overlaps, rest and hour limits). Then:
- every open request is ranked (requests and slots loaded, pool loaded, index built, ranking): `rank_s`;
- 50 substitutes accept the same mission at the same time, each in its own thread and database connection,
  under the `first_accept` policy: `winners` must be 1.

Usage: python bench/matching.py [--substitutes 5000] [--requests 1000] [--days 30] [--contenders 50]
Last line: requests=<n> substitutes=<n> rank_s=<seconds> winners=<count>
"""

import argparse
import cProfile
import datetime as dt
import os
import pstats
import random
import threading
import time

from _django import setup

setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from core.models import Structure  # noqa: E402
from plugins.remplacement import selectors, services  # noqa: E402
from plugins.remplacement.communes import communes  # noqa: E402
from plugins.remplacement.matching import PoolIndex, horizon_of, local_zone  # noqa: E402
from plugins.remplacement.models import (  # noqa: E402
    ACTIVE_REQUEST_STATES,
    Assignment,
    AvailabilityException,
    AvailabilityRule,
    Offer,
    Qualification,
    ReplacementRequest,
    RequestSlot,
    Substitute,
    SubstituteQualification,
)
from tenants.models import Territory, TerritoryPole  # noqa: E402
from tenants.services import template_ensure, territory_create  # noqa: E402

CODE = "90"
PROFILE = False
PATTERNS = [
    [(d, dt.time(7), dt.time(19)) for d in range(5)],  # full weeks
    [(d, dt.time(7), dt.time(13)) for d in range(5)],  # mornings
    [(d, dt.time(12), dt.time(19, 30)) for d in range(5)],  # afternoons
    [(d, dt.time(7, 30), dt.time(18, 30)) for d in (0, 1, 3)],  # three days
    [(d, dt.time(8), dt.time(18)) for d in (2, 4, 5)],  # wednesdays, fridays and saturdays
]


def _territory_fresh() -> Territory:
    stale = Territory.objects.filter(code=CODE).first()
    if stale is not None:
        stale.delete(force_drop=True)
    return territory_create(code=CODE, name="Banc d'essai remplacement", slug="banc-remplacement")


def _fill(rng: random.Random, n_subs: int, n_requests: int, days: int) -> None:
    zone = local_zone()
    places = [c for code, c in communes().items() if code.startswith(("35", "22", "56", "53"))]
    ille = [c for c in places if c.code.startswith("35")]
    quals = list(Qualification.objects.all())
    User = get_user_model()
    password = make_password(None)
    users = User.objects.bulk_create(
        [User(username=f"r{n}@banc.example", email=f"r{n}@banc.example", password=password) for n in range(n_subs)],
        batch_size=2000,
    )
    subs = []
    for user in users:
        home = rng.choice(places)
        subs.append(
            Substitute(
                user=user,
                home_commune_insee=home.code,
                home_commune_name=home.name,
                home_latitude=home.latitude,
                home_longitude=home.longitude,
                max_distance_km=rng.choice([10, 15, 20, 30, 40, 60]),
                max_hours_week=rng.choice([20, 28, 35, 35, 35]),
                max_hours_month=rng.choice([80, 120, 151, 151]),
                preferred_age_groups=rng.sample(["bebes", "moyens", "grands"], rng.randint(0, 2)),
            )
        )
    subs = Substitute.objects.bulk_create(subs, batch_size=2000)
    SubstituteQualification.objects.bulk_create(
        [
            SubstituteQualification(substitute=s, qualification=q)
            for s in subs
            for q in rng.sample(quals, rng.choice([1, 1, 2]))
        ],
        batch_size=5000,
    )
    AvailabilityRule.objects.bulk_create(
        [
            AvailabilityRule(substitute=s, weekday=d, start_time=a, end_time=b)
            for s in subs
            for d, a, b in rng.choice(PATTERNS)
        ],
        batch_size=5000,
    )
    start_day = timezone.localdate() + dt.timedelta(days=1)
    AvailabilityException.objects.bulk_create(
        [
            AvailabilityException(
                substitute=s, date=start_day + dt.timedelta(days=rng.randrange(days)), kind="unavailable"
            )
            for s in subs
            for _ in range(rng.randint(0, 3))
        ],
        batch_size=5000,
    )
    structures = Structure.objects.bulk_create(
        [
            Structure(name=f"Crèche {n}", kind="creche", commune=c.name, commune_insee=c.code)
            for n, c in enumerate(rng.choices(ille, k=200))
        ]
    )

    def slots_for() -> list[tuple[dt.datetime, dt.datetime]]:
        first = start_day + dt.timedelta(days=rng.randrange(days - 3))
        out = []
        for k in range(rng.choice([1, 1, 2, 3])):
            day = first + dt.timedelta(days=k)
            begin = rng.choice([7, 7.5, 8, 9, 13])
            length = rng.choice([4, 5, 6, 8, 9])
            a = dt.datetime.combine(day, dt.time(int(begin), int(begin % 1 * 60)), zone)
            out.append((a, a + dt.timedelta(hours=length)))
        return out

    def request(state: str, slots, substitute=None) -> ReplacementRequest:
        return ReplacementRequest(
            structure=rng.choice(structures),
            qualification=rng.choice(quals),
            children_present=rng.randint(8, 40),
            staff_present=rng.randint(1, 5),
            state=state,
            substitute=substitute,
            first_slot_start=slots[0][0],
            last_slot_end=slots[-1][1],
            total_hours=sum((b - a).total_seconds() for a, b in slots) / 3600,
        )

    # Missions already booked: 1,500 filled requests.
    booked_slots = [slots_for() for _ in range(1500)]
    booked_subs = rng.choices(subs, k=1500)
    filled = ReplacementRequest.objects.bulk_create(
        [request("filled", s, sub) for s, sub in zip(booked_slots, booked_subs, strict=True)], batch_size=2000
    )
    open_slots = [slots_for() for _ in range(n_requests)]
    opened = ReplacementRequest.objects.bulk_create([request("open", s) for s in open_slots], batch_size=2000)
    slot_rows = [
        RequestSlot(request=r, starts_at=a, ends_at=b)
        for r, s in zip(filled + opened, booked_slots + open_slots, strict=True)
        for a, b in s
    ]
    slot_rows = RequestSlot.objects.bulk_create(slot_rows, batch_size=5000)
    by_request = {r.pk: r for r in filled}
    Assignment.objects.bulk_create(
        [
            Assignment(
                substitute_id=by_request[row.request_id].substitute_id,
                request_id=row.request_id,
                slot=row,
                starts_at=row.starts_at,
                ends_at=row.ends_at,
            )
            for row in slot_rows
            if row.request_id in by_request
        ],
        batch_size=5000,
    )


def _rank_all() -> tuple[float, dict[str, float], dict]:
    timings = {}
    cpu_started = time.process_time()
    started = time.perf_counter()
    specs = selectors.request_specs_load(ReplacementRequest.objects.filter(state__in=ACTIVE_REQUEST_STATES))
    timings["requests"] = time.perf_counter() - started
    t = time.perf_counter()
    first_day, last_day = horizon_of(specs)
    data = selectors.pool_data_load(first_day=first_day, last_day=last_day)
    timings["pool_load"] = time.perf_counter() - t
    t = time.perf_counter()
    index = PoolIndex(data, first_day, last_day, selectors.MatchingParams.from_settings(selectors.pole_settings()))
    timings["index"] = time.perf_counter() - t
    t = time.perf_counter()
    profiler = cProfile.Profile() if PROFILE else None
    if profiler:
        profiler.enable()
    rankings = {spec.request_id: index.rank(spec) for spec in specs}
    timings["rank"] = time.perf_counter() - t
    timings["cpu_this_process"] = time.process_time() - cpu_started
    if profiler:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(10)
    return time.perf_counter() - started, timings, rankings


def _race(territory: Territory, rankings: dict, contenders: int) -> int:
    TerritoryPole.objects.update_or_create(
        territory=territory, pole="remplacement", defaults={"settings": {"dispatch_policy": "first_accept"}}
    )
    request_id = max(rankings, key=lambda k: len(rankings[k]))
    candidates = rankings[request_id].candidates[:contenders]
    request = ReplacementRequest.objects.get(pk=request_id)
    offers = Offer.objects.bulk_create(
        [
            Offer(
                request=request, substitute_id=c.substitute_id, wave=1, rank=n, score=c.score, distance_km=c.distance_km
            )
            for n, c in enumerate(candidates, start=1)
        ]
    )
    barrier = threading.Barrier(len(offers))
    outcomes: list[str] = []
    lock = threading.Lock()

    def accept(offer_id: int) -> None:
        connection.set_tenant(territory)
        try:
            offer = Offer.objects.select_related("substitute__user").get(pk=offer_id)
            barrier.wait(timeout=60)
            try:
                services.offer_accept(offer=offer, actor=offer.substitute.user)
                outcome = "won"
            except services.MissionUnavailableError:
                outcome = "late"
            except Exception as exc:  # reported, counted as no win
                outcome = f"error: {exc!r}"
            with lock:
                outcomes.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(o.pk,)) for o in offers]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    errors = [o for o in outcomes if o.startswith("error")]
    print(f"race: {len(offers)} concurrent acceptances in {elapsed:.2f} s, errors={len(errors)} {errors[:2]}")
    state = ReplacementRequest.objects.get(pk=request_id).state
    booked = Assignment.objects.filter(request_id=request_id).values("substitute_id").distinct().count()
    print(f"race: request state={state}, substitutes booked={booked}")
    return outcomes.count("won")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--substitutes", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--contenders", type=int, default=50)
    parser.add_argument("--seed", type=int, default=35)
    parser.add_argument("--profile", action="store_true", help="print where the ranking spends its time")
    args = parser.parse_args()
    global PROFILE  # noqa: PLW0603
    PROFILE = args.profile
    template_ensure()
    territory = _territory_fresh()
    try:
        connection.set_tenant(territory)
        t = time.perf_counter()
        _fill(random.Random(args.seed), args.substitutes, args.requests, args.days)
        print(
            f"setup: {args.substitutes} substitutes, {args.requests} open requests in {time.perf_counter() - t:.1f} s"
        )
        _rank_all()  # warm-up: commune table, imports
        rank_s, timings, rankings = _rank_all()
        eligible = [len(r) for r in rankings.values()]
        print("rank: " + " ".join(f"{k}={v:.3f}s" for k, v in timings.items()))
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"machine: load average {load} on {os.cpu_count()} cores")
        print(
            f"rank: {len(rankings)} requests ranked, eligible per request: median "
            f"{sorted(eligible)[len(eligible) // 2]}, none for {sum(1 for e in eligible if e == 0)}"
        )
        winners = _race(territory, rankings, args.contenders)
    finally:
        connection.set_schema_to_public()
        territory.delete(force_drop=True)
    print(f"requests={len(rankings)} substitutes={args.substitutes} rank_s={rank_s:.3f} winners={winners}")


if __name__ == "__main__":
    main()
