"""The engine's Wagtail admin screens: lists, edit forms, publish, new draft, YAML export and import."""

import pytest
import yaml

from tests.workflows.helpers import fixture_text
from workflows.models import State, Transition, WorkflowDefinition, WorkflowVersion


@pytest.fixture
def admin_client(client_35, territory_admin):
    client_35.force_login(territory_admin)
    return client_35


def test_every_definition_screen_answers(admin_client, simple):
    for model in ("workflowdefinition", "workflowversion", "transition", "formdefinition", "referencelist"):
        assert admin_client.get(f"/admin/snippets/workflows/{model}/").status_code == 200
        assert admin_client.get(f"/admin/snippets/workflows/{model}/add/").status_code == 200
    page = admin_client.get(f"/admin/snippets/workflows/workflowversion/edit/{simple.pk}/")
    assert page.status_code == 200
    assert "Ouvert" in page.content.decode()
    listing = admin_client.get("/admin/snippets/workflows/workflowversion/").content.decode()
    assert "Nouveau brouillon" in listing


def test_import_publish_and_export_through_the_admin(admin_client, tenant):
    response = admin_client.post("/admin/workflows/importer/", {"source": fixture_text("simple.yaml")})
    assert response.status_code == 302
    draft = WorkflowVersion.objects.get(definition__code="essai-simple")
    assert draft.status == "draft"
    page = admin_client.get(f"/admin/workflows/version/{draft.pk}/publier/").content.decode()
    assert "La définition est valide" in page
    assert admin_client.post(f"/admin/workflows/version/{draft.pk}/publier/").status_code == 302
    draft.refresh_from_db()
    assert draft.status == "published"
    exported = admin_client.get(f"/admin/workflows/version/{draft.pk}/exporter/")
    assert yaml.safe_load(exported.content) == yaml.safe_load(fixture_text("simple.yaml"))
    response = admin_client.post(f"/admin/workflows/workflow/{draft.definition_id}/brouillon/")
    assert response.status_code == 302
    assert WorkflowVersion.objects.filter(definition__code="essai-simple", status="draft").count() == 1


def test_an_invalid_definition_is_explained_not_published(admin_client, tenant):
    broken = fixture_text("simple.yaml").replace("kind: initial", "kind: normal")
    page = admin_client.post("/admin/workflows/importer/", {"source": broken, "publish": "on"}).content.decode()
    assert "Aucun état initial" in page
    assert not WorkflowDefinition.objects.filter(code="essai-simple").exists()
    admin_client.post("/admin/workflows/importer/", {"source": broken})
    draft = WorkflowVersion.objects.get(definition__code="essai-simple")
    assert "Aucun état initial" in admin_client.get(f"/admin/workflows/version/{draft.pk}/publier/").content.decode()
    admin_client.post(f"/admin/workflows/version/{draft.pk}/publier/")
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_a_published_version_cannot_be_edited_in_the_admin(admin_client, simple):
    state = State.objects.get(version=simple, code="ouvert")
    response = admin_client.get(f"/admin/snippets/workflows/workflowversion/edit/{simple.pk}/")
    assert response.status_code == 200
    data = {
        "definition": simple.definition_id, "number": simple.number,
        "states-TOTAL_FORMS": "1", "states-INITIAL_FORMS": "1",
        "states-MIN_NUM_FORMS": "0", "states-MAX_NUM_FORMS": "1000",
        "states-0-id": state.pk, "states-0-code": "ouvert", "states-0-label": "Changé", "states-0-kind": "initial",
        "states-0-position": "0", "states-0-ORDER": "1",
    }  # fmt: skip
    admin_client.post(f"/admin/snippets/workflows/workflowversion/edit/{simple.pk}/", data)
    assert State.objects.get(pk=state.pk).label == "Ouvert"


def test_someone_without_the_permission_is_refused(client_35, tenant, simple):
    from tests.workflows.helpers import person

    user = person("case_worker")
    user.is_staff = True
    user.save()
    client_35.force_login(user)
    assert client_35.get(f"/admin/workflows/version/{simple.pk}/exporter/").status_code in (302, 403)


@pytest.fixture
def draft(admin_client, simple):
    from workflows.services import workflow_version_draft_create

    return workflow_version_draft_create(definition=simple.definition, actor=None)


