"""case_open and transition_apply: the contract the poles, the API and the back office code against."""

import re

import pytest
from django.db import connection
from django.utils import timezone

from core.models import Case, CaseEvent, Network, Structure
from core.plugins import hookimpl, plugin_manager
from core.services.cases import case_open, transition_apply
from tests.workflows.helpers import VALID_DEMANDE, person
from workflows.exceptions import (
    ConcurrentTransition,
    FormInvalid,
    GuardFailed,
    TransitionNotAllowed,
    UnknownTransition,
    UnknownWorkflow,
    WrongState,
)


def _open(demande, actor, **data):
    return case_open(workflow="essai-demande", data={**VALID_DEMANDE, **data}, actor=actor)


def test_case_open_gives_a_reference_the_initial_state_and_an_opened_event(demande, coordinator):
    case = _open(demande, coordinator, places="12", budget="1234.5", start="2026-12-01", member=False)
    assert re.fullmatch(r"35-\d{4}-00001", case.reference)
    assert case.state == "recue"
    assert case.workflow_version == demande
    assert case.data["places"] == 12
    assert case.data["budget"] == "1234.50"
    assert case.data["start"] == "2026-12-01"
    assert case.data["member"] is False
    assert "federation" not in case.data
    assert case.due_at is not None
    assert case.due_at > timezone.localdate()
    event = case.events.get()
    assert event.kind == CaseEvent.Kind.OPENED
    assert event.actor == coordinator
    assert event.to_state == "recue"
    second = _open(demande, coordinator)
    assert second.reference.endswith("-00002")


def test_case_open_refuses_a_person_without_an_opening_role(demande):
    with pytest.raises(TransitionNotAllowed):
        _open(demande, person("operator"))
    assert not Case.objects.filter(workflow__code="essai-demande").exists()


def test_case_open_of_an_unknown_workflow(tenant):
    with pytest.raises(UnknownWorkflow) as exc:
        case_open(workflow="nope", data={})
    assert exc.value.status == 404


def test_a_structure_member_opens_only_for_its_structure(demande):
    from core.models import StructureMembership

    mine = Structure.objects.create(name="Mine", kind="creche", commune="Rennes")
    other = Structure.objects.create(name="Autre", kind="creche", commune="Rennes")
    member = person("structure_member")
    StructureMembership.objects.create(user=member, structure=mine)
    assert case_open(workflow="essai-demande", data=VALID_DEMANDE, structure=mine, actor=member).structure == mine
    with pytest.raises(TransitionNotAllowed):
        case_open(workflow="essai-demande", data=VALID_DEMANDE, structure=other, actor=member)


def test_bad_opening_data_is_refused_field_by_field_and_nothing_is_written(demande, coordinator):
    with pytest.raises(FormInvalid) as exc:
        case_open(
            workflow="essai-demande",
            data={"email": "pas-un-courriel", "kind": "chateau", "places": "0", "siret": "12345678901234",
                  "phone": "12", "postcode": "3500", "start": "31/02/2026", "member": True, "intrus": 1,
                  "board": [{"role": "sans nom"}]},
            actor=coordinator,
        )  # fmt: skip
    errors = exc.value.errors
    assert errors["structure_name"] == ["Le champ « Nom de la structure » est obligatoire."]
    assert errors["email"][0].startswith("« Courriel de contact » : ")
    assert "kind" in errors
    assert "places" in errors
    assert "postcode" in errors
    assert "start" in errors
    assert errors["siret"] == ["« SIRET » : Numéro SIRET invalide."]
    assert errors["phone"] == ["« Téléphone » : Numéro de téléphone invalide."]
    assert errors["federation"] == ["Le champ « Laquelle » est obligatoire."]  # visible: member is true
    assert "Élément 1" in errors["board"][0]
    assert "Nom" in errors["board"][0]
    assert errors["__all__"] == ["Champ(s) inconnu(s) : intrus."]
    assert exc.value.status == 422
    assert not Case.objects.filter(workflow__code="essai-demande").exists()
    assert not CaseEvent.objects.filter(case__workflow__code="essai-demande").exists()


