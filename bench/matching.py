"""How fast the matching engine ranks a territory's open requests, and whether one mission gets exactly one
substitute when many accept at once.

A throwaway territory is filled (bulk inserts, seeded at random): 5,000 substitutes around Ille-et-Vilaine's
communes with their diplomas, criminal-record extracts and vaccinations, weekly availability (some with split
shifts) and dated exceptions, 1,000 open requests over 30 days (each a case of the engine, with its children and
team present, some of several days that may be split between people), and missions already booked (for
overlaps, rest and hour limits). Then:
- every open request is ranked (requests, their open shifts and each one's staffing computation loaded, pool
  loaded, index built, ranking shift by shift): `rank_s`;
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

# The booking e-mails of the race are not what is measured: no console flood.
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.dummy.EmailBackend")
# The race's contenders stand for as many web workers, each with its connection: not one process's pool of 8.
os.environ.setdefault("DB_POOL_MAX_SIZE", "0")
setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from core.models import Case, Structure  # noqa: E402
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
    SubstituteDocument,
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
    [(d, a, b) for d in range(5) for a, b in ((dt.time(7), dt.time(11, 30)), (dt.time(15, 30), dt.time(19, 30)))],
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
    # The documents offers need (pole settings `require_criminal_record`, `require_vaccinations`,
    # `require_verified_documents`): most have both, verified; some an extract that lapses within the
    # horizon, or none, or vaccinations not verified yet.
    today, verified = timezone.localdate(), timezone.now()
    documents = []
    for s in subs:
        draw = rng.random()
        if draw >= 0.04:
            issued = today - dt.timedelta(days=rng.randrange(80))
            documents.append(
                SubstituteDocument(
                    substitute=s, kind=SubstituteDocument.Kind.CRIMINAL_RECORD, file="banc/casier.pdf",
                    original_name="casier.pdf", issued_on=issued, expires_on=issued + dt.timedelta(days=90),
                    verified_at=verified,
                )
            )  # fmt: skip
        documents.append(
            SubstituteDocument(
                substitute=s, kind=SubstituteDocument.Kind.VACCINATIONS, file="banc/vaccins.pdf",
                original_name="vaccins.pdf", verified_at=None if draw < 0.02 else verified,
            )
        )  # fmt: skip
    SubstituteDocument.objects.bulk_create(documents, batch_size=5000)
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
            Structure(
                name=f"Crèche {n}",
                kind="creche",
                commune=c.name,
                commune_insee=c.code,
                places=rng.choice([10, 20, 30, 45, 60]),
            )
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

    from workflows.selectors import workflow_published_version

    version = workflow_published_version(code="remplacement-demande")
    now = timezone.now()
    codes = [q.code for q in quals]
    counter = iter(range(10**7))

    def cases_for(states: list[str], structures_of: list) -> list[Case]:
        return Case.objects.bulk_create(
            [
                Case(
                    reference=f"REMP{CODE}-BANC-{next(counter):07d}",
                    workflow_id=version.definition_id,
                    workflow_version=version,
                    state=state,
                    data={},
                    structure=structure,
                    channel="api",
                    state_entered_at=now,
                )
                for state, structure in zip(states, structures_of, strict=True)
            ],
            batch_size=2000,
        )

    def request(case: Case, slots) -> ReplacementRequest:
        return ReplacementRequest(
            case=case,
            structure=case.structure,
            qualification=rng.choice(quals),
            headcount=rng.choice([1, 1, 1, 2]),
            allow_split=rng.random() < 0.7,
            children_not_walking=rng.randint(0, 10),
            children_walking=rng.randint(4, 30),
            staff_present=[{"qualification": rng.choice(codes), "count": rng.randint(1, 4)}],
            first_slot_start=slots[0][0],
            last_slot_end=slots[-1][1],
            total_hours=sum((b - a).total_seconds() for a, b in slots) / 3600,
        )

    # Missions already booked: 1,500 filled requests.
    booked_slots = [slots_for() for _ in range(1500)]
    booked_subs = rng.choices(subs, k=1500)
    filled_cases = cases_for(["pourvue"] * 1500, rng.choices(structures, k=1500))
    filled = ReplacementRequest.objects.bulk_create(
        [request(c, s) for c, s in zip(filled_cases, booked_slots, strict=True)], batch_size=2000
    )
    open_slots = [slots_for() for _ in range(n_requests)]
    open_cases = cases_for(["proposee"] * n_requests, rng.choices(structures, k=n_requests))
    opened = ReplacementRequest.objects.bulk_create(
        [request(c, s) for c, s in zip(open_cases, open_slots, strict=True)], batch_size=2000
    )
    slot_rows = [
        RequestSlot(request=r, starts_at=a, ends_at=b)
        for r, s in zip(filled + opened, booked_slots + open_slots, strict=True)
        for a, b in s
    ]
    slot_rows = RequestSlot.objects.bulk_create(slot_rows, batch_size=5000)
    booked_by_request = {r.pk: sub for r, sub in zip(filled, booked_subs, strict=True)}
    Assignment.objects.bulk_create(
        [
            Assignment(
                substitute_id=booked_by_request[row.request_id].pk,
                request_id=row.request_id,
                slot=row,
                starts_at=row.starts_at,
                ends_at=row.ends_at,
            )
            for row in slot_rows
            if row.request_id in booked_by_request
        ],
        batch_size=5000,
    )


def _rank_all() -> tuple[float, dict[str, float], dict]:
    timings = {}
    cpu_started = time.process_time()
    started = time.perf_counter()
    specs = selectors.request_specs_load(ReplacementRequest.objects.filter(case__state__in=ACTIVE_REQUEST_STATES))
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
    one_shift = set(
        ReplacementRequest.objects.filter(pk__in=list(rankings), headcount=1)
        .annotate(shifts=Count("slots"))
        .filter(shifts=1)
        .values_list("pk", flat=True)
    )
    request_id = max(one_shift, key=lambda k: len(rankings[k]))  # one shift, one person: one winner expected
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
    state = ReplacementRequest.objects.select_related("case").get(pk=request_id).state
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
