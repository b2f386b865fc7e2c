"""Dispatch that never stalls: waves, the two policies, exactly the headcount wins under a race, shift by shift
by several people, re-scans when the pool or availabilities change, resend, widen, direct assignment,
favourites and exclusions, notices when nobody is left or the request ends unfilled, each offer e-mailed once."""

import datetime as dt
import threading

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from huey.contrib.djhuey import HUEY

from core.models import Structure
from core.services.users import user_create
from plugins.remplacement import selectors, services, tasks
from plugins.remplacement.models import Assignment, Offer, ReplacementRequest, RequestState, StructurePreference
from tenants.models import TerritoryPole
from tenants.outbox.models import Effect
from tests.plugins.remplacement.conftest import (
    BRUZ,
    RENNES,
    SAINT_MALO,
    WEEKDAYS_8_19,
    next_monday,
    required_documents_add,
)


def _two_days(monday):
    return [
        {"date": monday, "start": "08:00", "end": "17:00"},
        {"date": monday + dt.timedelta(days=1), "start": "08:00", "end": "17:00"},
    ]


def test_offers_go_out_in_waves_best_ranked_first(
    make_request, make_substitute, set_pole_settings, django_capture_on_commit_callbacks
):
    set_pole_settings(wave_size=2, wave_delay_minutes=10)
    subs = [make_substitute(f"S{n}", commune=RENNES if n < 2 else BRUZ) for n in range(5)]
    HUEY.storage.flush_schedule()
    with django_capture_on_commit_callbacks(execute=True):
        request = make_request(dispatch=True)
    request.refresh_from_db()
    assert request.state == RequestState.OFFERED
    assert request.waves_sent == 1
    assert set(request.offers.values_list("substitute_id", flat=True)) == {subs[0].pk, subs[1].pk}  # the nearest
    assert len([m for m in mail.outbox if m.subject.startswith("Mission proposée")]) == 2
    wave = Effect.objects.get(key=f"wave:{request.pk}:2")  # the next wave, an outbox effect after the delay
    assert (wave.task, wave.args) == ("plugins.remplacement.tasks.offer_wave_send", [request.pk, 2])
    assert 9 * 60 < (wave.available_at - wave.created_at).total_seconds() <= 10 * 60
    assert [t.args for t in HUEY.scheduled()] == [("dep_35", wave.pk)]
    with django_capture_on_commit_callbacks(execute=True):
        second = services.offer_wave_send(request_id=request.pk, wave=2)
    assert {o.substitute_id for o in second} == {s.pk for s in subs[2:]}  # the wider wave: the rest
    assert services.offer_wave_send(request_id=request.pk, wave=2) == []  # a retried task sends nothing twice
    HUEY.storage.flush_schedule()


def test_each_offer_is_e_mailed_once_even_when_its_task_runs_again(make_request, make_substitute):
    anna = make_substitute("Anna")
    request = make_request()
    (offer,) = services.offer_wave_send(request_id=request.pk, wave=1)
    mail.outbox.clear()
    assert tasks.offer_notify.run_local(offer.pk) is True
    assert tasks.offer_notify.run_local(offer.pk) is False  # retried: already sent
    assert [m.to for m in mail.outbox] == [[anna.user.email]]


def test_a_critical_request_goes_to_everyone_at_once(make_request, make_substitute, set_pole_settings):
    set_pole_settings(wave_size=1)
    subs = [make_substitute(f"S{n}") for n in range(3)]
    request = make_request(urgency="critical")
    offers = services.offer_wave_send(request_id=request.pk, wave=1)
    assert {o.substitute_id for o in offers} == {s.pk for s in subs}


