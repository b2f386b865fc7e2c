"""A territory's admin switches poles on and off and edits their settings; a switched-off pole vanishes."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from core.plugins import pole_settings
from core.services.catalogue import catalogue_service_list
from core.services.poles import pole_settings_validate, territory_pole_configure
from tenants.models import Territory, TerritoryPole


def fresh(territory):
    return Territory.objects.get(pk=territory.pk)


def test_the_screen_lists_every_pole_with_its_settings(client_35, territory_admin):
    client_35.force_login(territory_admin)
    response = client_35.get("/admin/poles/")
    assert response.status_code == 200
    page = response.content.decode()
    for label in ("Pôle support", "Pôle développement", "Pôle remplacement"):
        assert label in page
    assert 'name="remplacement-setting_wave_size"' in page


def test_an_admin_switches_a_pole_off_and_edits_settings(client_35, territory_admin, territory):
    client_35.force_login(territory_admin)
    form = client_35.get("/admin/poles/").context["pole_forms"]
    data = {}
    for pole_form in form:
        for name in pole_form.fields:
            value = pole_form.initial.get(name)
            if value not in (None, False):
                data[f"{pole_form.prefix}-{name}"] = (
                    "on" if value is True else json.dumps(value) if isinstance(value, dict) else value
                )
    del data["developpement-enabled"]
    data["support-setting_reminder_days_before"] = "5"
    response = client_35.post("/admin/poles/", data)
    assert response.status_code == 302
    assert TerritoryPole.objects.get(territory=territory, pole="developpement").enabled is False
    assert pole_settings("support", fresh(territory))["reminder_days_before"] == 5


def test_a_bad_setting_is_refused_with_a_french_error(client_35, territory_admin, territory):
    client_35.force_login(territory_admin)
    response = client_35.post("/admin/poles/", {"support-enabled": "on", "support-setting_reminder_days_before": "x"})
    assert response.status_code == 200
    assert "Saisissez un nombre entier" in response.content.decode()
    assert not TerritoryPole.objects.filter(territory=territory, pole="support").exists()


def test_only_platform_admins_reach_the_screen(client_35, tenant):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    user = get_user_model().objects.create_user("agent", "agent@example.org", "motdepasse-agent-1")
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client_35.force_login(user)
    assert client_35.get("/admin/poles/").status_code in (302, 403)


@pytest.mark.parametrize(
    ("settings", "key", "message"),
    [
        ({"surprise": 1}, "surprise", "Réglage inconnu"),
        ({"reminder_days_before": "3"}, "reminder_days_before", "un nombre entier"),
        ({"reminder_days_before": True}, "reminder_days_before", "un nombre entier"),
        ({"platform_name": 12}, "platform_name", "un texte"),
    ],
)
def test_settings_are_checked_against_the_pole_defaults(settings, key, message):
    with pytest.raises(ValidationError) as excinfo:
        pole_settings_validate(pole="support", settings=settings)
    assert message in excinfo.value.message_dict[key][0]


def test_an_unknown_pole_or_settings_that_are_not_a_dict_are_refused():
    with pytest.raises(ValidationError, match="Pôle inconnu"):
        pole_settings_validate(pole="nope", settings={})
    with pytest.raises(ValidationError, match="dictionnaire"):
        pole_settings_validate(pole="support", settings=["a"])


def test_a_switched_off_pole_vanishes_from_the_catalogue_listing(tenant, territory, territory_admin):
    assert catalogue_service_list().filter(pole="developpement").exists()
    territory_pole_configure(territory=connection.tenant, pole="developpement", enabled=False, actor=territory_admin)
    assert not catalogue_service_list().filter(pole="developpement").exists()
    assert catalogue_service_list().filter(pole="support").exists()
    assert pole_settings("support") == {
        "platform_name": "Plateforme Petite Enfance", "reminder_days_before": 3, "max_proposals": 5,
    }  # fmt: skip


def test_a_switched_off_pole_vanishes_from_the_forms(tenant, territory, territory_admin):
    from core.services.cases import case_open
    from tests.plugins.support.helpers import DEMANDE
    from workflows.exceptions import UnknownWorkflow

    assert case_open(workflow="support-accompagnement", data=dict(DEMANDE), actor=None, channel="public")
    territory_pole_configure(territory=connection.tenant, pole="support", enabled=False, actor=territory_admin)
    with pytest.raises(UnknownWorkflow, match="n'est pas proposé"):
        case_open(workflow="support-accompagnement", data=dict(DEMANDE), actor=None, channel="public")


def test_a_switched_off_pole_vanishes_from_the_catalogue_api(client_35, territory, territory_admin):
    client_35.force_login(territory_admin)
    poles = {item["pole"] for item in client_35.get("/api/v1/catalogue/?page_size=200").json()["results"]}
    assert "developpement" in poles
    TerritoryPole.objects.create(territory=territory, pole="developpement", enabled=False)
    poles = {item["pole"] for item in client_35.get("/api/v1/catalogue/?page_size=200").json()["results"]}
    assert "developpement" not in poles
    assert "support" in poles


def test_the_ranking_weights_are_three_french_number_fields_never_json(client_35, territory_admin, territory):
    import html

    client_35.force_login(territory_admin)
    page = client_35.get("/admin/poles/")
    text = html.unescape(page.content.decode())
    assert "Poids du classement : proximité" in text
    assert 'name="remplacement-setting_weights"' not in text
    assert '{"proximity"' not in text
    form = next(f for f in page.context["pole_forms"] if f.prefix == "remplacement")
    data = {"support-enabled": "on", "developpement-enabled": "on", "remplacement-enabled": "on"}
    for pole_form in page.context["pole_forms"]:
        for name in pole_form.fields:
            value = pole_form.initial.get(name)
            if value not in (None, False, ""):
                data[f"{pole_form.prefix}-{name}"] = "on" if value is True else value
    assert form.initial["setting_weights__fairness"] == 0.35
    data["remplacement-setting_weights__fairness"] = "0.4"
    answer = client_35.post("/admin/poles/", data)
    assert answer.status_code == 302, html.unescape(answer.content.decode())[-3000:]
    assert pole_settings("remplacement", fresh(territory))["weights"] == {
        "proximity": 0.5, "fairness": 0.4, "preference": 0.15
    }  # fmt: skip
    data["remplacement-setting_weights__fairness"] = "2"
    refused = client_35.post("/admin/poles/", data)
    assert refused.status_code == 200
    assert "inférieure ou égale à 1" in html.unescape(refused.content.decode())
