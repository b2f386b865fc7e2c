"""Typed values reach CEL as numbers, timestamps and maps, on every path (forms, guards), guard functions on."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.services.cases import case_open, transition_apply
from workflows.engine import compiled_version
from workflows.exceptions import FormInvalid, GuardFailed
from workflows.forms import form_validate
from workflows.registry import guard_functions
from workflows.services import workflow_import
from workflows.values import cel_data, cel_value, plain

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
BASE = {"structure_name": "Les Lutins", "email": "a@b.fr", "kind": "creche", "board": [{"name": "Anne"}]}


def test_cel_values_by_field_type():
    assert cel_value("integer", "12") == 12
    assert cel_value("money", "1500.50") == 1500.5
    assert cel_value("decimal", Decimal("0.25")) == 0.25
    assert cel_value("date", "2026-12-01") == datetime(2026, 12, 1, tzinfo=UTC)
    assert cel_value("date", date(2026, 12, 1)) == datetime(2026, 12, 1, tzinfo=UTC)
    assert cel_value("datetime", "2026-12-01T10:30:00+01:00") == datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    assert cel_value("integer", "douze") is None
    stored = {"name": "a.pdf", "path": "cases/x/a.pdf", "size": 3, "content_type": "application/pdf"}
    assert cel_value("file", stored) == {
        "name": "a.pdf",
        "size": 3,
        "content_type": "application/pdf",
    }  # the storage path never reaches a condition
    upload = SimpleUploadedFile("statuts.pdf", PDF, content_type="application/pdf")
    assert cel_value("file", upload) == {"name": "statuts.pdf", "size": len(PDF), "content_type": "application/pdf"}
    assert plain({"a": [Decimal("1.5"), date(2026, 1, 2)]}) == {"a": [1.5, datetime(2026, 1, 2, tzinfo=UTC)]}


def test_group_rows_are_typed_by_their_own_fields(demande):
    compiled = compiled_version(demande.pk)
    data = {"places": "12", "budget": "99.90", "board": [{"name": "Anne"}], "extra": "x"}
    typed = cel_data(data, compiled.field_types)
    assert typed == {"places": 12, "budget": 99.9, "board": [{"name": "Anne"}], "extra": "x"}


def test_a_file_with_a_condition_is_validated_not_a_server_error(demande):
    """The 500 of the issue: a file field and a `visible_if` field in one form, guard functions on."""
    form = compiled_version(demande.pk).forms["demande"]
    assert guard_functions()  # the poles' functions are registered, as in production
    upload = SimpleUploadedFile("statuts.pdf", PDF, content_type="application/pdf")
    with pytest.raises(FormInvalid) as exc:  # the condition is true: the required field is not skipped
        form_validate(form, data={**BASE, "member": True}, files={"statuts": upload})
    assert exc.value.errors == {"federation": ["Le champ « Laquelle » est obligatoire."]}
    upload.seek(0)
    cleaned = form_validate(form, data={**BASE, "member": True, "federation": "ACEPP"}, files={"statuts": upload})
    assert cleaned["federation"] == "ACEPP"


MONTANT = {
    "format": "ppe-workflow/1", "code": "subvention", "name": "Subvention", "open_form": "demande",
    "open_roles": ["pole_coordinator"],
    "forms": [{"code": "demande", "name": "Demande", "fields": [
        {"code": "montant", "type": "money", "label": "Montant", "required": True},
        {"code": "debut", "type": "date", "label": "Début"},
        {"code": "devis", "type": "integer", "label": "Devis reçus"},
        {"code": "justificatif", "type": "text", "label": "Justificatif",
         "visible_if": "data.montant > 1000.0 && data.debut >= date('2026-01-01')", "required": True},
    ]}],
    "states": [{"code": "a", "label": "A", "kind": "initial"}, {"code": "b", "label": "B", "kind": "final"}],
    "transitions": [{"code": "accorder", "label": "Accorder", "from": ["a"], "to": "b",
                     "roles": ["pole_coordinator"], "guard": "data.montant > 1000.0 && data.devis >= 2 "
                     "&& days_between(data.debut, today) > -100000"}],
}  # fmt: skip


def test_amounts_and_dates_reach_conditions_and_guards_typed(tenant, coordinator):
    workflow_import(source=MONTANT, publish=True)
    with pytest.raises(FormInvalid) as exc:  # 1500.00 > 1000.0 and the date is after: the field shows
        case_open(workflow="subvention", data={"montant": "1500", "debut": "2026-03-01"}, actor=coordinator)
    assert list(exc.value.errors) == ["justificatif"]
    data = {"montant": "500", "debut": "2026-03-01", "devis": "3"}
    low = case_open(workflow="subvention", data=data, actor=coordinator)
    assert "justificatif" not in low.data  # hidden: 500.00 is no more than 1000
    with pytest.raises(GuardFailed):
        transition_apply(case=low, transition="accorder", actor=coordinator)
    high = case_open(
        workflow="subvention",
        data={"montant": "1500", "debut": "2026-03-01", "devis": "2", "justificatif": "Devis joints"},
        actor=coordinator,
    )
    assert high.data["montant"] == "1500.00"  # stored as JSON, typed only for CEL
    assert transition_apply(case=high, transition="accorder", actor=coordinator).to_state == "b"
