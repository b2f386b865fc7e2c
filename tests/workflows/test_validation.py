"""Checks before publishing: precise French messages."""

import pytest
import yaml

from tests.workflows.helpers import fixture_text
from workflows.exceptions import DefinitionInvalid, ExpressionError
from workflows.expressions import expression_compile
from workflows.models import WorkflowVersion
from workflows.services import workflow_import, workflow_publish, workflow_version_check
from workflows.validation import spec_validate


def _spec(**changes):
    spec = yaml.safe_load(fixture_text("simple.yaml"))
    spec.update(changes)
    return spec


def test_the_fixture_is_valid():
    assert spec_validate(_spec()) == []


def test_no_initial_state():
    spec = _spec()
    spec["states"][0]["kind"] = "normal"
    assert any("Aucun état initial" in e for e in spec_validate(spec))


def test_several_initial_states():
    spec = _spec()
    spec["states"][1]["kind"] = "initial"
    assert "Plusieurs états initiaux (ouvert, en_cours) : il en faut un seul." in spec_validate(spec)


def test_unreachable_state():
    spec = _spec()
    spec["states"].append({"code": "oublie", "label": "Oublié", "kind": "normal"})
    assert "L'état « oublie » (Oublié) est inatteignable depuis l'état initial." in spec_validate(spec)


def test_final_state_with_an_outgoing_transition():
    spec = _spec()
    spec["transitions"].append({"code": "ressusciter", "label": "R", "from": ["ferme"], "to": "ouvert", "roles": ["x"]})
    assert "L'état final « ferme » a une transition sortante (« ressusciter »)." in spec_validate(spec)


def test_transition_to_a_missing_state():
    spec = _spec()
    spec["transitions"][0]["to"] = "nulle_part"
    assert "Transition « prendre » : l'état d'arrivée « nulle_part » n'existe pas." in spec_validate(spec)


def test_guard_that_does_not_compile_reports_its_position():
    spec = _spec()
    spec["transitions"][2]["guard"] = "data.amount < "
    errors = spec_validate(spec)
    assert any(
        e.startswith("Transition « fermer » : condition — Expression invalide à la ligne 1, colonne 15") for e in errors
    )


def test_condition_that_does_not_compile_and_unknown_function():
    spec = _spec()
    spec["forms"][0]["fields"][1]["visible_if"] = "inconnue(data.title)"
    errors = spec_validate(spec)
    assert any("champ « amount » : condition d'affichage — Fonction inconnue « inconnue »" in e for e in errors)


def test_missing_form():
    spec = _spec()
    spec["transitions"][0]["form"] = "absent"
    spec["open_form"] = "absent2"
    errors = spec_validate(spec)
    assert "Transition « prendre » : le formulaire « absent » n'existe pas." in errors
    assert "Le formulaire d'ouverture « absent2 » n'existe pas." in errors


def test_missing_reference_list(tenant):
    with pytest.raises(DefinitionInvalid) as exc:
        workflow_import(source=fixture_text("demande.yaml"), publish=True)
    assert (
        "Formulaire « demande », champ « funder » : la liste de référence « financeurs » n'existe pas."
        in exc.value.errors
    )


def test_expression_compile_position():
    with pytest.raises(ExpressionError) as exc:
        expression_compile("size(data.x) >")
    assert (exc.value.line, exc.value.column) == (1, 15)


def test_publish_refuses_an_invalid_draft_and_keeps_it_a_draft(tenant):
    spec = _spec()
    spec["states"][2]["kind"] = "normal"
    draft = workflow_import(source=spec)
    assert "Aucun état final : un dossier doit pouvoir être clôturé." in workflow_version_check(version=draft)
    with pytest.raises(DefinitionInvalid):
        workflow_publish(version=draft, actor=None)
    draft.refresh_from_db()
    assert draft.status == WorkflowVersion.Status.DRAFT


def test_publishing_names_unknown_roles_actions_variables_and_dead_ends(tenant):
    from workflows.selectors import reference_list_codes

    spec = _spec()
    spec["transitions"][0]["roles"] = ["case_worker", "chef_de_gare"]
    spec["transitions"][0]["actions"] = ["envoyer_fusee"]
    spec["transitions"][0]["guard"] = "data.amount + 1"
    spec["transitions"][0]["form"] = "inconnu"
    spec["states"][0]["responsible"] = "gardien"
    spec["states"].insert(1, {"code": "attente", "label": "En attente", "kind": "normal"})
    spec["transitions"].append({"code": "attendre", "label": "Attendre", "from": [spec["states"][0]["code"]],
                                "to": "attente", "roles": ["case_worker"]})  # fmt: skip
    spec["transitions"][-1]["guard"] = "dossier.age > 3"
    errors = spec_validate(spec, reference_lists=reference_list_codes())
    first = f"Transition « {spec['transitions'][0]['code']} »"
    assert f"{first} : le rôle « chef_de_gare » n'existe pas sur ce territoire." in errors
    assert f"{first} : l'action « envoyer_fusee » n'existe pas (pôle désactivé ou nom mal écrit)." in errors
    assert f"{first} : le formulaire « inconnu » n'existe pas." in errors
    assert f"{first} : condition : la condition doit valoir vrai ou faux (ici : une valeur d'un autre type)." in errors
    assert f"État « {spec['states'][0]['code']} » : le rôle responsable « gardien » n'existe pas." in errors
    assert any("variable inconnue « dossier »" in e for e in errors)
    dead_end = "L'état « attente » (En attente) n'est pas final et aucune transition n'en sort"
    assert f"{dead_end} : un dossier y resterait bloqué." in errors


def test_every_shipped_workflow_passes_the_publishing_checks(tenant):
    from pathlib import Path

    from workflows.selectors import reference_list_codes

    paths = sorted(Path("plugins").glob("*/workflows/*.yaml"))
    assert paths
    for path in paths:
        assert spec_validate(yaml.safe_load(path.read_text()), reference_lists=reference_list_codes()) == [], path
