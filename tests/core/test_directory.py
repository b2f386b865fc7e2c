"""A structure's partnership with its municipality: a new row per period, the previous one closed."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from core.models import MunicipalityPartnership, Structure
from core.services.directory import partnership_change


@pytest.fixture
def structure(tenant):
    return Structure.objects.create(name="Les Lutins", kind="creche", commune="Betton", places=18)


def test_a_new_partnership_closes_the_previous_period(structure, territory_admin):
    first = partnership_change(
        structure=structure, kind="annual_subsidy", municipality="Commune de Betton",
        start_date=dt.date(2020, 1, 1), annual_amount=Decimal("20000"), actor=territory_admin,
    )  # fmt: skip
    second = partnership_change(
        structure=structure, kind="sieg", municipality="Commune de Betton",
        start_date=dt.date(2026, 1, 1), actor=territory_admin,
    )  # fmt: skip
    first.refresh_from_db()
    assert first.end_date == dt.date(2025, 12, 31)
    assert second.end_date is None
    assert structure.current_partnership == second
    assert list(structure.partnerships.values_list("kind", flat=True)) == ["sieg", "annual_subsidy"]


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"start_date": dt.date(2019, 6, 1)}, "start_date", "doit commencer après"),
        ({"kind": "none", "annual_amount": Decimal(1000)}, "annual_amount", "ni montant"),
        ({"kind": "dsp", "places_purchased": 4}, "places_purchased", "Achat de places"),
        ({"kind": "inconnu"}, "kind", "choix valide"),
        ({"municipality": "  "}, "municipality", "ne peut pas être vide"),
    ],
)
def test_bad_partnerships_are_refused_and_nothing_changes(structure, territory_admin, kwargs, field, message):
    partnership_change(structure=structure, kind="annual_subsidy", municipality="Commune de Betton",
                       start_date=dt.date(2020, 1, 1), actor=territory_admin)  # fmt: skip
    values = {"kind": "dsp", "municipality": "Commune de Betton", "start_date": dt.date(2024, 1, 1)}
    values.update(kwargs)
    with pytest.raises(ValidationError) as excinfo:
        partnership_change(structure=structure, actor=territory_admin, **values)
    assert message in " ".join(excinfo.value.message_dict[field])
    assert MunicipalityPartnership.objects.filter(structure=structure).count() == 1
    assert structure.current_partnership.end_date is None


def test_the_admin_screen_shows_the_history_and_records_a_new_period(client_35, structure, territory_admin):
    partnership_change(structure=structure, kind="annual_subsidy", municipality="Commune de Betton",
                       start_date=dt.date(2020, 1, 1), actor=territory_admin)  # fmt: skip
    client_35.force_login(territory_admin)
    listing = client_35.get("/admin/structures/").content.decode()
    assert "Subvention annuelle" in listing
    url = f"/admin/partenariats/{structure.pk}/"
    response = client_35.post(url, {"kind": "objectives_agreement", "municipality": "Commune de Betton",
                                    "start_date": "2025-09-01", "annual_amount": "30000"})  # fmt: skip
    assert response.status_code == 302
    page = client_35.get(url).content.decode()
    assert "du 01/01/2020 au 31/08/2025" in page
    assert "Conventionnement avec objectifs" in page
    bad = client_35.post(url, {"kind": "dsp", "municipality": "Commune de Betton", "start_date": "2021-01-01"})
    assert "doit commencer après" in bad.content.decode()
