"""available_transitions and case_list (visibility by role)."""

from core.models import Operator, OperatorMembership, Structure, StructureMembership
from core.selectors.cases import available_transitions, case_list
from core.services.cases import case_open, transition_apply
from tests.workflows.helpers import VALID_DEMANDE, person


def test_available_transitions_say_why_not(demande, coordinator, worker):
    case = case_open(workflow="essai-demande", data=VALID_DEMANDE, actor=coordinator)
    answers = {t.code: t for t in available_transitions(case=case, user=worker)}
    assert set(answers) == {"demarrer_diagnostic", "abandonner"}
    assert answers["demarrer_diagnostic"].available
    assert answers["demarrer_diagnostic"].form == "diagnostic"
    assert answers["demarrer_diagnostic"].target_label == "Diagnostic"
    transition_apply(case=case, transition="demarrer_diagnostic", actor=worker, data={"score": 10})
    answers = {t.code: t for t in available_transitions(case=case, user=worker)}
    assert not answers["cloturer"].available
    assert answers["cloturer"].reason == "« Clôturer » est réservée aux rôles : Coordinateur de pôle."
    answers = {t.code: t for t in available_transitions(case=case, user=coordinator)}
    assert not answers["cloturer"].available
    assert answers["cloturer"].reason == "Les conditions de « Clôturer » ne sont pas remplies."
    assert answers["abandonner"].available
    assert answers["abandonner"].reason == ""


def test_case_list_honours_role_visibility(demande, coordinator):
    mine = Structure.objects.create(name="Mine", kind="creche", commune="Rennes")
    other = Structure.objects.create(name="Autre", kind="creche", commune="Vitré")
    served = case_open(workflow="essai-demande", data=VALID_DEMANDE, structure=mine, actor=coordinator)
    foreign = case_open(workflow="essai-demande", data=VALID_DEMANDE, structure=other, actor=coordinator)
    member = person("structure_member")
    StructureMembership.objects.create(user=member, structure=mine)
    operator_user = person("operator")
    operator = Operator.objects.create(name="Compta ESS")
    OperatorMembership.objects.create(user=operator_user, operator=operator)
    foreign.operators.add(operator)

    assert set(case_list(user=coordinator, workflow="essai-demande")) == {served, foreign}
    assert list(case_list(user=member)) == [served]
    assert list(case_list(user=operator_user)) == [foreign]
    assert list(case_list(user=person("substitute"))) == []
    assert list(case_list(user=coordinator, workflow="essai-demande", search=served.reference)) == [served]
    assert list(case_list(user=coordinator, workflow="essai-demande", search="Vitré")) == [foreign]
    assert list(case_list(user=coordinator, workflow="essai-demande", search="autre")) == [foreign]
    assert list(case_list(user=coordinator, search="lutins.example")) != []
    assert list(case_list(user=coordinator, state="close")) == []
    assert list(case_list(user=coordinator, overdue=True)) == []


def test_a_staff_lookup_by_reference_is_one_statement_and_reads_what_the_orm_reads(demande, coordinator):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core.models import Case
    from core.selectors.cases import case_get

    mine = Structure.objects.create(name="Les Lutins", kind="creche", commune="Rennes")
    linked = case_open(workflow="essai-demande", data=VALID_DEMANDE, structure=mine, actor=coordinator)
    alone = case_open(workflow="essai-demande", data=VALID_DEMANDE, actor=coordinator)
    for case in (linked, alone):
        with CaptureQueriesContext(connection) as queries:
            found = case_get(user=coordinator, reference=case.reference)
            workflow, structure = found.workflow, found.structure  # read with it
        assert len(queries) == 1
        orm = Case.objects.select_related("workflow", "structure").get(pk=case.pk)
        for field in Case._meta.concrete_fields:
            assert getattr(found, field.attname) == getattr(orm, field.attname), field.name
        assert isinstance(found.data, dict)
        assert found.data == VALID_DEMANDE | found.data
        assert workflow == orm.workflow
        assert workflow.name == orm.workflow.name
        assert structure == orm.structure
    assert structure is None
    assert case_get(user=coordinator, reference="35-1999-99999") is None
    member = person("structure_member")
    StructureMembership.objects.create(user=member, structure=mine)
    assert case_get(user=member, reference=linked.reference) == linked
    assert case_get(user=member, reference=alone.reference) is None  # not theirs
