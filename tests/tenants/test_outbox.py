"""The transactional outbox: an effect is recorded with its write, handed over on commit, carried out once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail import send_mail
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import schema_context

from core.services.cases import case_open, transition_apply
from tenants.outbox import effects
from tenants.outbox.effects import EffectContext, effect_execute, outbox_sweep
from tenants.outbox.models import Effect, Heartbeat, SentMessage
from tenants.tasks import tenant_task
from tests.workflows.helpers import simple, worker  # noqa: F401  (fixtures)

calls: list[str] = []


@tenant_task(retries=1, retry_delay=10)
def outbox_probe(name: str, fail: bool = False) -> None:
    """A task whose own write (a row) must commit with its effect's done mark, or not at all."""
    calls.append(name)
    Heartbeat.objects.create(name=name, at=timezone.now())
    if fail:
        raise RuntimeError("panne simulée")


@pytest.fixture(autouse=True)
def _calls_cleared():
    calls.clear()


def test_a_rolled_back_write_leaves_no_effect(tenant, django_capture_on_commit_callbacks):
    def write_then_fail():
        with transaction.atomic():
            outbox_probe.enqueue_on_commit("annulé")
            raise ZeroDivisionError

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ZeroDivisionError):
        write_then_fail()
    assert not Effect.objects.filter(task__endswith="outbox_probe").exists()
    assert calls == []


def test_a_committed_effect_is_carried_out_once_with_its_own_write(tenant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        effect = outbox_probe.enqueue_on_commit("une fois")
    effect.refresh_from_db()
    assert (effect.status, effect.attempts, effect.task) == ("done", 1, "tests.tenants.test_outbox.outbox_probe")
    assert Heartbeat.objects.filter(name="une fois").count() == 1
    assert effect_execute(effect.pk) == "skipped"  # handed over again (sweep, retry): nothing runs twice
    assert calls == ["une fois"]


def test_the_same_key_is_one_effect(tenant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = outbox_probe.effect(args=("clé",), key="probe:1")
        second = outbox_probe.effect(args=("clé",), key="probe:1")
    assert first.pk == second.pk
    assert calls == ["clé"]


def test_a_failing_effect_undoes_its_write_retries_later_then_gives_up(tenant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        effect = outbox_probe.enqueue_on_commit("en panne", fail=True)
    effect.refresh_from_db()
    assert (effect.status, effect.attempts) == ("pending", 1)
    assert "panne simulée" in effect.last_error
    assert 9 <= (effect.available_at - timezone.now()).total_seconds() <= 10  # retry_delay, then doubled
    assert not Heartbeat.objects.filter(name="en panne").exists()  # its write went with the failure
    assert effect_execute(effect.pk) == "skipped"  # not due yet
    Effect.objects.filter(pk=effect.pk).update(available_at=timezone.now())
    assert effect_execute(effect.pk) == "failed"  # retries=1: two attempts, then abandoned
    effect.refresh_from_db()
    assert (effect.status, effect.attempts) == ("failed", 2)


def test_a_failed_hand_over_never_fails_the_commit_and_the_sweep_hands_it_over(
    tenant, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    import tenants.outbox.tasks as outbox_tasks

    real = outbox_tasks.effect_run

    def queue_down(*args, **kwargs):
        raise ConnectionError("file d'attente injoignable")

    monkeypatch.setattr(outbox_tasks, "effect_run", queue_down)
    with django_capture_on_commit_callbacks(execute=True):
        effect = outbox_probe.enqueue_on_commit("rattrapé")
    assert "will hand it over again" in caplog.text
    effect.refresh_from_db()
    assert (effect.status, calls) == ("pending", [])
    monkeypatch.setattr(outbox_tasks, "effect_run", real)
    assert outbox_sweep() == 0  # handed over too recently: a worker may be on it
    Effect.objects.filter(pk=effect.pk).update(enqueued_at=timezone.now() - timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_sweep() >= 1
    effect.refresh_from_db()
    assert (effect.status, calls) == ("done", ["rattrapé"])


def test_a_transition_s_hook_and_actions_are_an_effect_of_it(
    simple,  # noqa: F811
    worker,  # noqa: F811
    fake_pole,
    django_capture_on_commit_callbacks,
):
    case = case_open(workflow="essai-simple", data={"title": "Objet"}, actor=worker)
    with django_capture_on_commit_callbacks(execute=True):
        event = transition_apply(case=case, transition="prendre", actor=worker)
    effect = Effect.objects.get(key=f"transition:{event.pk}")
    assert (effect.task, effect.args, effect.status) == ("core.tasks.case_transition_effects", [event.pk], "done")
    assert [kwargs["event"].pk for kwargs, _schema in fake_pole.called("case_transitioned")] == [event.pk]


def test_a_transition_no_pole_listens_to_records_no_effect(simple, worker, django_capture_on_commit_callbacks):  # noqa: F811
    """The poles declare the workflows they react to (support, remplacement): an editor-built workflow's
    transitions, without actions, cost no effect row (bench/transitions.py)."""
    case = case_open(workflow="essai-simple", data={"title": "Objet"}, actor=worker)
    with django_capture_on_commit_callbacks(execute=True):
        event = transition_apply(case=case, transition="prendre", actor=worker)
    assert not Effect.objects.filter(key=f"transition:{event.pk}").exists()


@override_settings(
    EMAIL_BACKEND="tenants.outbox.mail.LedgerEmailBackend",
    PPE_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
)
def test_an_effect_run_again_never_sends_its_e_mail_twice(tenant):
    context = EffectContext(schema_name="dep_35", key=f"probe-mail:{timezone.now().timestamp()}")
    sent_ids = []
    for _ in range(2):  # the same effect carried out twice (a retry after a failure that followed the send)
        context.messages = 0
        token = effects.current_effect.set(context)
        try:
            send_mail("Votre dossier", "Bonjour", "ne-pas-repondre@localhost", ["anne@example.org"])
        finally:
            effects.current_effect.reset(token)
        sent_ids.append([m.extra_headers["Message-ID"] for m in mail.outbox])
    assert len(mail.outbox) == 1
    with schema_context("public"):  # the ledger is the platform's
        ledger = list(SentMessage.objects.filter(key=f"dep_35:{context.key}:1").values_list("status", "message_id"))
    assert ledger == [("sent", sent_ids[0][0])]
    send_mail("Hors effet", "Bonjour", "ne-pas-repondre@localhost", ["anne@example.org"])
    assert len(mail.outbox) == 2  # outside an effect, messages only pass through
