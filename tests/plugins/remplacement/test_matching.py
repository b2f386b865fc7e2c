"""Every eligibility rule and every ranking criterion of the matching engine, with the French reasons."""

import datetime as dt

import pytest

from plugins.remplacement import services
from plugins.remplacement.communes import commune_get, distance_km
from plugins.remplacement.selectors import request_ranking
from tests.plugins.remplacement.conftest import BRUZ, RENNES, SAINT_BRIEUC, SAINT_MALO


def ranked_ids(request):
    return [c.substitute_id for c in request_ranking(request).candidates]


def reasons(request, substitute):
    return request_ranking(request).excluded.get(substitute.pk, [])


def test_communes_come_from_the_official_list_with_coordinates():
    rennes, brieuc = commune_get(RENNES), commune_get(SAINT_BRIEUC)
    assert rennes.name == "Rennes"
    assert brieuc.name == "Saint-Brieuc"
    assert 85 < distance_km(rennes.latitude, rennes.longitude, brieuc.latitude, brieuc.longitude) < 100
    assert commune_get("99999") is None


def test_an_eligible_substitute_is_ranked_with_no_reason(make_request, make_substitute):
    camille = make_substitute()
    request = make_request()
    ranking = request_ranking(request)
    assert [c.substitute_id for c in ranking.candidates] == [camille.pk]
    assert ranking.excluded == {}


def test_qualification_a_higher_diploma_replaces_a_lower_one_not_the_reverse(make_request, make_substitute):
    eje = make_substitute("Eva", qualifications=("eje",))
    cap = make_substitute("Chloé", qualifications=("cap_aepe",))
    request = make_request(qualification="auxiliaire_puericulture")
    assert eje.pk in ranked_ids(request)
    assert reasons(request, cap) == [
        "Qualification insuffisante : « Auxiliaire de puériculture » demandée "
        "(diplômes : CAP Accompagnant éducatif petite enfance)."
    ]


def test_availability_must_cover_every_slot(make_request, make_substitute, monday):
    mornings = make_substitute("Marie", rules=[{"weekday": d, "start": "07:00", "end": "13:00"} for d in range(5)])
    request = make_request(
        slots=[
            {"date": monday, "start": "08:00", "end": "12:00"},
            {"date": monday + dt.timedelta(days=1), "start": "08:00", "end": "14:00"},
        ],
        allow_split=False,
    )
    why = reasons(request, mornings)
    assert len(why) == 1
    assert why[0].startswith("Pas disponible le mardi")
    assert "de 08:00 à 14:00" in why[0]


def test_availability_for_some_shifts_is_enough_when_the_request_may_be_split(make_request, make_substitute, monday):
    mornings = make_substitute("Marie", rules=[{"weekday": d, "start": "07:00", "end": "13:00"} for d in range(5)])
    request = make_request(
        slots=[
            {"date": monday, "start": "08:00", "end": "12:00"},
            {"date": monday + dt.timedelta(days=1), "start": "08:00", "end": "14:00"},
        ]
    )
    (candidate,) = request_ranking(request).candidates
    assert candidate.substitute_id == mornings.pk
    assert candidate.slot_indexes == [0]  # the Monday only


def test_dated_exceptions_remove_or_add_availability(make_request, make_substitute, monday):
    camille = make_substitute("Camille")
    services.availability_exception_add(substitute=camille, date=monday, kind="unavailable", actor=camille.user)
    weekend = make_substitute("Sam", rules=[])
    saturday = monday + dt.timedelta(days=5)
    services.availability_exception_add(
        substitute=weekend, date=saturday, kind="available", start=dt.time(8), end=dt.time(18), actor=weekend.user
    )
    on_monday = make_request()
    assert "Pas disponible le lundi" in reasons(on_monday, camille)[0]
    on_saturday = make_request(slots=[{"date": saturday, "start": "09:00", "end": "17:00"}])
    assert ranked_ids(on_saturday) == [weekend.pk]
    assert "Pas disponible le samedi" in reasons(on_saturday, camille)[0]


