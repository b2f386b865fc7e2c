"""The condition builder: rows → CEL → rows, French wording, and the description the page's script evaluates."""

import json

import pytest

from workflows import registry
from workflows.conditions import (
    ConditionError,
    FieldInfo,
    condition_cel,
    condition_rows,
    condition_rule,
    condition_text,
)
from workflows.engine import compiled_version
from workflows.expressions import expression_compile
from workflows.forms import django_form_class

FIELDS = {
    "montant": FieldInfo("montant", "money", "Montant"),
    "debut": FieldInfo("debut", "date", "Début"),
    "adherent": FieldInfo("adherent", "boolean", "Adhérente"),
    "kind": FieldInfo("kind", "choice", "Type", (("creche", "Crèche"), ("mac", "Multi-accueil"))),
    "besoins": FieldInfo("besoins", "multichoice", "Besoins", (("rh", "Ressources humaines"),)),
    "devis": FieldInfo("devis", "group", "Devis"),
    "nom": FieldInfo("nom", "text", "Nom"),
}


@pytest.mark.parametrize(
    ("rows", "join", "cel"),
    [
        ([{"field": "montant", "operator": "gt", "value": "1 000,5"}], "and", "data.montant > 1000.5"),
        ([{"field": "debut", "operator": "from", "value": "01/02/2026"}], "and", 'data.debut >= date("2026-02-01")'),
        (
            [{"field": "adherent", "operator": "yes"}, {"field": "kind", "operator": "eq", "value": "Crèche"}],
            "or",
            'data.adherent == true || data.kind == "creche"',
        ),
        ([{"field": "besoins", "operator": "has", "value": "rh"}], "and", '"rh" in data.besoins'),
        ([{"field": "devis", "operator": "count_ge", "value": "2"}], "and", "size(data.devis) >= 2"),
        ([{"field": "nom", "operator": "filled"}], "and", 'has(data.nom) && data.nom != null && data.nom != ""'),
    ],
)
def test_rows_write_cel_that_compiles_and_reads_back(rows, join, cel):
    written = condition_cel(rows, join, FIELDS)
    assert written == cel
    expression_compile(written, functions=frozenset(registry.guard_functions()))
    back, back_join = condition_rows(written, FIELDS)
    assert condition_cel(back, back_join, FIELDS) == cel


def test_bad_rows_are_refused_in_french_and_advanced_cel_stays_cel():
    with pytest.raises(ConditionError, match=r"Condition 1 : « douze » n'est pas un nombre\."):
        condition_cel([{"field": "montant", "operator": "gt", "value": "douze"}], "and", FIELDS)
    with pytest.raises(ConditionError, match="choisissez une comparaison possible pour « Adhérente »"):
        condition_cel([{"field": "adherent", "operator": "gt", "value": "1"}], "and", FIELDS)
    assert condition_rows("data.montant * 2 > 10.0", FIELDS) is None
    assert condition_text("data.montant * 2 > 10.0", FIELDS) == "Condition avancée (CEL)"
    assert condition_text('data.kind == "creche"', FIELDS) == "« Type » est égal à Crèche"


def test_rule_for_the_page_script():
    rule = condition_rule('data.montant > 1000.0 && data.debut < date("2026-03-01")', FIELDS)
    assert rule == {
        "join": "and",
        "rows": [
            {"field": "montant", "type": "money", "op": "gt", "value": 1000.0},
            {"field": "debut", "type": "date", "op": "before", "value": "2026-03-01"},
        ],
    }
    assert condition_rule("data.montant * 2 > 10.0", FIELDS) is None  # the server alone decides
    assert condition_rule("data.ailleurs == true", FIELDS) is None  # a field of another form


def test_rendered_form_carries_the_live_condition_and_sections(demande):
    form = compiled_version(demande.pk).forms["demande"]
    bound = django_form_class(form, display=True)()
    widget = bound.fields["federation"].widget
    assert json.loads(widget.attrs["data-ppe-visible-if"]) == {
        "join": "and", "rows": [{"field": "member", "type": "boolean", "op": "yes", "value": None}]
    }  # fmt: skip
    html = bound.as_div()
    assert 'data-ppe-code="member"' in html
    assert '<h3 class="ppe-form-section">' in html
    assert '<option value="" selected>—</option>' in str(bound["kind"])  # a required single choice starts empty
