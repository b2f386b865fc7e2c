"""The "Dossiers" screens of the Wagtail admin: inboxes, filters, exports, the case page and its actions."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.html import format_html
from openpyxl import load_workbook

from core.models import (
    Case,
    CaseAttachment,
    CaseEvent,
    Comment,
    Operator,
    OperatorMembership,
    Structure,
    StructureMembership,
)
from core.services.case_updates import case_attachment_add, case_comment_add
from core.services.case_work import case_assign
from core.services.cases import case_open, transition_apply
from tests.workflows.helpers import VALID_DEMANDE, person

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n"


@pytest.fixture
def lutins(tenant):
    return Structure.objects.create(name="Les Lutins", kind="creche", commune="Rennes")


@pytest.fixture
def pitchouns(tenant):
    return Structure.objects.create(name="Les Pitchouns", kind="creche", commune="Vitré")


@pytest.fixture
def cases(demande, coordinator, lutins, pitchouns):
    first = case_open(workflow="essai-demande", data=VALID_DEMANDE, structure=lutins, actor=coordinator)
    second = case_open(
        workflow="essai-demande",
        data={**VALID_DEMANDE, "structure_name": "Pitchouns", "notes": "cherche remplaçante"},
        structure=pitchouns,
        actor=coordinator,
    )
    return first, second


def login(client, user):
    client.force_login(user)
    return client


def test_the_inboxes_sort_cases_for_a_case_worker(client_35, cases, worker, coordinator):
    first, second = cases
    case_assign(case=first, users=[worker], actor=coordinator)
    Case.objects.filter(pk=second.pk).update(due_at=timezone.localdate() - timedelta(days=1))
    login(client_35, worker)
    mine = client_35.get("/admin/dossiers/?inbox=moi").content.decode()
    assert first.reference in mine
    assert second.reference not in mine
    late = client_35.get("/admin/dossiers/?inbox=retard").content.decode()
    assert second.reference in late
    assert first.reference not in late
    assert "(en retard)" in late
    everything = client_35.get("/admin/dossiers/?inbox=tous").content.decode()
    assert first.reference in everything
    assert second.reference in everything
    team = client_35.get("/admin/dossiers/?inbox=equipe").content.decode()  # "recue" is the coordinators'
    assert first.reference not in team
    login(client_35, coordinator)
    team = client_35.get("/admin/dossiers/?inbox=equipe").content.decode()
    assert first.reference in team
    assert second.reference in team


def test_filters_and_search(client_35, cases, coordinator, pitchouns, worker):
    first, second = cases
    transition_apply(case=first, transition="demarrer_diagnostic", actor=worker, data={"score": 10})
    login(client_35, coordinator)
    page = client_35.get("/admin/dossiers/", {"state": "diagnostic"}).content.decode()
    assert first.reference in page
    assert second.reference not in page
    page = client_35.get("/admin/dossiers/", {"structure": pitchouns.pk}).content.decode()
    assert second.reference in page
    assert first.reference not in page
    page = client_35.get("/admin/dossiers/", {"q": "remplaçante"}).content.decode()  # in the data
    assert second.reference in page
    assert first.reference not in page
    page = client_35.get("/admin/dossiers/", {"q": first.reference}).content.decode()
    assert first.reference in page
    assert second.reference not in page
    page = client_35.get("/admin/dossiers/", {"workflow": "essai-demande", "overdue": "non"}).content.decode()
    assert first.reference in page
    assert second.reference in page
    page = client_35.get("/admin/dossiers/", {"structure": "999999"}).content.decode()
    assert "Sélectionnez un choix valide" in page


def test_a_long_list_is_counted_up_to_a_cap_and_a_short_one_read_by_its_keys(
    client_35, cases, coordinator, monkeypatch
):
    from core.backoffice import paging
    from core.selectors import case_work

    first, second = cases
    for _ in range(5):
        case_open(workflow="essai-demande", data=VALID_DEMANDE, actor=coordinator)
    total = Case.objects.count()  # the demo territory's cases too
    monkeypatch.setattr(paging, "FEW", 2)
    monkeypatch.setattr(case_work, "COUNT_CAP", total - 1)
    login(client_35, coordinator)
    page = client_35.get("/admin/dossiers/").content.decode()
    plain = page.replace("\u202f", "").replace("\xa0", "")
    assert f"Plus de {total - 1}" in plain
    assert "affinez les filtres" in page
    assert f'Tous les dossiers <span class="ppe-count">(plus de {total - 1})</span>' in plain
    monkeypatch.setattr(case_work, "COUNT_CAP", total)
    page = client_35.get("/admin/dossiers/").content.decode()
    assert "Plus de" not in page
    # a search left with few cases: read by their keys, newest first, counted exactly
    page = client_35.get("/admin/dossiers/", {"q": "Pitchouns"}).content.decode()
    assert "1 dossier." in page
    assert second.reference in page
    assert first.reference not in page
    paginator = paging.CasePaginator(Case.objects.filter(pk__in=[first.pk, second.pk]).order_by("-created_at"), 1)
    assert paginator.count == 2
    assert not paginator.capped
    assert [c.pk for c in paginator.page(1)] == [second.pk]
    assert [c.pk for c in paginator.page(2)] == [first.pk]


def test_with_many_structures_the_structure_filter_is_a_search(client_35, cases, coordinator, pitchouns, monkeypatch):
    from core.backoffice import forms

    monkeypatch.setattr(forms, "STRUCTURE_SELECT_MAX", 1)  # the demo's directory already has more
    first, second = cases
    login(client_35, coordinator)
    page = client_35.get("/admin/dossiers/").content.decode()
    assert '<input type="text" name="structure"' in page
    assert f'<option value="{pitchouns.pk}"' not in page  # no list of every structure
    for query in ("pitch", "Vitré", str(pitchouns.pk)):
        page = client_35.get("/admin/dossiers/", {"structure": query}).content.decode()
        assert second.reference in page, query
        assert first.reference not in page, query
    page = client_35.get("/admin/dossiers/", {"structure": "999999"}).content.decode()
    assert "Sélectionnez un choix valide" in page


def _body(response) -> bytes:
    """The body of a streamed response (exports are streamed)."""
    return b"".join(response.streaming_content)


def test_csv_and_xlsx_exports_follow_the_filters(client_35, cases, coordinator, pitchouns):
    first, second = cases
    login(client_35, coordinator)
    response = client_35.get("/admin/dossiers/", {"structure": pitchouns.pk, "export": "csv"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.streaming  # a territory's 100,000 cases are never built in memory
    rows = list(csv.reader(io.StringIO(_body(response).decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Référence", "Type de dossier", "État"]
    assert "Nom de la structure" in rows[0]
    assert [row[0] for row in rows[1:]] == [second.reference]
    assert rows[1][2] == "Demande reçue"
    assert rows[1][rows[0].index("Type d'accueil")] == "Crèche"
    response = client_35.get("/admin/dossiers/", {"workflow": "essai-demande", "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(_body(response))).active
    references = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert references == {first.reference, second.reference}


def test_the_xlsx_export_writes_numbers_amounts_and_dates_as_typed_cells(client_35, demande, coordinator):
    from decimal import Decimal

    data = {**VALID_DEMANDE, "places": 24, "budget": "125000.50", "ratio": "0.75", "start": "2027-01-04",
            "meeting": "2026-12-15T09:30"}  # fmt: skip
    case = case_open(workflow="essai-demande", data=data, actor=coordinator)
    login(client_35, coordinator)
    sheet = load_workbook(io.BytesIO(_body(client_35.get("/admin/dossiers/", {"export": "xlsx"})))).active
    header = [cell.value for cell in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == case.reference)
    cell = {title: row[index] for index, title in enumerate(header)}
    assert cell["Nombre de places"].value == 24
    assert Decimal(str(cell["Budget annuel"].value)) == Decimal("125000.50")
    assert cell["Budget annuel"].number_format == "#,##0.00"
    assert cell["Taux"].value == 0.75
    assert cell["Date souhaitée"].value.date().isoformat() == "2027-01-04"  # a date cell, read back as a datetime
    assert cell["Date souhaitée"].is_date
    assert cell["Rendez-vous"].is_date
    assert cell["Ouvert le"].is_date
    assert cell["Ouvert le"].value.date() == timezone.localdate()
    assert cell["Type d'accueil"].value == "Crèche"
    # In the forms' field order: the opening form's fields as they are listed.
    assert header.index("Nom de la structure") < header.index("Nombre de places") < header.index("Date souhaitée")


def test_exported_text_cannot_run_as_a_formula(client_35, demande, coordinator):
    case_open(workflow="essai-demande", data={**VALID_DEMANDE, "structure_name": "=HYPERLINK(1)"}, actor=coordinator)
    login(client_35, coordinator)
    body = _body(client_35.get("/admin/dossiers/", {"export": "csv"})).decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in body


def test_the_case_page_shows_data_timeline_transitions_and_the_diagram(client_35, cases, coordinator, worker):
    first, _second = cases
    case_comment_add(case=first, text="Dossier prioritaire", visibility="internal", actor=coordinator)
    login(client_35, worker)
    page = client_35.get(f"/admin/dossiers/{first.reference}/").content.decode()
    assert "Nom de la structure" in page
    assert "Les Lutins" in page
    assert "Type d&#x27;accueil" in page
    assert "Crèche" in page
    assert "Dossier ouvert à l&#x27;état « Demande reçue »" in page
    assert "Dossier prioritaire" in page
    assert "interne" in page
    assert "Démarrer le diagnostic" in page
    assert 'name="t-demarrer_diagnostic-score"' in page
    assert 'aria-current="step"' in page
    assert 'data-state="recue"' in page
    assert "Le diagramme en texte" in page


def test_a_transition_with_its_form_moves_the_case(client_35, cases, worker):
    first, _second = cases
    login(client_35, worker)
    response = client_35.post(
        f"/admin/dossiers/{first.reference}/transition/demarrer_diagnostic/",
        {"t-demarrer_diagnostic-score": "70", "t-demarrer_diagnostic-comment": "On y va"},
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.state == "diagnostic"
    assert first.data["score"] == 70
    assert first.events.get(kind="transitioned").comment == "On y va"


def test_a_refused_transition_shows_the_french_error_and_keeps_the_input(client_35, cases, worker, coordinator):
    first, _second = cases
    login(client_35, worker)
    response = client_35.post(
        f"/admin/dossiers/{first.reference}/transition/demarrer_diagnostic/",
        {"t-demarrer_diagnostic-score": "cent", "t-demarrer_diagnostic-comment": "Mon commentaire gardé"},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "« Score » : Saisissez un nombre entier." in page
    assert "Mon commentaire gardé" in page
    assert 'value="cent"' in page
    first.refresh_from_db()
    assert first.state == "recue"
    transition_apply(case=first, transition="demarrer_diagnostic", actor=worker, data={"score": 80})
    login(client_35, coordinator)
    response = client_35.post(f"/admin/dossiers/{first.reference}/transition/cloturer/", {"t-cloturer-conclusion": "x"})
    assert response.status_code == 422
    assert "Le commentaire est obligatoire pour cette transition." in response.content.decode()
    assert first.events.filter(kind="transitioned").count() == 1


def test_an_unavailable_transition_says_why_and_is_refused(client_35, cases, worker):
    first, _second = cases
    transition_apply(case=first, transition="demarrer_diagnostic", actor=worker, data={"score": 10})
    login(client_35, worker)
    page = client_35.get(f"/admin/dossiers/{first.reference}/").content.decode()
    assert "Indisponible : « Clôturer » est réservée aux rôles : Coordinateur de pôle." in page
    response = client_35.post(f"/admin/dossiers/{first.reference}/transition/cloturer/", {"t-cloturer-comment": "x"})
    assert response.status_code == 422
    assert "réservée aux rôles" in response.content.decode()
    response = client_35.post(f"/admin/dossiers/{first.reference}/transition/inconnue/", follow=True)
    assert "Transition « inconnue » inconnue" in response.content.decode()
    first.refresh_from_db()
    assert first.state == "diagnostic"


def test_comments_attachments_and_assignment_from_the_case_page(client_35, cases, coordinator, worker):
    first, _second = cases
    login(client_35, coordinator)
    base = f"/admin/dossiers/{first.reference}"
    assert client_35.post(f"{base}/commentaire/", {"body": "À rappeler", "visibility": "structure"}).status_code == 302
    assert Comment.objects.get().visibility == "structure"
    response = client_35.post(f"{base}/commentaire/", {"body": "", "visibility": "internal"})
    assert response.status_code == 422
    assert "Ce champ est obligatoire." in response.content.decode()
    upload = SimpleUploadedFile("statuts.pdf", PDF, content_type="application/pdf")
    assert client_35.post(f"{base}/pieces-jointes/", {"file": upload, "visibility": "internal"}).status_code == 302
    bad = SimpleUploadedFile("statuts.pdf", b"<html>", content_type="application/pdf")
    response = client_35.post(f"{base}/pieces-jointes/", {"file": bad, "visibility": "internal"})
    assert response.status_code == 422
    assert "Type de fichier refusé (text/html)." in response.content.decode()
    assert CaseAttachment.objects.count() == 1
    download = client_35.get(f"/admin/dossiers/piece-jointe/{CaseAttachment.objects.get().pk}/")
    assert b"".join(download.streaming_content) == PDF
    assert client_35.post(f"{base}/attribution/", {"users": [worker.pk]}).status_code == 302
    assert list(first.assignees.all()) == [worker]
    kinds = list(first.events.values_list("kind", flat=True))
    assert kinds == ["opened", "comment", "comment", "assigned"]
    page = client_35.get(f"{base}/").content.decode()
    assert "Pièce jointe ajoutée : statuts.pdf" in page


def test_editing_the_data(client_35, cases, worker):
    first, _second = cases
    login(client_35, worker)
    url = f"/admin/dossiers/{first.reference}/donnees/"
    page = client_35.get(url).content.decode()
    assert 'value="Les Lutins"' in page
    form = {f"d-{k}": v for k, v in VALID_DEMANDE.items() if k != "board"}
    form["d-board"] = '[{"name": "Anne Martin", "role": "Présidente"}]'
    response = client_35.post(url, {**form, "d-places": "quinze"})
    assert response.status_code == 422
    assert "« Nombre de places » : Saisissez un nombre entier." in response.content.decode()
    assert not first.events.filter(kind="data_updated").exists()
    assert client_35.post(url, {**form, "d-places": "15"}).status_code == 302, "refused"
    first.refresh_from_db()
    assert first.data["places"] == 15
    assert first.events.get(kind="data_updated").data_diff["places"] == [None, 15]


def test_bulk_transition_gives_a_summary_per_case(client_35, cases, coordinator):
    first, second = cases
    transition_apply(case=second, transition="abandonner", actor=coordinator)
    login(client_35, coordinator)
    page = client_35.post(
        "/admin/dossiers/lot/", {"cases": [first.reference, second.reference, "35-0000-99999"],
                                 "transition": "abandonner"},
    ).content.decode()  # fmt: skip
    assert "1 dossier sur 2 traité" in page
    assert "Passé à l&#x27;état « Clôturée »." in page
    assert "Dossier introuvable ou hors de votre périmètre." in page
    first.refresh_from_db()
    assert first.state == "close"


def test_a_structure_member_sees_only_its_structure_and_no_internal_note(client_35, cases, lutins, coordinator):
    first, second = cases
    member = person("structure_member", email="direction@lutins.example.org")
    StructureMembership.objects.create(user=member, structure=lutins)
    case_comment_add(case=first, text="Note interne secrète", visibility="internal", actor=coordinator)
    case_comment_add(case=first, text="Message pour la crèche", visibility="structure", actor=coordinator)
    internal = case_attachment_add(
        case=first, file=SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf"), visibility="internal",
        actor=coordinator,
    )  # fmt: skip
    login(client_35, member)
    listing = client_35.get("/admin/dossiers/").content.decode()
    assert first.reference in listing
    assert second.reference not in listing
    assert client_35.get(f"/admin/dossiers/{second.reference}/").status_code == 404
    page = client_35.get(f"/admin/dossiers/{first.reference}/").content.decode()
    assert "Message pour la crèche" in page
    assert "Note interne secrète" not in page
    assert "Modifier les données" not in page
    assert "Attribution" not in page
    assert client_35.get(f"/admin/dossiers/piece-jointe/{internal.pk}/").status_code == 404
    assert client_35.get(f"/admin/dossiers/{first.reference}/donnees/").status_code in (302, 403)  # Wagtail redirects
    csv_text = _body(client_35.get("/admin/dossiers/", {"export": "csv"})).decode("utf-8-sig")
    assert first.reference in csv_text
    assert second.reference not in csv_text
    response = client_35.post("/admin/dossiers/lot/", {"cases": [second.reference], "transition": "abandonner"})
    assert "Dossier introuvable" in response.content.decode()
    second.refresh_from_db()
    assert second.state == "recue"


def test_an_operator_sees_only_the_cases_it_serves(client_35, cases):
    first, second = cases
    operator = Operator.objects.create(name="Compta Coop")
    first.operators.add(operator)
    user = person("operator", email="compta@coop.example.org")
    OperatorMembership.objects.create(user=user, operator=operator)
    login(client_35, user)
    listing = client_35.get("/admin/dossiers/").content.decode()
    assert first.reference in listing
    assert second.reference not in listing
    assert client_35.get(f"/admin/dossiers/{second.reference}/").status_code == 404


def test_someone_without_a_role_is_kept_out(client_35, cases):
    nobody = person()
    nobody.is_superuser = False
    login(client_35, nobody)
    assert client_35.get("/admin/dossiers/").status_code in (302, 403)
    assert not CaseEvent.objects.filter(kind="comment").exists()


def test_case_panels(client_35, cases, worker):
    """A pole adds its own panel to the case page through the pluggy hook `case_panels`; a pole switched off in
    the territory adds none."""
    from core.plugins import hookimpl, plugin_manager

    first, _second = cases
    seen = []

    class Panel:
        @hookimpl
        def case_panels(self, request, case):
            seen.append((request.user, case.reference))
            if case.state != "recue":
                return None
            return format_html("<section><h2>Diagnostic du pôle</h2><p>{}</p></section>", "<b>échappé</b>")

    pm = plugin_manager()
    pm.register(Panel(), name="panel-pole")
    try:
        login(client_35, worker)
        page = client_35.get(f"/admin/dossiers/{first.reference}/").content.decode()
    finally:
        pm.unregister(name="panel-pole")
    assert "<h2>Diagnostic du pôle</h2><p>&lt;b&gt;échappé&lt;/b&gt;</p>" in page
    assert seen == [(worker, first.reference)]
    page = client_35.get(f"/admin/dossiers/{first.reference}/").content.decode()
    assert "Diagnostic du pôle" not in page


def test_opening_a_case_from_the_back_office(client_35, demande, coordinator, lutins):
    login(client_35, coordinator)
    choices = client_35.get("/admin/dossiers/nouveau/").content.decode()
    assert "/admin/dossiers/nouveau/essai-demande/" in choices
    url = "/admin/dossiers/nouveau/essai-demande/"
    form = {f"o-{k}": v for k, v in VALID_DEMANDE.items() if k != "board"}
    form["o-board"] = '[{"name": "Anne Martin"}]'
    response = client_35.post(url, {**form, "o-email": "pas-un-courriel", "s-structure": lutins.pk})
    assert response.status_code == 422
    page = response.content.decode()
    assert "« Courriel de contact » : Saisissez une adresse e-mail valide." in page
    assert 'value="Les Lutins"' in page
    assert not Case.objects.filter(workflow__code="essai-demande").exists()
    response = client_35.post(url, {**form, "s-structure": lutins.pk})
    case = Case.objects.get(workflow__code="essai-demande")
    assert response["Location"] == f"/admin/dossiers/{case.reference}/"
    assert case.structure == lutins
    assert case.opened_by == coordinator


def test_a_case_type_reserved_to_other_roles_cannot_be_opened(client_35, simple, coordinator):
    login(client_35, coordinator)  # essai-simple opens for case workers and structure members only
    assert "essai-simple" not in client_35.get("/admin/dossiers/nouveau/").content.decode()
    assert client_35.get("/admin/dossiers/nouveau/essai-simple/").status_code == 404


def test_a_transition_refused_on_a_stale_page_says_so_in_french(client_35, cases, worker, coordinator):
    """The page displayed revision 1; a colleague moved the case meanwhile: the refusal shows on top of the
    page, which now shows the case as it is."""
    first, _second = cases
    login(client_35, worker)
    page = client_35.get(f"/admin/dossiers/{first.reference}/").content.decode()
    assert f'name="revision" value="{first.revision}"' in page
    transition_apply(case=first, transition="abandonner", actor=coordinator)
    response = client_35.post(
        f"/admin/dossiers/{first.reference}/transition/demarrer_diagnostic/",
        {"t-demarrer_diagnostic-score": "70", "revision": "1"},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "« Démarrer le diagnostic » n'a pas été effectuée." in page
    assert "Le dossier est passé à l&#x27;état « Clôturée » entre-temps" in page
    assert 'role="alert" id="refus-transition"' in page
    assert 'data-state="close"' in page  # the page shows the case as it is now


def test_a_guard_refusal_shows_the_admins_french_message_never_the_expression(client_35, tenant, worker):
    from workflows.services import workflow_import

    workflow_import(source={
        "format": "ppe-workflow/1", "code": "devis", "name": "Devis", "open_form": "f", "open_roles": ["case_worker"],
        "forms": [{"code": "f", "name": "F", "fields": [{"code": "devis", "type": "integer", "label": "Devis"}]}],
        "states": [{"code": "a", "label": "A", "kind": "initial"}, {"code": "b", "label": "B", "kind": "final"}],
        "transitions": [{"code": "go", "label": "Valider", "from": ["a"], "to": "b", "roles": ["case_worker"],
                         "guard": "data.devis >= 2", "guard_message": "Au moins deux devis sont nécessaires."}],
    }, publish=True)  # fmt: skip
    case = case_open(workflow="devis", data={"devis": 1}, actor=worker)
    login(client_35, worker)
    page = client_35.get(f"/admin/dossiers/{case.reference}/").content.decode()
    assert "Indisponible : Au moins deux devis sont nécessaires." in page
    response = client_35.post(f"/admin/dossiers/{case.reference}/transition/go/", {"revision": str(case.revision)})
    page = response.content.decode()
    assert response.status_code == 422
    assert "« Valider » n'a pas été effectuée.</strong>\n      Au moins deux devis sont nécessaires." in page
    assert "data.devis" not in page


def test_a_data_edit_from_a_stale_page_is_refused_and_keeps_the_input(client_35, cases, coordinator):
    from core.services.case_updates import case_data_update

    first, _second = cases
    login(client_35, coordinator)
    shown = first.revision
    case_data_update(case=first, data={"notes": "Ajout d'un collègue"}, actor=coordinator)
    response = client_35.post(
        f"/admin/dossiers/{first.reference}/donnees/",
        {"d-structure_name": "Mes Lutins", "d-email": "a@b.fr", "d-kind": "creche", "revision": str(shown)},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "modifié par quelqu&#x27;un d&#x27;autre depuis l&#x27;ouverture de la page" in page
    assert 'value="Mes Lutins"' in page
    assert f'name="revision" value="{shown + 1}"' in page  # saving again applies on top of the colleague's edit
    first.refresh_from_db()
    assert (first.data["structure_name"], first.data["notes"]) == ("Les Lutins", "Ajout d'un collègue")


def test_a_switched_off_pole_workflows_are_not_offered_to_open(territory, tenant):
    """« Ouvrir un dossier » leaves out the workflows of a pole switched off in the territory (and opening one
    by its address is a French 404, never a 500)."""
    from core.services.poles import territory_pole_configure
    from tests.people import person_client, person_invite

    coordinator = person_invite(territory, role="pole_coordinator")
    client = person_client(territory, coordinator)
    listing = client.get("/admin/dossiers/nouveau/").content.decode()
    assert "/admin/dossiers/nouveau/support-accompagnement/" in listing
    assert "/admin/dossiers/nouveau/dev-sieg/" in listing
    admin = person_invite(territory, role="platform_admin")
    territory_pole_configure(territory=territory, pole="support", enabled=False, actor=admin)
    listing = client.get("/admin/dossiers/nouveau/").content.decode()
    assert "/admin/dossiers/nouveau/support-accompagnement/" not in listing
    assert "/admin/dossiers/nouveau/dev-sieg/" in listing
    assert client.get("/admin/dossiers/nouveau/support-accompagnement/").status_code == 404