def test_travel_distance_within_what_each_accepts(make_request, make_substitute):
    far_ok = make_substitute("Loïc", commune=SAINT_MALO, max_distance_km=80)
    far_no = make_substitute("Gwen", commune=SAINT_MALO, max_distance_km=30)
    request = make_request()
    assert ranked_ids(request) == [far_ok.pk]
    why = reasons(request, far_no)
    assert len(why) == 1
    assert why[0].startswith("Trop loin : 6")
    assert "au-delà des 30 km acceptés" in why[0]


def test_weekly_hour_limit(make_request, make_substitute, monday):
    short = make_substitute("Inès", max_hours_week=8)
    request = make_request()  # 9 hours
    why = reasons(request, short)
    assert len(why) == 1
    assert why[0].startswith("Plafond hebdomadaire dépassé")
    assert "0 h déjà prévues + 9 h > 8 h" in why[0]


def test_monthly_hour_limit_counts_missions_already_booked(make_request, make_substitute, book, monday):
    day = monday if (monday + dt.timedelta(days=7)).month == monday.month else monday + dt.timedelta(days=7)
    anna = make_substitute("Anna", max_hours_month=12)
    first = make_request(slots=[{"date": day, "start": "08:00", "end": "17:00"}])  # 9 h
    book(first, anna)
    # The next week: the weekly limit is not involved, the monthly one is.
    second = make_request(slots=[{"date": day + dt.timedelta(days=7), "start": "08:00", "end": "12:00"}])
    why = reasons(second, anna)
    assert len(why) == 1
    assert why[0].startswith("Plafond mensuel dépassé")
    assert "9 h déjà prévues + 4 h > 12 h" in why[0]


def test_no_overlap_with_a_booked_mission(make_request, make_substitute, make_structure, book, monday):
    anna = make_substitute("Anna")
    first = make_request()
    book(first, anna)
    other = make_structure("Les Lutins")
    second = make_request(structure=other, slots=[{"date": monday, "start": "16:00", "end": "19:00"}], actor=None)
    assert any(r.startswith("Déjà en mission le lundi") for r in reasons(second, anna))
    later = make_request(structure=other, slots=[{"date": monday, "start": "17:00", "end": "19:00"}], actor=None)
    assert anna.pk in ranked_ids(later)  # the same day, after the first mission: fine


def test_minimum_rest_between_missions_is_a_pole_setting(
    make_request, make_substitute, book, monday, set_pole_settings
):
    anna = make_substitute("Anna", rules=[{"weekday": d, "start": "06:00", "end": "22:00"} for d in range(5)])
    evening = make_request(slots=[{"date": monday, "start": "13:00", "end": "21:00"}])
    book(evening, anna)
    early = make_request(slots=[{"date": monday + dt.timedelta(days=1), "start": "07:00", "end": "12:00"}])
    why = reasons(early, anna)
    assert any(r.startswith("Repos de 11 h non respecté") for r in why)
    set_pole_settings(min_rest_hours=9)
    assert anna.pk in ranked_ids(early)


def test_a_declined_mission_is_not_offered_again(make_request, make_substitute):
    anna = make_substitute("Anna")
    request = make_request()
    offers = services.offer_wave_send(request_id=request.pk, wave=1)
    services.offer_decline(offer=offers[0], actor=anna.user)
    assert reasons(request, anna) == ["A décliné cette mission."]


def test_an_inactive_substitute_is_excluded(make_request, make_substitute):
    anna = make_substitute("Anna")
    services.substitute_update(substitute=anna, is_active=False, actor=anna.user)
    assert reasons(make_request(), anna) == ["Compte de remplaçant·e inactif."]