def test_transition_apply_moves_the_case_and_writes_one_event(demande, coordinator, django_capture_on_commit_callbacks):
    case = _open(demande, coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        event = transition_apply(case=case, transition="demarrer_diagnostic", actor=coordinator, data={"score": "70"},
                                 comment="On y va")  # fmt: skip
    case = Case.objects.get(pk=case.pk)
    assert case.state == "diagnostic"
    assert case.data["score"] == 70
    assert (event.kind, event.from_state, event.to_state, event.transition) == ("transitioned", "recue", "diagnostic",
                                                                                "demarrer_diagnostic")  # fmt: skip
    assert event.data_diff == {"score": [None, 70]}
    assert event.comment == "On y va"
    transition_apply(case=case, transition="cloturer", actor=coordinator, data={"conclusion": "Fini"}, comment="ok")
    case = Case.objects.get(pk=case.pk)
    assert case.state == "close"
    assert case.closed_at is not None
    assert case.due_at is None
    assert list(case.events.values_list("kind", flat=True)) == ["opened", "transitioned", "transitioned"]


def test_unknown_transition_wrong_state_and_role(demande, coordinator, worker):
    case = _open(demande, coordinator)
    with pytest.raises(UnknownTransition) as exc:
        transition_apply(case=case, transition="voler", actor=coordinator)
    assert exc.value.status == 404
    assert "voler" in exc.value.message
    with pytest.raises(WrongState) as exc:
        transition_apply(case=case, transition="cloturer", actor=coordinator)
    assert "depuis l'état « Demande reçue »" in exc.value.message
    with pytest.raises(TransitionNotAllowed) as exc:
        transition_apply(case=case, transition="abandonner", actor=person("operator"))
    assert exc.value.status == 403
    assert "Coordinateur de pôle" in exc.value.message
    assert Case.objects.get(pk=case.pk).state == "recue"
    assert case.events.count() == 1


def test_a_false_guard_and_a_guard_that_throws_give_clear_errors(demande, coordinator):
    case = _open(demande, coordinator)
    transition_apply(case=case, transition="demarrer_diagnostic", actor=coordinator, data={"score": 10})
    with pytest.raises(GuardFailed) as exc:
        transition_apply(case=case, transition="cloturer", actor=coordinator, data={"conclusion": "x"}, comment="c")
    assert exc.value.status == 422
    assert exc.value.message == "Les conditions de « Clôturer » ne sont pas remplies."  # never the CEL
    # A guard that throws: the data it reads is of the wrong type.
    Case.objects.filter(pk=case.pk).update(data={**case.data, "score": "beaucoup"})
    case = Case.objects.get(pk=case.pk)
    with pytest.raises(GuardFailed) as exc:
        transition_apply(case=case, transition="cloturer", actor=coordinator, data={"conclusion": "x"}, comment="c")
    assert "n'a pas pu être évaluée" in exc.value.message
    assert Case.objects.get(pk=case.pk).state == "diagnostic"
    assert case.events.count() == 2


def test_form_and_comment_errors_leave_nothing_half_written(demande, coordinator):
    case = _open(demande, coordinator)
    with pytest.raises(FormInvalid) as exc:
        transition_apply(case=case, transition="demarrer_diagnostic", actor=coordinator, data={"score": "cent"})
    assert exc.value.errors["score"][0].startswith("« Score » : ")
    with pytest.raises(FormInvalid) as exc:
        transition_apply(case=case, transition="demarrer_diagnostic", actor=coordinator, data={"score": 101})
    assert "score" in exc.value.errors
    with pytest.raises(FormInvalid) as exc:
        transition_apply(case=case, transition="abandonner", actor=coordinator, data={"x": 1})
    with pytest.raises(FormInvalid) as exc:
        transition_apply(case=case, transition="demarrer_diagnostic", actor=coordinator, data=["pas", "un", "objet"])
    assert exc.value.errors == {"__all__": ["Les données doivent être un objet (champ: valeur)."]}
    with pytest.raises(FormInvalid) as exc:
        transition_apply(case=case, transition="abandonner", actor=coordinator, comment="pas de commentaire ici")
    assert "comment" in exc.value.errors
    transition_apply(case=case, transition="demarrer_diagnostic", actor=coordinator, data={"score": 90})
    with pytest.raises(FormInvalid) as exc:
        transition_apply(case=case, transition="cloturer", actor=coordinator, data={"conclusion": "x"})
    assert exc.value.errors == {"comment": ["Le commentaire est obligatoire pour cette transition."]}
    case = Case.objects.get(pk=case.pk)
    assert case.state == "diagnostic"
    assert case.data["score"] == 90
    assert case.events.count() == 2


def test_a_stale_case_object_gets_a_conflict(demande, coordinator):
    case = _open(demande, coordinator)
    stale = Case.objects.get(pk=case.pk)
    transition_apply(case=case, transition="abandonner", actor=coordinator)
    with pytest.raises(ConcurrentTransition) as exc:
        transition_apply(case=stale, transition="demarrer_diagnostic", actor=coordinator, data={"score": 1})
    assert exc.value.status == 409
    assert "entre-temps" in exc.value.message
    assert stale.state == "recue"  # the in-memory object is put back
    stale.refresh_from_db()
    assert stale.state == "close"
    assert case.events.count() == 2


def test_guards_see_case_actor_today_and_structure(tenant, coordinator):
    from workflows.services import workflow_import

    network = Network.objects.create(name="ACCEP")
    structure = Structure.objects.create(name="Les Lutins", kind="creche", commune="Rennes", network=network)
    workflow_import(source={
        "format": "ppe-workflow/1", "code": "g", "name": "G", "open_roles": [],
        "forms": [],
        "states": [{"code": "a", "label": "A", "kind": "initial"}, {"code": "b", "label": "B", "kind": "final"}],
        "transitions": [{"code": "go", "label": "Go", "from": ["a"], "to": "b", "roles": ["pole_coordinator"],
                         "guard": "case.structure.name == 'Les Lutins' && case.reference.startsWith('35-') && "
                                  "'pole_coordinator' in actor.roles && actor.id > 0 && today > date('2020-01-01') && "
                                  "case.age_days == 0 && case.state == 'a'"}],
    }, publish=True)  # fmt: skip
    case = case_open(workflow="g", data={}, structure=structure, actor=coordinator)
    assert transition_apply(case=case, transition="go", actor=coordinator).to_state == "b"


class _Recorder:
    def __init__(self):
        self.calls = []

    @hookimpl
    def case_transitioned(self, case, event):
        self.calls.append(("hook", case.reference, event.transition))
        raise RuntimeError("a failing hook never undoes the transition")

    @hookimpl
    def transition_actions(self):
        return {"essai_notify": self.notify}

    def notify(self, case, event):
        self.calls.append(("action", case.reference, event.to_state))


def test_case_transitioned_and_transition_actions_run_on_commit(
    demande, coordinator, django_capture_on_commit_callbacks
):
    recorder = _Recorder()
    plugin_manager().register(recorder, name="recorder")
    try:
        case = _open(demande, coordinator)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            transition_apply(case=case, transition="demarrer_diagnostic", actor=coordinator, data={"score": 60})
        assert recorder.calls == []  # nothing before the commit
        for callback in callbacks:
            callback()
        assert recorder.calls == [("hook", case.reference, "demarrer_diagnostic"),
                                  ("action", case.reference, "diagnostic")]  # fmt: skip
        assert Case.objects.get(pk=case.pk).state == "diagnostic"
    finally:
        plugin_manager().unregister(name="recorder")


def test_reference_without_territory_code_is_not_used_in_a_territory(demande, coordinator):
    assert connection.tenant.code == "35"
    assert _open(demande, coordinator).reference.startswith("35-")


class _GuardPole:
    @hookimpl
    def guard_functions(self):
        return {"essai_long": lambda text: len(text) > 3, "essai_boom": lambda text: 1 / 0}


def test_guard_functions_from_the_poles_are_callable_in_guards(tenant, coordinator):
    from workflows.services import workflow_import

    plugin_manager().register(_GuardPole(), name="guard-pole")
    try:
        workflow_import(source={
            "format": "ppe-workflow/1", "code": "f", "name": "F", "open_form": "o",
            "forms": [{"code": "o", "name": "O", "fields": [{"code": "t", "type": "text", "label": "T"}]}],
            "states": [{"code": "a", "label": "A", "kind": "initial"}, {"code": "b", "label": "B", "kind": "final"}],
            "transitions": [
                {"code": "ok", "label": "OK", "from": ["a"], "to": "b", "roles": ["pole_coordinator"],
                 "guard": "essai_long(data.t)"},
                {"code": "boom", "label": "Boom", "from": ["a"], "to": "b", "roles": ["pole_coordinator"],
                 "guard": "essai_boom(data.t)"},
            ],
        }, publish=True)  # fmt: skip
        short = case_open(workflow="f", data={"t": "ab"}, actor=coordinator)
        with pytest.raises(GuardFailed, match="Les conditions de « OK » ne sont pas remplies"):
            transition_apply(case=short, transition="ok", actor=coordinator)
        with pytest.raises(GuardFailed, match="n'a pas pu être évaluée"):
            transition_apply(case=short, transition="boom", actor=coordinator)
        long = case_open(workflow="f", data={"t": "abcdef"}, actor=coordinator)
        assert transition_apply(case=long, transition="ok", actor=coordinator).to_state == "b"
    finally:
        plugin_manager().unregister(name="guard-pole")
