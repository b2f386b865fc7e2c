"""Sample data of the pole for the demo territory: a small pool around Rennes (with their documents, one
extract expired, one missing), six months of past requests (filled at once, filled late, unfilled, in several
structures: what the coordinator's pilotage reads) and a few open needs, each a case of the engine.

The past is made by the pole's own services, each called at the moment a person would have acted (the
clock travels there with `time-machine`): a director posts, the first wave goes out, someone volunteers
minutes or a day later and the structure confirms, the substitute declares the hours after the shift and
the structure validates them, the coordinator bills the month; or nobody can come and the sweep records
the request unfilled when it starts."""

from __future__ import annotations

import datetime as dt
import unicodedata

import time_machine
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone

from core.models import Structure
from core.services.users import user_create
from plugins.remplacement import services
from plugins.remplacement.matching import local_zone
from plugins.remplacement.models import Offer, ReplacementRequest, Substitute, SubstituteDocument, Timesheet

# first name, last name, commune INSEE, qualifications, distance km, weekly pattern, documents
POOL = [
    ("Camille", "Le Goff", "35238", ["auxiliaire_puericulture"], 25, "full", "complete"),
    ("Inès", "Morvan", "35047", ["eje"], 30, "full", "complete"),
    ("Yann", "Guillou", "35281", ["cap_aepe"], 20, "mornings", "expired"),
    ("Sofia", "Benali", "35238", ["infirmier_puericulteur"], 40, "full", "complete"),
    ("Maël", "Le Bihan", "35012", ["auxiliaire_puericulture", "cap_aepe"], 35, "split", "complete"),
    ("Léa", "Riou", "35051", ["psychomotricien"], 50, "three_days", "missing"),
    ("Nora", "Hamon", "35288", ["eje"], 60, "full", "complete"),
    ("Tom", "Perrin", "35238", ["cap_aepe"], 15, "full", "complete"),
]
PATTERNS = {
    "full": [(d, "07:30", "19:00") for d in range(5)],
    "mornings": [(d, "07:00", "13:00") for d in range(5)],
    "split": [(d, a, b) for d in range(5) for a, b in (("07:00", "11:30"), ("15:30", "19:30"))],
    "three_days": [(d, "08:00", "18:30") for d in (0, 1, 3)],
}
# A one-page PDF (what a scanned document looks like to the upload validator).
SAMPLE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _documents(substitute: Substitute, quals: list[str], kind: str) -> None:
    today = timezone.localdate()
    for code in quals:
        services.document_add(
            substitute=substitute,
            kind=SubstituteDocument.Kind.DIPLOMA,
            qualification=code,
            file=ContentFile(SAMPLE_PDF, name=f"diplome-{code}.pdf"),
            verified=True,
            actor=None,
        )
    if kind == "missing":
        return
    issued = today - dt.timedelta(days=120 if kind == "expired" else 20)
    services.document_add(
        substitute=substitute,
        kind=SubstituteDocument.Kind.CRIMINAL_RECORD,
        file=ContentFile(SAMPLE_PDF, name="casier-judiciaire.pdf"),
        issued_on=issued,
        expires_on=issued + dt.timedelta(days=90),
        verified=True,
        actor=None,
    )
    services.document_add(
        substitute=substitute,
        kind=SubstituteDocument.Kind.VACCINATIONS,
        file=ContentFile(SAMPLE_PDF, name="vaccinations.pdf"),
        verified=True,
        actor=None,
    )


