"""The support pole's admin screens: rules with CEL errors shown with their position, convention templates."""

import pytest
from django.core.exceptions import ValidationError

from core.models import CatalogueService
from plugins.support.models import ConventionTemplate, ProposalRule
from tenants.models import TerritoryPole


def rule_form(**overrides):
    data = {
        "name": "Règle d'essai",
        "condition": "profile.axes.paie < 40",
        "service_code": "support-paie",
        "priority": "50",
        "reason": "Essai.",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def test_an_admin_adds_a_rule(client_35, territory_admin):
    client_35.force_login(territory_admin)
    response = client_35.post("/admin/support_rules/new/", rule_form(code="essai"))
    assert response.status_code == 302
    assert ProposalRule.objects.filter(name="Règle d'essai", condition="profile.axes.paie < 40").exists()


def test_a_rule_with_a_syntax_error_shows_its_position(client_35, territory_admin):
    client_35.force_login(territory_admin)
    response = client_35.post("/admin/support_rules/new/", rule_form(condition="profile.axes.paie <"))
    assert response.status_code == 200
    assert "ligne 1, colonne 20" in response.content.decode()
    assert not ProposalRule.objects.filter(name="Règle d'essai").exists()


def test_a_rule_naming_an_unknown_service_is_refused(client_35, territory_admin):
    client_35.force_login(territory_admin)
    response = client_35.post("/admin/support_rules/new/", rule_form(service_code="inconnu"))
    assert "Aucun service du catalogue" in response.content.decode()


def test_admins_list_convention_templates_and_a_forbidden_tag_is_refused(client_35, territory_admin):
    client_35.force_login(territory_admin)
    response = client_35.get("/admin/support_conventions/")
    assert response.status_code == 200
    assert "Convention d&#x27;accompagnement" in response.content.decode()
    template = ConventionTemplate.objects.get(code="convention-structure")
    template.body += "<p>{% load static %}</p>"
    with pytest.raises(ValidationError) as excinfo:
        template.full_clean()
    assert "n'est pas autorisée" in excinfo.value.message_dict["body"][0]


def test_the_pole_screens_vanish_when_the_pole_is_switched_off(client_35, territory_admin, territory):
    client_35.force_login(territory_admin)
    assert "pole-support" in client_35.get("/admin/").content.decode()
    TerritoryPole.objects.create(territory=territory, pole="support", enabled=False)
    assert client_35.get("/admin/support_rules/").status_code == 404
    assert "pole-support" not in client_35.get("/admin/").content.decode()


def test_admins_edit_catalogue_services(client_35, territory_admin):
    client_35.force_login(territory_admin)
    service = CatalogueService.objects.get(code="support-paie")
    response = client_35.post(
        f"/admin/catalogue_services/edit/{service.pk}/",
        {"title": "Paie et DSN", "summary": service.summary, "description": "", "audience": "structure",
         "is_active": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    service.refresh_from_db()
    assert service.title == "Paie et DSN"