def test_structure_picks_among_volunteers(
    make_request, make_substitute, structure_user, django_capture_on_commit_callbacks
):
    anna, bea, cloe = make_substitute("Anna"), make_substitute("Béa"), make_substitute("Cloé")
    request = make_request()
    offers = {o.substitute_id: o for o in services.offer_wave_send(request_id=request.pk, wave=1)}
    services.offer_accept(offer=offers[anna.pk], actor=anna.user)
    services.offer_accept(offer=offers[bea.pk], actor=bea.user)
    request.refresh_from_db()
    assert request.state == RequestState.OFFERED  # volunteers only: the structure picks
    with pytest.raises(ValidationError, match="volontaire"):
        services.offer_confirm(offer=offers[cloe.pk], actor=structure_user)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.offer_confirm(offer=offers[bea.pk], actor=structure_user)
    request.refresh_from_db()
    assert request.state == RequestState.FILLED
    assert selectors.booked_substitutes(request) == [bea]
    statuses = dict(request.offers.values_list("substitute_id", "status"))
    assert statuses == {anna.pk: "filled_by_other", bea.pk: "accepted", cloe.pk: "filled_by_other"}
    told = [m.to[0] for m in mail.outbox if m.subject.startswith("Mission pourvue")]
    assert sorted(told) == sorted([anna.user.email, cloe.user.email])
    assert any(m.subject.startswith("Remplacement trouvé") for m in mail.outbox)


def test_first_to_accept_wins_and_the_next_one_is_told(make_request, make_substitute, set_pole_settings):
    set_pole_settings(dispatch_policy="first_accept")
    anna, bea = make_substitute("Anna"), make_substitute("Béa")
    request = make_request()
    offers = {o.substitute_id: o for o in services.offer_wave_send(request_id=request.pk, wave=1)}
    services.offer_accept(offer=offers[bea.pk], actor=bea.user)
    with pytest.raises(services.MissionUnavailableError, match="vient d'être pourvue"):
        services.offer_accept(offer=offers[anna.pk], actor=anna.user)
    assert selectors.booked_substitutes(request) == [bea]


def test_one_cannot_answer_someone_else_s_offer(make_request, make_substitute):
    anna, bea = make_substitute("Anna"), make_substitute("Béa")
    request = make_request()
    offers = {o.substitute_id: o for o in services.offer_wave_send(request_id=request.pk, wave=1)}
    with pytest.raises(services.PermissionDenied):
        services.offer_accept(offer=offers[anna.pk], actor=bea.user)


def test_a_two_day_request_is_filled_day_by_day_by_two_people(make_request, make_substitute, set_pole_settings, monday):
    set_pole_settings(dispatch_policy="first_accept")
    mondays = [{"weekday": 0, "start": "07:00", "end": "19:00"}]
    tuesdays = [{"weekday": 1, "start": "07:00", "end": "19:00"}]
    anna = make_substitute("Anna", rules=mondays)
    bea = make_substitute("Béa", rules=tuesdays)
    request = make_request(slots=_two_days(monday))
    offers = {o.substitute_id: o for o in services.offer_wave_send(request_id=request.pk, wave=1)}
    monday_slot, tuesday_slot = request.slots.order_by("starts_at")
    assert list(offers[anna.pk].slots.all()) == [monday_slot]  # each is offered the day they can do
    assert list(offers[bea.pk].slots.all()) == [tuesday_slot]
    services.offer_accept(offer=offers[anna.pk], actor=anna.user)
    request.refresh_from_db()
    assert request.state == RequestState.OFFERED  # the Tuesday is still open
    services.offer_accept(offer=offers[bea.pk], actor=bea.user)
    request.refresh_from_db()
    assert request.state == RequestState.FILLED
    booked = set(Assignment.objects.filter(request=request).values_list("slot_id", "substitute_id"))
    assert booked == {(monday_slot.pk, anna.pk), (tuesday_slot.pk, bea.pk)}


def test_a_request_that_may_not_be_split_waits_for_one_person_for_every_shift(make_request, make_substitute, monday):
    anna = make_substitute("Anna", rules=[{"weekday": 0, "start": "07:00", "end": "19:00"}])
    both = make_substitute("Béa")
    request = make_request(slots=_two_days(monday), allow_split=False)
    ranked = selectors.request_ranking(request)
    assert [c.substitute_id for c in ranked.ranking.candidates] == [both.pk]
    assert any(reason.startswith("Pas disponible le mardi") for reason in ranked.ranking.excluded[anna.pk])


