"""The form builder: server-side validation (visibility included), storage format, JSON Schema, Django form."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import Network
from workflows.engine import compiled_version
from workflows.exceptions import FormInvalid
from workflows.forms import django_form_class, files_store, form_validate


@pytest.fixture
def form(demande):
    return compiled_version(demande.pk).forms["demande"]


BASE = {"structure_name": "Les Lutins", "email": "a@b.fr", "kind": "creche", "board": [{"name": "Anne"}]}


def test_values_are_stored_json_serialisable(form):
    network = Network.objects.create(name="ACCEP")
    cleaned = form_validate(
        form,
        data={**BASE, "siret": "732 829 320 00074", "siren": "732829320", "phone": "06 12 34 56 78",
              "budget": "1500", "ratio": "0.25", "start": "01/12/2026", "meeting": "2026-12-01T10:30",
              "needs": ["compta", "rh"], "network": str(network.pk), "funder": "caf", "postcode": "35000",
              "commune": "Rennes", "member": "false"},
    )  # fmt: skip
    assert cleaned["siret"] == "73282932000074"
    assert cleaned["phone"] == "+33612345678"
    assert cleaned["budget"] == "1500.00"
    assert cleaned["ratio"] == "0.25"
    assert cleaned["start"] == "2026-12-01"
    assert cleaned["meeting"].startswith("2026-12-01T10:30")
    assert cleaned["needs"] == ["compta", "rh"]
    assert cleaned["network"] == str(network.pk)
    assert cleaned["funder"] == "caf"
    assert cleaned["member"] is False
    assert cleaned["board"] == [{"name": "Anne"}]


def test_a_hidden_field_is_neither_required_nor_stored(form):
    cleaned = form_validate(form, data={**BASE, "member": False, "federation": "ignorée"})
    assert "federation" not in cleaned
    with pytest.raises(FormInvalid) as exc:
        form_validate(form, data={**BASE, "member": True})
    assert exc.value.errors == {"federation": ["Le champ « Laquelle » est obligatoire."]}
    assert form_validate(form, data={**BASE, "member": True, "federation": "ACEPP"})["federation"] == "ACEPP"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("places", "0", "« Nombre de places » : "),
        ("places", "2,5", "« Nombre de places » : "),
        ("ratio", "1.5", "« Taux » : "),
        ("ratio", "0.123", "« Taux » : "),
        ("budget", "douze", "« Budget annuel » : "),
        ("siren", "123456789", "« SIREN » : Numéro SIREN invalide."),
        ("postcode", "ABCDE", "« Code postal » : Code postal invalide (5 chiffres)."),
        ("start", "2026-13-45", "« Date souhaitée » : "),
        ("meeting", "demain", "« Rendez-vous » : "),
        ("needs", ["compta", "jardinage"], "« Besoins » : "),
        ("network", "999999", "« Réseau » : "),
        ("funder", "banque", "« Financeur » : "),
        ("notes", "<script>", "« Précisions » : Format invalide."),
        ("structure_name", "x" * 201, "« Nom de la structure » : "),
        ("board", [{"name": "a"}, "texte"], "« Membres du bureau » : Une liste d'éléments est attendue."),
        ("board", [{"name": "a"}] * 4, "« Membres du bureau » : Au plus 3 élément(s)."),
        ("board", "pas du json", "« Membres du bureau » : Liste d'éléments illisible."),
        ("member", "peut-être", "« Adhérente d'une fédération » : "),
    ],
)
def test_every_malformed_value_is_refused_naming_its_field(form, field, value, message):
    with pytest.raises(FormInvalid) as exc:
        form_validate(form, data={**BASE, field: value})
    assert list(exc.value.errors) == [field]
    assert exc.value.errors[field][0].startswith(message)


def test_data_must_be_an_object(form):
    with pytest.raises(FormInvalid):
        form_validate(form, data=["not", "a", "dict"])


def test_file_type_and_size_limits_and_storage(form, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    pdf = SimpleUploadedFile("statuts.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    cleaned = form_validate(form, data=BASE, files={"statuts": pdf})
    stored = files_store(cleaned, folder="cases/essai")
    assert stored["statuts"]["name"] == "statuts.pdf"
    assert stored["statuts"]["content_type"] == "application/pdf"
    assert stored["statuts"]["size"] == len(b"%PDF-1.4 test")
    exe = SimpleUploadedFile("virus.exe", b"MZ", content_type="application/x-msdownload")
    with pytest.raises(FormInvalid) as exc:
        form_validate(form, data=BASE, files={"statuts": exe})
    assert "Type de fichier refusé" in exc.value.errors["statuts"][0]
    big = SimpleUploadedFile("gros.pdf", b"%PDF-1.4\n" + b"0" * (1024 * 1024), content_type="application/pdf")
    with pytest.raises(FormInvalid) as exc:
        form_validate(form, data=BASE, files={"statuts": big})
    assert "trop volumineux" in exc.value.errors["statuts"][0]
    assert "1,0" in exc.value.errors["statuts"][0]  # the field's own limit (1 Mo), not the platform's 10 Mo


def test_a_file_is_judged_by_its_bytes_not_by_its_name_or_declared_type(form):
    page = b"<!doctype html><script>alert(1)</script>"
    html = SimpleUploadedFile("statuts.pdf", page, content_type="application/pdf")
    with pytest.raises(FormInvalid) as exc:
        form_validate(form, data=BASE, files={"statuts": html})
    assert exc.value.errors["statuts"] == ["« Statuts » : Type de fichier refusé (text/html)."]
    renamed = SimpleUploadedFile("statuts.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, content_type="application/pdf")
    with pytest.raises(FormInvalid) as exc:  # a real PNG, but the field accepts only PDF
        form_validate(form, data=BASE, files={"statuts": renamed})
    assert "Type de fichier refusé (image/png)" in exc.value.errors["statuts"][0]
    liar = SimpleUploadedFile("statuts.pdf", b"%PDF-1.4 vrai", content_type="text/html")
    assert form_validate(form, data=BASE, files={"statuts": liar})["statuts"].content_type == "application/pdf"


def test_a_file_field_with_no_type_list_takes_the_platforms_list_only(tenant):
    from workflows.engine import workflow_compile

    spec = {"format": "ppe-workflow/1", "code": "x", "name": "X", "states": [], "transitions": [], "forms": [
        {"code": "f", "name": "F", "fields": [{"code": "piece", "type": "file", "label": "Pièce"}]}]}  # fmt: skip
    form = workflow_compile(spec).forms["f"]
    exe = SimpleUploadedFile("outil.exe", b"MZ\x90\x00\x03" + b"\x00" * 100, content_type="application/pdf")
    with pytest.raises(FormInvalid) as exc:
        form_validate(form, data={}, files={"piece": exe})
    assert "Type de fichier refusé" in exc.value.errors["piece"][0]
    sheet = SimpleUploadedFile("budget.csv", b"poste;montant\nloyer;1200\n", content_type="text/csv")
    assert form_validate(form, data={}, files={"piece": sheet})["piece"].name == "budget.csv"
    empty = SimpleUploadedFile("vide.pdf", b"", content_type="application/pdf")
    with pytest.raises(FormInvalid) as exc:
        form_validate(form, data={}, files={"piece": empty})
    assert "vide" in exc.value.errors["piece"][0]


def test_json_schema(form):
    schema = form.json_schema
    assert schema["type"] == "object"
    assert schema["required"] == ["structure_name", "email", "kind", "board"]  # federation: conditional; board: min 1
    props = schema["properties"]
    assert "intro" not in props  # display-only
    assert props["kind"]["enum"] == ["creche", "multi_accueil"]
    assert props["places"] == {"title": "Nombre de places", "type": "integer", "minimum": 1, "maximum": 200}
    assert props["start"]["format"] == "date"
    assert props["board"]["items"]["required"] == ["name"]
    assert props["board"]["maxItems"] == 3
    assert props["board"]["minItems"] == 1
    assert props["federation"]["x-visible-if"] == "data.member == true"
    assert props["statuts"]["x-content-types"] == ["application/pdf"]
    assert props["needs"]["items"]["enum"] == ["compta", "rh"]


def test_django_form_renders_every_input_field(form):
    Network.objects.create(name="ACCEP")
    rendered = django_form_class(form)().as_div()
    for label in ("Nom de la structure", "SIRET", "Réseau", "ACCEP", "Financeur", "CAF", "Statuts"):
        assert label in rendered
    assert 'type="date"' in rendered


def test_form_json_schema_selector(demande):
    from workflows.selectors import form_json_schema

    assert form_json_schema(version=demande)["title"] == "Demande"
    assert form_json_schema(version=demande, form="diagnostic")["required"] == ["score"]


def test_a_group_renders_rows_of_its_fields_and_reads_them_back(form):
    from django.http import QueryDict

    from workflows.forms import raw_values

    html = str(django_form_class(form)()["board"])
    assert 'name="board-0-name"' in html
    assert 'name="board-0-role"' in html
    assert 'name="board-rows" value="1"' in html  # one empty row (min 1)
    assert "Ajouter un élément" in html
    assert "Retirer l" in html
    assert '<template class="ppe-group-template">' in html
    assert "board-__index__-name" in html
    assert "Éléments : au moins 1 et au plus 3." in html
    post = QueryDict(mutable=True)
    post.update({**{k: v for k, v in BASE.items() if k != "board"}, "board-rows": "3"})
    post.update({"board-0-name": "Anne", "board-0-role": "Présidente", "board-2-name": "Paul"})  # row 1 left empty
    data, _files = raw_values(form, post, {})
    assert data["board"] == [{"name": "Anne", "role": "Présidente"}, {"name": "Paul"}]
    assert form_validate(form, data=data)["board"] == [{"name": "Anne", "role": "Présidente"}, {"name": "Paul"}]
    rerendered = str(django_form_class(form)(data=post)["board"])
    assert 'value="Présidente"' in rerendered
    assert 'name="board-rows" value="3"' in rerendered
    post["board-0-name"] = post["board-2-name"] = ""
    post["board-0-role"] = ""
    with pytest.raises(FormInvalid) as exc:  # min_items holds for an empty group too
        form_validate(form, data=raw_values(form, post, {})[0])
    assert exc.value.errors["board"] == ["« Membres du bureau » : Au moins 1 élément(s)."]
