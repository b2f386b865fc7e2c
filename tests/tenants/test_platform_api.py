"""The platform admins' API on the public host: detail and checklist, publication, deletion (never the
platform's own rows), kit, drift with undo, backups — each behind its Django permission (deny by default)."""

from __future__ import annotations

import base64
import io
import stat
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django_tenants.utils import schema_context

from core.models import CatalogueService
from tenants.models import Territory, TerritoryBackup
from tenants.services import template_ensure, territory_clone

PASSWORD = "motdepasse-plateforme-1"


def _staff(*codenames: str):
    connection.set_schema_to_public()
    user = get_user_model().objects.create_user(
        f"api-{len(codenames)}-{'-'.join(codenames)[:40]}", "p@example.org", PASSWORD, is_staff=True
    )
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="tenants", codename__in=codenames))
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"{user.username}:{PASSWORD}".encode()).decode()}


ALL = ("view_territory", "add_territory", "change_territory", "delete_territory", "view_territorybackup")


def test_permissions_are_denied_by_default(territory, public_client):
    nothing = _staff()
    assert public_client.get("/plateforme/api/v1/territoires/35/", **nothing).status_code == 403
    reader = _staff("view_territory")
    assert public_client.get("/plateforme/api/v1/territoires/35/", **reader).status_code == 200
    assert public_client.post("/plateforme/api/v1/territoires/35/sauvegardes/", **reader).status_code == 403
    assert public_client.delete("/plateforme/api/v1/territoires/35/", **reader).status_code == 403


def test_clone_gives_a_draft_with_its_checklist_and_publication(territory, public_client):
    auth = _staff(*ALL)
    response = public_client.post(
        "/plateforme/api/v1/territoires/",
        {"code": "56", "name": "Morbihan", "source": "35", "first_admin_email": "admin@morbihan.example.org"},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["draft"] is True
    assert "password" not in str(body).lower()
    assert body["invitation_error"] == ""
    assert body["invitation_url"].startswith(f"http://{body['domain']}/compte/invitation/"), body
    detail = public_client.get("/plateforme/api/v1/territoires/56/", **auth).json()
    kinds = {entry["kind"] for entry in detail["checklist"]}
    assert kinds == {"name", "email", "legal"}
    published = public_client.post("/plateforme/api/v1/territoires/56/publier/", **auth)
    assert published.status_code == 200
    assert published.json()["draft"] is False
    again = public_client.post("/plateforme/api/v1/territoires/56/publier/", **auth)
    assert again.status_code == 400
    assert again.json()["territory"] == ["Le site de « Morbihan » est déjà publié."]


def test_the_platform_rows_cannot_be_deleted_but_a_territory_can(territory, public_client):
    auth = _staff(*ALL)
    template = template_ensure()
    refused = public_client.delete(f"/plateforme/api/v1/territoires/{template.slug}/", **auth)
    assert refused.status_code == 403
    assert "appartient à la plateforme" in refused.json()["detail"]
    territory_clone(code="29", name="Finistère")
    assert public_client.delete("/plateforme/api/v1/territoires/29/", **auth).status_code == 204
    assert not Territory.objects.filter(code="29").exists()


def test_kit_and_drift_with_undo(territory, public_client):
    auth = _staff(*ALL)
    clone = territory_clone(source=territory, code="56", name="Morbihan")
    kit = public_client.get("/plateforme/api/v1/territoires/56/kit/", **auth)
    assert kit["Content-Type"] == "application/gzip"
    bad = public_client.post("/plateforme/api/v1/territoires/56/kit/", {"archive": io.BytesIO(b"pas un kit")}, **auth)
    assert bad.status_code == 400
    assert "Archive illisible" in bad.json()["archive"][0]
    with schema_context(territory.schema_name):
        CatalogueService.objects.filter(code="support-rh").update(summary="RH, nouvelle offre")
    drift = public_client.get("/plateforme/api/v1/territoires/56/ecarts/", **auth).json()
    (update,) = [row for row in drift["updates"] if row["ident"] == "catalogue:support-rh"]
    assert update["label"] == "Catalogue de services : « Accompagnement en ressources humaines »"
    assert update["changes"][0]["theirs"] == "RH, nouvelle offre"
    merged = public_client.post(
        "/plateforme/api/v1/territoires/56/ecarts/",
        {"pull": ["catalogue:support-rh"]},
        content_type="application/json",
        **auth,
    ).json()
    assert merged["pulled"] == ["catalogue:support-rh"]
    with schema_context(clone.schema_name):
        assert CatalogueService.objects.get(code="support-rh").summary == "RH, nouvelle offre"
    undone = public_client.post(f"/plateforme/api/v1/territoires/56/ecarts/fusions/{merged['merge']}/annuler/", **auth)
    assert undone.status_code == 200
    with schema_context(clone.schema_name):
        assert CatalogueService.objects.get(code="support-rh").summary != "RH, nouvelle offre"


@pytest.mark.slow
def test_backup_through_the_api_is_an_owner_only_file_downloaded_with_its_permission(other_territory, public_client):
    auth = _staff("view_territory", "change_territory")
    created = public_client.post("/plateforme/api/v1/territoires/22/sauvegardes/", **auth)
    assert created.status_code == 201, created.content
    backup = TerritoryBackup.objects.get(pk=created.json()["id"])
    try:
        mode = Path(backup.file.path).stat().st_mode
        assert stat.S_IMODE(mode) == 0o600
        assert public_client.get(f"/plateforme/api/v1/sauvegardes/{backup.pk}/", **auth).status_code == 403
        downloader = _staff("view_territory", "view_territorybackup")
        response = public_client.get(f"/plateforme/api/v1/sauvegardes/{backup.pk}/", **downloader)
        assert response.status_code == 200
        assert b"".join(response.streaming_content)[:2] == b"\x1f\x8b"  # gzip
    finally:
        backup.file.delete(save=False)
