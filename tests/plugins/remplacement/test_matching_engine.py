"""The matching engine on plain data: the fast cascade and the explaining path agree on every request."""

import datetime as dt
import random

import pytest

from plugins.remplacement.matching import (
    MatchingParams,
    PoolData,
    PoolIndex,
    RequestSpec,
    SlotSpec,
    SubstituteRow,
    horizon_of,
    local_zone,
)


def _random_pool(rng: random.Random, n: int, first_day: dt.date) -> PoolData:
    zone = local_zone()
    subs = [
        SubstituteRow(
            id=1000 + i,
            name=f"S{i}",
            is_active=rng.random() > 0.05,
            latitude=47.6 + rng.random() * 1.1,
            longitude=-2.3 + rng.random() * 1.4,
            max_distance_km=rng.choice([5, 10, 20, 40]),
            max_hours_week=rng.choice([8, 20, 35]),
            max_hours_month=rng.choice([20, 60, 151]),
            qualification_ids=rng.sample([1, 2, 3], rng.choice([1, 2])),
            preferred_structure_ids=[7] if rng.random() < 0.2 else [],
            preferred_age_groups=["bebes"] if rng.random() < 0.3 else [],
        )
        for i in range(n)
    ]
    rules = [
        (s.id, d, dt.time(rng.choice([6, 7, 8, 12])), dt.time(rng.choice([13, 18, 19, 21])))
        for s in subs
        for d in rng.sample(range(7), rng.randint(0, 6))
    ]
    exceptions = [
        (s.id, first_day + dt.timedelta(days=rng.randrange(12)), rng.choice(["unavailable", "available"]), None, None)
        if rng.random() < 0.5
        else (s.id, first_day + dt.timedelta(days=rng.randrange(12)), "unavailable", dt.time(10), dt.time(12))
        for s in rng.sample(subs, n // 3)
    ]
    assignments = []
    for s in rng.sample(subs, n // 2):
        day = first_day + dt.timedelta(days=rng.randrange(-2, 14))
        start = dt.datetime.combine(day, dt.time(rng.choice([6, 8, 13, 15])), zone)
        assignments.append((s.id, start, start + dt.timedelta(hours=rng.choice([3, 6, 8]))))
    return PoolData(
        subs, rules, exceptions, assignments, {1: {1, 2, 3}, 2: {2, 3}, 3: {3}}, {1: "A", 2: "B", 3: "C"}, {1, 2}
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fast_and_explained_rankings_agree(seed):
    rng = random.Random(seed)
    zone = local_zone()
    first_day = dt.date(2031, 3, 3)
    data = _random_pool(rng, 400, first_day)
    specs = []
    for r in range(60):
        day = first_day + dt.timedelta(days=rng.randrange(10))
        slots = []
        for k in range(rng.choice([1, 2, 3])):
            start = dt.datetime.combine(day + dt.timedelta(days=k), dt.time(rng.choice([7, 8, 9, 14])), zone)
            slots.append(SlotSpec(start, start + dt.timedelta(hours=rng.choice([3, 4, 8]))))
        declined = frozenset(rng.sample([s.id for s in data.substitutes], 3))
        specs.append(
            RequestSpec(
                r, 7, 47.6 + rng.random(), -2.3 + rng.random() * 1.4, rng.choice([1, 2, 3]), "bebes", slots, declined,
                excluded=frozenset(rng.sample([s.id for s in data.substitutes], 2)),
                favourites=frozenset(rng.sample([s.id for s in data.substitutes], 5)),
                allow_split=len(slots) > 1 and rng.random() < 0.5,
                qualified_only=rng.random() < 0.3,
            )
        )  # fmt: skip
    first, last = horizon_of(specs)
    index = PoolIndex(data, first, last, MatchingParams(min_rest_hours=rng.choice([9, 11])))
    compared = 0
    for spec in specs:
        fast = index.rank(spec)
        explained = index.rank(spec, explain=True)
        assert fast.ids.tolist() == explained.ids.tolist()
        assert fast.slot_ok.tolist() == explained.slot_ok.tolist()
        assert set(explained.excluded).isdisjoint(fast.ids.tolist())
        assert len(explained.excluded) + len(explained) == len(data.substitutes)
        assert all(explained.excluded.values())  # every excluded person has at least one reason
        compared += len(fast)
    assert compared > 50  # the data leaves real candidates to compare
