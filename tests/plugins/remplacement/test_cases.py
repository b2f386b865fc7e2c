"""One source of truth: a replacement request's life is its case. Every request change is a transition of the
case; every back-office transition and data edit reaches the request; the pole's hooks (`pole_workflows`,
`guard_functions`, `case_data_changed`, `case_transitioned`, `api_routes`, `demo_seed`)."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.timezone import localtime

from core.models import Case, CaseEvent
from core.plugins import results_by_pole
from core.services.case_updates import case_data_update
from core.services.cases import case_open, transition_apply
from core.services.workflows import workflows_sync
from plugins.remplacement import services
from plugins.remplacement.models import (
    Assignment,
    Offer,
    ReplacementRequest,
    RequestState,
    Substitute,
    SubstituteDocument,
    Timesheet,
)
from workflows.exceptions import FormInvalid, GuardFailed, WrongState
from workflows.serialization import yaml_to_spec
from workflows.validation import spec_validate

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def published(tenant):
    """The pole's workflows published in the territory (idempotent)."""
    report = workflows_sync()
    assert not report.errors
    return report


def _moves(request) -> list[tuple[str, str]]:
    return list(
        CaseEvent.objects.filter(case_id=request.case_id, kind="transitioned")
        .order_by("pk")
        .values_list("transition", "actor__username")
    )


def test_pole_workflows_ships_two_valid_definitions():
    paths = results_by_pole("pole_workflows")["remplacement"]
    codes = []
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            spec = yaml_to_spec(handle.read())
        assert spec_validate(spec) == []
        codes.append(spec["code"])
    assert codes == ["remplacement-demande", "remplacement-candidature"]


def test_guard_functions_are_named_after_the_pole_and_answer_from_the_request(make_request, make_substitute, book):
    functions = results_by_pole("guard_functions")["remplacement"]
    assert set(functions) == {
        "remplacement_creneaux_pourvus",
        "remplacement_heures_declarees",
        "remplacement_candidature_complete",
    }
    request = make_request()
    assert functions["remplacement_creneaux_pourvus"](request.case.reference) is False
    book(request, make_substitute("Anna"))
    assert functions["remplacement_creneaux_pourvus"](request.case.reference) is True
    assert functions["remplacement_heures_declarees"](request.case.reference) is False


def test_api_routes_are_viewsets_under_the_pole_prefix():
    routes = results_by_pole("api_routes")["remplacement"]
    assert [prefix for prefix, _, _ in routes] == [
        "remplacement/requests",
        "remplacement/offers",
        "remplacement/availability",
        "remplacement/timesheets",
        "remplacement/pool",
        "remplacement/exports",
    ]


def test_the_request_has_no_state_of_its_own():
    field_names = {f.name for f in ReplacementRequest._meta.get_fields()}
    assert "state" not in field_names  # a property reading the case
    assert "substitute" not in field_names  # bookings are per shift and per person


def test_every_request_change_is_a_transition_of_its_case(make_request, make_substitute, book, structure_user, monday):
    anna = make_substitute("Anna")
    request = make_request()
    case = request.case
    assert case.workflow.code == "remplacement-demande"
    assert case.state == RequestState.OPEN
    assert case.structure_id == request.structure_id
    assert case.data["slots"] == [{"date": monday.isoformat(), "start": "08:00", "end": "17:00"}]
    assert case.data["staff_present"] == [{"qualification": "auxiliaire_puericulture", "count": 2}]
    book(request, anna)
    request.refresh_from_db()
    assert request.state == RequestState.FILLED
    assert _moves(request) == [("proposer", "robot-remplacement"), ("pourvoir", anna.user.username)]
    services.request_cancel(request=request, actor=structure_user, reason="Retour de la salariée")
    request.refresh_from_db()
    assert request.state == RequestState.CANCELLED
    assert CaseEvent.objects.filter(case=case, transition="annuler").get().comment == "Retour de la salariée"
    assert not Assignment.objects.filter(request=request).exists()


