"""Workflows, forms and reference lists are configuration: they cross a clone, travel in the kit and merge
from the template; cases and the engine's audit trail do not cross."""

import yaml
from django.db import connection
from django_tenants.utils import schema_context

from core.models import Case
from core.services.cases import case_open
from core.services.drift import territory_drift_get, territory_drift_merge
from core.services.kit import configuration_export, kit_export, kit_import
from tenants.services import territory_clone
from tests.workflows.helpers import fixture_text, person


def _configuration(territory):
    with schema_context(territory.schema_name):
        return configuration_export()[0]


def _published_name(territory, code):
    from workflows.selectors import workflow_published_version

    with schema_context(territory.schema_name):
        return workflow_published_version(code=code).definition.name


def _republish(territory, text):
    from workflows.services import workflow_import

    with schema_context(territory.schema_name):
        workflow_import(source=text, publish=True)


def test_kit_sections_include_workflows_and_reference_lists(demande, simple, territory, other_territory):
    worker = person("case_worker")
    case_open(workflow="essai-simple", data={"title": "Un dossier"}, actor=worker)
    clone = territory_clone(source=territory, code="29", name="Finistère")
    items = _configuration(clone)
    assert {"essai-simple", demande.definition.code} <= set(items["workflows"])
    assert items["workflows"]["essai-simple"]["published"] is True
    assert items["reference_lists"]["financeurs"]["items"][0]["value"] == "caf"
    with schema_context(clone.schema_name):
        from workflows.models import WorkflowAudit

        assert not Case.objects.exists()
        assert not WorkflowAudit.objects.exists()
        with connection.cursor() as cursor:  # the clone's history is append-only again
            cursor.execute(
                "SELECT t.tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %s AND c.relname = 'core_caseevent' AND NOT t.tgisinternal",
                [clone.schema_name],
            )
            assert sorted(row[0] for row in cursor.fetchall()) == ["O", "O"]
    assert items["workflows"] == _configuration(territory)["workflows"]
    connection.set_schema_to_public()


def test_kit_round_trip_of_workflows(demande, simple, territory, other_territory):
    archive = kit_export(territory=territory)
    kit_import(territory=other_territory, archive=archive)
    source, target = _configuration(territory), _configuration(other_territory)
    assert target["workflows"] == source["workflows"]
    assert target["reference_lists"] == source["reference_lists"]
    assert _published_name(other_territory, "essai-simple") == "Dossier simple"


def test_a_workflow_update_of_the_template_is_pulled_into_the_clone(simple, territory):
    clone = territory_clone(source=territory, code="29", name="Finistère")
    spec = yaml.safe_load(fixture_text("simple.yaml"))
    spec["name"] = "Dossier simple (v2 du modèle)"
    _republish(territory, yaml.safe_dump(spec, allow_unicode=True))
    drift = territory_drift_get(territory=clone)
    update = next(item for item in drift.updates if item.ident == "workflows:essai-simple")
    assert ("name",) in [change.path for change in update.changes]
    territory_drift_merge(territory=clone, pull=["workflows:essai-simple"])
    assert _published_name(clone, "essai-simple") == "Dossier simple (v2 du modèle)"
    assert not [item for item in territory_drift_get(territory=clone).items if item.section == "workflows"]