def test_the_version_page_shows_the_diagram_the_checks_and_the_next_steps(admin_client, draft):
    page = admin_client.get(f"/admin/workflows/version/{draft.pk}/").content.decode()
    assert "<svg" in page
    assert "Diagramme du workflow « Dossier simple »" in page
    assert "La définition est valide : elle peut être publiée." in page
    assert f"/admin/snippets/workflows/transition/add/?version={draft.pk}" in page
    assert f"/admin/workflows/version/{draft.pk}/publier/" in page
    State.objects.filter(version=draft, code="ouvert").update(kind="normal")
    page = admin_client.get(f"/admin/workflows/version/{draft.pk}/").content.decode()
    assert "Aucun état initial" in page
    overview = admin_client.get(f"/admin/workflows/workflow/{draft.definition_id}/").content.decode()
    assert f"/admin/workflows/version/{draft.pk}/" in overview


def _transition_form(draft, **extra):
    states = {s.code: s.pk for s in State.objects.filter(version=draft)}
    return {
        "version": draft.pk, "code": "annuler", "label": "Annuler", "position": "9",
        "sources": [states["ouvert"]], "target": states["ferme"], "roles": ["case_worker"],
        "guard": "", "form": "", "comment": "none", **extra,
    }  # fmt: skip


def test_a_transition_is_added_from_the_version_page_and_leads_back_to_it(admin_client, draft):
    page = admin_client.get(f"/admin/snippets/workflows/transition/add/?version={draft.pk}").content.decode()
    assert "Chargé de dossiers (case_worker)" in page  # roles as checkboxes with their French names
    assert "Dossier simple v2" in page  # only this version's states are offered
    response = admin_client.post("/admin/snippets/workflows/transition/add/", _transition_form(draft))
    assert response.status_code == 302
    assert response["Location"] == f"/admin/workflows/version/{draft.pk}/"
    transition = Transition.objects.get(version=draft, code="annuler")
    assert transition.roles == ["case_worker"]


