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
    assert conflict.conflict_fields == ["title"]
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
    assert drifts["a"].conflict_fields == ["*"]
    assert drifts["b"].status == UPDATE
    assert drifts["b"].merged == {"x": 5}
    assert drifts["c"].status == LOCAL
    assert drifts["a"].resolved("theirs") is None
