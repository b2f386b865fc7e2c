"""Drift from the template and the three-way merge of its updates, conflicts included."""

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from cms.models import CharterPage
from core.kit.merge import CONFLICT, LOCAL, UPDATE, items_diff
from core.models import CatalogueService
from core.services.drift import territory_drift_get, territory_drift_merge
from tenants.services import territory_clone


def _edit_service(schema, code, **fields):
    with schema_context(schema):
        service = CatalogueService.objects.get(code=code)
        for name, value in fields.items():
            setattr(service, name, value)
        service.save()


def _service(schema, code):
    with schema_context(schema):
        return CatalogueService.objects.filter(code=code).first()


@pytest.fixture
def clone(territory):
    """A clone of Ille-et-Vilaine, which plays the template in these tests."""
    return territory_clone(source=territory, code="29", name="Finistère")


def test_drift_shows_local_changes_updates_and_conflicts(territory, clone):
    _edit_service(clone.schema_name, "support-paie", title="Paie (Finistère)")  # local only
    _edit_service(territory.schema_name, "support-rh", summary="RH, nouvelle offre")  # template only
    _edit_service(territory.schema_name, "support-comptabilite", title="Compta (modèle)")  # both, differently
    _edit_service(clone.schema_name, "support-comptabilite", title="Compta (Finistère)")
    # both, on different fields: merged automatically
    _edit_service(territory.schema_name, "support-gouvernance", summary="Résumé du modèle")
    _edit_service(clone.schema_name, "support-gouvernance", title="Gouvernance (Finistère)")
    drift = territory_drift_get(territory=clone)
    status = {item.ident: item.status for item in drift.items if item.section == "catalogue"}
    assert status["catalogue:support-paie"] == LOCAL
    assert status["catalogue:support-rh"] == UPDATE
    assert status["catalogue:support-comptabilite"] == CONFLICT
    assert status["catalogue:support-gouvernance"] == UPDATE
    conflict = next(item for item in drift.conflicts if item.key == "support-comptabilite")
    assert [change.path for change in conflict.conflicts] == [("title",)]
    assert any(item.ident == "pages:/" and item.status == LOCAL for item in drift.items)  # retitled home


def test_drift_merge_pulls_chosen_updates_and_keeps_local_changes(territory, clone):
    _edit_service(clone.schema_name, "support-paie", title="Paie (Finistère)")
    _edit_service(territory.schema_name, "support-rh", summary="RH, nouvelle offre")
    _edit_service(territory.schema_name, "support-gouvernance", summary="Résumé du modèle")
    _edit_service(clone.schema_name, "support-gouvernance", title="Gouvernance (Finistère)")
    _edit_service(territory.schema_name, "support-gestion-budgetaire", title="Budget (modèle)")
    report = territory_drift_merge(territory=clone, pull={"catalogue:support-rh", "catalogue:support-gouvernance"})
    assert sorted(report.pulled) == ["catalogue:support-gouvernance", "catalogue:support-rh"]
    assert _service(clone.schema_name, "support-rh").summary == "RH, nouvelle offre"
    assert _service(clone.schema_name, "support-paie").title == "Paie (Finistère)"
    merged = _service(clone.schema_name, "support-gouvernance")
    assert (merged.title, merged.summary) == ("Gouvernance (Finistère)", "Résumé du modèle")
    # not picked: still pending, not applied
    assert _service(clone.schema_name, "support-gestion-budgetaire").title != "Budget (modèle)"
    pending = {item.ident for item in territory_drift_get(territory=clone).updates}
    assert pending == {"catalogue:support-gestion-budgetaire"}


def test_conflicts_are_settled_by_a_person(territory, clone):
    _edit_service(territory.schema_name, "support-comptabilite", title="Compta (modèle)")
    _edit_service(clone.schema_name, "support-comptabilite", title="Compta (Finistère)")
    _edit_service(territory.schema_name, "support-rh", title="RH (modèle)")
    _edit_service(clone.schema_name, "support-rh", title="RH (Finistère)")
    with pytest.raises(ValidationError):
        territory_drift_merge(territory=clone, pull=[], resolutions={"catalogue:support-rh": "les deux"})
    territory_drift_merge(
        territory=clone,
        pull=[],
        resolutions={"catalogue:support-comptabilite": "theirs", "catalogue:support-rh": "ours"},
    )
    assert _service(clone.schema_name, "support-comptabilite").title == "Compta (modèle)"
    assert _service(clone.schema_name, "support-rh").title == "RH (Finistère)"
    assert not territory_drift_get(territory=clone).conflicts  # decided once, not asked again


