"""Posting a replacement request: validation with clear French errors, nothing saved on error."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from plugins.remplacement import services
from plugins.remplacement.models import ReplacementRequest, RequestEvent, RequestSlot, RequestState


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    return exc.message_dict


def test_a_valid_request_is_saved_with_its_slots_hours_and_audit(make_request, monday):
    request = make_request(
        slots=[
            {"date": monday, "start": "08:00", "end": "12:30"},
            {"date": monday + dt.timedelta(days=1), "start": "13:00", "end": "18:00"},
        ]
    )
    assert request.state == RequestState.OPEN
    assert request.slots.count() == 2
    assert str(request.total_hours) == "9.50"
    assert list(request.events.values_list("kind", flat=True)) == ["created"]


@pytest.mark.parametrize(
    ("slot", "message"),
    [
        ({"start": "12:00", "end": "08:00"}, "la fin (08:00) doit être après le début (12:00)"),
        ({"start": "09:00", "end": "09:00"}, "la fin (09:00) doit être après le début (09:00)"),
        ({"start": "08:10", "end": "12:00"}, "quart d'heure"),
        ({"start": "06:00", "end": "19:00"}, "au plus 12 heures"),
    ],
)
def test_bad_slots_are_refused_in_french_and_nothing_is_saved(make_request, monday, slot, message):
    before = (ReplacementRequest.objects.count(), RequestSlot.objects.count(), RequestEvent.objects.count())
    with pytest.raises(ValidationError) as caught:
        make_request(slots=[{"date": monday, **slot}])
    assert any(message in text for text in _errors(caught.value)["slots"])
    assert (ReplacementRequest.objects.count(), RequestSlot.objects.count(), RequestEvent.objects.count()) == before


def test_a_slot_in_the_past_is_refused(make_request):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    with pytest.raises(ValidationError) as caught:
        make_request(slots=[{"date": yesterday, "start": "08:00", "end": "12:00"}])
    assert "ce créneau est déjà passé" in _errors(caught.value)["slots"][0]
    assert not ReplacementRequest.objects.exists()


def test_overlapping_slots_and_short_rest_are_refused(make_request, monday):
    tuesday = monday + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as caught:
        make_request(
            slots=[
                {"date": monday, "start": "08:00", "end": "12:00"},
                {"date": monday, "start": "11:00", "end": "14:00"},
                {"date": monday, "start": "15:00", "end": "21:00"},
                {"date": tuesday, "start": "06:00", "end": "10:00"},
            ]
        )
    messages = _errors(caught.value)["slots"]
    assert "Créneaux 1 et 2 : ils se chevauchent." in messages
    assert any("Créneaux 3 et 4 : moins de 11 h de repos" in m for m in messages)
    assert not ReplacementRequest.objects.exists()


def test_unknown_qualification_and_every_other_error_are_reported_together(make_request, monday):
    with pytest.raises(ValidationError) as caught:
        make_request(
            qualification="sage_femme",
            slots=[{"date": monday, "start": "10:00", "end": "09:00"}],
            children_walking=-1,
            urgency="tres_urgent",
        )
    errors = _errors(caught.value)
    assert errors["qualification"]
    assert "slots" in errors
    assert "children_walking" in errors
    assert "urgency" in errors
    assert not ReplacementRequest.objects.exists()


def test_no_slot_at_all_is_refused(structure):
    with pytest.raises(ValidationError) as caught:
        services.request_create(
            structure=structure,
            qualification="eje",
            slots=[],
            children_walking=10,
            actor=None,
        )
    assert _errors(caught.value)["slots"]


def test_a_structure_with_an_unknown_commune_cannot_post(make_request, make_structure, coordinator, monday):
    nowhere = make_structure("Crèche fantôme", commune_insee="99999")
    with pytest.raises(ValidationError) as caught:
        make_request(structure=nowhere, actor=coordinator)
    assert "commune de la structure est inconnue" in _errors(caught.value)["structure"][0]


def test_only_the_structure_s_members_may_post_for_it(make_request, make_user):
    with pytest.raises(PermissionDenied):
        make_request(actor=make_user("Inconnue"))
    assert not ReplacementRequest.objects.exists()


def test_the_state_is_the_case_s_and_cannot_be_set_on_the_request(make_request):
    request = make_request()
    with pytest.raises(AttributeError):
        request.state = RequestState.FILLED
    assert request.state == request.case.state
