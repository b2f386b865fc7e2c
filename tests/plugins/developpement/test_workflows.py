"""The développement pole's two workflows, run through the real services: a joint response to a DSP or a
call for projects (sections with deadlines and reminders), and a SIEG set up with a small collectivity."""

import datetime as dt
from pathlib import Path

import pytest
import yaml
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.services.cases import case_open, transition_apply
from plugins.developpement.guards import developpement_days_left
from plugins.developpement.hooks import pole_workflows
from plugins.developpement.models import DeliberationDraft, DeliberationTemplate, DraftSection
from plugins.developpement.services import (
    DATA,
    candidate_score,
    deadline_reminders_send,
    deliberations_draft,
    developpement_seed,
    meeting_record,
    section_deliver,
    sections_plan,
)
from tests.workflows.helpers import person
from workflows.exceptions import FormInvalid, GuardFailed
from workflows.serialization import yaml_to_spec
from workflows.validation import spec_validate

TODAY = timezone.localdate()


@pytest.fixture
def coordinator(tenant):
    return person("pole_coordinator")


def test_both_shipped_files_are_valid_and_published(tenant):
    from workflows.selectors import workflow_published_version

    paths = pole_workflows()
    assert [Path(p).name for p in paths] == ["dev-reponse-commune.yaml", "dev-sieg.yaml"]
    for path in paths:
        spec = yaml_to_spec(Path(path).read_text(encoding="utf-8"))
        assert spec_validate(spec) == []
        assert workflow_published_version(code=spec["code"]).definition.pole == "developpement"


def opportunity(deadline):
    return {"titre": "DSP multi-accueil de Guichen", "nature": "dsp", "autorite": "Commune de Guichen",
            "date_limite": deadline.isoformat()}  # fmt: skip


def test_a_joint_response_from_watch_to_review(tenant, coordinator, django_capture_on_commit_callbacks):
    case = case_open(workflow="dev-reponse-commune", data=opportunity(TODAY + dt.timedelta(days=30)),
                     actor=coordinator)  # fmt: skip
    transition_apply(case=case, transition="qualifier", actor=coordinator,
                     data={"perimetre": "Un multi-accueil de 24 places, 5 ans."})  # fmt: skip
    transition_apply(case=case, transition="go", actor=coordinator, comment="Trois associations partantes.")
    transition_apply(case=case, transition="lancer_redaction", actor=coordinator, data={"partenaires": [
        {"nom": "Les P'tits Loups", "role": "chef_de_file", "email": "a@example.org"},
        {"nom": "ADMR", "role": "cotraitant", "email": "b@example.org"}]})  # fmt: skip
    plan = {"sections": [
        {"titre": "Projet éducatif", "partenaire": "Les P'tits Loups", "email": "a@example.org",
         "echeance": (TODAY + dt.timedelta(days=2)).isoformat()},
        {"titre": "Budget", "partenaire": "ADMR", "email": "b@example.org",
         "echeance": (TODAY + dt.timedelta(days=10)).isoformat()}]}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        transition_apply(case=case, transition="planifier_sections", actor=coordinator, data=plan)
    sections = list(DraftSection.objects.filter(case=case))
    assert [s.title for s in sections] == ["Projet éducatif", "Budget"]

    assert deadline_reminders_send() == 1  # only the section due within 3 days
    assert mail.outbox[-1].to == ["a@example.org"]
    assert "Projet éducatif" in mail.outbox[-1].subject
    assert deadline_reminders_send() == 0  # once a day

    with pytest.raises(GuardFailed):
        transition_apply(case=case, transition="deposer", actor=coordinator,
                         data={"date_depot": TODAY.isoformat(), "mode_depot": "plateforme"})  # fmt: skip
    for section in sections:
        section_deliver(section=section, actor=coordinator)
    transition_apply(case=case, transition="deposer", actor=coordinator,
                     data={"date_depot": TODAY.isoformat(), "mode_depot": "plateforme"})  # fmt: skip
    transition_apply(case=case, transition="attribuer", actor=coordinator)
    review = {"enseignements": "Répartir plus tôt le budget.", "relations_partenaires": "bonne"}
    transition_apply(case=case, transition="faire_le_bilan", actor=coordinator, data=review)
    assert case.state == "close"


