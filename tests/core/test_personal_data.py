"""Personal data (RGPD): retention by case type, the nightly anonymisation of expired cases through the outbox,
and the history's trigger, which lets only an anonymisation or an erasure rewrite personal values, and records
it. People are invited the product's way (`tests.people`); the cases are opened as the public form opens them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from core.models import Case, CaseEvent, CaseEventRedaction, Comment, PersonalDataAction
from core.services import personal_data
from core.services.case_updates import case_attachment_add, case_comment_add
from core.services.cases import case_open, transition_apply
from tenants.storage import private_storage
from tests.people import person_invite
from workflows.models import WorkflowDefinition

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
APPLICATION = {
    "first_name": "Nora",
    "last_name": "Le Guen",
    "email": "nora.leguen@example.org",
    "phone": "06 12 34 56 78",
    "home_commune_insee": "35047",
    "qualification": "eje",
    "max_distance_km": 30,
    "max_hours_week": 28,
    "preferred_age_groups": ["bebes"],
    "availability_note": "Le matin, sauf le mercredi (Nora Le Guen)",
}


@pytest.fixture
def coordinator(territory, tenant):
    return person_invite(territory, role="pole_coordinator")


@pytest.fixture
def refused_application(coordinator, django_capture_on_commit_callbacks):
    """An application to the pool sent from the public site with a diploma, commented, refused (closed)."""
    files = {"diploma_file": SimpleUploadedFile("diplome-nora.pdf", PDF, content_type="application/pdf")}
    with django_capture_on_commit_callbacks(execute=True):
        case = case_open(workflow="remplacement-candidature", data=dict(APPLICATION), files=files, actor=None,
                         channel="public")  # fmt: skip
        case_comment_add(case=case, text="Appelé Nora Le Guen au 06 12 34 56 78.", actor=coordinator,
                         visibility="internal")  # fmt: skip
        case_attachment_add(case=case, file=SimpleUploadedFile("cv-nora.pdf", PDF, content_type="application/pdf"),
                            actor=coordinator, visibility="internal")  # fmt: skip
        transition_apply(case=case, transition="refuser", actor=coordinator,
                         comment="Nora Le Guen n'a pas l'expérience demandée.")  # fmt: skip
    case.refresh_from_db()
    assert case.closed_at is not None
    return case


def _years_later(case: Case, years: int, days: int = 1) -> dt.datetime:
    return case.closed_at.replace(year=case.closed_at.year + years) + dt.timedelta(days=days)


def test_retention_by_case_type_defaults_and_admin_choice(tenant, territory):
    admin = person_invite(territory, role="platform_admin")
    candidature = WorkflowDefinition.objects.get(code="remplacement-candidature")
    assert personal_data.retention_years(candidature) == 2  # the shipped default of a pool application
    assert personal_data.retention_years(WorkflowDefinition.objects.get(code="dev-sieg")) == 10
    personal_data.retention_set(definition=candidature, years=3, actor=admin)
    candidature.refresh_from_db()
    assert personal_data.retention_years(candidature) == 3
    with pytest.raises(Exception, match="entre 0 et 50"):
        personal_data.retention_set(definition=candidature, years=80, actor=admin)
    personal_data.retention_set(definition=candidature, years=None, actor=admin)
    candidature.refresh_from_db()
    assert personal_data.retention_years(candidature) == 2


def test_an_expired_case_is_anonymised_by_the_nightly_sweep_and_its_history_stays_readable(
    refused_application, coordinator, django_capture_on_commit_callbacks
):
    from core.selectors.case_work import case_data_display, case_timeline

    case = refused_application
    files = [case.data["diploma_file"]["path"], case.attachments.get().file.name]
    assert all(private_storage().exists(path) for path in files)
    events_before = list(case.events.order_by("pk").values_list("pk", "kind", "to_state", "created_at"))

    # Not yet expired one year after closure: nothing is recorded.
    assert personal_data.retention_sweep(now=_years_later(case, 1)) == 0
    with django_capture_on_commit_callbacks(execute=True):  # the outbox hands each effect to the worker
        assert personal_data.retention_sweep(now=_years_later(case, 2)) == 1
    case.refresh_from_db()
    on = timezone.localdate()
    mark = f"donnée anonymisée le {on:%d/%m/%Y}"
    assert case.anonymised_at is not None
    for code in ("first_name", "last_name", "email", "phone", "diploma_file", "availability_note"):
        assert case.data[code] == mark, code
    assert case.data["max_distance_km"] == 30
    assert case.data["qualification"] == "eje"
    assert not any(private_storage().exists(path) for path in files)  # deleted from storage
    assert not case.attachments.exists()
    assert Comment.objects.get(case=case).body == f"Commentaire anonymisé le {on:%d/%m/%Y}"
    # The history keeps every event, state and date; its personal values read « donnée anonymisée le … ».
    assert list(case.events.order_by("pk").values_list("pk", "kind", "to_state", "created_at")) == events_before
    opened = case.events.get(kind=CaseEvent.Kind.OPENED)
    assert opened.data_diff["email"] == [None, mark]
    assert opened.data_diff["max_distance_km"] == [None, 30]
    assert "Nora" not in str(list(case.events.values_list("comment", "data_diff", "detail")))
    timeline = case_timeline(case=case, user=coordinator)
    assert any(entry.body == f"Commentaire anonymisé le {on:%d/%m/%Y}" for entry in timeline)  # the refusal's
    shown = {label: display for section in case_data_display(case=case) for label, display, _raw in section.rows}
    assert shown["Courriel"] == mark
    assert all("Nora" not in (entry.body or "") + entry.title for entry in timeline)
    # Journaled, and each rewritten event recorded by the trigger itself.
    action = PersonalDataAction.objects.get(case=case, kind=PersonalDataAction.Kind.ANONYMISED)
    assert action.summary["fichiers"] == 1
    assert action.summary["pièces jointes"] == 1
    assert CaseEventRedaction.objects.filter(action=action).count() == action.summary["événements réécrits"] > 0
    # The door closed with the anonymisation: the rest of the transaction may not rewrite the history.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_caseevent SET comment = '' WHERE case_id = %s", [case.pk])
    # Idempotent: a second night finds nothing, a second run of the same effect does nothing.
    assert personal_data.retention_sweep(now=_years_later(case, 3)) == 0
    assert personal_data.case_anonymise(case_id=case.pk) is None
    assert PersonalDataAction.objects.filter(case=case).count() == 1


def test_an_open_case_is_never_anonymised(coordinator, tenant):
    files = {"diploma_file": SimpleUploadedFile("diplome.pdf", PDF, content_type="application/pdf")}
    case = case_open(workflow="remplacement-candidature", data=dict(APPLICATION), files=files, actor=None,
                     channel="public")  # fmt: skip
    from tenants.outbox.models import Effect

    assert personal_data.retention_sweep(now=timezone.now() + dt.timedelta(days=365 * 30)) > 0  # the demo's past
    assert not Effect.objects.filter(key__startswith=f"rgpd:anonymise:{case.pk}:").exists()  # not this open one
    assert personal_data.case_anonymise(case_id=case.pk) is None
    case.refresh_from_db()
    assert case.data["email"] == APPLICATION["email"]


def test_the_history_trigger_refuses_everything_but_an_anonymisation_or_erasure(refused_application):
    case = refused_application
    event = case.events.get(kind=CaseEvent.Kind.OPENED)

    def refused(*statements: tuple[str, list], action: PersonalDataAction | None = None) -> bool:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                if action is not None:
                    cursor.execute("SELECT set_config('ppe.personal_data_action', %s, true)", [str(action.pk)])
                for statement, params in statements:
                    cursor.execute(statement, params)
        except DatabaseError as error:
            return "append-only" in str(error)
        return False

    update = ("UPDATE core_caseevent SET comment = 'x' WHERE id = %s", [event.pk])
    assert refused(update)  # no action named
    exported = PersonalDataAction.objects.create(kind=PersonalDataAction.Kind.EXPORTED, subject_label="x")
    assert refused(update, action=exported)  # an export never writes
    erasure = PersonalDataAction.objects.create(kind=PersonalDataAction.Kind.ERASED, subject_label="x")
    # Even an erasure may touch nothing but the personal columns, and never delete.
    assert refused(("UPDATE core_caseevent SET to_state = 'x' WHERE id = %s", [event.pk]), action=erasure)
    assert refused(("UPDATE core_caseevent SET created_at = now() WHERE id = %s", [event.pk]), action=erasure)
    assert refused(("DELETE FROM core_caseevent WHERE id = %s", [event.pk]), action=erasure)
    assert refused(update)  # a refused attempt left no door open behind it
    assert not refused(update, action=erasure)
    assert CaseEventRedaction.objects.get(event=event, action=erasure).columns == ["comment"]


def test_case_personal_data_anonymise(coordinator, tenant, django_capture_on_commit_callbacks):
    """The hook: each pole anonymises what it keeps of the case (the support pole's follow-up log)."""
    from plugins.support.models import FollowUpEntry
    from plugins.support.services import followup_add
    from tests.plugins.support.helpers import DEMANDE

    with django_capture_on_commit_callbacks(execute=True):
        case = case_open(workflow="support-accompagnement", data=dict(DEMANDE), actor=None, channel="public")
        followup_add(case=case, kind="call", happened_on=timezone.localdate(), actor=coordinator,
                     text="Appel à Anne Martin, présidente.")  # fmt: skip
        transition_apply(case=case, transition="refuser", actor=coordinator, comment="Hors du champ du pôle.")
    case.refresh_from_db()
    later = _years_later(case, 5)
    action = personal_data.case_anonymise(case_id=case.pk, now=later)
    entry = FollowUpEntry.objects.get(case=case)
    assert entry.text == f"donnée anonymisée le {timezone.localdate(later):%d/%m/%Y}"  # the day it was done
    assert entry.kind == "call"  # what happened, and when, stays
    assert action.summary["entrées du suivi"] == 1