def test_two_people_a_shift_when_the_gap_calls_for_two(make_request, make_substitute, set_pole_settings):
    set_pole_settings(dispatch_policy="first_accept")
    anna, bea, cloe = make_substitute("Anna"), make_substitute("Béa"), make_substitute("Cloé")
    request = make_request(headcount=2)
    offers = {o.substitute_id: o for o in services.offer_wave_send(request_id=request.pk, wave=1)}
    services.offer_accept(offer=offers[anna.pk], actor=anna.user)
    request.refresh_from_db()
    assert request.state == RequestState.OFFERED
    services.offer_accept(offer=offers[cloe.pk], actor=cloe.user)
    request.refresh_from_db()
    assert request.state == RequestState.FILLED
    with pytest.raises(services.MissionUnavailableError):
        services.offer_accept(offer=offers[bea.pk], actor=bea.user)
    assert {s.pk for s in selectors.booked_substitutes(request)} == {anna.pk, cloe.pk}


def test_a_new_substitute_joining_the_pool_gets_the_open_request_at_once(
    make_request, make_substitute, django_capture_on_commit_callbacks, mailoutbox
):
    request = make_request()
    with django_capture_on_commit_callbacks(execute=True):
        services.offer_wave_send(request_id=request.pk, wave=1)  # nobody yet: searching all the same
    request.refresh_from_db()
    assert (request.state, request.waves_sent) == (RequestState.OFFERED, 0)
    with django_capture_on_commit_callbacks(execute=True):
        newcomer = make_substitute("Nina")
    assert list(request.offers.values_list("substitute_id", flat=True)) == [newcomer.pk]
    assert any(m.to == [newcomer.user.email] and m.subject.startswith("Mission proposée") for m in mailoutbox)


def test_a_changed_availability_re_scans_the_requests_still_searching(
    make_request, make_substitute, django_capture_on_commit_callbacks
):
    anna = make_substitute("Anna")
    late = make_substitute("Léo", rules=[{"weekday": d, "start": "13:00", "end": "19:00"} for d in range(5)])
    request = make_request()
    with django_capture_on_commit_callbacks(execute=True):
        services.offer_wave_send(request_id=request.pk, wave=1)
    assert set(request.offers.values_list("substitute_id", flat=True)) == {anna.pk}
    with django_capture_on_commit_callbacks(execute=True):
        services.availability_weekly_set(
            substitute=late,
            rules=[{"weekday": d, "start": a, "end": b} for d in range(5) for a, b in (("07:00", "12:00"),
                                                                                      ("12:00", "19:00"))],
            actor=late.user,
        )  # fmt: skip
    assert set(request.offers.values_list("substitute_id", flat=True)) == {anna.pk, late.pk}
    request.refresh_from_db()
    assert request.waves_sent == 2


def test_when_everyone_declined_the_next_people_are_asked_at_once(
    make_request, make_substitute, set_pole_settings, django_capture_on_commit_callbacks
):
    set_pole_settings(wave_size=1, wave_delay_minutes=60)
    anna = make_substitute("Anna", commune=RENNES)
    bea = make_substitute("Béa", commune=BRUZ)
    request = make_request()
    (first,) = services.offer_wave_send(request_id=request.pk, wave=1)
    assert first.substitute_id == anna.pk
    with django_capture_on_commit_callbacks(execute=True):
        services.offer_decline(offer=first, actor=anna.user)
    assert request.offers.get(substitute=bea).status == Offer.Status.SENT  # no waiting for the hour
    HUEY.storage.flush_schedule()


def test_out_of_candidates_the_structure_and_the_coordinators_are_told_once(
    make_request, make_substitute, coordinator, django_capture_on_commit_callbacks, mailoutbox
):
    anna = make_substitute("Anna")
    request = make_request()
    (offer,) = services.offer_wave_send(request_id=request.pk, wave=1)
    with django_capture_on_commit_callbacks(execute=True):
        services.offer_decline(offer=offer, actor=anna.user)
    with django_capture_on_commit_callbacks(execute=True):
        services.request_rescan(request_id=request.pk)  # the periodic sweep: nothing new, no second notice
    notices = [m for m in mailoutbox if m.subject.startswith("Personne de disponible pour l'instant")]
    assert len(notices) == 1
    assert "creche@example.org" in notices[0].to
    assert coordinator.email in notices[0].to