def test_go_needs_a_week_before_the_deadline(tenant, coordinator):
    case = case_open(workflow="dev-reponse-commune", data=opportunity(TODAY + dt.timedelta(days=3)),
                     actor=coordinator)  # fmt: skip
    transition_apply(case=case, transition="qualifier", actor=coordinator, data={"perimetre": "Un équipement."})
    with pytest.raises(GuardFailed):
        transition_apply(case=case, transition="go", actor=coordinator, comment="Trop tard ?")
    transition_apply(case=case, transition="no_go", actor=coordinator, comment="Délai trop court.")
    assert case.state == "abandonnee"
    assert developpement_days_left("pas une date", TODAY.isoformat()) == -1


def test_bad_plans_are_refused(tenant, coordinator):
    case = case_open(workflow="dev-reponse-commune", data=opportunity(TODAY + dt.timedelta(days=30)),
                     actor=coordinator)  # fmt: skip
    with pytest.raises(ValidationError, match="échéance invalide"):
        sections_plan(case=case, sections=[{"titre": "A", "partenaire": "P", "email": "p@example.org",
                                             "echeance": "demain"}], actor=coordinator)  # fmt: skip
    with pytest.raises(ValidationError, match="Section 1"):
        sections_plan(case=case, sections=[{"titre": "A", "partenaire": "P", "email": "pas-un-courriel",
                                             "echeance": TODAY.isoformat()}], actor=coordinator)  # fmt: skip
    assert not DraftSection.objects.filter(case=case).exists()
    with pytest.raises(FormInvalid):
        case_open(workflow="dev-reponse-commune", data={"titre": "X"}, actor=coordinator)


# The « Délibérations adoptées » form's votes: both deliberations carried.
VOTES = {"vote_ig_pour": 15, "vote_ig_contre": 2, "vote_ig_abstentions": 1, "vote_mandat_pour": 14,
         "vote_mandat_contre": 3, "vote_mandat_abstentions": 0}  # fmt: skip


def sieg_case(coordinator):
    return case_open(workflow="dev-sieg", actor=coordinator, data={
        "collectivite": "Commune de Saint-Aubin", "commune": "Saint-Aubin", "contact_name": "M. le maire",
        "email": "mairie@example.org", "equipements": "Deux multi-accueils de 20 places", "places": 40,
        "gestion_actuelle": "subvention"})  # fmt: skip


