"""Factories of the remplacement pole's tests: everything is created through the real services."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from core.models import Structure
from core.services.users import user_create
from plugins.remplacement import services
from plugins.remplacement.demo import SAMPLE_PDF
from plugins.remplacement.models import SubstituteDocument

_seq = itertools.count(1)

RENNES = "35238"
BRUZ = "35047"  # about 11 km from Rennes
SAINT_MALO = "35288"  # about 65 km from Rennes
SAINT_BRIEUC = "22278"  # about 93 km from Rennes


def next_monday(weeks_ahead: int = 2) -> dt.date:
    today = timezone.localdate()
    return today + dt.timedelta(days=(7 - today.weekday()) + 7 * (weeks_ahead - 1))


def criminal_record_add(substitute, *, actor, verified: bool = True, expires_on: dt.date | None = None):
    """A criminal-record extract of today, verified and without an expiry date unless told (offers need one)."""
    return services.document_add(
        substitute=substitute,
        kind=SubstituteDocument.Kind.CRIMINAL_RECORD,
        file=ContentFile(SAMPLE_PDF, name="casier-judiciaire.pdf"),
        issued_on=timezone.localdate(),
        expires_on=expires_on,
        verified=verified,
        actor=actor,
    )


def vaccinations_add(substitute, *, actor, verified: bool = True, expires_on: dt.date | None = None):
    """A vaccinations certificate, verified and without an expiry date unless told (offers need one)."""
    return services.document_add(
        substitute=substitute,
        kind=SubstituteDocument.Kind.VACCINATIONS,
        file=ContentFile(SAMPLE_PDF, name="vaccinations.pdf"),
        expires_on=expires_on,
        verified=verified,
        actor=actor,
    )


def required_documents_add(substitute, *, actor):
    """The documents without which no offer is made: a verified extract and verified vaccinations."""
    criminal_record_add(substitute, actor=actor)
    vaccinations_add(substitute, actor=actor)


@pytest.fixture(autouse=True)
def _demo_pool_set_aside(request):
    """The test territory is the demo, whose pool of eight substitutes and three open needs would answer
    every offer wave of these tests: the unit tests of the pole set them aside inside their own transaction
    (rolled back afterwards). The journeys under tests/journeys/ run with the demo pool as it is."""
    if "tenant" not in request.fixturenames and "territory" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("tenant")
    from plugins.remplacement.models import ReplacementRequest, Substitute

    ReplacementRequest.objects.all().delete()
    Substitute.objects.all().delete()
    yield


@pytest.fixture
def monday() -> dt.date:
    """A Monday two weeks ahead: far enough to be in the future, close enough for the month's limits."""
    return next_monday()


@pytest.fixture
def make_structure(tenant):
    def make(name: str | None = None, commune_insee: str = RENNES, commune: str = "Rennes", **extra) -> Structure:
        return Structure.objects.create(
            name=name or f"Crèche {next(_seq)}",
            kind=Structure.Kind.CRECHE,
            commune=commune,
            commune_insee=commune_insee,
            email=extra.pop("email", "creche@example.org"),
            **extra,
        )

    return make


@pytest.fixture
def structure(make_structure) -> Structure:
    return make_structure("Les Petits Loups")


@pytest.fixture
def coordinator(tenant):
    return user_create(email=f"coord{next(_seq)}@example.org", groups=["pole_coordinator"], send_welcome=False)


@pytest.fixture
def make_user(tenant):
    def make(first_name: str = "Camille", **extra):
        n = next(_seq)
        return user_create(email=f"person{n}@example.org", first_name=first_name, send_welcome=False, **extra)

    return make


@pytest.fixture
def structure_user(make_user, structure, coordinator):
    user = make_user("Directrice")
    services.structure_member_add(structure=structure, user=user, actor=coordinator)
    return user


WEEKDAYS_8_19 = [{"weekday": d, "start": "07:00", "end": "19:30"} for d in range(5)]


@pytest.fixture
def make_substitute(make_user, coordinator):
    def make(
        first_name: str = "Camille",
        commune: str = RENNES,
        qualifications: tuple[str, ...] = ("auxiliaire_puericulture",),
        rules=WEEKDAYS_8_19,
        *,
        criminal_record: bool = True,
        vaccinations: bool = True,
        **extra,
    ):
        user = make_user(first_name)
        sub = services.substitute_create(
            user=user,
            home_commune_insee=commune,
            qualifications=list(qualifications),
            actor=coordinator,
            **extra,
        )
        if criminal_record:  # without one, no offer is made (the pole's `require_criminal_record`)
            criminal_record_add(sub, actor=coordinator)
        if vaccinations:  # nor without them (`require_vaccinations`)
            vaccinations_add(sub, actor=coordinator)
        if rules:
            services.availability_weekly_set(substitute=sub, rules=rules, actor=user)
        return sub

    return make


@pytest.fixture
def make_request(structure, structure_user, monday):
    def make(slots=None, qualification: str = "auxiliaire_puericulture", dispatch: bool = False, **extra):
        slots = slots or [{"date": monday, "start": "08:00", "end": "17:00"}]
        return services.request_create(
            structure=extra.pop("structure", structure),
            qualification=qualification,
            slots=slots,
            children_walking=extra.pop("children_walking", 14),
            staff_present=extra.pop("staff_present", [{"qualification": "auxiliaire_puericulture", "count": 2}]),
            dispatch=dispatch,
            actor=extra.pop("actor", structure_user),
            **extra,
        )

    return make


@pytest.fixture
def set_pole_settings(tenant):
    """`set_pole_settings(dispatch_policy="first_accept", ...)`: the territory's settings of the pole."""
    from tenants.models import TerritoryPole

    def set_(**values):
        row, _ = TerritoryPole.objects.get_or_create(territory=tenant, pole="remplacement")
        row.settings = {**row.settings, **values}
        row.save()

    return set_


@pytest.fixture
def book(set_pole_settings):
    """`book(request, substitute)`: fill a request with a substitute through the real dispatch services."""
    from plugins.remplacement.models import Offer

    def book_(request, substitute):
        set_pole_settings(dispatch_policy="first_accept")
        services.offer_wave_send(request_id=request.pk, wave=request.waves_sent + 1)
        offer = Offer.objects.get(request=request, substitute=substitute)
        return services.offer_accept(offer=offer, actor=substitute.user)

    return book_
