"""Territories are created by cloning the template schema, with clear errors on bad input."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from core.models import CatalogueService
from tenants.models import Domain, Territory
from tenants.services import territory_create


def _migrations(schema):
    with schema_context(schema), connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        return cursor.fetchall()


def test_territory_create_clones_the_template(test_territories, db):
    territory = territory_create(code="29", name="Finistère")
    assert territory.schema_name == "dep_29"
    assert territory.primary_domain == "finistere.localhost"
    assert territory.cloned_from.schema_name == "template"
    # same migration state as the template, recorded without being re-run
    assert _migrations("dep_29") == _migrations("template")
    with schema_context("dep_29"):
        from wagtail.models import Site

        site = Site.objects.get(is_default_site=True)
        assert site.site_name == "Finistère"
        assert site.root_page.specific.title == "Plateforme Petite Enfance — Finistère"
        assert CatalogueService.objects.filter(pole="support").exists()


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"code": "123", "name": "X"}, "code", "Code de département invalide"),
        ({"code": "35", "name": "Doublon"}, "code", "existe déjà"),
        ({"code": "56", "name": ""}, "name", "obligatoire"),
        ({"code": "56", "name": "Morbihan", "domain": "pas un domaine!"}, "domain", "Nom de domaine invalide"),
        ({"code": "56", "name": "Morbihan", "domain": "ille-et-vilaine.localhost"}, "domain", "déjà utilisé"),
    ],
)
def test_territory_create_refuses_bad_input_and_writes_nothing(test_territories, db, kwargs, field, message):
    before = (Territory.objects.count(), Domain.objects.count())
    with pytest.raises(ValidationError) as excinfo:
        territory_create(**kwargs)
    assert message in " ".join(excinfo.value.message_dict[field])
    assert (Territory.objects.count(), Domain.objects.count()) == before
    assert not schema_exists("dep_56")


def test_territory_create_command(test_territories, db, capsys):
    call_command("territory_create", "--code", "44", "--name", "Loire-Atlantique")
    out = capsys.readouterr().out
    assert "Loire-Atlantique" in out
    assert "loire-atlantique.localhost" in out
    assert Territory.objects.filter(code="44", schema_name="dep_44").exists()


def test_territory_create_command_reports_errors_in_french(test_territories, db):
    with pytest.raises(CommandError, match="Code de département invalide"):
        call_command("territory_create", "--code", "00", "--name", "Nulle part")
