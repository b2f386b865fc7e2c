"""A public request reaches its structure: matched by SIRET, else by name and commune, or created awaiting a
coordinator's confirmation; the coordinator confirms (correcting it) or links another structure from the case
page, and only then is the person who filled the form invited as a member. On the demo territory, with people
created through the invitation path."""

from __future__ import annotations

import html
import re

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import TestCase

from cms.services import request_submit
from core.models import AuditEvent, Case, CaseEvent, Invitation, Structure
from core.selectors.case_work import case_timeline
from core.selectors.cases import case_list
from core.services.case_structure import case_structure_confirm, structure_match
from core.services.cases import case_open
from core.services.directory import structure_update
from tests.people import invitation_follow, invitation_link, person_client, person_invite
from tests.plugins.support.helpers import DEMANDE
from workflows.exceptions import TransitionNotAllowed

WORKFLOW = "support-accompagnement"
NEW = {**DEMANDE, "structure_name": "Les Pitchouns du Semnon", "commune": "Martigné-Ferchaud", "postcode": "35640",
       "siret": "", "email": "presidence@pitchouns.example.org", "contact_name": "Claire Le Goff"}  # fmt: skip


@pytest.fixture
def coordinator(tenant):
    return person_invite(tenant, role="pole_coordinator", first_name="Yann", last_name="Coordination")