def test_a_request_opened_in_the_back_office_gets_its_slots(structure, coordinator, monday):
    data = {
        "qualification": "eje",
        "headcount": 2,
        "slots": [{"date": (monday + dt.timedelta(days=2)).isoformat(), "start": "09:00", "end": "13:00"}],
        "children_walking": 10,
        "staff_present": [{"qualification": "cap_aepe", "count": 1}],
    }
    case = case_open(workflow="remplacement-demande", data=data, structure=structure, actor=coordinator)
    request = ReplacementRequest.objects.get(case=case)
    assert request.headcount == 2
    assert request.qualification.code == "eje"
    assert [(localtime(s.starts_at).hour, localtime(s.ends_at).hour) for s in request.slots.all()] == [(9, 13)]
    assert request.staff_present == [{"qualification": "cap_aepe", "count": 1}]


def test_a_case_the_request_cannot_be_is_refused_with_nothing_saved(structure, coordinator):
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    data = {"qualification": "eje", "slots": [{"date": yesterday, "start": "09:00", "end": "13:00"}]}
    before = Case.objects.count()
    with pytest.raises(FormInvalid) as caught:
        case_open(workflow="remplacement-demande", data=data, structure=structure, actor=coordinator)
    assert "ce créneau est déjà passé" in caught.value.errors["slots"][0]
    assert Case.objects.count() == before


def test_case_data_changed(make_request, coordinator, monday):
    """A data edit of the case reaches the request (the pole's `case_data_changed` hook)."""
    request = make_request()
    case = Case.objects.get(pk=request.case_id)
    tuesday = (monday + dt.timedelta(days=1)).isoformat()
    case_data_update(
        case=case,
        data={
            "slots": [
                {"date": monday.isoformat(), "start": "08:00", "end": "17:00"},
                {"date": tuesday, "start": "09:00", "end": "12:00"},
            ],
            "notes": "Sortie au parc mardi",
            "children_not_walking": 4,
        },
        actor=coordinator,
    )
    request.refresh_from_db()
    assert request.slots.count() == 2
    assert str(request.total_hours) == "12.00"
    assert request.notes == "Sortie au parc mardi"
    assert request.children_not_walking == 4
    assert request.calendar_sequence == 1  # booked people get the updated calendar


def test_case_data_changed_a_booked_shift_cannot_be_removed_by_a_data_edit(make_request, make_substitute, book,
                                                                            coordinator, monday):  # fmt: skip
    anna = make_substitute("Anna")
    request = make_request()
    book(request, anna)
    case = Case.objects.get(pk=request.case_id)
    with pytest.raises(FormInvalid) as caught:
        case_data_update(
            case=case, data={"slots": [{"date": monday.isoformat(), "start": "09:00", "end": "17:00"}]},
            actor=coordinator,
        )  # fmt: skip
    assert "est réservé (Anna" in caught.value.errors["slots"][0]
    case.refresh_from_db()
    assert case.data["slots"][0]["start"] == "08:00"  # nothing saved


def test_case_transitioned_cancelling_in_the_back_office_cancels_the_request(
    make_request, make_substitute, coordinator, django_capture_on_commit_callbacks, mailoutbox
):
    anna = make_substitute("Anna")
    request = make_request()
    services.offer_wave_send(request_id=request.pk, wave=1)
    with django_capture_on_commit_callbacks(execute=True):
        transition_apply(
            case=Case.objects.get(pk=request.case_id), transition="annuler", actor=coordinator, comment="Doublon"
        )
    request.refresh_from_db()
    assert request.state == RequestState.CANCELLED
    assert set(request.offers.values_list("status", flat=True)) == {Offer.Status.WITHDRAWN}
    assert [m.to for m in mailoutbox if m.subject.startswith("Mission annulée")] == [[anna.user.email]]


def test_proposing_the_case_in_the_back_office_starts_the_waves(
    make_request, make_substitute, coordinator, django_capture_on_commit_callbacks
):
    anna = make_substitute("Anna")
    request = make_request()
    with django_capture_on_commit_callbacks(execute=True):
        transition_apply(case=request.case, transition="proposer", actor=coordinator)
    request.refresh_from_db()
    assert request.state == RequestState.OFFERED
    assert list(request.offers.values_list("substitute_id", flat=True)) == [anna.pk]
    assert _moves(request) == [("proposer", coordinator.username)]  # moved once, by the back office


def test_mission_filled_in_the_back_office_is_refused_while_shifts_are_unbooked(make_request, make_substitute,
                                                                                 coordinator):  # fmt: skip
    make_substitute("Anna")
    request = make_request()
    services.offer_wave_send(request_id=request.pk, wave=1)
    with pytest.raises(GuardFailed):
        transition_apply(case=Case.objects.get(pk=request.case_id), transition="pourvoir", actor=coordinator)
    request.refresh_from_db()
    assert request.state == RequestState.OFFERED