# The past six months: (months back, day of the month, structure, qualification, start, end, days posted
# before the shift, outcome, minutes from posting to the volunteer's answer). « tout de suite »: someone
# answers within the hour; « en retard »: nobody answers the first day; « personne »: nobody may come (too
# far, or everyone declines) and the request ends unfilled.
HISTORY = [
    (6, 3, "Pirouette", "auxiliaire_puericulture", "08:00", "17:00", 2, "fast", 35),
    (6, 10, "Les P'tits Loups", "cap_aepe", "07:30", "13:30", 1, "fast", 20),
    (6, 17, "Au Bonheur des Bambins", "auxiliaire_puericulture", "08:00", "18:00", 3, "nobody", 0),
    (6, 24, "Graine d'Éveil", "eje", "09:00", "17:30", 4, "late", 1680),
    (5, 2, "Pirouette", "cap_aepe", "08:00", "16:00", 1, "fast", 15),
    (5, 9, "Les Galopins", "auxiliaire_puericulture", "08:30", "17:30", 2, "late", 1500),
    (5, 15, "Les P'tits Loups", "auxiliaire_puericulture", "07:30", "16:30", 3, "late", 2600),
    (5, 22, "Au Bonheur des Bambins", "cap_aepe", "08:00", "14:00", 2, "nobody", 0),
    (5, 28, "Les Galopins", "eje", "09:00", "17:00", 2, "declined", 0),
    (4, 5, "Graine d'Éveil", "auxiliaire_puericulture", "08:00", "17:00", 1, "fast", 25),
    (4, 12, "Pirouette", "eje", "09:00", "18:00", 3, "late", 2200),
    (4, 19, "Les Galopins", "cap_aepe", "08:00", "13:00", 1, "fast", 95),
    (4, 25, "Les P'tits Loups", "cap_aepe", "13:00", "19:00", 2, "fast", 40),
    (3, 3, "Pirouette", "auxiliaire_puericulture", "07:30", "17:00", 2, "fast", 12),
    (3, 10, "Au Bonheur des Bambins", "eje", "08:00", "17:00", 5, "nobody", 0),
    (3, 17, "Graine d'Éveil", "cap_aepe", "08:00", "16:30", 2, "fast", 30),
    (3, 24, "Les Galopins", "auxiliaire_puericulture", "08:00", "17:00", 3, "late", 1900),
    (3, 27, "Pirouette", "cap_aepe", "07:30", "12:30", 1, "nobody", 0),
    (2, 2, "Les P'tits Loups", "auxiliaire_puericulture", "08:00", "17:00", 1, "fast", 18),
    (2, 9, "Pirouette", "cap_aepe", "08:00", "15:00", 2, "fast", 45),
    (2, 16, "Les Galopins", "eje", "09:00", "17:00", 2, "declined", 0),
    (2, 23, "Graine d'Éveil", "auxiliaire_puericulture", "07:30", "16:30", 3, "late", 1450),
    (1, 4, "Pirouette", "auxiliaire_puericulture", "08:00", "17:00", 2, "fast", 22),
    (1, 10, "Au Bonheur des Bambins", "auxiliaire_puericulture", "08:00", "17:00", 2, "nobody", 0),
    (1, 13, "Les P'tits Loups", "cap_aepe", "07:30", "12:30", 1, "fast", 10),
    (1, 17, "Graine d'Éveil", "eje", "09:00", "18:00", 2, "fast", 55),
    (1, 20, "Les Galopins", "auxiliaire_puericulture", "08:00", "17:00", 2, "fast", 80),
    (1, 25, "Pirouette", "eje", "09:00", "17:00", 3, "late", 1300),
]
HISTORY_CHILDREN = {"eje": (5, 14), "auxiliaire_puericulture": (4, 12), "cap_aepe": (3, 14)}


def _person_of(email_local: str) -> str:
    local = unicodedata.normalize("NFKD", email_local.lower()).encode("ascii", "ignore").decode()
    return f"{local.replace(' ', '')}@remplacants.example.org"


def _weekday_on_or_after(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _months_back(today: dt.date, months: int) -> dt.date:
    year, month = today.year, today.month - months
    while month < 1:
        year, month = year - 1, month + 12
    return dt.date(year, month, 1)


def _at(day: dt.date, hhmm: str, minutes: int = 0) -> dt.datetime:
    hour, minute = (int(x) for x in hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute), local_zone()) + dt.timedelta(minutes=minutes)


def _fill(request: ReplacementRequest, offer: Offer, answered: dt.datetime) -> bool:
    """The person says yes at `answered` and the structure confirms a few minutes later; then, after the
    shift, the hours are declared and validated the next morning."""
    with time_machine.travel(answered, tick=False):
        offer = services.offer_accept(offer=offer, actor=offer.substitute.user)
    if offer.status == Offer.Status.VOLUNTEERED:  # the structure picks (the demo's policy)
        with time_machine.travel(answered + dt.timedelta(minutes=7), tick=False):
            services.offer_confirm(offer=offer, actor=None)
    slot = request.slots.order_by("starts_at").first()
    if slot is None or not request.assignments.filter(substitute=offer.substitute).exists():
        return False
    zone = local_zone()
    start, end = slot.starts_at.astimezone(zone), slot.ends_at.astimezone(zone)
    with time_machine.travel(end + dt.timedelta(minutes=40), tick=False):
        sheet = services.timesheet_submit(
            request=request,
            lines=[
                {
                    "slot": slot.pk,
                    "start": f"{start + dt.timedelta(minutes=5):%H:%M}",
                    "end": f"{end + dt.timedelta(minutes=10):%H:%M}",
                    "break_minutes": 45 if (end - start) > dt.timedelta(hours=6) else 0,
                }
            ],
            actor=offer.substitute.user,
        )
    reviewed = _at(end.date() + dt.timedelta(days=1), "09:20")
    if reviewed >= timezone.now():  # the structure has not looked yet
        return True
    with time_machine.travel(reviewed, tick=False):
        services.timesheet_review(timesheet=Timesheet.objects.get(pk=sheet.pk), approve=True, actor=None)
    return True


