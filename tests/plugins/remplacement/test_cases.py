"""The engine drives the pole: a request opens its case and the case follows the request's lifecycle; the
back office's transitions call the pole's services; a pool application is a case whose acceptance creates
the substitute. Also the pole's hooks (`pole_workflows`, `transition_actions`, `api_routes`)."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import Case, CaseEvent
from core.plugins import results_by_pole
from core.services.cases import case_open, transition_apply
from core.services.workflows import workflows_sync
from plugins.remplacement import services
from plugins.remplacement.models import Offer, ReplacementRequest, RequestState, Substitute
from workflows.exceptions import WrongState
from workflows.serialization import yaml_to_spec
from workflows.validation import spec_validate


@pytest.fixture(autouse=True)
def published(tenant):
    """The pole's workflows published in the territory (idempotent)."""
    report = workflows_sync()
    assert not report.errors
    return report


def test_pole_workflows_ships_two_valid_definitions():
    paths = results_by_pole("pole_workflows")["remplacement"]
    codes = []
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            spec = yaml_to_spec(handle.read())
        assert spec_validate(spec) == []
        codes.append(spec["code"])
    assert codes == ["remplacement-demande", "remplacement-candidature"]


def test_transition_actions_are_named_after_the_pole():
    actions = results_by_pole("transition_actions")["remplacement"]
    assert set(actions) == {
        "remplacement_matching_start",
        "remplacement_cancel",
        "remplacement_sync",
        "remplacement_application_accept",
    }
    assert all(callable(a) for a in actions.values())


def test_api_routes_are_viewsets_under_the_pole_prefix():
    routes = results_by_pole("api_routes")["remplacement"]
    assert [prefix for prefix, _, _ in routes] == [
        "remplacement/requests",
        "remplacement/offers",
        "remplacement/availability",
    ]


def test_a_request_opens_its_case_and_the_case_follows_its_lifecycle(
    make_request, make_substitute, book, structure_user, monday
):
    anna = make_substitute("Anna")
    request = make_request()
    case = request.case
    assert case is not None
    assert case.workflow.code == "remplacement-demande"
    assert case.state == "ouverte"
    assert case.structure_id == request.structure_id
    assert case.data["slots"] == [{"date": monday.isoformat(), "start": "08:00", "end": "17:00"}]
    book(request, anna)
    case.refresh_from_db()
    assert case.state == "pourvue"
    moves = list(CaseEvent.objects.filter(case=case, kind="transitioned").values_list("transition", "actor__username"))
    assert moves == [("proposer", "robot-remplacement"), ("pourvoir", anna.user.username)]
    services.request_cancel(request=request, actor=structure_user, reason="Retour de la salariée")
    case.refresh_from_db()
    assert case.state == "annulee"
    assert CaseEvent.objects.filter(case=case, transition="annuler").get().comment == "Retour de la salariée"


def test_cancelling_the_case_in_the_back_office_cancels_the_request(
    make_request, make_substitute, coordinator, django_capture_on_commit_callbacks
):
    make_substitute("Anna")
    request = make_request()
    services.offer_wave_send(request_id=request.pk, wave=1)
    with django_capture_on_commit_callbacks(execute=True):
        transition_apply(
            case=Case.objects.get(pk=request.case_id), transition="annuler", actor=coordinator, comment="Doublon"
        )
    request.refresh_from_db()
    assert request.state == RequestState.CANCELLED
    assert set(request.offers.values_list("status", flat=True)) == {Offer.Status.WITHDRAWN}


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
    request.case.refresh_from_db()
    assert request.case.state == "proposee"  # moved once, by the back office


def test_an_unfilled_case_marks_the_request_unfilled(make_request, coordinator, django_capture_on_commit_callbacks):
    request = make_request()
    with django_capture_on_commit_callbacks(execute=True):
        transition_apply(case=request.case, transition="constater_non_pourvue", actor=coordinator)
    request.refresh_from_db()
    assert request.state == RequestState.UNFILLED


def test_an_accepted_application_creates_the_substitute(coordinator, django_capture_on_commit_callbacks):
    data = {
        "first_name": "Nora",
        "last_name": "Le Gall",
        "email": "nora@example.org",
        "phone": "06 12 34 56 78",
        "home_commune_insee": "35047",
        "qualifications": ["eje"],
        "max_distance_km": 30,
        "max_hours_week": 28,
        "max_hours_month": 110,
        "preferred_age_groups": ["bebes"],
    }
    diploma = SimpleUploadedFile("diplome.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    case = case_open(workflow="remplacement-candidature", data=data, files={"diploma_file": diploma}, actor=coordinator)
    with pytest.raises(WrongState):  # the diploma is checked first
        transition_apply(case=case, transition="accepter", actor=coordinator)
    transition_apply(case=case, transition="verifier_pieces", actor=coordinator)
    assert not Substitute.objects.filter(user__email="nora@example.org").exists()
    with django_capture_on_commit_callbacks(execute=True):
        transition_apply(case=case, transition="accepter", actor=coordinator)
    substitute = Substitute.objects.get(user__email="nora@example.org")
    assert substitute.home_commune_name == "Bruz"
    assert substitute.max_hours_week == 28
    assert list(substitute.qualifications.values_list("code", flat=True)) == ["eje"]
    assert get_user_model().objects.get(email="nora@example.org").groups.filter(name="substitute").exists()


def test_requests_run_without_cases_where_the_workflow_is_not_published(make_request, monday):
    from workflows.models import WorkflowVersion

    # The demo's cases keep the definition; its published version is retired (frozen rows: a plain update).
    WorkflowVersion.objects.filter(definition__code="remplacement-demande").update(
        status=WorkflowVersion.Status.RETIRED
    )
    request = make_request(slots=[{"date": monday + dt.timedelta(days=1), "start": "08:00", "end": "12:00"}])
    assert request.case is None
    assert not Case.objects.filter(remplacement_request=request).exists()


def test_demo_seed_fills_a_pool_and_a_few_needs_idempotently(tenant, django_capture_on_commit_callbacks):
    """The pole's seed on the demo's directory (its pool and needs were set aside by the conftest)."""
    from core.plugins import plugin_manager

    impl = next(i for i in plugin_manager().hook.demo_seed.get_hookimpls() if i.plugin_name == "remplacement")
    with django_capture_on_commit_callbacks(execute=True):
        impl.function(territory=None)
    assert Substitute.objects.count() == 8
    requests = ReplacementRequest.objects.all()
    assert requests.count() == 3
    assert all(r.waves_sent == 1 for r in requests)  # dispatch started: offers went out
    impl.function(territory=None)
    assert (Substitute.objects.count(), ReplacementRequest.objects.count()) == (8, 3)
