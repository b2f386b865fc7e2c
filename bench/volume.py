"""A territory that has lived for years, measured through the HTTP stack (gunicorn, production settings).

On its own database (`ppe_volume`, kept between runs: the fill is long, and resumes where it stopped), the demo
territory as `make run` builds it is filled through the product's services, as its people would fill it:
5,000 structures (`structure_create`), 2,000 substitutes (`substitute_create`, their accounts by
`user_create`), 100,000 cases over the shipped workflows (`case_open`, with data their opening forms accept,
linked to the structures) and 1,000,000 history rows (`transition_apply` with each transition's form filled,
`case_comment_add`, `case_data_update`; some cases get 60 comments: a case page with 50 history rows and more);
100 other territories are present (cloned). The product has no bulk path for any of these, so none is used.

Then, as a case worker (a session made by the product's login), through gunicorn (2 workers, production
settings), each measured `--repeat` times: the inbox's first page, a filtered page, a search, a case page with
50+ history rows, the evaluation dashboard (as a pole coordinator), the API case list with filters (a token of
the case worker), and once each a CSV and an XLSX export of the 100,000 cases (time, and the peak resident
memory of the worker that served it).

Usage: python bench/volume.py [--cases 100000] [--events 1000000] [--repeat 30] [--processes 2] [--others 100]
       [--fill-only]   (BENCH_VOLUME_DATABASE=ppe_volume_try … for a small try on another database)
Last line: cases=100000 inbox_p50_ms=<n> inbox_p95_ms=<n> search_p50_ms=<n> case_p50_ms=<n> dashboard_p50_ms=<n>
api_list_p50_ms=<n> export_csv_s=<n> export_peak_mb=<n>
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import logging
import multiprocessing
import os
import random
import statistics
import time
from decimal import Decimal
from typing import Any

from _django import (
    collectstatic,
    gunicorn_start,
    gunicorn_stop,
    load_average,
    memory_mb,
    production_env,
    setup,
    user_ensure,
    wait_http,
    worker_pids,
)

os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.dummy.EmailBackend")  # thousands of e-mails
# The fill's forked workers open connections of their own (a pool's threads do not survive a fork); gunicorn,
# measured, runs with production's pool (the variable is dropped from its environment).
os.environ["DB_POOL_MAX_SIZE"] = "0"
DATABASE = os.environ.get("BENCH_VOLUME_DATABASE", "ppe_volume")  # another name for a small try
setup(database=DATABASE)

from django.db import connection, connections  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

logging.getLogger("huey").setLevel(logging.WARNING)  # the effects run inline: a line per task, millions

STRUCTURES = 5000
SUBSTITUTES = 2000
OTHER_TERRITORIES = 100
STAFF_EMAIL = "volume-staff@example.org"
WORKER_EMAIL = "volume-worker@example.org"
COORDINATOR_EMAIL = "volume-coordinator@example.org"
PASSWORD = "volume-bench-password-1"  # noqa: S105 (the bench's accounts, on its own database)
UNTHROTTLED = "10000000/min"
LONG_HISTORY = 60  # comments on the cases whose page is measured
CASE_WORKFLOWS = ["support-accompagnement", "dev-reponse-commune", "dev-sieg"]
WORDS = ("crèche", "halte", "garderie", "accueil", "parents", "enfants", "projet", "budget", "commune",
         "équipe", "recrutement", "comptabilité", "convention", "formation", "locaux", "subvention", "bilan",
         "planning")  # fmt: skip
COMMUNES = [("Rennes", "35238", "35000"), ("Saint-Malo", "35288", "35400"), ("Fougères", "35115", "35300"),
            ("Vitré", "35360", "35500"), ("Redon", "35236", "35600"), ("Bruz", "35047", "35170")]  # fmt: skip


# --- values the forms accept -------------------------------------------------------------------------------


def _text(rng: random.Random, words: int = 4) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize()


def _value(spec, rng: random.Random, index: int) -> Any:  # noqa: PLR0911, PLR0912
    o = spec.options
    kind = spec.type
    if o.get("default") is not None and kind != "group":
        return o["default"]
    if kind in ("text", "commune"):
        text = COMMUNES[index % len(COMMUNES)][0] if kind == "commune" else f"{_text(rng, 3)} {index}"
        return text[: o.get("max_length") or 100]
    if kind == "textarea":
        return _text(rng, 12)[: o.get("max_length") or 2000]
    if kind == "integer":
        low = int(o.get("min") if o.get("min") is not None else 0)
        high = int(o.get("max") if o.get("max") is not None else low + 100)
        return rng.randint(low, high)
    if kind in ("decimal", "money"):
        return str(Decimal(rng.randint(100, 500000)) / 100)
    if kind == "date":
        return (dt.date(2026, 1, 5) + dt.timedelta(days=rng.randint(0, 700))).isoformat()
    if kind == "datetime":
        return (dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC) + dt.timedelta(hours=rng.randint(0, 5000))).isoformat()
    if kind == "email":
        return f"contact{index}@example.org"
    if kind == "phone":
        return f"02 99 {index % 100:02d} {rng.randint(10, 99)} {rng.randint(10, 99)}"
    if kind == "postcode":
        return COMMUNES[index % len(COMMUNES)][2]
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "choice":
        choices = o.get("choices") or []
        return str(rng.choice(choices)["value"]) if choices else ""
    if kind == "multichoice":
        choices = o.get("choices") or []
        return [str(c["value"]) for c in rng.sample(choices, k=min(2, len(choices)))]
    if kind == "group":
        count = max(1, int(o.get("min_items") or 1))
        return [{sub.code: _value(sub, rng, index) for sub in spec.fields if sub.required} for _ in range(count)]
    return None  # siret, siren, file, reference: left out (optional in the shipped workflows where used here)


def form_data(form, rng: random.Random, index: int, *, optional: float = 0.6) -> dict[str, Any]:
    """Data for a form: every required field, and most optional ones, with values of their types."""
    data = {}
    for spec in form.input_fields():
        if spec.visible_if is not None:
            continue  # shown on a condition: left out, as a person who does not meet it would
        if spec.required or rng.random() < optional:
            value = _value(spec, rng, index)
            if value is not None:
                data[spec.code] = value
    return data


# --- the fill ------------------------------------------------------------------------------------------------


def _users():
    def ensure(email: str, groups: list[str]):
        return user_ensure(email, groups, first_name="Banc", last_name=email.split("@", maxsplit=1)[0],
                           password=PASSWORD)  # fmt: skip

    staff = ensure(STAFF_EMAIL, ["platform_admin", "pole_coordinator", "case_worker"])
    worker = ensure(WORKER_EMAIL, ["case_worker"])
    coordinator = ensure(COORDINATOR_EMAIL, ["pole_coordinator"])
    return staff, worker, coordinator


def _fill_directory(staff, rng: random.Random) -> None:
    from core.models import Structure
    from core.services.directory import structure_create

    have = Structure.objects.count()
    for index in range(have, STRUCTURES):
        name, insee, postcode = COMMUNES[index % len(COMMUNES)]
        kind = rng.choice(Structure.Kind.values)
        structure_create(name=f"{Structure.Kind(kind).label} {_text(rng, 2)} {index}", kind=kind, commune=name,
                         commune_insee=insee, postcode=postcode, places=rng.randint(10, 60), actor=staff)  # fmt: skip
    print(f"structures: {Structure.objects.count()}", flush=True)


def _fill_substitutes(staff, rng: random.Random) -> None:
    from core.services.users import user_create
    from plugins.remplacement.models import Qualification, Substitute
    from plugins.remplacement.services import substitute_create

    codes = list(Qualification.objects.values_list("code", flat=True))
    have = Substitute.objects.count()
    for index in range(have, SUBSTITUTES):
        user = user_create(email=f"remplacant{index}@example.org", first_name="Remplaçant", last_name=str(index),
                           groups=["substitute"], send_welcome=False)  # fmt: skip
        substitute_create(user=user, home_commune_insee=COMMUNES[index % len(COMMUNES)][1],
                          qualifications=rng.sample(codes, k=min(2, len(codes))), actor=staff)  # fmt: skip
    print(f"substitutes: {Substitute.objects.count()}", flush=True)


def _case_history(case, staff, rng: random.Random, events: int, index: int) -> int:
    """About `events` history rows on a case, through the services; returns how many were written."""
    from core.selectors.cases import available_transitions
    from core.services.case_updates import case_comment_add, case_data_update
    from core.services.cases import transition_apply
    from workflows.engine import compiled_version
    from workflows.exceptions import FormInvalid, WorkflowError

    written = 0
    compiled = compiled_version(case.workflow_version_id)
    while written < events:
        roll = rng.random()
        try:
            if roll < 0.3 and case.closed_at is None:
                choices = [t for t in available_transitions(case=case, user=staff) if t.available]
                if choices:
                    chosen = rng.choice(choices)
                    data = form_data(compiled.forms[chosen.form], rng, index) if chosen.form else {}
                    comment = _text(rng, 6) if chosen.comment != "none" else ""
                    transition_apply(case=case, transition=chosen.code, actor=staff, data=data, comment=comment)
                    case.refresh_from_db()
                    written += 1
                    continue
            if roll < 0.45 and case.closed_at is None and compiled.open_form:
                form = compiled.forms[compiled.open_form]
                changed = {k: v for k, v in form_data(form, rng, index, optional=0).items() if rng.random() < 0.3}
                if changed:
                    case_data_update(case=case, data=changed, actor=staff)
                    case.refresh_from_db()
                    written += 1
                    continue
            case_comment_add(case=case, text=_text(rng, 10), actor=staff,
                             visibility="internal" if rng.random() < 0.4 else "structure")  # fmt: skip
            written += 1
        except (FormInvalid, WorkflowError):
            case.refresh_from_db()
            case_comment_add(case=case, text=_text(rng, 10), actor=staff)
            written += 1
    return written


def _fill_cases_worker(schema: str, worker: int, workers: int, cases: int, per_case: float, out) -> None:  # noqa: PLR0917
    from django.contrib.auth import get_user_model

    from core.models import Case, Structure
    from core.services.cases import case_open
    from tenants.models import Territory
    from workflows.engine import compiled_version
    from workflows.selectors import workflow_published_version

    connection.set_tenant(Territory.objects.get(schema_name=schema))
    staff = get_user_model().objects.get(email=STAFF_EMAIL)
    structures = list(Structure.objects.values_list("pk", flat=True))
    forms = {}
    for code in CASE_WORKFLOWS:
        version = workflow_published_version(code=code)
        compiled = compiled_version(version.pk)
        forms[code] = compiled.forms[compiled.open_form]
    rng = random.Random(worker)
    have = Case.objects.filter(channel="import").count()  # the bench's cases (resumable)
    opened = events = 0
    started = time.perf_counter()
    for index in range(have + worker, cases, workers):
        code = CASE_WORKFLOWS[index % len(CASE_WORKFLOWS)]
        structure = Structure.objects.get(pk=structures[index % len(structures)])
        data = form_data(forms[code], rng, index)
        if "structure_name" in data:
            data["structure_name"] = structure.name[:200]
        case = case_open(workflow=code, data=data, structure=structure, actor=staff, channel="import")
        opened += 1
        target = LONG_HISTORY if index % 2000 == 0 else max(0, round(rng.expovariate(1 / per_case)))
        events += 1 + _case_history(case, staff, rng, min(target, 200), index)
        if opened % 1000 == 0:
            rate = opened / (time.perf_counter() - started)
            print(f"  worker {worker}: {opened} cases, {events} history rows, {rate:.0f} cases/s", flush=True)
    connections.close_all()
    out.put((opened, events))


def fill(cases: int, events: int, processes: int, others: int) -> Any:
    from core.models import Case, CaseEvent
    from core.services.demo import demo_setup
    from tenants.models import Territory
    from tenants.services import territory_clone

    demo, _credentials = demo_setup()
    rng = random.Random(35)
    with schema_context(demo.schema_name):
        from tenants.models import TerritoryPole

        staff, _worker, _coordinator = _users()
        _fill_directory(staff, rng)
        if not TerritoryPole.objects.filter(territory=demo, pole="remplacement", enabled=False).exists():
            _fill_substitutes(staff, rng)
        have_cases = Case.objects.filter(channel="import").count()
        have_events = CaseEvent.objects.count()
    if have_cases < cases:
        per_case = max(1.0, (events - have_events) / max(1, cases - have_cases) - 1)
        print(f"cases: {have_cases} → {cases}, about {per_case:.1f} history rows each besides the opening", flush=True)
        connections.close_all()
        ctx = multiprocessing.get_context("fork")
        out = ctx.Queue()
        workers = [ctx.Process(target=_fill_cases_worker, args=(demo.schema_name, w, processes, cases, per_case, out))
                   for w in range(processes)]  # fmt: skip
        for process in workers:
            process.start()
        results = [out.get() for _ in workers]
        for process in workers:
            process.join()
        print(f"opened {sum(r[0] for r in results)} cases, {sum(r[1] for r in results)} history rows", flush=True)
    from localflavor.fr.fr_department import DEPARTMENT_CHOICES

    existing = set(Territory.objects.values_list("code", flat=True))
    departements = [(code, label.split(" - ", 1)[1]) for code, label in DEPARTMENT_CHOICES if code != demo.code]
    present = Territory.objects.filter(is_template=False).exclude(schema_name__in=["public", demo.schema_name])
    missing = others - present.count()
    for code, name in [item for item in departements if item[0] not in existing][: max(0, missing)]:
        territory_clone(code=code, name=name, slug=f"volume-{code.lower()}")
    with schema_context(demo.schema_name):
        print(f"territory 35: {Case.objects.count()} cases, {CaseEvent.objects.count()} history rows; "
              f"{Territory.objects.filter(is_template=False).exclude(schema_name='public').count()} territories",
              flush=True)  # fmt: skip
    connection.set_schema_to_public()
    return demo


# --- the measures ---------------------------------------------------------------------------------------------


def _login(port: int, host: str, email: str) -> dict[str, str]:
    """Sign in through the admin's login form, as the person would; returns the session cookie header."""
    import re
    from http.cookies import SimpleCookie
    from urllib.parse import urlencode

    def cookies_of(response) -> dict[str, str]:
        jar = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            jar.load(header)
        return {name: morsel.value for name, morsel in jar.items()}

    base = {"Host": host, "X-Forwarded-Proto": "https"}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/admin/login/", headers=base)
    response = conn.getresponse()
    page = response.read().decode()
    cookies = cookies_of(response)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urlencode({"csrfmiddlewaretoken": token, "username": email, "password": PASSWORD, "next": "/admin/"})
    headers = {**base, "Content-Type": "application/x-www-form-urlencoded", "Referer": f"https://{host}/admin/login/",
               "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}  # fmt: skip
    conn.request("POST", "/admin/login/", body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    cookies |= cookies_of(response)
    conn.close()
    if response.status != 302 or "sessionid" not in cookies:
        raise RuntimeError(f"the login of {email} answered {response.status}")
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}


def _token(demo, email: str) -> str:
    from django.contrib.auth import get_user_model

    from core.api.services import api_token_create

    with schema_context(demo.schema_name):
        return api_token_create(user=get_user_model().objects.get(email=email), name="banc volume")[1]


def _get(port: int, host: str, path: str, headers: dict[str, str]) -> tuple[float, int, int]:
    """(ms, status, bytes) of one GET, its body read to the end."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    conn.request("GET", path, headers={"Host": host, "X-Forwarded-Proto": "https", **headers})
    response = conn.getresponse()
    size = 0
    while chunk := response.read(1 << 16):
        size += len(chunk)
    conn.close()
    return (time.perf_counter() - started) * 1000, response.status, size


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def measure(demo, repeat: int) -> dict[str, float]:
    from django.db.models import Count

    from core.models import Case

    with schema_context(demo.schema_name):
        long_case = (
            Case.objects.annotate(n=Count("events"))
            .order_by("-n")  # the longest history: 60 comments and more on every 2,000th case
            .values_list("reference", flat=True)
        ).first()
        some = Case.objects.filter(channel="import").order_by("pk").values_list("structure__name", "state").first()
    api = {"Authorization": f"Bearer {_token(demo, WORKER_EMAIL)}"}
    word = some[0].split()[1] if some and len(some[0].split()) > 1 else "crèche"  # a word of a structure's name
    env = production_env(API_THROTTLE_TOKEN=UNTHROTTLED, API_THROTTLE_USER=UNTHROTTLED, AXES_FAILURE_LIMIT="1000")
    env.pop("DB_POOL_MAX_SIZE", None)
    collectstatic(env)
    server, port = gunicorn_start(env, workers=2, timeout=600)
    host = demo.primary_domain
    results: dict[str, float] = {}
    try:
        wait_http(port, host, "/")
        worker, coordinator = _login(port, host, WORKER_EMAIL), _login(port, host, COORDINATOR_EMAIL)
        _measure_pages(port, host, long_case, some, word, worker, coordinator, api, repeat, results)
        for kind in ("csv", "xlsx"):
            gunicorn_stop(server)  # a fresh server: the peak memory is the export's
            server, port = gunicorn_start(env, workers=1, timeout=600)
            wait_http(port, host, "/")
            worker = _login(port, host, WORKER_EMAIL)
            ms, status, size = _get(port, host, f"/admin/dossiers/?export={kind}", worker)
            if status != 200:
                raise RuntimeError(f"export {kind} answered {status}")
            (pid,) = worker_pids(server.pid)
            _rss, peak = memory_mb(pid)
            results[f"export_{kind}_s"], results[f"export_{kind}_peak_mb"] = ms / 1000, peak
            print(f"export {kind}: {ms / 1000:.1f} s, {size / 1e6:.1f} MB, worker peak {peak:.0f} MB "
                  f"[{load_average()}]", flush=True)  # fmt: skip
    finally:
        gunicorn_stop(server)
    return results


def _measure_pages(port, host, long_case, some, word, worker, coordinator, api, repeat, results) -> None:  # noqa: PLR0917
    pages = {
        "inbox": ("/admin/dossiers/", worker),
        "inbox_filtered": (f"/admin/dossiers/?workflow=support-accompagnement&state={some[1]}&overdue=non", worker),
        "search": (f"/admin/dossiers/?q={word}", worker),
        "case": (f"/admin/dossiers/{long_case}/", worker),
        "dashboard": ("/admin/support/tableau-de-bord/", coordinator),
        "api_list": ("/api/v1/cases/?workflow=support-accompagnement&ordering=-created_at", api),
    }
    for name, (path, headers) in pages.items():
        for _ in range(3):  # warm both workers
            _get(port, host, path, headers)
        samples = []
        for _ in range(repeat):
            ms, status, _size = _get(port, host, path, headers)
            if status != 200:
                raise RuntimeError(f"{name} {path} answered {status}")
            samples.append(ms)
        results[f"{name}_p50_ms"], results[f"{name}_p95_ms"] = _percentiles(samples)
        print(f"{name:<15} p50 {results[f'{name}_p50_ms']:7.0f} ms  p95 {results[f'{name}_p95_ms']:7.0f} ms"
              f"  {path}  [{load_average()}]", flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--others", type=int, default=OTHER_TERRITORIES, help="Other territories present.")
    parser.add_argument("--fill-only", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    demo = fill(args.cases, args.events, args.processes, args.others)
    print(f"fill: {time.perf_counter() - started:.0f} s", flush=True)
    if args.fill_only:
        return
    with schema_context(demo.schema_name):
        from core.models import Case

        count = Case.objects.count()
    r = measure(demo, args.repeat)
    print(
        f"cases={count} inbox_p50_ms={r['inbox_p50_ms']:.0f} inbox_p95_ms={r['inbox_p95_ms']:.0f} "
        f"search_p50_ms={r['search_p50_ms']:.0f} case_p50_ms={r['case_p50_ms']:.0f} "
        f"dashboard_p50_ms={r['dashboard_p50_ms']:.0f} api_list_p50_ms={r['api_list_p50_ms']:.0f} "
        f"export_csv_s={r['export_csv_s']:.1f} "
        f"export_peak_mb={max(r['export_csv_peak_mb'], r['export_xlsx_peak_mb']):.0f}"
    )


if __name__ == "__main__":
    main()
