import datetime as dt

from core.models import CaseEvent
from plugins.remplacement import services, selectors
from plugins.remplacement.models import Offer, Assignment


def test_smoke(make_request, make_substitute, set_pole_settings, structure_user, monday, django_capture_on_commit_callbacks, mailoutbox):
    anna = make_substitute("Anna")
    bob = make_substitute("Bob")
    set_pole_settings(dispatch_policy="first_accept")
    with django_capture_on_commit_callbacks(execute=True):
        request = make_request(
            slots=[{"date": monday, "start": "08:00", "end": "17:00"}, {"date": monday + dt.timedelta(days=1), "start": "08:00", "end": "17:00"}],
            dispatch=True,
        )
    request.refresh_from_db()
    print(request.case.state, request.waves_sent, list(Offer.objects.values_list("substitute_id", "status")))
    print([m.subject for m in mailoutbox])
    offer = Offer.objects.get(request=request, substitute=anna)
    first_slot = request.slots.order_by("starts_at").first()
    with django_capture_on_commit_callbacks(execute=True):
        services.offer_accept(offer=offer, actor=anna.user, slot_ids=[first_slot.pk])
    request.refresh_from_db()
    print(request.case.state, list(Assignment.objects.values_list("substitute_id", "slot_id")))
    offer = Offer.objects.get(request=request, substitute=bob)
    with django_capture_on_commit_callbacks(execute=True):
        services.offer_accept(offer=offer, actor=bob.user)
    request.refresh_from_db()
    print(request.case.state, list(Assignment.objects.values_list("substitute_id", "slot_id")))
    print(list(CaseEvent.objects.filter(case=request.case).values_list("kind", "transition", "actor__username")))
    print([m.subject for m in mailoutbox])
    assert 0