def test_unfilled_in_the_back_office_withdraws_the_offers_and_tells_the_structure(
    make_request, make_substitute, coordinator, django_capture_on_commit_callbacks, mailoutbox
):
    make_substitute("Anna")
    request = make_request()
    services.offer_wave_send(request_id=request.pk, wave=1)
    with django_capture_on_commit_callbacks(execute=True):
        transition_apply(case=Case.objects.get(pk=request.case_id), transition="constater_non_pourvue",
                         actor=coordinator)  # fmt: skip
    request.refresh_from_db()
    assert request.state == RequestState.UNFILLED
    assert set(request.offers.values_list("status", flat=True)) == {Offer.Status.WITHDRAWN}
    told = [m for m in mailoutbox if m.subject.startswith("Remplacement non pourvu")]
    assert len(told) == 1
    assert "creche@example.org" in told[0].to


def test_putting_a_filled_request_back_in_search_releases_everyone(  # noqa: PLR0917
    make_request, make_substitute, book, coordinator, django_capture_on_commit_callbacks, mailoutbox
):
    anna = make_substitute("Anna")
    request = make_request()
    book(request, anna)
    with django_capture_on_commit_callbacks(execute=True):
        transition_apply(case=Case.objects.get(pk=request.case_id), transition="liberer", actor=coordinator,
                         comment="La salariée revient lundi")  # fmt: skip
    request.refresh_from_db()
    assert request.state == RequestState.OFFERED
    assert not Assignment.objects.filter(request=request).exists()
    assert any(m.subject.startswith("Mission annulée pour vous") and m.to == [anna.user.email] for m in mailoutbox)


def test_hours_validated_in_the_back_office_validate_every_timesheet(  # noqa: PLR0917
    make_request, make_substitute, book, coordinator, structure_user, monkeypatch, django_capture_on_commit_callbacks
):

    anna = make_substitute("Anna")
    request = make_request()
    book(request, anna)
    slot = request.slots.get()
    monkeypatch.setattr(timezone, "now", lambda: slot.ends_at + dt.timedelta(hours=2))
    services.timesheet_submit(
        request=request, lines=[{"slot": slot.pk, "start": "08:02", "end": "17:00"}], actor=anna.user
    )
    request.refresh_from_db()
    assert request.state == RequestState.DONE
    with django_capture_on_commit_callbacks(execute=True):
        transition_apply(case=Case.objects.get(pk=request.case_id), transition="valider_heures", actor=coordinator)
    sheet = Timesheet.objects.get(request=request)
    assert sheet.status == Timesheet.Status.VALIDATED
    assert sheet.minutes == 538  # 8:02 to 17:00, to the minute


def test_an_accepted_application_creates_the_substitute_with_the_files_copied(
    coordinator, django_capture_on_commit_callbacks
):
    data = {
        "first_name": "Nora",
        "last_name": "Le Gall",
        "email": "nora@example.org",
        "phone": "06 12 34 56 78",
        "home_commune_insee": "35047",
        "qualification": "eje",
        "max_distance_km": 30,
        "max_hours_week": 28,
        "max_hours_month": 110,
        "preferred_age_groups": ["bebes"],
        "criminal_record_issued_on": timezone.localdate().isoformat(),
    }
    files = {
        "diploma_file": SimpleUploadedFile("diplome-eje.pdf", PDF, content_type="application/pdf"),
        "criminal_record_file": SimpleUploadedFile("casier.pdf", PDF, content_type="application/pdf"),
    }
    case = case_open(workflow="remplacement-candidature", data=data, files=files, actor=None, channel="public")
    with pytest.raises(WrongState):  # the diplomas are checked first
        transition_apply(case=case, transition="accepter", actor=coordinator)
    transition_apply(case=case, transition="verifier_pieces", actor=coordinator)
    assert not Substitute.objects.filter(user__email="nora@example.org").exists()
    with django_capture_on_commit_callbacks(execute=True):
        transition_apply(case=case, transition="accepter", actor=coordinator)
    substitute = Substitute.objects.get(user__email="nora@example.org")
    assert substitute.application == case
    assert substitute.home_commune_name == "Bruz"
    assert substitute.max_hours_week == 28
    assert list(substitute.qualifications.values_list("code", flat=True)) == ["eje"]
    assert get_user_model().objects.get(email="nora@example.org").groups.filter(name="substitute").exists()
    documents = {d.kind: d for d in substitute.documents.all()}
    assert set(documents) == {SubstituteDocument.Kind.DIPLOMA, SubstituteDocument.Kind.CRIMINAL_RECORD}
    assert documents["diplome"].qualification.code == "eje"
    with documents["diplome"].file.open("rb") as handle:
        assert handle.read() == PDF  # the bytes the applicant sent
    assert documents["casier"].expires_on == timezone.localdate() + dt.timedelta(days=90)


