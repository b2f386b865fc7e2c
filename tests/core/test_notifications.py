"""The generic `notify` transition action: an e-mail from a template the territory's admin edits (French, with
the case's data), offered by its label in the workflow editor, sent after the transition commits to the
case's people; a template naming an unknown variable is refused, naming it."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from core.models import NotificationTemplate, Structure
from core.services.cases import case_open, transition_apply
from tests.people import person_client, person_invite
from workflows import registry
from workflows.services import workflow_import

WORKFLOW = """
format: ppe-workflow/1
code: essai-notification
name: Demande de matériel
open_form: ouverture
open_roles: [case_worker, pole_coordinator]
forms:
- code: ouverture
  name: Ouverture
  fields:
  - {code: objet, type: text, label: Objet, required: true}
states:
- {code: ouvert, label: Ouvert, kind: initial}
- {code: accorde, label: Accordé, kind: final}
transitions:
- {code: accorder, label: Accorder le matériel, from: [ouvert], to: accorde, roles: [pole_coordinator],
   comment: optional, actions: [notify_etape-franchie]}
"""


@pytest.fixture
def lutins(tenant):
    return Structure.objects.create(name="Les Lutins", kind="creche", commune="Rennes")


def test_the_notify_actions_are_offered_by_label(tenant):
    choices = dict(registry.choices("actions"))
    assert choices["notify_etape-franchie"] == "Envoyer le courriel « Le dossier change d'étape (structure) »"
    assert choices["support_diagnostic_score"] == "Noter le diagnostic et calculer les propositions"
    NotificationTemplate.objects.filter(code="etape-franchie").update(is_active=False)
    assert "notify_etape-franchie" not in dict(registry.choices("actions"))


def test_a_transition_tells_the_structure_by_email(territory, tenant, lutins, django_capture_on_commit_callbacks):
    workflow_import(source=WORKFLOW, publish=True)
    director = person_invite(territory, role="structure_member", structure=lutins, first_name="Anne")
    coordinator = person_invite(territory, role="pole_coordinator")
    case = case_open(workflow="essai-notification", data={"objet": "Tapis d'éveil"}, structure=lutins,
                     actor=coordinator)  # fmt: skip
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        transition_apply(case=case, transition="accorder", actor=coordinator, comment="Livraison lundi.")
    sent = [m for m in mail.outbox if director.email in m.to]
    assert len(sent) == 1, [m.subject for m in mail.outbox]
    message = sent[0]
    assert message.subject == f"[{case.reference}] Votre dossier passe à l'étape « Accordé »"
    assert "Demande de matériel, Les Lutins" in message.body
    assert "Accorder le matériel" in message.body
    assert "Commentaire : Livraison lundi." in message.body
    assert f"/admin/dossiers/{case.reference}/" in message.body
    assert coordinator.email not in message.to

    # The history says it, by label (no role or recipient code), for the team and for the structure.
    from core.models import CaseEvent
    from core.selectors.case_work import case_timeline

    line = (f"Notification envoyée « [{case.reference}] Votre dossier passe à l'étape « Accordé » » à : "
            "les membres de la structure (1 destinataire)")  # fmt: skip
    for person in (coordinator, director):
        entries = [e for e in case_timeline(case=case, user=person) if e.kind == CaseEvent.Kind.NOTIFIED]
        assert [(e.kind_label, e.title) for e in entries] == [("Notification envoyée", line)]
    page = person_client(territory, director).get(f"/admin/dossiers/{case.reference}/").content.decode()
    assert "Notification envoyée « [" in page
    assert "notified" not in page.replace("ppe-event-notified", "")
    events = person_client(territory, coordinator).get(f"/api/v1/cases/{case.reference}/events/").json()
    notified = [e for e in events["results"] if e["kind"] == "notified"]
    assert [(e["label"], e["title"]) for e in notified] == [("Notification envoyée", line)]


def test_a_notification_to_a_role_names_the_role(territory, tenant, lutins, django_capture_on_commit_callbacks):
    from core.models import CaseEvent
    from core.selectors.case_work import case_timeline

    workflow_import(source=WORKFLOW, publish=True)
    NotificationTemplate.objects.filter(code="etape-franchie").update(recipients=["assignees"],
                                                                      roles=["pole_coordinator"])  # fmt: skip
    coordinator = person_invite(territory, role="pole_coordinator")
    case = case_open(workflow="essai-notification", data={"objet": "Tapis"}, structure=lutins, actor=coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        transition_apply(case=case, transition="accorder", actor=coordinator)
    [entry] = [e for e in case_timeline(case=case, user=coordinator) if e.kind == CaseEvent.Kind.NOTIFIED]
    assert "à : les chargés du dossier, le rôle « Coordinateur de pôle »" in entry.title, entry.title
    assert "pole_coordinator" not in entry.title


def test_a_template_with_an_unknown_variable_is_refused(tenant):
    template = NotificationTemplate(code="essai", name="Essai", recipients=["structure"], subject="Dossier",
                                    body="Montant : {{ case.montant }} — {{ dossier }}")  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        template.full_clean()
    text = " ".join(refused.value.message_dict["body"])
    assert "« case.montant »" in text
    assert "« dossier »" in text
    nobody = NotificationTemplate(code="essai2", name="Essai", subject="Dossier", body="Bonjour")
    with pytest.raises(ValidationError, match="au moins un destinataire"):
        nobody.full_clean()


def test_the_platform_admin_edits_the_templates(territory, tenant):
    admin = person_invite(territory, role="platform_admin")
    client = person_client(territory, admin)
    listing = client.get("/admin/notification_templates/")
    assert listing.status_code == 200
    assert "Le dossier change d&#x27;étape (structure)" in listing.content.decode()
    answer = client.post(
        "/admin/notification_templates/new/",
        {"name": "Relance", "code": "relance", "recipients": ["assignees"], "subject": "Relance {{ case.reference }}",
         "body": "Bonjour {{ case.inconnu }}", "is_active": "on"},
    )  # fmt: skip
    assert answer.status_code == 200
    assert "Variable inconnue : « case.inconnu »" in answer.content.decode()
    assert not NotificationTemplate.objects.filter(code="relance").exists()
    worker = person_client(territory, person_invite(territory, role="case_worker"))
    assert worker.get("/admin/notification_templates/").status_code in (302, 403)
