"""Searching cases: French full-text search over the data's values and the choices' labels, never the data's
keys (issue 13, item 11)."""

from django.db import connection

from core.selectors.cases import case_list
from core.services.cases import case_open
from tests.people import person_invite
from tests.workflows.helpers import VALID_DEMANDE


def test_search_finds_words_in_values_and_choice_labels_never_keys(territory, demande):
    coordinator = person_invite(territory, role="pole_coordinator")
    notes = "Les enfants attendent des repas biologiques."
    creche = case_open(workflow="essai-demande", actor=coordinator, data={**VALID_DEMANDE, "notes": notes})
    other = {"structure_name": "Les Pitchouns", "kind": "multi_accueil", "notes": "Horaires décalés"}
    multi = case_open(workflow="essai-demande", actor=coordinator, data={**VALID_DEMANDE, **other})

    def found(search):
        return set(case_list(user=coordinator, workflow="essai-demande", search=search))

    assert found("repas biologique") == {creche}  # French stemming: « biologiques » → « biologique »
    assert found("enfant") == {creche}
    assert found("horaire décalé") == {multi}
    assert found("Multi-accueil") == {multi}  # the choice's label; the data holds « multi_accueil »
    assert found("crèche") == {creche}
    assert found("notes") == set()  # a key of the data, not a value
    assert found("structure_name") == set()
    assert found("lutins.example") == {creche, multi}  # part of a value still matches
    assert found(creche.reference) == {creche}


def test_the_search_reads_columns_postgresql_keeps_with_the_case(territory, demande):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name, generation_expression FROM information_schema.columns "
            "WHERE table_name = 'core_case' AND table_schema = current_schema() AND is_generated = 'ALWAYS'"
        )
        generated = dict(cursor.fetchall())
    assert "jsonb_to_tsvector('french'::regconfig, data" in generated["search_document"]
    assert "jsonb_path_query_array(data" in generated["search_values"]
    assert generated["search_values"].startswith("lower(")
    sql = str(case_list(user=person_invite(territory, role="case_worker"), search="crèche").query)
    assert "search_document" in sql
    assert "search_values" in sql
    assert "jsonb_" not in sql  # nothing computed from the data at search time
