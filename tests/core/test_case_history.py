"""CaseEvent is append-only in the database itself; two concurrent transitions: exactly one wins."""

import threading

import pytest
from django.db import DatabaseError, connection, connections, transaction
from django_tenants.utils import schema_context

from core.models import Case, CaseEvent
from core.services.cases import case_open, transition_apply
from tests.workflows.helpers import fixture_text, person
from workflows.exceptions import ConcurrentTransition


def test_the_database_refuses_update_and_delete_of_case_events(simple, worker):
    case = case_open(workflow="essai-simple", data={"title": "Objet"}, actor=worker)
    event = case.events.get()
    table = CaseEvent._meta.db_table
    statements = (f"UPDATE {table} SET comment = 'falsifié' WHERE id = %s", f"DELETE FROM {table} WHERE id = %s")  # noqa: S608
    for sql in statements:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        CaseEvent.objects.filter(pk=event.pk).update(comment="x")
    assert CaseEvent.objects.get(pk=event.pk).comment == ""


@pytest.mark.slow
def test_two_concurrent_transitions_exactly_one_wins(scratch_territory, django_db_blocker):
    """Two threads, two database connections, one case: one transition commits, the other gets a conflict."""
    from workflows.services import workflow_import

    with django_db_blocker.unblock(), schema_context(scratch_territory.schema_name):
        workflow_import(source=fixture_text("simple.yaml"), publish=True)
        actor = person("case_worker")
        case = case_open(workflow="essai-simple", data={"title": "Course"}, actor=actor)
        case_id, actor_id = case.pk, actor.pk

    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(transition: str) -> None:
        from django.contrib.auth import get_user_model

        try:
            with django_db_blocker.unblock(), schema_context(scratch_territory.schema_name):
                mine = Case.objects.get(pk=case_id)
                me = get_user_model().objects.get(pk=actor_id)
                barrier.wait(timeout=30)
                transition_apply(case=mine, transition=transition, actor=me)
                outcomes.append("won")
        except ConcurrentTransition:
            outcomes.append("conflict")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(code,)) for code in ("prendre", "prendre")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["conflict", "won"]
    with django_db_blocker.unblock(), schema_context(scratch_territory.schema_name):
        case = Case.objects.get(pk=case_id)
        assert case.state == "en_cours"
        assert list(case.events.values_list("kind", flat=True)) == ["opened", "transitioned"]
