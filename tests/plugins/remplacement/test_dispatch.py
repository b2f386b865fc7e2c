"""Dispatch: staggered waves, the two policies, exactly one winner, the e-mails and their calendar files."""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from huey.contrib.djhuey import HUEY
from icalendar import Calendar

from core.models import Structure
from core.services.users import user_create
from plugins.remplacement import services
from plugins.remplacement.models import Assignment, Offer, ReplacementRequest, RequestState
from tenants.models import TerritoryPole
from tests.plugins.remplacement.conftest import BRUZ, RENNES, WEEKDAYS_8_19, next_monday


def _ics(message) -> Calendar:
    (name, content, mimetype), *_ = message.attachments
    assert name == "mission.ics"
    assert mimetype.startswith("text/calendar")
    return Calendar.from_ical(content)


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
    first_wave = set(request.offers.values_list("substitute_id", flat=True))
    assert first_wave == {subs[0].pk, subs[1].pk}  # the two nearest
    # Each offer is an e-mail with the mission as a tentative calendar event.
    offer_mails = [m for m in mail.outbox if m.subject.startswith("Mission proposée")]
    assert len(offer_mails) == 2
    event = _ics(offer_mails[0]).walk("VEVENT")[0]
    assert str(event["status"]) == "TENTATIVE"
    assert "Les Petits Loups" in str(event["summary"])
    # The next wave is scheduled after the delay, not sent.
    scheduled = HUEY.scheduled()
    assert [t.args[1:] for t in scheduled] == [(request.pk, 2)]
    with django_capture_on_commit_callbacks(execute=True):
        second = services.offer_wave_send(request_id=request.pk, wave=2)
    assert {o.substitute_id for o in second} == {s.pk for s in subs[2:]}  # the wider wave: the rest
    assert services.offer_wave_send(request_id=request.pk, wave=2) == []  # a retried task sends nothing twice
    HUEY.storage.flush_schedule()


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
    assert request.substitute == bea
    statuses = dict(request.offers.values_list("substitute_id", "status"))
    assert statuses == {anna.pk: "filled_by_other", bea.pk: "accepted", cloe.pk: "filled_by_other"}
    assert Assignment.objects.filter(request=request, substitute=bea).count() == 1
    by_subject = {m.subject.split(" :")[0]: m for m in mail.outbox}
    confirmed = _ics(by_subject["Mission confirmée"])
    assert str(confirmed["method"]) == "REQUEST"
    assert str(confirmed.walk("VEVENT")[0]["status"]) == "CONFIRMED"
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
    request.refresh_from_db()
    assert request.substitute == bea


def test_one_cannot_answer_someone_else_s_offer(make_request, make_substitute):
    anna, bea = make_substitute("Anna"), make_substitute("Béa")
    request = make_request()
    offers = {o.substitute_id: o for o in services.offer_wave_send(request_id=request.pk, wave=1)}
    with pytest.raises(services.PermissionDenied):
        services.offer_accept(offer=offers[anna.pk], actor=bea.user)


def test_cancelling_a_filled_request_frees_the_substitute(make_request, make_substitute, book, structure_user):
    anna = make_substitute("Anna")
    request = make_request()
    book(request, anna)
    services.request_cancel(request=request, actor=structure_user, reason="Retour anticipé")
    request.refresh_from_db()
    assert request.state == RequestState.CANCELLED
    assert not Assignment.objects.filter(substitute=anna).exists()
    assert list(request.events.values_list("kind", flat=True))[-1] == "cancelled"


def test_requests_still_unfilled_at_their_start_become_unfilled(make_request, make_substitute):
    request = make_request()
    assert services.requests_expire(now=request.first_slot_start) == 1
    request.refresh_from_db()
    assert request.state == RequestState.UNFILLED


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
            users = []
            for n in range(contenders):
                user = user_create(email=f"r{n}@example.org", send_welcome=False)
                sub = services.substitute_create(
                    user=user, home_commune_insee=RENNES, qualifications=["eje"], actor=coordinator
                )
                services.availability_weekly_set(substitute=sub, rules=WEEKDAYS_8_19, actor=user)
                users.append(user)
            request = services.request_create(
                structure=structure,
                qualification="auxiliaire_puericulture",
                slots=[{"date": next_monday(), "start": "08:00", "end": "17:00"}],
                children_present=12,
                staff_present=1,
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
            request = ReplacementRequest.objects.get(pk=request.pk)
            assert request.state == RequestState.FILLED
            assert Assignment.objects.filter(request=request).values("substitute_id").distinct().count() == 1
            statuses = list(Offer.objects.filter(request=request).values_list("status", flat=True))
            assert statuses.count("accepted") == 1
            assert statuses.count("filled_by_other") == contenders - 1
            assert get_user_model().objects.filter(pk=request.substitute.user_id).exists()
        finally:
            connection.set_schema_to_public()
