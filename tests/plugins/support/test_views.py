"""The support pole's back-office screens: a case worked from its workspace, the evaluation dashboard."""

from django.utils import timezone

from core.models import Case
from plugins.support.models import Convention

from .helpers import admin_access, answers


def post(client, case, **data):
    response = client.post(f"/admin/support/dossiers/{case.reference}/", data, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def test_a_case_is_worked_from_its_workspace_to_its_evaluation(
    client_35, support_case, coordinator, operator_paie, django_capture_on_commit_callbacks
):
    client_35.force_login(coordinator)
    case = support_case
    listing = client_35.get("/admin/support/dossiers/").content.decode()
    assert case.reference in listing
    page = client_35.get(f"/admin/support/dossiers/{case.reference}/").content.decode()
    assert "Démarrer le diagnostic" in page
    assert "pas encore terminé" in page

    post(client_35, case, action="transition", transition="demarrer_diagnostic")
    diagnostic = {f"terminer_diagnostic-{k}": v for k, v in answers(diag_paie_1="0", diag_paie_2="0").items()}
    with django_capture_on_commit_callbacks(execute=True):
        post(client_35, case, action="transition", transition="terminer_diagnostic", **diagnostic)
    page = client_35.get(f"/admin/support/dossiers/{case.reference}/").content.decode()
    assert "Accepter Gestion de la paie" in page
    assert 'role="img"' in page
    case.refresh_from_db()
    for proposal in case.support_proposals.all():
        post(client_35, case, action="proposal", proposal=proposal.pk, decision="accept")
    with django_capture_on_commit_callbacks(execute=True):
        post(client_35, case, action="transition", transition="accepter_propositions")
    conventions = list(Convention.objects.filter(case=case))
    assert len(conventions) == 2
    pdf = client_35.get(f"/admin/support/conventions/{conventions[0].pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf"
    page = post(client_35, case, action="transition", transition="mettre_en_place")
    assert "être signées par la plateforme et par chaque partie" in page  # the guard's own French message
    today = timezone.localdate().isoformat()
    for convention in conventions:
        for party in ("platform", "counterparty"):
            post(client_35, case, action="sign", convention=convention.pk, party=party, signed_on=today,
                 signatory="Anne Martin")  # fmt: skip
    post(client_35, case, action="transition", transition="mettre_en_place")
    post(client_35, case, action="transition", transition="demarrer_suivi")
    post(client_35, case, action="followup", kind="call", happened_on=today, text="Appel de suivi.")
    page = post(client_35, case, action="task", title="Relancer le bureau", due_date="2099-01-01")
    assert "Relancer le bureau" in page
    post(client_35, case, action="transition", transition="evaluer")
    page = post(client_35, case, action="transition", transition="cloturer", **{
        "cloturer-eval_satisfaction": "5", "cloturer-eval_objectifs": "atteints", "cloturer-eval_recommande": "on",
        "cloturer-eval_heures_benevoles": "10"})  # fmt: skip
    assert Case.objects.get(pk=case.pk).state == "close"

    dashboard = client_35.get("/admin/support/tableau-de-bord/").content.decode()
    assert "5,0 sur 5" in dashboard or "5.0 sur 5" in dashboard
    assert dashboard.count('role="img"') == 3
    assert "Heures bénévoles" in dashboard


def test_bad_input_on_the_workspace_is_reported_in_french(client_35, support_case, coordinator):
    client_35.force_login(coordinator)
    page = post(client_35, support_case, action="transition", transition="refuser")
    assert "commentaire est obligatoire" in page
    page = post(client_35, support_case, action="followup", kind="call", happened_on="2999-01-01", text="x")
    assert "futur" in page
    assert client_35.post(f"/admin/support/dossiers/{support_case.reference}/", {"action": "nope"}).status_code == 404


def test_people_without_a_staff_role_are_refused(client_35, support_case):
    from tests.workflows.helpers import person

    member = admin_access(person("structure_member"))
    client_35.force_login(member)
    assert client_35.get(f"/admin/support/dossiers/{support_case.reference}/").status_code in (302, 403)


def test_the_evaluation_summary_counts_what_the_evaluations_say(tenant):
    from core.services.cases import case_open
    from plugins.support.selectors import evaluation_summary
    from tests.plugins.support.helpers import DEMANDE

    before = evaluation_summary()
    evaluations = [
        {"eval_satisfaction": 5, "eval_objectifs": "atteints", "eval_recommande": True, "eval_heures_benevoles": 10},
        {"eval_satisfaction": 3, "eval_objectifs": "partiellement", "eval_recommande": False},
        {"eval_satisfaction": 4, "eval_objectifs": "atteints", "eval_recommande": True, "eval_heures_benevoles": 2},
        {"eval_satisfaction": None},  # the key without a value: not an evaluation
        {},
    ]
    for data in evaluations:
        case = case_open(workflow="support-accompagnement", data=dict(DEMANDE), actor=None, channel="public")
        Case.objects.filter(pk=case.pk).update(data={**case.data, **data})
    summary = evaluation_summary()
    assert summary["cases"] == before["cases"] + 5
    assert sum(summary["by_state"].values()) == summary["cases"]
    assert summary["evaluated"] == before["evaluated"] + 3
    for score, added in {5: 1, 4: 1, 3: 1, 2: 0}.items():
        assert summary["satisfaction"][score] == before["satisfaction"][score] + added
    assert summary["objectives"]["atteints"] == before["objectives"]["atteints"] + 2
    assert summary["objectives"]["partiellement"] == before["objectives"]["partiellement"] + 1
    assert summary["volunteer_hours"] == before["volunteer_hours"] + 12
    if before["evaluated"] == 0:
        assert summary["satisfaction_mean"] == 4.0
        assert summary["recommend_share"] == 67
