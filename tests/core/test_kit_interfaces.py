"""Kit and drift from the commands and from the platform admins' back office."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django_tenants.utils import schema_context

from core.models import CatalogueService
from tenants.services import territory_clone


@pytest.fixture
def platform_admin(test_territories, db):
    connection.set_schema_to_public()
    return get_user_model().objects.create_superuser("plateforme", "p@example.org", "motdepasse-plateforme-1")


def _title(territory, code):
    with schema_context(territory.schema_name):
        return CatalogueService.objects.get(code=code).title


def _retitle(territory, code, title):
    with schema_context(territory.schema_name):
        CatalogueService.objects.filter(code=code).update(title=title)


def test_kit_commands_round_trip(territory, other_territory, tmp_path, capsys):
    _retitle(territory, "support-paie", "Paie bretonne")
    path = tmp_path / "kit.tar.gz"
    call_command("kit_export", "35", "-o", str(path))
    call_command("kit_import", str(path), "--territory", "22")
    assert "Kit importé dans « Côtes-d'Armor »" in capsys.readouterr().out
    assert _title(other_territory, "support-paie") == "Paie bretonne"
    call_command("kit_import", str(path), "--code", "56", "--name", "Morbihan")
    from tenants.models import Territory

    assert _title(Territory.objects.get(code="56"), "support-paie") == "Paie bretonne"


def test_kit_import_command_refuses_a_corrupt_kit(other_territory, tmp_path):
    path = tmp_path / "kit.tar.gz"
    path.write_bytes(b"\x1f\x8b pas du tout")
    with pytest.raises(CommandError, match="Archive"):
        call_command("kit_import", str(path), "--territory", "22")


def test_territory_drift_command_lists_and_pulls(territory, capsys):
    clone = territory_clone(source=territory, code="29", name="Finistère")
    _retitle(territory, "support-rh", "RH (modèle)")
    call_command("territory_drift", "29")
    out = capsys.readouterr().out
    assert "mise à jour du modèle" in out
    assert "[catalogue:support-rh]" in out
    call_command("territory_drift", "29", "--pull-all")
    assert _title(clone, "support-rh") == "RH (modèle)"


def test_admin_drift_view_shows_conflicts_and_applies_decisions(territory, platform_admin, public_client):
    clone = territory_clone(source=territory, code="29", name="Finistère")
    _retitle(territory, "support-rh", "RH (modèle)")
    _retitle(clone, "support-rh", "RH (Finistère)")
    _retitle(territory, "support-paie", "Paie (modèle)")
    public_client.force_login(platform_admin)
    url = f"/plateforme/admin/tenants/territory/{clone.pk}/ecarts/"
    page = public_client.get(url).content.decode()
    assert "Conflits à trancher (1)" in page
    assert "RH (Finistère)" in page
    assert "RH (modèle)" in page
    response = public_client.post(url, {"pull": ["catalogue:support-paie"], "resolve:catalogue:support-rh": "theirs"})
    assert response.status_code == 302
    assert _title(clone, "support-rh") == "RH (modèle)"
    assert _title(clone, "support-paie") == "Paie (modèle)"


def test_admin_kit_export_and_import(territory, other_territory, platform_admin, public_client):
    _retitle(territory, "support-paie", "Paie bretonne")
    public_client.force_login(platform_admin)
    archive = public_client.get(f"/plateforme/admin/tenants/territory/{territory.pk}/kit/")
    assert archive["Content-Type"] == "application/gzip"
    url = f"/plateforme/admin/tenants/territory/{other_territory.pk}/kit/importer/"
    bad = public_client.post(url, {"archive": SimpleUploadedFile("kit.tar.gz", b"abime")})
    assert "Archive illisible" in bad.content.decode()
    assert _title(other_territory, "support-paie") != "Paie bretonne"
    good = public_client.post(url, {"archive": SimpleUploadedFile("kit.tar.gz", io.BytesIO(archive.content).read())})
    assert good.status_code == 302
    assert _title(other_territory, "support-paie") == "Paie bretonne"
    change = public_client.get(f"/plateforme/admin/tenants/territory/{other_territory.pk}/change/").content.decode()
    assert "Écarts avec le modèle" in change


def test_wagtail_drift_report_in_the_territory_admin(territory):
    from django.test import Client

    clone = territory_clone(source=territory, code="29", name="Finistère")
    _retitle(territory, "support-rh", "RH (modèle)")
    _retitle(clone, "support-rh", "RH (Finistère)")
    _retitle(territory, "support-paie", "Paie (modèle)")
    client = Client(HTTP_HOST=clone.primary_domain)
    with schema_context(clone.schema_name):
        User = get_user_model()
        admin = User.objects.create_superuser("admin29", "a@example.org", "motdepasse-29-admin")
        editor = User.objects.create_user("redac29", "r@example.org", "motdepasse-29-redac", is_staff=True)
        client.force_login(editor)
        assert client.get("/admin/ecarts-avec-le-modele/").status_code in (302, 403)
        client.force_login(admin)
    page = client.get("/admin/ecarts-avec-le-modele/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Conflits à trancher (1)" in html
    assert "Mises à jour du modèle (1)" in html
    response = client.post(
        "/admin/ecarts-avec-le-modele/", {"pull": ["catalogue:support-paie"], "resolve:catalogue:support-rh": "ours"}
    )
    assert response.status_code == 302
    assert _title(clone, "support-paie") == "Paie (modèle)"
    assert _title(clone, "support-rh") == "RH (Finistère)"
    assert "Conflits à trancher (0)" in client.get("/admin/ecarts-avec-le-modele/").content.decode()
