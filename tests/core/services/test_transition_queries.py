"""A transition costs the guarded UPDATE and the audit INSERT, nothing more (issue #17 item 2): no lookup per
transition by the core or by an active pole's hook (`transition_data_check` once read `case.workflow`, a query
per transition of every workflow), with every pole of the demo territory switched on."""

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


def test_a_transition_with_a_form_and_a_guard_writes_two_statements_and_reads_nothing(tenant, settings):
    settings.PPE_WEBHOOK_CACHE_CHECK_MS = 60_000  # production's revalidation, at most once a second (test: 0)
    from workflows.services import workflow_import

    workflow_import(source=WORKFLOW, publish=True)
    worker = person("case_worker")
    case = case_open(workflow="compte-requetes", data={"title": "Dossier"}, actor=worker)
    transition_apply(case=case, transition="aller", actor=worker, data={"note": 1})  # caches warmed
    with CaptureQueriesContext(connection) as queries:
        transition_apply(case=case, transition="retour", actor=worker, data={"note": 2})
        transition_apply(case=case, transition="aller", actor=worker, data={"note": 3})
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    assert statements == ["UPDATE", "INSERT", "UPDATE", "INSERT"], [q["sql"][:120] for q in queries]
    assert case.state == "b"
    assert case.data["note"] == 3
