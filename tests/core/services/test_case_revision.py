"""`Case.revision`: every write bumps it; transitions, data edits and bulk transitions re-read the row inside
their transaction, so none of them overwrites another (point 14 of issue #13: no lost update)."""

import threading

import pytest
from django.db import connections, transaction
from django_tenants.utils import schema_context

from core.models import Case, CaseConflict
from core.services.case_updates import case_data_update
from core.services.case_work import transition_bulk_apply
from core.services.cases import case_migrate_version, case_open, transition_apply
from tests.workflows.helpers import fixture_text, person
from workflows.exceptions import ConcurrentTransition


def test_every_write_bumps_the_revision(simple, worker):
    from workflows.services import workflow_publish, workflow_version_draft_create

    case = case_open(workflow="essai-simple", data={"title": "Objet"}, actor=worker)
    assert case.revision == 1
    case_data_update(case=case, data={"title": "Objet précisé"}, actor=worker)
    assert case.revision == 2
    transition_apply(case=case, transition="prendre", actor=worker)
    assert case.revision == 3
    assert Case.objects.get(pk=case.pk).revision == 3
    draft = workflow_version_draft_create(definition=simple.definition, actor=worker)
    workflow_publish(version=draft, actor=worker)
    draft.refresh_from_db()
    case_migrate_version(cases=[case], to_version=draft, actor=worker)
    assert Case.objects.get(pk=case.pk).revision == 4


def test_a_transition_from_a_stale_copy_keeps_a_data_edit_made_meanwhile(simple, worker):
    case = case_open(workflow="essai-simple", data={"title": "Objet", "amount": 10}, actor=worker)
    stale = Case.objects.get(pk=case.pk)
    case_data_update(case=Case.objects.get(pk=case.pk), data={"title": "Objet corrigé"}, actor=worker)
    event = transition_apply(case=stale, transition="prendre", actor=worker)
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.state == "en_cours"
    assert fresh.data["title"] == "Objet corrigé"  # was reverted to "Objet" by the stale copy before
    assert event.data_diff == {}
    assert stale.data["title"] == "Objet corrigé"  # the caller's copy is brought up to date
    assert stale.revision == fresh.revision == 3


def test_a_guard_sees_the_data_of_the_row_not_of_the_stale_copy(simple, worker):
    case = case_open(workflow="essai-simple", data={"title": "Objet", "amount": 10}, actor=worker)
    transition_apply(case=case, transition="prendre", actor=worker)
    stale = Case.objects.get(pk=case.pk)
    case_data_update(case=Case.objects.get(pk=case.pk), data={"amount": 5000}, actor=worker)
    with pytest.raises(Exception, match="conditions de « Fermer »"):  # amount < 1000 no longer holds
        transition_apply(case=stale, transition="fermer", actor=worker)
    assert Case.objects.get(pk=case.pk).state == "en_cours"


def test_a_data_edit_from_a_stale_copy_keeps_a_transition_made_meanwhile(simple, worker):
    case = case_open(workflow="essai-simple", data={"title": "Objet"}, actor=worker)
    stale = Case.objects.get(pk=case.pk)
    transition_apply(case=Case.objects.get(pk=case.pk), transition="prendre", actor=worker)
    case_data_update(case=stale, data={"title": "Autre objet"}, actor=worker)
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.state, fresh.data["title"]) == ("en_cours", "Autre objet")
    assert stale.state == "en_cours"


def test_a_page_that_displayed_an_older_revision_is_refused(simple, worker):
    case = case_open(workflow="essai-simple", data={"title": "Objet"}, actor=worker)
    shown = case.revision
    case_data_update(case=case, data={"title": "Objet corrigé"}, actor=worker)
    with pytest.raises(ConcurrentTransition) as exc:
        case_data_update(case=case, data={"title": "Mon objet"}, actor=worker, expected_revision=shown)
    assert "modifié par quelqu'un d'autre" in exc.value.message
    with pytest.raises(ConcurrentTransition):
        transition_apply(case=case, transition="prendre", actor=worker, expected_revision=shown)
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.state, fresh.data["title"], fresh.revision) == ("ouvert", "Objet corrigé", 2)
    transition_apply(case=case, transition="prendre", actor=worker, expected_revision=fresh.revision)
    assert Case.objects.get(pk=case.pk).state == "en_cours"


def test_saving_a_stale_copy_of_the_row_is_refused(simple, worker):
    case = case_open(workflow="essai-simple", data={"title": "Objet"}, actor=worker)
    stale = Case.objects.get(pk=case.pk)
    case_data_update(case=case, data={"title": "Objet corrigé"}, actor=worker)
    stale.channel = "api"
    with pytest.raises(CaseConflict), transaction.atomic():
        stale.save(update_fields=["channel"])
    assert stale.revision == 1
    assert Case.objects.get(pk=case.pk).channel == "backoffice"


def _race(territory, blocker, case_id, actor_id, contenders):
    """Run the `contenders` (callables taking a fresh copy of the case and the actor) at the same moment, each
    in its own thread and database connection, from copies all read before any of them writes."""
    from django.contrib.auth import get_user_model

    barrier = threading.Barrier(len(contenders))
    errors: list[BaseException] = []

    def run(contender):
        try:
            with blocker.unblock(), schema_context(territory.schema_name):
                mine = Case.objects.get(pk=case_id)
                me = get_user_model().objects.get(pk=actor_id)
                barrier.wait(timeout=30)
                contender(mine, me)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(c,)) for c in contenders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors


@pytest.mark.slow
def test_racing_data_edits_against_transitions_and_bulk_transitions_loses_no_update(
    scratch_territory, django_db_blocker
):
    from workflows.services import workflow_import

    with django_db_blocker.unblock(), schema_context(scratch_territory.schema_name):
        workflow_import(source=fixture_text("simple.yaml"), publish=True)
        actor = person("case_worker")
        case = case_open(workflow="essai-simple", data={"title": "v0"}, actor=actor)
        case_id, actor_id = case.pk, actor.pk

    expected_state = "ouvert"
    for round_ in range(1, 7):
        transition = "prendre" if expected_state == "ouvert" else "rouvrir"
        expected_state = "en_cours" if expected_state == "ouvert" else "ouvert"
        title = f"v{round_}"

        def edit(mine, me, title=title):
            case_data_update(case=mine, data={"title": title}, actor=me)

        if round_ % 2:

            def move(mine, me, transition=transition):
                transition_apply(case=mine, transition=transition, actor=me)

        else:

            def move(mine, me, transition=transition):
                [result] = transition_bulk_apply(cases=[mine], transition=transition, actor=me)
                assert result.ok, result.message

        _race(scratch_territory, django_db_blocker, case_id, actor_id, [edit, move])
        with django_db_blocker.unblock(), schema_context(scratch_territory.schema_name):
            row = Case.objects.get(pk=case_id)
            assert (row.state, row.data["title"]) == (expected_state, title), f"round {round_}"
            assert row.revision == 1 + 2 * round_

    with django_db_blocker.unblock(), schema_context(scratch_territory.schema_name):
        kinds = list(Case.objects.get(pk=case_id).events.order_by("pk").values_list("kind", flat=True))
        assert kinds.count("transitioned") == 6
        assert kinds.count("data_updated") == 6
