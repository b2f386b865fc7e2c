"""The SIEG's rules across its forms' fields (hook `transition_data_check`): weights total 100 %, dates in
order, the project retained is a candidate — each refusal in French on its field, nothing written."""

import datetime as dt

import pytest
from django.utils import timezone

from core.services.cases import transition_apply
from plugins.developpement.models import Meeting
from plugins.developpement.services import candidate_score
from tests.people import person_client, person_invite
from workflows.exceptions import FormInvalid

from .test_workflows import VOTES, sieg_case

TODAY = timezone.localdate()


def _to_criteria(case, coordinator):
    transition_apply(case=case, transition="ouvrir_concertation", actor=coordinator)
    Meeting.objects.create(case=case, held_on=TODAY, participants="Le maire\nLa CAF", minutes="Accord.")
    transition_apply(case=case, transition="definir_interet_general", actor=coordinator, data={
        "besoins_territoire": "40 familles.", "definition_interet_general": "Un accueil pour tous.",
        "obligations_service_public": "Tarifs PSU.", "resultats_concertation": "Besoin confirmé."})  # fmt: skip
    with pytest.raises(FormInvalid) as refused:
        transition_apply(case=case, transition="deliberations_adoptees", actor=coordinator, data={
            "date_deliberation_interet_general": TODAY.isoformat(),
            "date_deliberation_mandatement": (TODAY - dt.timedelta(days=3)).isoformat(),
            "duree_mandat_ans": 5, **VOTES, "vote_mandat_pour": 3})  # fmt: skip
    assert "ne peut précéder" in refused.value.errors["date_deliberation_mandatement"][0]
    assert refused.value.errors["vote_mandat_pour"] == [
        "Le mandatement n'est pas adopté avec 3 voix pour et 3 contre : il faut plus de voix pour que contre."
    ]
    transition_apply(case=case, transition="deliberations_adoptees", actor=coordinator, data={
        "date_deliberation_interet_general": TODAY.isoformat(), "date_deliberation_mandatement": TODAY.isoformat(),
        "duree_mandat_ans": 5, **VOTES})  # fmt: skip
    transition_apply(case=case, transition="arreter_grille", actor=coordinator, data={
        "grille_analyse": [{"resultat": "Familles fragiles", "indicateur": "Part QF < 800",
                            "cible": "30 %"}]})  # fmt: skip


def test_transition_data_check(territory, tenant):
    coordinator = person_invite(territory, role="pole_coordinator")
    case = sieg_case(coordinator)
    _to_criteria(case, coordinator)
    with pytest.raises(FormInvalid) as refused:
        transition_apply(case=case, transition="arreter_criteres", actor=coordinator, data={
            "criteres_evaluation": [{"critere": "Projet éducatif", "ponderation": 30},
                                    {"critere": "Prix", "ponderation": 30}]})  # fmt: skip
    assert refused.value.errors["criteres_evaluation"] == [
        "Les pondérations totalisent 60 % : elles doivent totaliser 100 %."
    ]
    case.refresh_from_db()
    assert case.state == "criteres"
    assert "criteres_evaluation" not in case.data
    transition_apply(case=case, transition="arreter_criteres", actor=coordinator, data={
        "criteres_evaluation": [{"critere": "Projet éducatif", "ponderation": 60},
                                {"critere": "Prix", "ponderation": 40}]})  # fmt: skip
    with pytest.raises(FormInvalid) as refused:
        transition_apply(case=case, transition="publier_appel", actor=coordinator, data={
            "date_publication": TODAY.isoformat(), "date_limite_candidatures": TODAY.isoformat()})  # fmt: skip
    assert "doit suivre la publication" in refused.value.errors["date_limite_candidatures"][0]
    transition_apply(case=case, transition="publier_appel", actor=coordinator, data={
        "date_publication": TODAY.isoformat(),
        "date_limite_candidatures": (TODAY + dt.timedelta(days=30)).isoformat()})  # fmt: skip
    with pytest.raises(FormInvalid) as refused:
        transition_apply(case=case, transition="conclure", actor=coordinator, data={"laureat": "Association A"})
    assert refused.value.errors["laureat"] == [
        "Aucune candidature n'est notée : notez-les sur l'écran de travail du pôle."
    ]
    candidate_score(case=case, name="Association A", scores={"Projet éducatif": 15, "Prix": 12}, actor=coordinator)
    with pytest.raises(FormInvalid) as refused:
        transition_apply(case=case, transition="conclure", actor=coordinator, data={"laureat": "Association B"})
    assert refused.value.errors["laureat"] == ["Le projet retenu doit être l'une des candidatures évaluées."]
    transition_apply(case=case, transition="conclure", actor=coordinator, data={"laureat": "association a"})
    assert case.state == "close"