def test_a_sieg_from_consultation_to_evaluation(tenant, coordinator, django_capture_on_commit_callbacks):
    case = sieg_case(coordinator)
    transition_apply(case=case, transition="ouvrir_concertation", actor=coordinator)
    general_interest = {"besoins_territoire": "40 familles en attente.",
                        "definition_interet_general": "Un accueil accessible à toutes les familles.",
                        "obligations_service_public": "Tarifs PSU, horaires élargis.",
                        "resultats_concertation": "Besoin confirmé par les familles et la CAF."}  # fmt: skip
    with pytest.raises(GuardFailed):  # no meeting yet
        transition_apply(case=case, transition="definir_interet_general", actor=coordinator, data=general_interest)
    meeting_record(case=case, held_on=TODAY, place="Mairie", participants="Le maire\nLa CAF\nLes associations",
                   minutes="Accord sur les besoins.", actor=coordinator)  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        transition_apply(case=case, transition="definir_interet_general", actor=coordinator, data=general_interest)
    drafts = {d.kind: d for d in DeliberationDraft.objects.filter(case=case)}
    assert set(drafts) == {"interet_general", "mandatement"}
    assert "Commune de Saint-Aubin" in drafts["interet_general"].body_html
    assert "Tarifs PSU" in drafts["mandatement"].body_html
    assert drafts["mandatement"].pdf.read().startswith(b"%PDF")

    with django_capture_on_commit_callbacks(execute=True):
        transition_apply(case=case, transition="deliberations_adoptees", actor=coordinator, data={
            "date_deliberation_interet_general": TODAY.isoformat(),
            "date_deliberation_mandatement": TODAY.isoformat(), "duree_mandat_ans": 5, **VOTES})  # fmt: skip
    adopted = {d.kind: d for d in DeliberationDraft.objects.filter(case=case)}
    assert "15 voix pour, 2 contre, 1 abstention." in adopted["interet_general"].body_html
    assert "1 réunion de concertation" in adopted["interet_general"].body_html
    assert "Besoin confirmé par les familles" in adopted["interet_general"].body_html
    assert "14 voix pour, 3 contre, 0 abstention." in adopted["mandatement"].body_html
    from core.selectors.case_work import case_timeline

    titles = [entry.title for entry in case_timeline(case=case, user=coordinator)]
    assert any(t.startswith("Délibération adoptée en séance du ") and t.endswith("(15 pour, 2 contre, 1 abstention)")
               for t in titles), titles  # fmt: skip
    transition_apply(
        case=case,
        transition="arreter_grille",
        actor=coordinator,
        data={
            "grille_analyse": [
                {
                    "resultat": "Accueil des familles fragiles",
                    "indicateur": "Part des familles au QF < 800",
                    "cible": "30 %",
                }
            ]
        },
    )
    transition_apply(
        case=case,
        transition="arreter_criteres",
        actor=coordinator,
        data={
            "criteres_evaluation": [
                {"critere": "Projet éducatif", "ponderation": 60},
                {"critere": "Prix", "ponderation": 40},
            ]
        },
    )
    transition_apply(
        case=case,
        transition="publier_appel",
        actor=coordinator,
        data={
            "date_publication": TODAY.isoformat(),
            "date_limite_candidatures": (TODAY + dt.timedelta(days=45)).isoformat(),
        },
    )
    candidate_score(case=case, name="Association A", scores={"Projet éducatif": 15, "Prix": 12}, actor=coordinator)
    transition_apply(case=case, transition="conclure", actor=coordinator, data={"laureat": "Association A"})
    assert case.state == "close"


def test_bad_meetings_are_refused(tenant, coordinator):
    case = sieg_case(coordinator)
    with pytest.raises(ValidationError, match="deux participants"):
        meeting_record(case=case, held_on=TODAY, participants="Le maire", minutes="x", actor=coordinator)
    with pytest.raises(ValidationError, match="à venir"):
        meeting_record(case=case, held_on=TODAY + dt.timedelta(days=2), participants="A\nB", minutes="x",
                       actor=coordinator)  # fmt: skip
    with pytest.raises(ValidationError):
        meeting_record(case=case, held_on=TODAY, participants="A\nB", minutes="", actor=coordinator)


def test_deliberations_need_active_templates_and_upgrades_keep_edits(tenant, coordinator, tmp_path):
    case = sieg_case(coordinator)
    DeliberationTemplate.objects.filter(kind="mandatement").update(is_active=False)
    with pytest.raises(ValidationError, match="mandatement"):
        deliberations_draft(case=case, actor=coordinator)
    edited = DeliberationTemplate.objects.get(kind="interet_general")
    edited.title = "Délibération (version de la commune)"
    edited.save()
    assert developpement_seed().kept_local_changes == []  # the shipped file did not change
    rows = yaml.safe_load((DATA / "deliberation_templates.yaml").read_text())
    for row in rows:
        row["body"] += "<p>Version 2.</p>"
    upgraded = tmp_path / "deliberations.yaml"
    upgraded.write_text(yaml.safe_dump(rows, allow_unicode=True))
    report = developpement_seed(templates_file=upgraded)
    assert report.kept_local_changes == ["deliberation-interet-general"]
    assert report.updated == ["deliberation-mandatement"]
