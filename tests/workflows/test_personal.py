"""Which values of a form are personal data: a field's own « Donnée personnelle » answer, else its type and code;
the answer travels in the `ppe-workflow/1` format."""

from __future__ import annotations

import pytest

from workflows.forms import FieldSpec, field_spec_build
from workflows.personal import field_is_personal, personal_files, personal_values_redact
from workflows.serialization import spec_check_shape


def spec(code: str, kind: str, **options) -> FieldSpec:
    return field_spec_build({"code": code, "type": kind, "label": code, **options})


@pytest.mark.parametrize(
    ("code", "kind", "personal"),
    [
        ("email", "email", True),
        ("phone", "phone", True),
        ("diploma_file", "file", True),
        ("situation", "textarea", True),  # free text may name people
        ("contact_name", "text", True),
        ("first_name", "text", True),
        ("nom", "text", True),
        ("adresse_postale", "text", True),
        ("structure_name", "text", False),  # an organisation's name
        ("titre", "text", False),
        ("places", "integer", False),
        ("kind", "choice", False),
        ("commune", "commune", False),
        ("siret", "siret", False),
    ],
)
def test_personal_by_default_from_type_and_code(code, kind, personal):
    assert field_is_personal(spec(code, kind)) is personal


def test_the_builders_answer_wins_over_the_default():
    assert field_is_personal(spec("email", "email", personal=False)) is False
    assert field_is_personal(spec("places", "integer", personal=True)) is True


def test_redaction_keeps_every_value_that_is_not_personal_groups_included():
    specs = {
        "email": spec("email", "email"),
        "places": spec("places", "integer"),
        "partenaires": field_spec_build({"code": "partenaires", "type": "group", "label": "Partenaires", "fields": [
            {"code": "nom", "type": "text", "label": "Nom"}, {"code": "role", "type": "choice", "label": "Rôle"},
            {"code": "piece", "type": "file", "label": "Pièce"}]}),
    }  # fmt: skip
    file = {"name": "a.pdf", "path": "cases/x/a.pdf", "size": 3, "content_type": "application/pdf"}
    data = {"email": "a@b.fr", "places": 12, "unknown": "kept", "partenaires": [{"nom": "Anne", "role": "pilote",
            "piece": file}]}  # fmt: skip
    out = personal_values_redact(data, specs, "X")
    assert out == {"email": "X", "places": 12, "unknown": "kept", "partenaires": [{"nom": "X", "role": "pilote",
                   "piece": "X"}]}  # fmt: skip
    assert personal_files(data, specs) == [file]


def test_the_format_carries_the_answer_and_refuses_anything_but_a_boolean():
    base = {"format": "ppe-workflow/1", "code": "x", "name": "X", "states": [], "transitions": []}
    good = {**base, "forms": [{"code": "f", "fields": [{"code": "a", "type": "text", "label": "A", "personal": True}]}]}
    assert spec_check_shape(good) == []
    bad = {**base, "forms": [{"code": "f", "fields": [{"code": "a", "type": "text", "label": "A", "personal": "oui"}]}]}
    assert any("personal" in error for error in spec_check_shape(bad))


def test_the_form_builder_asks_whether_a_field_is_personal(territory, tenant):
    from tests.people import person_client, person_invite
    from tests.workflows.helpers import fixture_text
    from workflows.models import FieldDefinition, FormDefinition
    from workflows.services import workflow_import, workflow_version_draft_create

    simple = workflow_import(source=fixture_text("simple.yaml"), publish=True)
    draft = workflow_version_draft_create(definition=simple.definition, actor=None)
    client = person_client(territory, person_invite(territory, role="platform_admin"))
    page = client.get(f"/admin/snippets/workflows/formdefinition/add/?version={draft.pk}").content.decode()
    assert "Donnée personnelle" in page
    assert "Selon le type (oui : courriel, téléphone, fichier, texte long, nom, adresse)" in page
    empty = (
        "help",
        "required",
        "min_value",
        "max_value",
        "min_length",
        "max_length",
        "pattern",
        "choices",
        "reference",
        "visible_if",
        "max_size_mb",
        "decimal_places",
        "min_items",
        "max_items",
        "default",
        "group",
    )
    row = dict.fromkeys(empty, "")
    data = {"version": draft.pk, "code": "contact", "name": "Contact", "fields-TOTAL_FORMS": "2",
            "fields-INITIAL_FORMS": "0", "fields-MIN_NUM_FORMS": "0", "fields-MAX_NUM_FORMS": "1000"}  # fmt: skip
    for index, values in enumerate([
        {"code": "courriel_pro", "type": "email", "label": "Courriel professionnel", "personal": "false"},
        {"code": "anciennete", "type": "integer", "label": "Ancienneté", "personal": "true"},
    ]):  # fmt: skip
        data |= {f"fields-{index}-{k}": v for k, v in {**row, **values, "ORDER": str(index + 1)}.items()}
        data[f"fields-{index}-position"] = str(index)
    answer = client.post("/admin/snippets/workflows/formdefinition/add/", data)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    form = FormDefinition.objects.get(version=draft, code="contact")
    saved = dict(FieldDefinition.objects.filter(form=form).values_list("code", "personal"))
    assert saved == {"courriel_pro": False, "anciennete": True}
    from workflows.serialization import version_spec

    fields = {f["code"]: f for f in next(f for f in version_spec(draft)["forms"] if f["code"] == "contact")["fields"]}
    assert fields["courriel_pro"]["personal"] is False
    assert fields["anciennete"]["personal"] is True
