"""The diagnostic's answers become a profile: scores per axis, federation, professionalisation level."""

import pytest

from plugins.support.charts import Bar, bar_chart_svg
from plugins.support.scoring import AXES, ScoringError, axis_scores, level_of, profile_compute


def answers(value="2", **overrides):
    data = {f"diag_{axis.code}_1": value for axis in AXES}
    data.update(overrides)
    return data


def test_each_axis_scores_the_mean_of_its_answers_on_0_to_100():
    scores = axis_scores(answers("3", diag_rh_1="0", diag_rh_2="3", diag_paie_1="1"))
    assert scores["comptabilite"] == 100
    assert scores["rh"] == 50  # (0 + 3) / 6
    assert scores["paie"] == 33
    assert list(scores) == [axis.code for axis in AXES]


def test_questions_an_admin_adds_under_the_convention_are_scored_and_others_ignored():
    scores = axis_scores(answers("3", diag_comptabilite_7="0", diag_inconnu_1="0", diag_synthese="texte"))
    assert scores["comptabilite"] == 50
    assert "inconnu" not in scores


@pytest.mark.parametrize(("raw", "message"), [("4", "hors échelle"), ("-1", "hors échelle"), ("beaucoup", "invalide")])
def test_bad_answers_are_refused_in_french(raw, message):
    with pytest.raises(ScoringError, match=message):
        axis_scores({"diag_paie_1": raw})


def test_a_profile_needs_every_axis():
    data = answers()
    del data["diag_pratiques_1"]
    with pytest.raises(ScoringError, match=r"incomplet.*Partage des pratiques"):
        profile_compute(answers=data, network_kind=None, network_name=None, professionalisation=2)


def test_the_federation_comes_from_the_directory_first_then_from_the_questionnaire():
    directory = profile_compute(
        answers=answers(diag_federation="familles_rurales"),
        network_kind="federation",
        network_name="ADMR",
        professionalisation=1,
    )
    assert directory["federation"] == "ADMR"
    assert directory["professionalisation"] == 1
    declared = profile_compute(
        answers=answers(diag_federation="familles_rurales", diag_professionalisation="3"),
        network_kind="network",
        network_name="ACCEP35",
        professionalisation=1,
    )
    assert declared["federation"] == "Familles Rurales"  # a local network is not a federation
    assert declared["professionalisation"] == 3
    none = profile_compute(answers=answers(diag_federation="aucune"), network_kind=None, network_name=None,
                           professionalisation=None)  # fmt: skip
    assert none["federation"] is None
    assert none["global"] == 67


def test_a_bad_professionalisation_level_is_refused():
    with pytest.raises(ScoringError, match="professionnalisation"):
        profile_compute(answers=answers(diag_professionalisation="7"), network_kind=None, network_name=None,
                        professionalisation=2)  # fmt: skip


def test_levels_read_in_words():
    assert [level_of(s) for s in (0, 39, 40, 69, 70, 100)] == [
        "besoin fort", "besoin fort", "à consolider", "à consolider", "maîtrisé", "maîtrisé",
    ]  # fmt: skip


def test_the_chart_is_an_accessible_svg_with_escaped_text():
    svg = bar_chart_svg(
        title="Profil <test>",
        description="Scores par axe",
        bars=[Bar("Paie & RH", 30, "besoin fort"), Bar("Comptabilité", 90, "maîtrisé")],
    )
    assert svg.startswith("<svg")
    assert 'role="img"' in svg
    assert "<title" in svg
    assert "Profil &lt;test&gt;" in svg
    assert "Paie &amp; RH" in svg
    assert "30 — besoin fort" in svg  # the value and its reading as text, not colour alone
    assert svg.count("<rect") == 2