def test_the_pole_cases_are_listed_and_linked_from_the_case_page(territory, tenant):
    coordinator = person_invite(territory, role="pole_coordinator")
    case = sieg_case(coordinator)
    client = person_client(territory, coordinator)
    listing = client.get("/admin/developpement/dossiers/").content.decode()
    assert case.reference in listing
    assert "Demande de la collectivité" in listing  # the state's label, never its code
    page = client.get(f"/admin/dossiers/{case.reference}/").content.decode()
    assert f"/admin/developpement/dossiers/{case.reference}/" in page
    work = client.get(f"/admin/developpement/dossiers/{case.reference}/").content.decode()
    assert "état : <strong>Demande de la collectivité</strong>" in work
    from core.models import Structure

    member = person_invite(territory, role="structure_member", structure=Structure.objects.first())
    director = person_client(territory, member)
    assert director.get("/admin/developpement/dossiers/").status_code in (302, 403)


def test_candidates_are_scored_per_weighted_criterion_and_ranked(territory, tenant):
    from django.core.exceptions import ValidationError

    from plugins.developpement.services import candidate_score, sieg_ranking
    from tests.core.test_documents import pdf_text

    coordinator = person_invite(territory, role="pole_coordinator")
    case = sieg_case(coordinator)
    _to_criteria(case, coordinator)
    transition_apply(case=case, transition="arreter_criteres", actor=coordinator, data={
        "criteres_evaluation": [{"critere": "Projet éducatif", "ponderation": 60},
                                {"critere": "Prix", "ponderation": 40}]})  # fmt: skip
    client = person_client(territory, coordinator)
    url = f"/admin/developpement/dossiers/{case.reference}/"
    client.post(url, {"action": "candidate", "name": "Association A", "score-0": "12", "score-1": "20"})
    client.post(url, {"action": "candidate", "name": "Association B", "score-0": "18", "score-1": "10"})
    refused = client.post(url, {"action": "candidate", "name": "Association C", "score-0": "25", "score-1": "x"},
                          follow=True).content.decode()  # fmt: skip
    assert "la note doit être comprise entre 0 et 20" in refused
    with pytest.raises(ValidationError):
        candidate_score(case=case, name="Association C", scores={"Prix": "10"}, actor=coordinator)
    ranking = sieg_ranking(case)
    assert [(row["name"], row["total"]) for row in ranking] == [("Association B", 74.0), ("Association A", 76.0)][::-1]
    page = client.get(url).content.decode()
    assert "Projet éducatif (60 %)" in page
    assert "<strong>76,0</strong>" in page
    report = client.get(f"{url}rapport/")
    assert report.status_code == 200
    text = pdf_text(report.content)
    assert "1. Association A" in text
    assert "Projet éducatif : 60 %" in text
    transition_apply(case=case, transition="publier_appel", actor=coordinator, data={
        "date_publication": TODAY.isoformat(),
        "date_limite_candidatures": (TODAY + dt.timedelta(days=30)).isoformat()})  # fmt: skip
    with pytest.raises(FormInvalid):
        transition_apply(case=case, transition="conclure", actor=coordinator, data={"laureat": "Z"})
