"""Moving running cases to the published version of their workflow from the back office (issue 13, item 6)."""

from html import unescape

import pytest

from core.models import Case
from core.selectors.case_work import case_timeline
from core.services.cases import case_migration_plan, case_open, transition_apply
from tests.people import person_client, person_invite
from tests.workflows.helpers import fixture_text
from workflows.services import workflow_import


def _v2_with_renamed_state():
    """Version 2 of essai-simple: « En cours » becomes « Instruction » (another code)."""
    source = (
        fixture_text("simple.yaml")
        .replace("{code: en_cours, label: En cours", "{code: instruction, label: Instruction")
        .replace("to: en_cours", "to: instruction")
        .replace("from: [en_cours]", "from: [instruction]")
    )
    return workflow_import(source=source, publish=True)


@pytest.fixture
def running(simple, worker):
    first = case_open(workflow="essai-simple", data={"title": "A"}, actor=worker)
    second = case_open(workflow="essai-simple", data={"title": "B"}, actor=worker)
    transition_apply(case=second, transition="prendre", actor=worker)
    closed = case_open(workflow="essai-simple", data={"title": "C"}, actor=worker)
    transition_apply(case=closed, transition="prendre", actor=worker)
    transition_apply(case=closed, transition="fermer", actor=worker)
    return first, second, closed


def test_the_plan_says_in_french_why_a_case_cannot_move(territory, running):
    first, second, closed = running
    v2 = _v2_with_renamed_state()
    steps = {s.case.reference: s for s in case_migration_plan(cases=[first, second, closed], to_version=v2)}
    assert steps[first.reference].ok
    assert steps[first.reference].to_label == "Ouvert"
    assert steps[second.reference].reason == (
        "L'état « En cours » n'existe pas dans la version 2 : choisissez l'état qui lui correspond."
    )
    assert "clôturé" in steps[closed.reference].reason
    to_final = case_migration_plan(cases=[second], to_version=v2, state_mapping={"en_cours": "ferme"})[0]
    assert to_final.reason == "« Fermé » est un état final : un dossier en cours n'y passe que par une transition."
    assert case_migration_plan(cases=[second], to_version=v2, state_mapping={"en_cours": "instruction"})[0].moves


def test_a_platform_admin_previews_then_migrates_open_cases(territory, simple, running):
    _first, second, closed = running
    v2 = _v2_with_renamed_state()
    admin = person_invite(territory, role="platform_admin")
    client = person_client(territory, admin)

    index = client.get("/admin/dossiers/changer-de-version/")
    assert index.status_code == 200
    page = unescape(index.content.decode())
    assert "Dossier simple" in page
    assert "/admin/dossiers/changer-de-version/essai-simple/" in page

    url = "/admin/dossiers/changer-de-version/essai-simple/"
    form = unescape(client.get(url).content.decode())
    assert "2 dossiers en cours sur une ancienne version" in form
    assert closed.reference not in form  # closed cases never move
    assert "En cours" in form
    assert "Instruction" in form
    assert "en_cours" not in form.replace('name="map-1:en_cours"', "").replace('id="map-1:en_cours"', "").replace(
        'for="map-1:en_cours"', ""
    )  # the state appears by its label only

    # Dry run without a counterpart for « En cours »: refused in French, nothing written, no apply button.
    preview = client.post(url, {"scope": "all", "map-1:ouvert": "ouvert", "map-1:en_cours": "", "action": "preview"})
    text = unescape(preview.content.decode())
    assert "L'état « En cours » n'existe pas dans la version 2" in text
    assert "Appliquer" not in text
    refused = client.post(url, {"scope": "all", "map-1:ouvert": "ouvert", "map-1:en_cours": "", "action": "apply"})
    assert "Rien n'a été changé" in unescape(refused.content.decode())
    assert Case.objects.get(pk=second.pk).workflow_version_id == simple.pk

    # With the mapping: the preview lists each case before and after, then it applies.
    posted = {"scope": "all", "map-1:ouvert": "ouvert", "map-1:en_cours": "instruction"}
    text = unescape(client.post(url, {**posted, "action": "preview"}).content.decode())
    assert "Version 1 · En cours" in text
    assert "Version 2 · Instruction" in text
    assert "Appliquer : faire passer 2 dossiers en version 2" in text
    done = client.post(url, {**posted, "action": "apply"}, follow=True)
    assert "2 dossiers passés en version 2." in unescape(done.content.decode())
    second = Case.objects.get(pk=second.pk)
    assert (second.workflow_version_id, second.state) == (v2.pk, "instruction")
    assert Case.objects.get(pk=closed.pk).workflow_version_id != v2.pk
    titles = [entry.title for entry in case_timeline(case=second, user=admin)]
    assert "Passage de la version 1 à la version 2 : « En cours » → « Instruction »" in titles
    transition_apply(case=second, transition="fermer", actor=admin_worker(territory))  # the new graph runs


def test_only_platform_admins_reach_the_migration_screens(territory, running):
    _v2_with_renamed_state()
    for role in ("pole_coordinator", "case_worker"):
        client = person_client(territory, person_invite(territory, role=role))
        assert client.get("/admin/dossiers/changer-de-version/").status_code in (302, 403)
        answer = client.post("/admin/dossiers/changer-de-version/essai-simple/", {"scope": "all", "action": "apply"})
        assert answer.status_code in (302, 403)
        assert answer.get("Location", "/admin/") == "/admin/"  # Wagtail's refusal, not the success redirect
    assert not Case.objects.filter(workflow_version__number=2).exists()


def admin_worker(territory):
    return person_invite(territory, role="case_worker")


def test_publishing_a_new_version_says_where_to_move_the_running_cases(territory, simple, running):
    from workflows.services import workflow_version_draft_create

    admin = person_invite(territory, role="platform_admin")
    client = person_client(territory, admin)
    draft = workflow_version_draft_create(definition=simple.definition, actor=admin)
    done = client.post(f"/admin/workflows/version/{draft.pk}/publier/", follow=True)
    text = unescape(done.content.decode())
    assert "Version 2 de « Dossier simple » publiée." in text
    assert "Les dossiers en cours restent sur leur version" in text
    assert "Dossiers → Changer de version" in text
