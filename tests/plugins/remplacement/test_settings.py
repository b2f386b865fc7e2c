"""The pole's settings as a territory admin sees and saves them: French labels, ranges and choices, checked on save
by the same service the API and the kit use."""

import pytest
from django.core.exceptions import ValidationError

from core.services.poles import pole_settings_validate
from tests.people import person_client, person_invite


@pytest.mark.parametrize(
    ("settings", "key", "message"),
    [
        ({"wave_size": -3}, "wave_size", "« Propositions de la première vague » doit être compris entre 1 et 500."),
        ({"max_waves": 0}, "max_waves", "« Nombre de vagues au plus » doit être compris entre 1 et 20."),
        (
            {"dispatch_policy": "first_acept"},
            "dispatch_policy",
            "doit être l'un de : « La structure choisit parmi les volontaires », "
            "« La première personne qui accepte est retenue ».",
        ),
        ({"weights": {"proximity": 1}}, "weights", "doit avoir exactement les clés « proximity », « fairness »"),
        (
            {"weights": {"proximity": 2, "fairness": 0.3, "preference": 0.1}},
            "weights",
            "« proximity » doit être compris entre 0 et 1.",
        ),
        ({"contact_email": "pas une adresse"}, "contact_email", "doit être une adresse électronique valide."),
        ({"staffing_qualified_share": 140}, "staffing_qualified_share", "entre 0 et 100."),
    ],
)
def test_settings_out_of_range_or_misspelt_are_refused_in_french(settings, key, message):
    with pytest.raises(ValidationError) as excinfo:
        pole_settings_validate(pole="remplacement", settings=settings)
    assert message in excinfo.value.message_dict[key][0]


def test_the_defaults_pass_their_own_checks():
    from plugins.remplacement.apps import RemplacementConfig

    assert pole_settings_validate(pole="remplacement", settings=RemplacementConfig.default_settings)
    assert set(RemplacementConfig.settings_spec) == set(RemplacementConfig.default_settings)


def test_the_admin_screen_shows_french_labels_and_refuses_a_negative_wave(tenant):
    admin = person_invite(tenant, role="platform_admin")
    client = person_client(tenant, admin)
    page = client.get("/admin/poles/").content.decode()
    assert "Propositions de la première vague" in page
    assert "Vaccinations à jour exigées" in page
    assert "Seuls les documents vérifiés par un·e coordinateur·rice comptent" in page
    import re

    assert "require_vaccinations" not in re.sub(r"<[^>]+>", "", page)  # a label, never the setting's code
    assert "Wave size" not in page
    assert "Dispatch policy" not in page
    assert "La première personne qui accepte est retenue" in page  # the policy is a list of choices
    form = next(f for f in client.get("/admin/poles/").context["pole_forms"] if f.prefix == "remplacement")
    data = {"remplacement-enabled": "on"}
    for name in form.fields:
        value = form.initial.get(name)
        if isinstance(value, dict):
            import json

            value = json.dumps(value)
        if value not in (None, False, ""):
            data[f"remplacement-{name}"] = "on" if value is True else value
    data["remplacement-setting_wave_size"] = "-3"
    response = client.post("/admin/poles/", data)
    assert response.status_code == 200
    assert "Assurez-vous que cette valeur est supérieure ou égale à 1." in response.content.decode()
