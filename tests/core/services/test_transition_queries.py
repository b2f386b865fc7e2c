"""A transition costs the guarded UPDATE and the audit INSERT — one statement — nothing more (issue #17 item 2):
no lookup per transition by the core or by an active pole's hook (`transition_data_check` once read
`case.workflow`, a query per transition of every workflow), with every pole of the demo territory switched on."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.services.cases import case_open, transition_apply
from tests.workflows.helpers import person

WORKFLOW = {
    "format": "ppe-workflow/1",
    "code": "compte-requetes",
    "name": "Compte des requêtes",
    "open_form": "ouverture",
    "open_roles": ["case_worker"],
    "forms": [
        {"code": "ouverture", "name": "Ouverture",
         "fields": [{"code": "title", "type": "text", "label": "Objet", "required": True}]},
        {"code": "note", "name": "Note",
         "fields": [{"code": "note", "type": "integer", "label": "Note", "required": True, "min": 0}]},
    ],
    "states": [
        {"code": "a", "label": "A", "kind": "initial", "sla_days": 5},
        {"code": "b", "label": "B", "kind": "normal", "sla_days": 5},
        {"code": "z", "label": "Z", "kind": "final"},
    ],
    "transitions": [
        {"code": "aller", "label": "Aller", "from": ["a"], "to": "b", "roles": ["case_worker"],
         "guard": "size(data.title) > 0 && 'case_worker' in actor.roles", "form": "note"},
        {"code": "retour", "label": "Retour", "from": ["b"], "to": "a", "roles": ["case_worker"],
         "guard": "data.note >= 0", "form": "note"},
        {"code": "fin", "label": "Fin", "from": ["b"], "to": "z", "roles": ["case_worker"]},
    ],
}  # fmt: skip


def test_a_transition_with_a_form_and_a_guard_is_one_statement_and_reads_nothing(tenant, settings):
    settings.PPE_WEBHOOK_CACHE_CHECK_MS = 60_000  # production's revalidation, at most once a second (test: 0)
    from core.models import CaseEvent
    from workflows.services import workflow_import

    workflow_import(source=WORKFLOW, publish=True)
    worker = person("case_worker")
    case = case_open(workflow="compte-requetes", data={"title": "Dossier"}, actor=worker)
    transition_apply(case=case, transition="aller", actor=worker, data={"note": 1})  # caches warmed
    revision = case.revision
    with CaptureQueriesContext(connection) as queries:
        back = transition_apply(case=case, transition="retour", actor=worker, data={"note": 2})
        again = transition_apply(case=case, transition="aller", actor=worker, data={"note": 3})
    statements = [" ".join(q["sql"].split()[:1] + q["sql"].split()[3:4]).upper() for q in queries.captured_queries]
    # the row's UPDATE and its event's INSERT in one statement each, no BEGIN/COMMIT around them
    assert statements == ["WITH (UPDATE", "WITH (UPDATE"], [q["sql"][:120] for q in queries]
    assert all("INSERT INTO" in q["sql"] for q in queries.captured_queries)
    assert case.state == "b"
    assert case.data["note"] == 3
    case.refresh_from_db()
    assert (case.state, case.data["note"], case.revision) == ("b", 3, revision + 2)
    stored = CaseEvent.objects.get(pk=again.pk)
    assert (stored.transition, stored.from_state, stored.to_state, stored.actor) == ("aller", "a", "b", worker)
    assert stored.data_diff == {"note": [2, 3]}
    assert CaseEvent.objects.get(pk=back.pk).data_diff == {"note": [1, 2]}


def test_a_transition_someone_subscribes_to_writes_its_delivery_in_the_same_transaction(tenant):
    from core.api.models import WebhookDelivery
    from core.api.webhooks import webhook_subscription_create
    from workflows.services import workflow_import

    workflow_import(source=WORKFLOW, publish=True)
    worker = person("case_worker")
    webhook_subscription_create(
        name="Récepteur", url="http://127.0.0.1:9/ppe", events=["case.transitioned"], actor=worker
    )
    case = case_open(workflow="compte-requetes", data={"title": "Dossier"}, actor=worker)
    event = transition_apply(case=case, transition="aller", actor=worker, data={"note": 1})
    (delivery,) = WebhookDelivery.objects.filter(event="case.transitioned")
    assert delivery.payload["data"]["transition"] == "aller"
    assert delivery.payload["data"]["to_state"] == "b"
    assert event.pk is not None