def _submit_in(territory, data):
    """Send the public form's data, running its on-commit tasks (which reset the connection to public)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        case = request_submit(workflow=WORKFLOW, data=data)
    connection.set_tenant(territory)
    return Case.objects.get(pk=case.pk)


def test_a_request_naming_a_known_structure_is_matched_by_name_and_commune_ignoring_case_and_accents(tenant):
    known = Structure.objects.get(name="Les P'tits Loups")
    case = _submit_in(tenant, {**DEMANDE, "structure_name": "les ptits loups", "commune": "BAIN DE BRETAGNE"})
    assert case.structure == known
    assert case.structure_to_confirm is True
    assert Structure.objects.filter(name__icontains="loups").count() == 1  # no duplicate
    event = case.events.get(kind=CaseEvent.Kind.STRUCTURE)
    assert event.detail["how"] == "name"


def test_a_request_is_matched_by_siret_before_its_name(tenant):
    known = Structure.objects.get(name="Câlins et Câlines")
    structure_update(structure=known, siret="73282932000074", actor=None)
    case = _submit_in(tenant, {**NEW, "siret": "732 829 320 00074"})
    assert case.structure == known
    assert structure_match(siret="73282932000074")[1] == "siret"


def test_an_unknown_structure_is_created_awaiting_confirmation_and_nobody_is_invited_yet(tenant, coordinator):
    mail.outbox.clear()
    case = _submit_in(tenant, NEW)
    structure = case.structure
    assert structure is not None
    assert (structure.name, structure.commune, structure.postcode) == ("Les Pitchouns du Semnon",
                                                                       "Martigné-Ferchaud", "35640")  # fmt: skip
    assert structure.status == Structure.Status.PENDING
    assert structure.network is not None
    assert structure.network.acronym == "ADMR"
    assert AuditEvent.objects.filter(target_type="structure", target_id=str(structure.pk), kind="created").exists()
    assert not Invitation.objects.filter(email="presidence@pitchouns.example.org").exists()
    titles = [entry.title for entry in case_timeline(case=case, user=coordinator)]
    assert (
        "Demande rattachée à « Les Pitchouns du Semnon (Martigné-Ferchaud) » (nouvelle structure créée, à confirmer)"
        in titles
    )


def test_the_coordinator_corrects_and_confirms_the_new_structure_and_the_contact_is_invited_as_its_member(
    tenant, coordinator
):
    case = _submit_in(tenant, NEW)
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        outcome = case_structure_confirm(
            case=case, actor=coordinator, corrections={"places": 18, "name": "Les Pitchouns"}
        )
    connection.set_tenant(tenant)
    structure = Structure.objects.get(pk=case.structure_id)
    assert (structure.status, structure.name, structure.places) == (Structure.Status.CONFIRMED, "Les Pitchouns", 18)
    assert "presidence@pitchouns.example.org" in outcome.message
    journal = AuditEvent.objects.filter(target_type="structure", target_id=str(structure.pk), kind="updated").first()
    assert journal.actor == coordinator
    assert "name" in journal.changes
    case.refresh_from_db()
    assert case.structure_to_confirm is False
    invitation = Invitation.objects.get(email="presidence@pitchouns.example.org")
    assert (invitation.roles, invitation.structure, invitation.first_name) == (
        ["structure_member"],
        structure,
        "Claire",
    )
    # The person follows the link and finds her structure's case.
    invitation_follow(invitation_link("presidence@pitchouns.example.org"))
    connection.set_tenant(tenant)
    from django.contrib.auth import get_user_model

    director = get_user_model().objects.get(username="presidence@pitchouns.example.org")
    assert list(case_list(user=director).values_list("pk", flat=True)) == [case.pk]


def test_the_coordinator_links_a_duplicate_to_the_right_structure_which_sets_the_new_one_aside(tenant, coordinator):
    case = _submit_in(tenant, {**NEW, "structure_name": "Maison des Lutins", "commune": "Retiers"})
    created = case.structure
    assert created.status == Structure.Status.PENDING  # « Maison des Lutins » is not « La Maison des Lutins »
    right = Structure.objects.get(name="La Maison des Lutins")
    with TestCase.captureOnCommitCallbacks(execute=True):
        case_structure_confirm(case=case, actor=coordinator, structure=right)
    connection.set_tenant(tenant)
    case.refresh_from_db()
    created.refresh_from_db()
    assert case.structure == right
    assert (created.status, created.is_active) == (Structure.Status.DISCARDED, False)
    assert Invitation.objects.get(email="presidence@pitchouns.example.org").structure == right
    titles = [entry.title for entry in case_timeline(case=case, user=coordinator)]
    assert any(t.startswith("Dossier rattaché à « La Maison des Lutins (Retiers) » (au lieu de") for t in titles)


def test_only_the_platform_team_confirms_a_structure(tenant):
    case = _submit_in(tenant, NEW)
    lutins = Structure.objects.get(name="La Maison des Lutins")
    director = person_invite(tenant, role="structure_member", structure=lutins)
    with pytest.raises(PermissionDenied):
        case_structure_confirm(case=case, actor=director, structure=lutins)


def test_a_correction_the_directory_refuses_is_a_french_error_and_writes_nothing(tenant, coordinator):
    case = _submit_in(tenant, NEW)
    with pytest.raises(ValidationError) as refused:
        case_structure_confirm(case=case, actor=coordinator, corrections={"name": "Les P'tits Loups",
                                                                          "commune": "Bain-de-Bretagne"})  # fmt: skip
    assert "existe déjà" in " ".join(refused.value.messages) or "déjà" in str(refused.value)
    assert Structure.objects.get(pk=case.structure_id).status == Structure.Status.PENDING


def test_the_case_page_shows_the_panel_and_confirms_from_the_browser_form(tenant, coordinator):
    case = _submit_in(tenant, NEW)
    client = person_client(tenant, coordinator)
    page = html.unescape(client.get(f"/admin/dossiers/{case.reference}/").content.decode())
    assert "Nouvelle structure à confirmer." in page
    assert "presidence@pitchouns.example.org" in page
    assert "Confirmer cette structure" in page
    bad = client.post(
        f"/admin/dossiers/{case.reference}/structure/",
        {"action": "confirm", "st-name": "Les Pitchouns", "st-kind": "creche", "st-commune": "Martigné-Ferchaud",
         "st-postcode": "3564", "st-places": "18", "st-siret": ""},
    )  # fmt: skip
    assert bad.status_code == 422
    assert "Code postal" in html.unescape(bad.content.decode()) or "code postal" in html.unescape(bad.content.decode())
    with TestCase.captureOnCommitCallbacks(execute=True):
        good = client.post(
            f"/admin/dossiers/{case.reference}/structure/",
            {"action": "confirm", "st-name": "Les Pitchouns", "st-kind": "creche", "st-commune": "Martigné-Ferchaud",
             "st-postcode": "35640", "st-places": "18", "st-siret": ""},
        )  # fmt: skip
    connection.set_tenant(tenant)
    assert good.status_code == 302
    assert Structure.objects.get(pk=case.structure_id).status == Structure.Status.CONFIRMED
    page = html.unescape(client.get(f"/admin/dossiers/{case.reference}/").content.decode())
    assert "Une invitation à rejoindre la plateforme a été envoyée à presidence@pitchouns.example.org." in page


def test_a_structure_member_cannot_post_the_structure_action(tenant):
    lutins = Structure.objects.get(name="La Maison des Lutins")
    director = person_invite(tenant, role="structure_member", structure=lutins)
    case = case_open(workflow=WORKFLOW, data={**DEMANDE, "structure_name": "La Maison des Lutins"}, actor=director)
    client = person_client(tenant, director)
    answer = client.post(f"/admin/dossiers/{case.reference}/structure/", {"action": "link", "sl-structure": "1"})
    assert answer.status_code in {302, 403}  # Wagtail turns the refusal into a redirection with its message
    assert answer.status_code == 403 or answer.url == "/admin/"
    assert not case.events.filter(kind=CaseEvent.Kind.STRUCTURE).exists()


# --- Item 7: a structure member cannot lose a case --------------------------------------------------------------


def test_a_structure_member_opening_without_a_structure_gets_their_only_one(tenant):
    lutins = Structure.objects.get(name="La Maison des Lutins")
    director = person_invite(tenant, role="structure_member", structure=lutins)
    case = case_open(workflow=WORKFLOW, data=DEMANDE, actor=director)
    assert case.structure == lutins
    assert case_list(user=director).filter(pk=case.pk).exists()


def test_a_structure_member_without_a_structure_cannot_open_a_case(tenant):
    lutins = Structure.objects.get(name="La Maison des Lutins")
    director = person_invite(tenant, role="structure_member", structure=lutins)
    director.structure_memberships.all().delete()
    with pytest.raises(TransitionNotAllowed, match="aucune structure"):
        case_open(workflow=WORKFLOW, data=DEMANDE, actor=director)


def test_a_member_of_two_structures_must_choose(tenant):
    from workflows.exceptions import FormInvalid

    lutins = Structure.objects.get(name="La Maison des Lutins")
    loups = Structure.objects.get(name="Les P'tits Loups")
    director = person_invite(tenant, role="structure_member", structure=lutins)
    director.structure_memberships.create(structure=loups)
    with pytest.raises(FormInvalid) as refused:
        case_open(workflow=WORKFLOW, data=DEMANDE, actor=director)
    assert refused.value.errors == {"structure": ["Choisissez la structure concernée par ce dossier."]}
    assert case_open(workflow=WORKFLOW, data=DEMANDE, actor=director, structure=loups).structure == loups


def test_the_person_who_opened_a_case_still_sees_it_after_leaving_the_structure(tenant):
    lutins = Structure.objects.get(name="La Maison des Lutins")
    director = person_invite(tenant, role="structure_member", structure=lutins)
    case = case_open(workflow=WORKFLOW, data=DEMANDE, actor=director)
    director.structure_memberships.all().delete()
    assert case_list(user=director).filter(pk=case.pk).exists()


def test_with_a_long_directory_the_coordinator_links_a_structure_found_by_name(tenant, coordinator):
    """Above 200 structures the case page offers a search, not a list of thousands of options (bench/volume.py:
    5,000 structures made the case page take seconds); several matches become a list to choose from."""
    from core.backoffice.forms import STRUCTURE_SELECT_MAX

    Structure.objects.bulk_create(
        Structure(name=f"Micro-crèche Les Hirondelles {n}", commune="Vitré", postcode="35500")
        for n in range(STRUCTURE_SELECT_MAX + 5)
    )
    case = _submit_in(tenant, NEW)
    client = person_client(tenant, coordinator)
    page = client.get(f"/admin/dossiers/{case.reference}/").content.decode()
    assert page.count("Micro-crèche Les Hirondelles") == 0  # no list of the whole directory
    assert 'name="sl-structure"' in page
    url = f"/admin/dossiers/{case.reference}/structure/"
    several = html.unescape(client.post(url, {"action": "link", "sl-structure": "hirondelles"}).content.decode())
    assert "Plusieurs structures correspondent à « hirondelles » (les 30 premières)" in several
    select = re.search(r'<select name="sl-structure".*?</select>', several, re.S).group(0)
    assert select.count("<option") == 31  # the 30 first matches and the empty choice
    none = html.unescape(client.post(url, {"action": "link", "sl-structure": "Zzyzx"}).content.decode())
    assert "Aucune structure de l'annuaire ne correspond à « Zzyzx »." in none
    lutins = Structure.objects.get(name="La Maison des Lutins")
    with TestCase.captureOnCommitCallbacks(execute=True):
        linked = client.post(url, {"action": "link", "sl-structure": "maison des lutins"})
    connection.set_tenant(tenant)
    assert linked.status_code == 302
    assert Case.objects.get(pk=case.pk).structure == lutins


def test_the_structure_panel_is_shown_only_where_structures_take_part(tenant, coordinator):
    """A pool application names a person, not a structure: its case page has no « Structure du dossier »."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.core.test_personal_data import APPLICATION, PDF

    files = {"diploma_file": SimpleUploadedFile("diplome.pdf", PDF, content_type="application/pdf")}
    application = case_open(workflow="remplacement-candidature", data=dict(APPLICATION), files=files, actor=None,
                            channel="public")  # fmt: skip
    client = person_client(tenant, coordinator)
    assert "Structure du dossier" not in client.get(f"/admin/dossiers/{application.reference}/").content.decode()
    request = _submit_in(tenant, NEW)
    assert "Structure du dossier" in client.get(f"/admin/dossiers/{request.reference}/").content.decode()