def test_no_offer_without_a_criminal_record_extract_valid_until_the_mission_ends(
    make_request, make_substitute, coordinator, monday, set_pole_settings
):
    from django.core.files.base import ContentFile

    from plugins.remplacement.demo import SAMPLE_PDF
    from plugins.remplacement.models import SubstituteDocument

    without = make_substitute("Nina", criminal_record=False)
    lapsing = make_substitute("Léa", criminal_record=False)
    services.document_add(
        substitute=lapsing,
        kind=SubstituteDocument.Kind.CRIMINAL_RECORD,
        file=ContentFile(SAMPLE_PDF, name="casier.pdf"),
        expires_on=monday + dt.timedelta(days=1),
        verified=True,
        actor=coordinator,
    )
    valid = make_substitute("Inès")
    one_day = make_request(slots=[{"date": monday, "start": "08:00", "end": "17:00"}])
    assert set(ranked_ids(one_day)) == {lapsing.pk, valid.pk}  # Léa's extract covers Monday
    three_days = make_request(
        slots=[{"date": monday + dt.timedelta(days=d), "start": "08:00", "end": "17:00"} for d in range(3)]
    )
    assert ranked_ids(three_days) == [valid.pk]
    assert reasons(three_days, without) == ["Aucun extrait de casier judiciaire au dossier."]
    ends = (monday + dt.timedelta(days=1)).day
    assert reasons(three_days, lapsing)[0].startswith(f"Extrait de casier judiciaire valable jusqu'au {ends} ")
    set_pole_settings(require_criminal_record=False)
    assert set(ranked_ids(three_days)) == {without.pk, lapsing.pk, valid.pk}


def test_only_an_extract_a_coordinator_verified_counts(
    make_request, make_substitute, coordinator, set_pole_settings, monday
):
    from plugins.remplacement.models import SubstituteDocument
    from tests.plugins.remplacement.conftest import criminal_record_add

    waiting = make_substitute("Nina", criminal_record=False)
    criminal_record_add(waiting, actor=waiting.user, verified=True)  # a substitute's own upload is never verified
    renewing = make_substitute("Léa", criminal_record=False)  # hers ends before; the new one awaits the check
    criminal_record_add(renewing, actor=coordinator, expires_on=monday - dt.timedelta(days=1))
    criminal_record_add(renewing, actor=renewing.user)
    checked = make_substitute("Inès")
    request = make_request()
    assert ranked_ids(request) == [checked.pk]
    assert reasons(request, waiting) == ["Extrait de casier judiciaire pas encore vérifié par un·e coordinateur·rice."]
    assert reasons(request, renewing)[0].endswith(
        "seulement, avant la fin de la mission ; un document plus récent attend sa vérification."
    )
    set_pole_settings(require_verified_documents=False)
    assert set(ranked_ids(request)) == {waiting.pk, renewing.pk, checked.pk}
    set_pole_settings(require_verified_documents=True)
    extract = SubstituteDocument.objects.get(substitute=waiting, kind=SubstituteDocument.Kind.CRIMINAL_RECORD)
    services.document_verify(document=extract, actor=coordinator)
    assert set(ranked_ids(request)) == {waiting.pk, checked.pk}