def test_a_guard_that_does_not_compile_is_shown_on_its_field_with_its_position(admin_client, draft):
    response = admin_client.post(
        "/admin/snippets/workflows/transition/add/", _transition_form(draft, guard="data.montant >")
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Expression invalide à la ligne 1, colonne" in page
    assert not Transition.objects.filter(version=draft, code="annuler").exists()
    response = admin_client.post(
        "/admin/snippets/workflows/transition/add/", _transition_form(draft, guard="inconnue(data)")
    )
    assert "Fonction inconnue « inconnue » (colonne 1)." in response.content.decode()


def test_a_platform_admin_without_superuser_rights_edits_definitions(client_35, simple):
    from tests.workflows.helpers import person

    client_35.force_login(person("platform_admin"))
    for model in ("workflowdefinition", "workflowversion", "transition", "formdefinition"):
        assert client_35.get(f"/admin/snippets/workflows/{model}/").status_code == 200
    assert client_35.get(f"/admin/workflows/version/{simple.pk}/").status_code == 200
    assert client_35.get("/admin/workflows/importer/").status_code == 200


def test_a_case_worker_cannot_reach_the_definition_screens(client_35, simple):
    from tests.workflows.helpers import person

    client_35.force_login(person("case_worker"))
    assert client_35.get("/admin/dossiers/").status_code == 200
    for url in (
        f"/admin/workflows/version/{simple.pk}/",
        f"/admin/workflows/workflow/{simple.definition_id}/",
        "/admin/workflows/importer/",
        "/admin/snippets/workflows/transition/",
        f"/admin/snippets/workflows/workflowversion/edit/{simple.pk}/",
    ):
        assert client_35.get(url).status_code in (302, 403), url
    menu = client_35.get("/admin/").content.decode()
    assert "Importer un workflow" not in menu


def _field_row(index, **values):
    row = {"code": "", "type": "text", "label": "", "position": str(index), "help": "", "required": "",
           "min_value": "", "max_value": "", "min_length": "", "max_length": "", "pattern": "", "choices": "",
           "reference": "", "visible_if": "", "max_size_mb": "", "decimal_places": "", "min_items": "",
           "max_items": "", "default": "", "group": "", "ORDER": str(index + 1), **values}  # fmt: skip
    return {f"fields-{index}-{key}": value for key, value in row.items() if value is not None}


def test_the_field_editor_takes_lists_and_pickers_not_json(admin_client, draft):
    from workflows.models import FieldDefinition, FormDefinition

    page = admin_client.get(f"/admin/snippets/workflows/formdefinition/add/?version={draft.pk}").content.decode()
    assert "Un choix par ligne" in page
    assert "Document Word (.docx)" in page  # file types as checkboxes
    assert "Réseaux et fédérations" in page  # reference lists by name
    data = {
        "version": draft.pk, "code": "complement", "name": "Complément",
        "fields-TOTAL_FORMS": "3", "fields-INITIAL_FORMS": "0", "fields-MIN_NUM_FORMS": "0",
        "fields-MAX_NUM_FORMS": "1000",
        **_field_row(0, code="accueil", type="choice", label="Type d'accueil",
                     choices="Crèche\nmac | Multi-accueil\n", default="mac"),
        **_field_row(1, code="statuts", type="file", label="Statuts"),
        **_field_row(2, code="membre", type="boolean", label="Adhérente", default="oui"),
        "fields-1-content_types": ["application/pdf", "image/jpeg"],
    }  # fmt: skip
    response = admin_client.post("/admin/snippets/workflows/formdefinition/add/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    form = FormDefinition.objects.get(version=draft, code="complement")
    fields = {f.code: f for f in FieldDefinition.objects.filter(form=form)}
    assert fields["accueil"].choices == [
        {"value": "creche", "label": "Crèche"}, {"value": "mac", "label": "Multi-accueil"}
    ]  # fmt: skip
    assert fields["accueil"].default == "mac"
    assert fields["statuts"].content_types == ["application/pdf", "image/jpeg"]
    assert fields["membre"].default is True
    edit = admin_client.get(f"/admin/snippets/workflows/formdefinition/edit/{form.pk}/").content.decode()
    assert "Crèche\nmac | Multi-accueil" in edit  # the lines again, never the JSON


def test_a_field_joins_only_a_group_of_its_own_form_and_published_parts_are_not_deleted(admin_client, simple, draft):
    from django.core.exceptions import ValidationError

    from workflows.models import FieldDefinition, FormDefinition

    own = FormDefinition.objects.create(version=draft, code="f1", name="F1")
    other = FormDefinition.objects.create(version=draft, code="f2", name="F2")
    group = FieldDefinition.objects.create(form=other, code="g", type="group", label="Groupe")
    stray = FieldDefinition(form=own, code="x", type="text", label="X", group=group)
    with pytest.raises(ValidationError, match="groupe de son propre formulaire"):
        stray.clean()

    published = Transition.objects.filter(version=simple).first()
    response = admin_client.post(f"/admin/snippets/workflows/transition/delete/{published.pk}/", follow=True)
    assert response.status_code == 200
    assert "créez un brouillon pour la modifier" in response.content.decode()
    assert Transition.objects.filter(pk=published.pk).exists()
    response = admin_client.post(f"/admin/snippets/workflows/workflowversion/delete/{simple.pk}/", follow=True)
    assert "ne peut pas être supprimée" in response.content.decode()
    assert WorkflowVersion.objects.filter(pk=simple.pk).exists()


def test_a_guard_is_built_from_rows_and_read_back_as_rows(admin_client, draft):
    from workflows.models import FieldDefinition, FormDefinition

    form = FormDefinition.objects.get(version=draft, code="ouverture")
    FieldDefinition.objects.create(form=form, code="adherent", type="boolean", label="Adhérente", position=5)
    page = admin_client.get(f"/admin/snippets/workflows/transition/add/?version={draft.pk}").content.decode()
    assert "Condition à remplir" in page
    assert '<option value="amount">Montant</option>' in page  # the version's fields by label
    assert "est supérieur à" in page
    rows = {
        "guard_builder-join": "or",
        "guard_builder-0-field": "amount", "guard_builder-0-operator": "gt", "guard_builder-0-value": "1 000",
        "guard_builder-1-field": "adherent", "guard_builder-1-operator": "yes",
    }  # fmt: skip
    data = {**_transition_form(draft, guard_message="Le montant dépasse 1 000 € ou la structure adhère."), **rows}
    response = admin_client.post("/admin/snippets/workflows/transition/add/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    transition = Transition.objects.get(version=draft, code="annuler")
    assert transition.guard == "data.amount > 1000 || data.adherent == true"
    assert transition.guard_message == "Le montant dépasse 1 000 € ou la structure adhère."
    edit = admin_client.get(f"/admin/snippets/workflows/transition/edit/{transition.pk}/").content.decode()
    assert '<option value="gt" selected>' in edit
    assert "« Montant » est supérieur à 1000 ou « Adhérente » vaut oui" in edit

    bad = {**data, "code": "autre", "guard_builder-0-value": "beaucoup"}
    page = admin_client.post("/admin/snippets/workflows/transition/add/", bad).content.decode()
    assert "Condition 1 : « beaucoup » n&#x27;est pas un nombre entier." in page
