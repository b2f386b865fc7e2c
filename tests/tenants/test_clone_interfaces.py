"""Cloning from the command (with a progress bar), the platform admins' back office and their API."""

import base64
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django_tenants.utils import schema_context

from tenants.models import ProvisioningJob, Territory
from tenants.services import schema_name_for


@pytest.fixture
def platform_admin(test_territories, db):
    connection.set_schema_to_public()
    return get_user_model().objects.create_superuser("plateforme", "p@example.org", "motdepasse-plateforme-1")


def test_territory_clone_command_shows_progress(territory, capsys):
    call_command("territory_clone", "--from", "35", "--code", "56", "--name", "Morbihan")
    out = capsys.readouterr().out
    assert "1/4 Vérification de la demande" in out
    assert "4/4 Configuration du territoire" in out
    assert "cloné depuis « Ille-et-Vilaine (35) »" in out
    assert Territory.objects.get(code="56").cloned_from == territory


def test_territory_clone_command_invites_the_first_admin_and_shows_the_link(territory, capsys, settings):
    from core.roles import Role, user_roles
    from tests.people import invitation_follow

    settings.PPE_URL_PORT = "8018"
    call_command(
        "territory_clone", "--from", "35", "--code", "56", "--name", "Morbihan",
        "--admin-email", "direction@morbihan.example.org", "--admin-first-name", "Anne",
    )  # fmt: skip
    out = capsys.readouterr().out
    assert "adresse http://morbihan.localhost:8018/" in out
    link = re.search(r"Lien d'invitation à lui transmettre : (\S+)", out).group(1)
    assert link.startswith("http://morbihan.localhost:8018/compte/invitation/")
    assert "mot de passe" not in out.lower()
    invitation_follow(link)  # she sets her own password on the new territory's host
    created = Territory.objects.get(code="56")
    with schema_context(created.schema_name):
        admin = get_user_model().objects.get(username="direction@morbihan.example.org")
        assert admin.is_superuser is False
        assert Role.PLATFORM_ADMIN in user_roles(admin)


def test_territory_clone_command_refuses_an_unknown_source(territory):
    with pytest.raises(CommandError, match="Territoire source inconnu"):
        call_command("territory_clone", "--from", "99", "--code", "56", "--name", "Morbihan")


def test_admin_clone_form_runs_the_clone_as_a_job_and_shows_its_progress(
    territory, platform_admin, public_client, django_capture_on_commit_callbacks
):
    public_client.force_login(platform_admin)
    page = public_client.get(f"/plateforme/admin/tenants/territory/cloner/?source={territory.pk}")
    assert page.status_code == 200
    assert "Cloner un territoire" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):  # the worker picks the job up once it is committed
        response = public_client.post(
            "/plateforme/admin/tenants/territory/cloner/",
            {
                "source": territory.pk,
                "code": "56",
                "name": "Morbihan",
                "first_admin_email": "anne@morbihan.example.org",
            },
        )
    job = ProvisioningJob.objects.get(created_by=platform_admin.username)
    assert response.status_code == 302
    assert response["Location"].endswith(f"/tenants/territory/creations/{job.pk}/")
    created = Territory.objects.get(code="56")
    assert (job.status, job.territory, job.step, job.total, job.error) == ("done", created, 5, 5, "")
    assert "/compte/invitation/" in job.invitation_url
    assert created.cloned_from == territory
    assert created.is_draft
    page = public_client.get(response["Location"]).content.decode()
    assert "Terminé" in page
    assert 'value="100"' in page
    assert "son site est un <b>brouillon</b>" in page
    assert job.invitation_url in page


def test_admin_clone_form_shows_french_errors(territory, platform_admin, public_client):
    public_client.force_login(platform_admin)
    response = public_client.post("/plateforme/admin/tenants/territory/cloner/", {"code": "35", "name": "Doublon"})
    assert response.status_code == 200
    assert "Le territoire du département 35 existe déjà." in response.content.decode()


def test_admin_action_sends_to_the_clone_form(territory, platform_admin, public_client):
    public_client.force_login(platform_admin)
    response = public_client.post(
        "/plateforme/admin/tenants/territory/",
        {"action": "clone_selected", "_selected_action": [territory.pk]},
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"/cloner/?source={territory.pk}")


def _basic(user="plateforme", password="motdepasse-plateforme-1"):  # noqa: S107
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_api_clones_a_territory_for_platform_admins(territory, platform_admin, public_client):
    from cms.models import ServicePage

    response = public_client.post(
        "/plateforme/api/v1/territoires/",
        {"code": "56", "name": "Morbihan", "source": "35"},
        content_type="application/json",
        **_basic(),
    )
    assert response.status_code == 201, response.content
    assert response.json()["domain"] == "morbihan.localhost"
    assert response.json()["cloned_from"] == territory.slug
    with schema_context(schema_name_for("56")):
        pages = {page.slug: page.service.code for page in ServicePage.objects.select_related("service")}
    assert pages
    assert all(slug == code for slug, code in pages.items())
    listed = public_client.get("/plateforme/api/v1/territoires/", **_basic()).json()
    assert "56" in {entry["code"] for entry in listed}


def test_api_refuses_bad_input_in_french_and_strangers(territory, platform_admin, public_client):
    response = public_client.post(
        "/plateforme/api/v1/territoires/", {"code": "00", "name": "X"}, content_type="application/json", **_basic()
    )
    assert response.status_code == 400
    assert "Code de département invalide" in response.json()["code"][0]
    stranger = public_client.post(
        "/plateforme/api/v1/territoires/", {"code": "56", "name": "X"}, content_type="application/json"
    )
    assert stranger.status_code in (401, 403)
    assert not Territory.objects.filter(code="56").exists()