def test_the_coordinator_reminds_those_who_did_not_answer(make_request, make_substitute, coordinator,
                                                          django_capture_on_commit_callbacks):  # fmt: skip
    anna, bea = make_substitute("Anna"), make_substitute("Béa")
    request = make_request()
    offers = {o.substitute_id: o for o in services.offer_wave_send(request_id=request.pk, wave=1)}
    services.offer_decline(offer=offers[bea.pk], actor=bea.user)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.request_resend(request=request, actor=coordinator) == 1
    assert [(m.to, m.subject.split(" :")[0]) for m in mail.outbox] == [
        ([anna.user.email], "Relance — Mission proposée")
    ]


def test_the_coordinator_widens_beyond_the_waves(make_request, make_substitute, coordinator, set_pole_settings):
    set_pole_settings(wave_size=1, max_waves=1)
    subs = [make_substitute(f"S{n}") for n in range(3)]
    request = make_request()
    assert len(services.offer_wave_send(request_id=request.pk, wave=1)) == 1
    widened = services.request_widen(request=request, actor=coordinator)
    assert len(widened) == 1
    assert request.offers.count() == 2
    with pytest.raises(services.PermissionDenied):
        services.request_widen(request=request, actor=subs[0].user)


def test_the_coordinator_assigns_someone_directly_with_the_same_checks(  # noqa: PLR0917
    make_request, make_substitute, coordinator, monday, mailoutbox, django_capture_on_commit_callbacks
):
    anna = make_substitute("Anna")
    far = make_substitute("Loïc", commune=SAINT_MALO)
    request = make_request()
    with pytest.raises(ValidationError, match="Trop loin"):
        services.request_assign(request=request, substitute=far, actor=coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        services.request_assign(request=request, substitute=anna, actor=coordinator)
    request.refresh_from_db()
    assert request.state == RequestState.FILLED
    offer = request.offers.get(substitute=anna)
    assert offer.direct
    assert offer.status == Offer.Status.ACCEPTED
    assert any(m.subject.startswith("Mission confirmée") and m.to == [anna.user.email] for m in mailoutbox)


def test_favourites_are_offered_first_and_exclusions_never(  # noqa: PLR0917
    make_request, make_substitute, book, structure, structure_user, set_pole_settings, monday
):
    near = make_substitute("Proche", commune=RENNES)
    favourite = make_substitute("Fanny", commune=BRUZ)
    excluded = make_substitute("Xavier", commune=RENNES)
    earlier = make_request(slots=[{"date": monday + dt.timedelta(days=7), "start": "08:00", "end": "12:00"}])
    book(earlier, favourite)
    set_pole_settings(dispatch_policy="structure_picks", wave_size=1)
    # The structure may only name people it has met.
    with pytest.raises(services.PermissionDenied):
        services.preference_set(structure=structure, substitute=excluded, kind="exclu", actor=structure_user,
                                reason="Retards")  # fmt: skip
    services.preference_set(structure=structure, substitute=favourite, kind="favori", actor=structure_user)
    services.preference_set(structure=structure, substitute=excluded, kind="exclu", actor=None, reason="Retards")
    request = make_request()
    offers = services.offer_wave_send(request_id=request.pk, wave=1)
    assert [o.substitute_id for o in offers] == [favourite.pk]  # a wave of one: the favourite first
    ranked = selectors.request_ranking(request)
    assert excluded.pk not in ranked.ranking.ids.tolist()
    assert ranked.ranking.excluded[excluded.pk] == ["Exclu·e par la structure."]
    assert near.pk in ranked.ranking.ids.tolist()
    assert StructurePreference.objects.get(substitute=excluded).reason == "Retards"


def test_a_deactivated_substitute_is_released_and_the_shift_offered_again(  # noqa: PLR0917
    make_request, make_substitute, book, coordinator, django_capture_on_commit_callbacks, mailoutbox
):
    anna, bea = make_substitute("Anna"), make_substitute("Béa")
    request = make_request()
    book(request, anna)
    with django_capture_on_commit_callbacks(execute=True):
        services.substitute_deactivate(substitute=anna, actor=coordinator, reason="Extrait de casier expiré")
    request.refresh_from_db()
    assert request.state == RequestState.OFFERED
    assert not Assignment.objects.filter(substitute=anna).exists()
    assert request.offers.get(substitute=bea).status in (Offer.Status.SENT, Offer.Status.FILLED_BY_OTHER)
    assert any(m.subject.startswith("Mission annulée pour vous") for m in mailoutbox)


def test_requests_still_unfilled_at_their_start_become_unfilled_and_the_structure_is_told(
    make_request, django_capture_on_commit_callbacks, mailoutbox
):
    request = make_request()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.requests_expire(now=request.first_slot_start) == 1
    request.refresh_from_db()
    assert request.state == RequestState.UNFILLED
    assert [m.subject.split(" :")[0] for m in mailoutbox] == ["Remplacement non pourvu"]


def test_a_request_half_filled_at_its_end_is_filled_in_part_and_the_gap_told(  # noqa: PLR0917
    make_request,
    make_substitute,
    set_pole_settings,
    monday,
    monkeypatch,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    from django.utils import timezone

    set_pole_settings(dispatch_policy="first_accept")
    anna = make_substitute("Anna", rules=[{"weekday": 0, "start": "07:00", "end": "19:00"}])
    request = make_request(slots=_two_days(monday))
    (offer,) = services.offer_wave_send(request_id=request.pk, wave=1)
    services.offer_accept(offer=offer, actor=anna.user)
    tuesday = request.slots.order_by("starts_at").last()
    monkeypatch.setattr(timezone, "now", lambda: tuesday.starts_at + dt.timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.requests_expire() == 1
    request.refresh_from_db()
    assert request.state == RequestState.FILLED
    assert "Pourvue en partie" in request.case.events.filter(transition="pourvoir").get().comment
    assert any(m.subject.startswith("Remplacement non pourvu") and "mardi" in m.body for m in mailoutbox)


@pytest.mark.slow
def test_fifty_concurrent_acceptances_make_exactly_one_winner(scratch_territory, django_db_blocker):
    """Real concurrent transactions (one connection per thread) on committed data."""
    contenders = 50
    with django_db_blocker.unblock():
        connection.set_tenant(scratch_territory)
        try:
            TerritoryPole.objects.create(
                territory=scratch_territory, pole="remplacement", settings={"dispatch_policy": "first_accept"}
            )
            coordinator = user_create(email="coord@example.org", groups=["pole_coordinator"], send_welcome=False)
            structure = Structure.objects.create(
                name="Crèche Concurrence", kind="creche", commune="Rennes", commune_insee=RENNES
            )
            for n in range(contenders):
                user = user_create(email=f"r{n}@example.org", send_welcome=False)
                sub = services.substitute_create(
                    user=user, home_commune_insee=RENNES, qualifications=["eje"], actor=coordinator
                )
                services.availability_weekly_set(substitute=sub, rules=WEEKDAYS_8_19, actor=user)
                required_documents_add(sub, actor=coordinator)
            request = services.request_create(
                structure=structure,
                qualification="auxiliaire_puericulture",
                slots=[{"date": next_monday(), "start": "08:00", "end": "17:00"}],
                children_walking=12,
                staff_present=[{"qualification": "eje", "count": 1}],
                urgency="critical",
                dispatch=False,
                actor=coordinator,
            )
            offers = services.offer_wave_send(request_id=request.pk, wave=1)
            assert len(offers) == contenders
            barrier = threading.Barrier(contenders)
            results: list[str] = []
            lock = threading.Lock()

            def accept(offer_id: int) -> None:
                connection.set_tenant(scratch_territory)
                try:
                    offer = Offer.objects.select_related("substitute__user").get(pk=offer_id)
                    barrier.wait(timeout=60)
                    try:
                        services.offer_accept(offer=offer, actor=offer.substitute.user)
                        outcome = "won"
                    except services.MissionUnavailableError:
                        outcome = "late"
                    with lock:
                        results.append(outcome)
                finally:
                    connection.close()

            threads = [threading.Thread(target=accept, args=(o.pk,)) for o in offers]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
            assert sorted(results) == ["late"] * (contenders - 1) + ["won"]
            request = ReplacementRequest.objects.select_related("case").get(pk=request.pk)
            assert request.state == RequestState.FILLED
            assert Assignment.objects.filter(request=request).values("substitute_id").distinct().count() == 1
            statuses = list(Offer.objects.filter(request=request).values_list("status", flat=True))
            assert statuses.count("accepted") == 1
            assert statuses.count("filled_by_other") == contenders - 1
            assert request.case.events.filter(transition="pourvoir").count() == 1
        finally:
            connection.set_schema_to_public()