def test_an_applicant_types_her_commune_s_name_and_the_record_gets_its_code(
    coordinator, tenant, django_capture_on_commit_callbacks
):
    """A person writes « Bruz », not 35047; of several « Moulins », the one of the territory's département."""
    from plugins.remplacement.cases import application_commune

    assert application_commune({"home_commune_insee": "35047"}).name == "Bruz"
    assert application_commune({"home_commune_insee": "35170 Bruz"}).code == "35047"
    assert application_commune({"home_commune_insee": "moulins"}).code == "35198"  # the territory is the 35
    assert application_commune({"home_commune_insee": "Moulins (03)"}).code == "03190"  # or the one she names
    assert application_commune({"home_commune_insee": "Brouzouf"}) is None
    data = {"first_name": "Lou", "last_name": "Hervé", "email": "lou@example.org", "phone": "06 12 34 56 78",
            "home_commune_insee": "bruz", "qualification": "eje", "max_distance_km": 20}  # fmt: skip
    files = {"diploma_file": SimpleUploadedFile("d.pdf", PDF, content_type="application/pdf")}
    case = case_open(workflow="remplacement-candidature", data=data, files=files, actor=None, channel="public")
    transition_apply(case=case, transition="verifier_pieces", actor=coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        transition_apply(case=case, transition="accepter", actor=coordinator)
    substitute = Substitute.objects.get(user__email="lou@example.org")
    assert (substitute.home_commune_insee, substitute.home_commune_name) == ("35047", "Bruz")


def test_an_application_with_an_unknown_commune_cannot_be_accepted(coordinator):
    data = {"first_name": "A", "last_name": "B", "email": "ab@example.org", "phone": "06 12 34 56 78",
            "home_commune_insee": "35238", "qualification": "eje", "max_distance_km": 20}  # fmt: skip
    files = {"diploma_file": SimpleUploadedFile("d.pdf", PDF, content_type="application/pdf")}
    case = case_open(workflow="remplacement-candidature", data=data, files=files, actor=None, channel="public")
    case.data["home_commune_insee"] = "99999"  # a commune gone from the official list since
    case.save(update_fields=["data"])
    transition_apply(case=case, transition="verifier_pieces", actor=coordinator)
    with pytest.raises(GuardFailed):
        transition_apply(case=case, transition="accepter", actor=coordinator)


def test_demo_seed_fills_a_pool_and_a_few_needs_idempotently(tenant, django_capture_on_commit_callbacks):
    """The pole's seed on the demo's directory (its pool and needs were set aside by the conftest)."""
    from core.plugins import plugin_manager

    impl = next(i for i in plugin_manager().hook.demo_seed.get_hookimpls() if i.plugin_name == "remplacement")
    with django_capture_on_commit_callbacks(execute=True):
        impl.function(territory=None)
        impl.function(territory=None)
    from plugins.remplacement.demo import HISTORY

    assert Substitute.objects.count() == 8
    requests = ReplacementRequest.objects.filter(first_slot_start__gt=timezone.now())
    assert requests.count() == 3
    assert all(r.case.state == RequestState.OFFERED and r.waves_sent == 1 for r in requests)
    past = ReplacementRequest.objects.filter(last_slot_end__lt=timezone.now())
    assert past.count() == len(HISTORY)  # made once
    assert {r.case.state for r in past} == {
        RequestState.BILLED,
        RequestState.TIMESHEET_VALIDATED,
        RequestState.UNFILLED,
    }
    assert SubstituteDocument.objects.filter(kind="casier", expires_on__lt=timezone.localdate()).count() == 1