def test_no_offer_without_vaccinations_up_to_date_and_verified(
    make_request, make_substitute, coordinator, monday, set_pole_settings
):
    from tests.plugins.remplacement.conftest import vaccinations_add

    without = make_substitute("Nina", vaccinations=False)
    lapsing = make_substitute("Léa", vaccinations=False)
    vaccinations_add(lapsing, actor=coordinator, expires_on=monday + dt.timedelta(days=1))
    unchecked = make_substitute("Yann", vaccinations=False)
    vaccinations_add(unchecked, actor=unchecked.user)
    valid = make_substitute("Inès")
    one_day = make_request(slots=[{"date": monday, "start": "08:00", "end": "17:00"}])
    assert set(ranked_ids(one_day)) == {lapsing.pk, valid.pk}
    three_days = make_request(
        slots=[{"date": monday + dt.timedelta(days=d), "start": "08:00", "end": "17:00"} for d in range(3)]
    )
    assert ranked_ids(three_days) == [valid.pk]
    assert reasons(three_days, without) == ["Aucun justificatif de vaccinations à jour au dossier."]
    assert reasons(three_days, unchecked) == [
        "Justificatif de vaccinations pas encore vérifié par un·e coordinateur·rice."
    ]
    ends = (monday + dt.timedelta(days=1)).day
    assert reasons(three_days, lapsing)[0].startswith(f"Vaccinations à jour jusqu'au {ends} ")
    assert reasons(three_days, lapsing)[0].endswith("seulement, avant la fin de la mission.")
    set_pole_settings(require_vaccinations=False)
    assert set(ranked_ids(three_days)) == {without.pk, lapsing.pk, unchecked.pk, valid.pk}


def test_the_coordinator_reads_the_document_reason_on_the_request_page(make_request, make_substitute, tenant):
    """Exclusion reasons are for coordinators (privacy): the request's page says, in French, that the
    vaccinations are missing."""
    from tests.people import person_client, person_invite

    make_substitute("Nina", vaccinations=False)
    request = make_request()
    coordinator = person_invite(tenant, role="pole_coordinator")
    page = person_client(tenant, coordinator).get(f"/remplacement/structure/demandes/{request.pk}/").content.decode()
    assert "Aucun justificatif de vaccinations à jour au dossier." in page


def test_every_failing_rule_is_reported_at_once(make_request, make_substitute):
    worst = make_substitute("Zoé", commune=SAINT_BRIEUC, qualifications=("cap_aepe",), rules=[], max_hours_week=2)
    why = reasons(make_request(), worst)
    assert [r.split(" ")[0] for r in why] == ["Qualification", "Trop", "Pas", "Plafond"]


def test_ranking_nearest_first(make_request, make_substitute):
    bruz = make_substitute("Bruno", commune=BRUZ)
    rennes = make_substitute("Rémi", commune=RENNES)
    ranking = request_ranking(make_request())
    assert [c.substitute_id for c in ranking.candidates] == [rennes.pk, bruz.pk]
    assert ranking.candidates[0].distance_km < 3 < ranking.candidates[1].distance_km


def test_ranking_fairness_favours_who_got_fewer_hours_this_month(make_request, make_substitute, book, monday):
    busy = make_substitute("Béa")
    idle = make_substitute("Iris")
    first = make_request(slots=[{"date": monday, "start": "08:00", "end": "17:00"}])
    book(first, busy)
    second = make_request(slots=[{"date": monday + dt.timedelta(days=1), "start": "08:00", "end": "17:00"}])
    ranking = request_ranking(second)
    assert [c.substitute_id for c in ranking.candidates] == [idle.pk, busy.pk]
    assert ranking.candidates[1].hours_this_month == 9


def test_ranking_preferences_break_a_tie(make_request, make_substitute, structure):
    plain = make_substitute("Paul")
    fan = make_substitute("Fanny", preferred_structure_ids=[structure.pk], preferred_age_groups=["bebes"])
    ranking = request_ranking(make_request(age_group="bebes"))
    assert [c.substitute_id for c in ranking.candidates] == [fan.pk, plain.pk]
    assert ranking.candidates[0].preferred is True


@pytest.mark.parametrize("weights", [{"proximity": 0.0, "fairness": 0.0, "preference": 1.0}])
def test_ranking_weights_are_pole_settings(make_request, make_substitute, structure, set_pole_settings, weights):
    near = make_substitute("Nina", commune=RENNES)
    fan = make_substitute("Fanny", commune=BRUZ, preferred_structure_ids=[structure.pk])
    request = make_request()
    assert ranked_ids(request) == [near.pk, fan.pk]
    set_pole_settings(weights=weights)
    assert ranked_ids(request) == [fan.pk, near.pk]
