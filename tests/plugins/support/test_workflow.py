"""The support pole's workflow: shipped as data, published in each territory, a good public opening form,
and its paths (refusal, withdrawal, on hold and resume)."""

from pathlib import Path

import pytest

from core.services.cases import case_open, transition_apply
from plugins.support.hooks import pole_workflows
from workflows.exceptions import FormInvalid, GuardFailed
from workflows.selectors import workflow_published_version
from workflows.serialization import yaml_to_spec
from workflows.validation import spec_validate

from .helpers import DEMANDE


def test_the_shipped_file_is_a_valid_workflow(tenant):
    (path,) = pole_workflows()
    spec = yaml_to_spec(Path(path).read_text(encoding="utf-8"))
    assert spec_validate(spec) == []
    states = {s["code"] for s in spec["states"]}
    assert {"recue", "diagnostic", "propositions", "conventions", "mise_en_place", "suivi", "evaluation",
            "close", "refusee", "abandonnee", "en_attente"} == states  # fmt: skip


def test_each_territory_has_it_published(tenant):
    version = workflow_published_version(code="support-accompagnement")
    assert version is not None
    assert version.definition.pole == "support"


def test_the_public_form_opens_a_case(support_case):
    assert support_case.state == "recue"
    assert support_case.data["structure_name"] == "Les P'tits Loups"
    assert support_case.reference.startswith("35-")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "pas-un-courriel"}, "email"),
        ({"structure_name": ""}, "structure_name"),
        ({"postcode": "3547"}, "postcode"),
        ({"needs": []}, "needs"),
        ({"kind": "garderie"}, "kind"),
        ({"situation": "x" * 3001}, "situation"),
    ],
)
def test_the_public_form_refuses_bad_input_in_french(tenant, change, field):
    with pytest.raises(FormInvalid) as excinfo:
        case_open(workflow="support-accompagnement", data={**DEMANDE, **change}, actor=None, channel="public")
    assert field in excinfo.value.errors


def test_refusal_and_withdrawal_need_a_comment(support_case, coordinator):
    with pytest.raises(FormInvalid):
        transition_apply(case=support_case, transition="refuser", actor=coordinator)
    transition_apply(case=support_case, transition="refuser", actor=coordinator, comment="Hors du territoire.")
    assert support_case.state == "refusee"


def test_on_hold_resumes_where_it_was(support_case, coordinator):
    transition_apply(case=support_case, transition="demarrer_diagnostic", actor=coordinator)
    transition_apply(case=support_case, transition="mettre_en_attente", actor=coordinator, comment="Bureau en AG.")
    assert support_case.state == "en_attente"
    with pytest.raises(GuardFailed):
        transition_apply(case=support_case, transition="reprendre_suivi", actor=coordinator)
    transition_apply(case=support_case, transition="reprendre_diagnostic", actor=coordinator)
    assert support_case.state == "diagnostic"
    transition_apply(case=support_case, transition="retirer", actor=coordinator, comment="La structure renonce.")
    assert support_case.state == "abandonnee"
