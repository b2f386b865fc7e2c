"""Proposal rules in CEL: compile errors with their position, a sample-profile check, matching."""

import pytest
from django.core.exceptions import ValidationError

from plugins.support.rules import SAMPLE_PROFILE, condition_check, condition_matches


def test_a_syntax_error_reports_line_and_column_in_french():
    with pytest.raises(ValidationError) as excinfo:
        condition_check("profile.axes.paie < ")
    assert "ligne 1, colonne 21" in excinfo.value.messages[0]


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("", "vide"),
        ("profil.axes.paie < 50", "profil d'essai"),
        ("profile.axes.compta < 50", "profil d'essai"),
        ("profile.axes.paie + 1", "vrai ou faux"),
    ],
)
def test_conditions_that_cannot_work_are_refused(expression, message):
    with pytest.raises(ValidationError, match=message):
        condition_check(expression)


def test_conditions_match_profiles():
    profile = {**SAMPLE_PROFILE, "axes": {**SAMPLE_PROFILE["axes"], "paie": 20}, "federation": None}
    assert condition_matches('profile.axes.paie < 50 && profile.federation != "ADMR"', profile)
    assert not condition_matches('profile.federation == "ADMR"', profile)
    with pytest.raises(ValueError, match="boolean"):
        condition_matches("profile.global", profile)