def test_pages_drift_and_merge(territory, clone):
    with schema_context(territory.schema_name):
        charter = CharterPage.objects.get()
        charter.intro = "<p>Charte révisée par le réseau.</p>"
        charter.save_revision().publish()
    drift = territory_drift_get(territory=clone)
    assert [item.ident for item in drift.updates] == ["pages:/charte/"]
    territory_drift_merge(territory=clone, pull=["pages:/charte/"])
    with schema_context(clone.schema_name):
        assert CharterPage.objects.get().intro == "<p>Charte révisée par le réseau.</p>"


def test_a_territory_without_template_has_no_drift(territory):
    from tenants.services import template_ensure

    with pytest.raises(ValidationError, match="pas de modèle"):
        territory_drift_get(territory=template_ensure())


def test_items_diff_deleted_on_one_side_and_changed_on_the_other_is_a_conflict():
    base = {"a": {"x": 1}, "b": {"x": 1}}
    ours = {"a": {"x": 2}, "b": {"x": 1}, "c": {"x": 3}}
    theirs = {"b": {"x": 5}}
    drifts = {d.key: d for d in items_diff("s", base, ours, theirs)}
    assert drifts["a"].status == CONFLICT
    assert [change.path for change in drifts["a"].conflicts] == [()]
    assert drifts["b"].status == UPDATE
    assert drifts["b"].merged == {"x": 5}
    assert drifts["c"].status == LOCAL
    assert drifts["a"].resolved({"": "theirs"}) is None
    assert drifts["a"].resolved({"": "ours"}) == {"x": 2}


def test_items_diff_merges_nested_mappings_key_by_key_and_ignores_volatile_fields():
    base = {"w": {"name": "W", "transitions": {"a": {"label": "A"}, "b": {"label": "B"}}, "position": 1}}
    ours = {"w": {"name": "W", "transitions": {"a": {"label": "A local"}, "b": {"label": "B"}}, "position": 4}}
    theirs = {"w": {"name": "W", "transitions": {"a": {"label": "A"}, "b": {"label": "B modèle"}}, "position": 2}}
    (drift,) = items_diff("s", base, ours, theirs, volatile=("position",))
    assert drift.status == UPDATE
    assert drift.merged["transitions"] == {"a": {"label": "A local"}, "b": {"label": "B modèle"}}
    assert drift.merged["position"] == 4  # the territory's order stays
    assert items_diff("s", base, {"w": {**base["w"], "position": 9}}, base, volatile=("position",)) == []


# --- On the demo content: workflows, page order, services shown by pages, undo -------------------------------
def _workflow_edit(schema, code, change):
    """Publish a new version of workflow `code` in `schema`, its spec changed by `change(spec)`."""
    from workflows.models import WorkflowDefinition, WorkflowVersion
    from workflows.serialization import version_spec
    from workflows.services import workflow_import

    with schema_context(schema):
        definition = WorkflowDefinition.objects.get(code=code)
        version = definition.versions.filter(status=WorkflowVersion.Status.PUBLISHED).order_by("-number").first()
        spec = version_spec(version)
        change(spec)
        workflow_import(source=spec, publish=True)


def _transition(spec, code):
    return next(t for t in spec["transitions"] if t["code"] == code)


def _published_transitions(schema, code):
    from workflows.models import WorkflowDefinition, WorkflowVersion
    from workflows.serialization import version_spec

    with schema_context(schema):
        definition = WorkflowDefinition.objects.get(code=code)
        version = definition.versions.filter(status=WorkflowVersion.Status.PUBLISHED).order_by("-number").first()
        return {t["code"]: t for t in version_spec(version)["transitions"]}


def test_a_workflow_merges_transition_by_transition(territory, clone):
    wf = "support-accompagnement"
    _workflow_edit(territory.schema_name, wf, lambda s: _transition(s, "refuser").update(label="Décliner la demande"))
    _workflow_edit(clone.schema_name, wf, lambda s: _transition(s, "demarrer_diagnostic").update(roles=["case_worker"]))
    drift = territory_drift_get(territory=clone)
    item = next(item for item in drift.items if item.ident == f"workflows:{wf}")
    assert item.status == UPDATE  # different transitions: no conflict
    territory_drift_merge(territory=clone, pull=[item.ident])
    transitions = _published_transitions(clone.schema_name, wf)
    assert transitions["refuser"]["label"] == "Décliner la demande"  # the template's change
    assert transitions["demarrer_diagnostic"]["roles"] == ["case_worker"]  # the territory's change kept