def history_seed(*, today: dt.date | None = None) -> int:
    """Six months of past requests (`HISTORY`), made through the services at the moments people acted.
    Returns how many requests."""
    today = today or timezone.localdate()
    structures = {s.name: s for s in Structure.objects.filter(name__in={h[2] for h in HISTORY})}
    count = 0
    for back, day_of_month, name, qualification, start, end, lead, outcome, answer_minutes in HISTORY:
        structure = structures.get(name)
        if structure is None or not structure.commune_insee:
            continue
        day = _weekday_on_or_after(_months_back(today, back) + dt.timedelta(days=day_of_month - 1))
        posted = _at(day - dt.timedelta(days=lead), "07:40", minutes=count * 7 % 50)
        not_walking, walking = HISTORY_CHILDREN[qualification]
        with time_machine.travel(posted, tick=False):
            request = services.request_create(
                structure=structure,
                qualification=qualification,
                slots=[{"date": day, "start": start, "end": end}],
                children_not_walking=not_walking,
                children_walking=walking,
                staff_present=[
                    {"qualification": "eje", "count": 1},
                    {"qualification": "auxiliaire_puericulture", "count": 1},
                ],
                urgency="urgent" if lead <= 1 else "normal",
                channel="backoffice",
                actor=None,
            )
            services.offer_wave_send(request_id=request.pk, wave=1)  # nothing new if its task ran already
        count += 1
        offers = list(request.offers.select_related("substitute__user").order_by("rank", "pk"))
        answered = posted + dt.timedelta(minutes=answer_minutes)
        if outcome in ("fast", "late") and offers and _fill(request, offers[0], answered):
            continue
        if outcome == "declined":  # everyone asked says no during the morning
            for n, offer in enumerate(offers, start=1):
                with time_machine.travel(posted + dt.timedelta(minutes=20 * n), tick=False):
                    services.offer_decline(offer=offer, actor=offer.substitute.user)
        with time_machine.travel(_at(day, start, minutes=5), tick=False):
            services.requests_expire()
    return count


def history_bill(*, today: dt.date | None = None) -> None:
    """The coordinator billed each month of the history a few days into the next one — all but last month,
    whose validated hours are left for the demo's coordinator to export and bill (whatever the day of the
    month the demo is built on: billing last month too once its billing day had passed left the demo with
    nothing to bill for the rest of the month). What is validated and not billed yet is billed, so a seed
    interrupted before this step is completed by the next one."""
    today = today or timezone.localdate()
    for back in range(6, 1, -1):
        month = _months_back(today, back)
        billed = _at(_weekday_on_or_after(_months_back(today, back - 1) + dt.timedelta(days=4)), "10:00")
        with time_machine.travel(billed, tick=False):
            services.requests_bill(year=month.year, month=month.month, actor=None)


def demo_seed() -> None:
    """Idempotent: people already in the pool, the history and the open requests are made once."""
    User = get_user_model()
    joined = timezone.now() - dt.timedelta(days=400)  # the pool gathered over a year ago, before the history
    for first, last, commune, quals, km, pattern, documents in POOL:
        email = _person_of(f"{first}.{last}")
        user = User.objects.filter(username=email).first()
        if user is not None and Substitute.objects.filter(user=user).exists():
            continue
        with time_machine.travel(joined, tick=False):
            user = user or user_create(email=email, first_name=first, last_name=last, send_welcome=False)
            substitute = services.substitute_create(
                user=user, home_commune_insee=commune, qualifications=quals, max_distance_km=km, actor=None
            )
            services.availability_weekly_set(
                substitute=substitute,
                rules=[{"weekday": d, "start": a, "end": b} for d, a, b in PATTERNS[pattern]],
                actor=None,
            )
        _documents(substitute, quals, documents)
    month_start = dt.datetime.combine(timezone.localdate().replace(day=1), dt.time(0), local_zone())
    if not ReplacementRequest.objects.filter(first_slot_start__lt=month_start).exists():
        history_seed()
    history_bill()
    if ReplacementRequest.objects.filter(first_slot_start__gte=timezone.now()).exists():
        return
    monday = timezone.localdate() + dt.timedelta(days=7 - timezone.localdate().weekday())
    structures = [s for s in Structure.objects.filter(is_active=True).order_by("pk")[:3] if s.commune_insee]
    # qualification, shifts, urgency, children (not walking, walking), staff present
    needs = [
        ("auxiliaire_puericulture", [(0, "08:00", "17:00"), (1, "08:00", "17:00")], "urgent", (4, 10),
         [{"qualification": "auxiliaire_puericulture", "count": 1}, {"qualification": "cap_aepe", "count": 1}]),
        ("eje", [(2, "09:00", "18:00")], "normal", (5, 13), [{"qualification": "auxiliaire_puericulture", "count": 3}]),
        ("cap_aepe", [(3, "07:30", "12:30")], "critical", (0, 12), [{"qualification": "eje", "count": 1}]),
    ]  # fmt: skip
    for structure, (qualification, slots, urgency, (not_walking, walking), staff) in zip(
        structures, needs, strict=False
    ):
        services.request_create(
            structure=structure,
            qualification=qualification,
            slots=[{"date": monday + dt.timedelta(days=d), "start": a, "end": b} for d, a, b in slots],
            children_not_walking=not_walking,
            children_walking=walking,
            staff_present=staff,
            urgency=urgency,
            channel="api",
            actor=None,
        )
