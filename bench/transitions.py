"""Throughput of `transition_apply` (role check, CEL guard, form validation, optimistic locking, audit row)
against the raw limit of the same database: a guarded UPDATE plus an audit INSERT per transaction with psycopg,
with the same number of client processes.

Both sides run with production settings (DEBUG off), in client processes started the same way.

Usage: python bench/transitions.py [--clients N] [--seconds S] [--cases C]
Last line: service_tps=<n> raw_tps=<n> ratio=<service/raw>
"""

import argparse
import multiprocessing
import os
import time

from _django import production_env, setup

# Production settings (DEBUG off: no query log) in this process and in the client processes it spawns.
os.environ.update(production_env())
setup(settings="core.settings.production")

from django.db import connection, connections  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

BENCH_CODE = "90"
WORKFLOW = {
    "format": "ppe-workflow/1",
    "code": "bench",
    "name": "Banc d'essai",
    "open_form": "ouverture",
    "open_roles": ["case_worker"],
    "forms": [
        {"code": "ouverture", "name": "Ouverture", "fields": [{"code": "title", "type": "text", "label": "Objet",
                                                                "required": True}]},
        {"code": "note", "name": "Note", "fields": [{"code": "note", "type": "integer", "label": "Note",
                                                      "required": True, "min": 0}]},
    ],
    "states": [
        {"code": "a", "label": "A", "kind": "initial", "sla_days": 5},
        {"code": "b", "label": "B", "kind": "normal", "sla_days": 5},
        {"code": "z", "label": "Z", "kind": "final"},
    ],
    "transitions": [
        {"code": "aller", "label": "Aller", "from": ["a"], "to": "b", "roles": ["case_worker"],
         "guard": "size(data.title) > 0 && 'case_worker' in actor.roles", "form": "note"},
        {"code": "retour", "label": "Retour", "from": ["b"], "to": "a", "roles": ["case_worker"],
         "guard": "data.note >= 0", "form": "note"},
        {"code": "fin", "label": "Fin", "from": ["b"], "to": "z", "roles": ["case_worker"]},
    ],
}  # fmt: skip


def _territory_drop() -> None:
    from tenants.models import Territory

    connection.set_schema_to_public()
    existing = Territory.objects.filter(code=BENCH_CODE).first()
    if existing is not None:
        existing.delete(force_drop=True)


def _prepare(clients: int, cases: int):
    from core.services.cases import case_open
    from core.services.users import user_create
    from tenants.services import template_ensure, territory_create
    from workflows.services import workflow_import

    template_ensure()
    _territory_drop()
    territory = territory_create(code=BENCH_CODE, name="Banc d'essai", slug="banc-essai")
    with schema_context(territory.schema_name):
        workflow_import(source=WORKFLOW, publish=True)
        actor = user_create(email="bench@example.org", groups=["case_worker"], send_welcome=False)
        ids = [
            [case_open(workflow="bench", data={"title": f"Dossier {c}-{i}"}, actor=actor).pk for i in range(cases)]
            for c in range(clients)
        ]
    connection.set_schema_to_public()
    return territory.schema_name, actor.pk, ids


def _service_client(schema: str, actor_id: int, case_ids: list[int], seconds: float, out) -> None:
    from django.contrib.auth import get_user_model

    from core.models import Case
    from core.services.cases import transition_apply
    from tenants.models import Territory

    connection.set_tenant(Territory.objects.get(schema_name=schema))
    actor = get_user_model().objects.get(pk=actor_id)
    cases = list(Case.objects.filter(pk__in=case_ids))
    done, i = 0, 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        case = cases[i % len(cases)]
        i += 1
        transition_apply(case=case, transition="aller" if case.state == "a" else "retour", actor=actor,
                         data={"note": i})  # fmt: skip
        done += 1
    connections.close_all()
    out.put(done)


def _raw_client(dsn: dict, schema: str, actor_id: int, case_ids: list[int], seconds: float, out) -> None:  # noqa: PLR0917
    import json

    import psycopg

    states = dict.fromkeys(case_ids, "a")
    with psycopg.connect(**dsn) as conn:
        conn.execute(f'SET search_path = "{schema}", public')
        conn.commit()
        done, i = 0, 0
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            case_id = case_ids[i % len(case_ids)]
            i += 1
            old = states[case_id]
            new = "b" if old == "a" else "a"
            with conn.transaction():
                cur = conn.execute(
                    "UPDATE core_case SET state = %s, data = data || %s::jsonb, updated_at = now() "
                    "WHERE id = %s AND state = %s",
                    [new, json.dumps({"note": i}), case_id, old],
                )
                if cur.rowcount != 1:
                    raise RuntimeError("lost update")
                conn.execute(
                    "INSERT INTO core_caseevent (case_id, kind, actor_id, from_state, to_state, transition, data_diff, "
                    "comment, detail, created_at) VALUES (%s, 'transitioned', %s, %s, %s, 'raw', %s, '', '{}', now())",
                    [case_id, actor_id, old, new, json.dumps({"note": [i - 1, i]})],
                )
            states[case_id] = new
            done += 1
    out.put(done)


def _run(target, args_for, clients: int, seconds: float) -> float:
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    processes = [ctx.Process(target=target, args=(*args_for(c), seconds, out)) for c in range(clients)]
    for process in processes:
        process.start()
    total = sum(out.get(timeout=seconds + 120) for _ in processes)
    for process in processes:
        process.join()
    return total / seconds


def _dsn() -> dict:
    db = connections["default"].settings_dict
    dsn = {"dbname": db["NAME"], "user": db["USER"]}
    for key, name in (("HOST", "host"), ("PORT", "port"), ("PASSWORD", "password")):
        if db.get(key):
            dsn[name] = db[key]
    return dsn


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--cases", type=int, default=50)
    args = parser.parse_args()
    schema, actor_id, ids = _prepare(args.clients, args.cases)
    dsn = _dsn()
    connections.close_all()
    try:
        service = _run(_service_client, lambda c: (schema, actor_id, ids[c]), args.clients, args.seconds)
        print(f"service: {service:.0f} transitions/s ({args.clients} clients)", flush=True)
        with schema_context(schema):
            from core.models import Case

            Case.objects.filter(state="b").update(state="a")  # the raw clients start from state a
        connections.close_all()
        raw = _run(_raw_client, lambda c: (dsn, schema, actor_id, ids[c]), args.clients, args.seconds)
        print(f"raw:     {raw:.0f} transitions/s ({args.clients} clients)", flush=True)
    finally:
        _territory_drop()
    print(f"service_tps={service:.0f} raw_tps={raw:.0f} ratio={service / raw:.2f}")


if __name__ == "__main__":
    main()