def test_a_workflow_conflict_is_shown_with_labels_and_values_side_by_side(territory, clone):
    from core.services.drift import drift_rows

    wf = "support-accompagnement"
    _workflow_edit(territory.schema_name, wf, lambda s: _transition(s, "refuser").update(label="Décliner la demande"))
    _workflow_edit(clone.schema_name, wf, lambda s: _transition(s, "refuser").update(label="Refus motivé"))
    drift = territory_drift_get(territory=clone)
    (row,) = [row for row in drift_rows(drift)["conflicts"] if row["ident"] == f"workflows:{wf}"]
    assert row["label"] == "Workflow « Demande d'accompagnement »"
    (field,) = [field for field in row["fields"] if field["conflict"]]
    assert field["label"] == "Transition « Décliner la demande » : libellé"
    assert (field["base"], field["ours"], field["theirs"]) == (
        "Refuser la demande",
        "Refus motivé",
        "Décliner la demande",
    )
    territory_drift_merge(territory=clone, pull=[], resolutions={f"workflows:{wf}|transitions/refuser/label": "theirs"})
    assert _published_transitions(clone.schema_name, wf)["refuser"]["label"] == "Décliner la demande"


def test_page_order_is_not_a_change(territory, clone):
    from wagtail.models import Page

    with schema_context(territory.schema_name):
        contact = Page.objects.get(slug="contact")
        contact.move(Page.objects.get(slug="charte"), pos="left")  # first among the home's children
    with schema_context(clone.schema_name):
        legal = Page.objects.get(slug="mentions-legales")
        legal.move(Page.objects.get(slug="charte"), pos="left")
    assert not [
        item for item in territory_drift_get(territory=clone).items if item.section == "pages" and item.key != "/"
    ]


def test_a_template_deletion_of_a_service_with_a_page(territory, clone):
    from cms.models import ServicePage

    other = territory_clone(source=territory, code="56", name="Morbihan")  # has the service pages
    with schema_context(territory.schema_name):
        ServicePage.objects.get(slug="support-paie").delete()
        CatalogueService.objects.get(code="support-paie").delete()
    idents = {item.ident for item in territory_drift_get(territory=other).updates}
    assert {"catalogue:support-paie", "pages:/services/support-paie/"} <= idents
    with pytest.raises(ValidationError, match="« Gestion de la paie » ne peut pas être supprimé"):
        territory_drift_merge(territory=other, pull=["catalogue:support-paie"])
    assert _service(other.schema_name, "support-paie") is not None  # nothing changed
    territory_drift_merge(territory=other, pull=["catalogue:support-paie", "pages:/services/support-paie/"])
    assert _service(other.schema_name, "support-paie") is None
    with schema_context(other.schema_name):
        assert not ServicePage.objects.filter(slug="support-paie").exists()


def test_a_merge_is_recorded_and_can_be_undone(territory, clone):
    from core.models import KitMerge
    from core.services.drift import kit_merge_undo

    _edit_service(territory.schema_name, "support-rh", summary="RH, nouvelle offre")
    before = _service(clone.schema_name, "support-rh").summary
    report = territory_drift_merge(territory=clone, pull=["catalogue:support-rh"], actor="Jeanne Martin")
    assert _service(clone.schema_name, "support-rh").summary == "RH, nouvelle offre"
    with schema_context(clone.schema_name):
        merge = KitMerge.objects.get()
        assert merge.pk == report.merge.pk
        assert merge.actor == "Jeanne Martin"
        assert merge.pulled == [
            {
                "ident": "catalogue:support-rh",
                "label": "Catalogue de services : « Accompagnement en ressources humaines »",
            }
        ]
    assert not territory_drift_get(territory=clone).updates
    kit_merge_undo(territory=clone, merge_id=merge.pk, actor="Jeanne Martin")
    assert _service(clone.schema_name, "support-rh").summary == before
    assert [item.ident for item in territory_drift_get(territory=clone).updates] == ["catalogue:support-rh"]
    with pytest.raises(ValidationError, match="déjà été annulée"):
        kit_merge_undo(territory=clone, merge_id=merge.pk)
