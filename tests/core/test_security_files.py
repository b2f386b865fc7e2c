"""Private files stay private in every mode (DEBUG on and off, in process and through a live server like
`make run`'s): every file a territory stores is refused at its media URL, anonymously and from another
territory; the permission-checked download views hand them only to the people who may see them."""

from __future__ import annotations

import importlib
import urllib.error
import urllib.request

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import clear_url_caches
from django_tenants.utils import schema_context

from tenants.storage import PrivateURLError, private_storage
from tests.core.test_uploads import PDF
from tests.live import free_port, server_start, server_stop

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _walk(storage, folder: str = "") -> list[str]:
    directories, files = storage.listdir(folder)
    names = [f"{folder}/{name}" if folder else name for name in files]
    for directory in directories:
        names += _walk(storage, f"{folder}/{directory}" if folder else directory)
    return names


def _stored_files(schema: str) -> list[tuple[str, str]]:
    """(storage, name) of every file the territory holds, in the private and the default (media) storages."""
    with schema_context(schema):
        return [("private", name) for name in _walk(private_storage())] + [
            ("default", name) for name in _walk(default_storage)
        ]


def _published(storage: str, name: str) -> bool:
    """Wagtail's images are the only media: the rest (documents, through their serve view) has no media URL."""
    return storage == "default" and name.startswith(("images/", "original_images/")) and name.endswith(".png")


def _files_delete(made: dict) -> None:
    with schema_context(made["schema"]):
        for name in made["private"]:
            private_storage().delete(name)
        default_storage.delete(made["image"])


@pytest.fixture
def made(territory):
    """Files of a case of 35 (rows rolled back with the test, files deleted after it)."""
    made = _case_with_files(territory)
    yield made
    _files_delete(made)


def _case_with_files(territory) -> dict:
    """A real case of the demo with an attachment, an internal attachment and a convention-like PDF, created
    through the services; and a published image. Returns what the test fetches."""
    from core.models import Case
    from core.services.case_updates import case_attachment_add
    from tests.people import person_invite

    connection.set_tenant(territory)
    case = Case.objects.exclude(structure=None).order_by("pk").first()
    worker = person_invite(territory, role="case_worker")
    visible = case_attachment_add(
        case=case, file=SimpleUploadedFile("devis-crèche.pdf", PDF, "application/pdf"), actor=worker
    )
    internal = case_attachment_add(
        case=case,
        file=SimpleUploadedFile("note-interne.pdf", PDF, "application/pdf"),
        actor=worker,
        visibility="internal",
    )
    convention = private_storage().save(
        f"support/conventions/convention-{case.reference}-structure.pdf", ContentFile(PDF)
    )
    image = default_storage.save("original_images/logo-essai.png", ContentFile(PNG))
    return {
        "schema": territory.schema_name,
        "case": case,
        "worker": worker,
        "visible": visible,
        "internal": internal,
        "image": image,
        "private": [visible.file.name, internal.file.name, convention],
    }


def test_private_files_have_no_url(tenant):
    name = private_storage().save("essai/secret.txt", ContentFile(b"secret"))
    try:
        with pytest.raises(PrivateURLError):
            private_storage().url(name)
        assert "/media/" not in private_storage().path(name)
        assert f"/{tenant.schema_name}/" in private_storage().path(name)
    finally:
        private_storage().delete(name)


# --- In process, DEBUG off and on ---------------------------------------------------------------------------
@pytest.fixture(params=[False, True], ids=["debug-off", "debug-on"])
def debug_mode(request, settings):
    settings.DEBUG = request.param
    import core.urls

    clear_url_caches()
    importlib.reload(core.urls)  # what `make run` would route with this DEBUG
    yield request.param
    clear_url_caches()
    importlib.reload(core.urls)


@pytest.mark.usefixtures("debug_mode")
def test_every_stored_file_is_refused_at_its_media_url(made, territory, other_territory, client_35, client_22):
    files = _stored_files(territory.schema_name)
    assert {("private", made["visible"].file.name), ("private", made["internal"].file.name)} <= set(files)
    connection.set_schema_to_public()
    for storage, name in files:
        url = f"/media/{territory.schema_name}/{name}"
        own = client_35.get(url)
        assert own.status_code == (200 if _published(storage, name) else 404), url
        assert client_22.get(url).status_code == 404, url  # another territory's host never serves it
        with schema_context(other_territory.schema_name):
            also_in_22 = (default_storage if storage == "default" else private_storage()).exists(name)
        if not also_in_22:  # 22's own copy of a demo image (same name) is 22's to publish
            assert client_22.get(f"/media/{other_territory.schema_name}/{name}").status_code == 404, url
    assert client_35.get(f"/media/{territory.schema_name}/{made['image']}")["Content-Type"] == "image/png"
    assert client_35.get(f"/media/{territory.schema_name}/{made['private'][2]}").status_code == 404
    assert client_35.get(f"/media/{territory.schema_name}/../{territory.schema_name}/x").status_code == 404


def test_downloads_are_refused_to_outsiders_and_given_to_the_team(made, territory, other_territory, client_35):
    from tests.people import person_client, person_invite

    visible, internal = made["visible"], made["internal"]
    anonymous = client_35.get(f"/admin/dossiers/piece-jointe/{visible.pk}/")
    assert anonymous.status_code in (302, 403)
    assert b"%PDF" not in anonymous.content
    outsider = person_client(other_territory, person_invite(other_territory, role="platform_admin"))
    assert outsider.get(f"/admin/dossiers/piece-jointe/{visible.pk}/").status_code in (403, 404)
    connection.set_tenant(territory)
    team = person_client(territory, made["worker"])
    download = team.get(f"/admin/dossiers/piece-jointe/{internal.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert {"private", "no-store"} <= {part.strip() for part in download["Cache-Control"].split(",")}
    assert download["Content-Disposition"] == 'attachment; filename="note-interne.pdf"'
    member = person_invite(territory, role="structure_member", structure=made["case"].structure)
    structure_client = person_client(territory, member)
    assert structure_client.get(f"/admin/dossiers/piece-jointe/{internal.pk}/").status_code == 404
    own = structure_client.get(f"/admin/dossiers/piece-jointe/{visible.pk}/")
    assert own.status_code == 200
    assert "filename*=utf-8''devis-cr%C3%A8che.pdf" in own["Content-Disposition"]


def test_x_accel_redirect_hands_the_transfer_to_nginx(tenant, settings, rf):
    from core.downloads import storage_response

    settings.PPE_FILE_SERVE = "x-accel-redirect"
    name = private_storage().save("essai/accel.pdf", ContentFile(PDF))
    try:
        response = storage_response(private_storage(), name, filename="Accel.pdf")
        assert response["X-Accel-Redirect"] == f"/_private/{tenant.schema_name}/{name}"
        assert response.content == b""
        settings.PPE_FILE_SERVE = "x-sendfile"
        response = storage_response(private_storage(), name, filename="Accel.pdf")
        assert response["X-Sendfile"] == private_storage().path(name)
    finally:
        private_storage().delete(name)


# --- Through a live server, DEBUG off and on (as `make run` serves) -----------------------------------------
@pytest.fixture(scope="module", params=["false", "true"], ids=["live-debug-off", "live-debug-on"])
def make_run_server(request, scratch_demo_territory, django_db_blocker):
    with django_db_blocker.unblock():
        made = _case_with_files(scratch_demo_territory)
        files = _stored_files(scratch_demo_territory.schema_name)
        connection.set_schema_to_public()
    port = free_port()
    process = server_start(port, PPE_TEST_DEBUG=request.param)
    try:
        yield port, made, files, request.param == "true"
    finally:
        server_stop(process)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer of its own (to the login page)


_opener = urllib.request.build_opener(_NoRedirect)


def _status(url: str, host: str) -> int:
    request = urllib.request.Request(url, headers={"Host": host})
    try:
        with _opener.open(request, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_live_server_refuses_every_stored_file(make_run_server, scratch_demo_territory, other_territory):
    port, made, files, _debug = make_run_server
    own_host, other_host = scratch_demo_territory.primary_domain, other_territory.primary_domain
    schema = scratch_demo_territory.schema_name
    assert len(files) >= 3
    for storage, name in files:
        url = f"http://127.0.0.1:{port}/media/{schema}/{name}"
        assert _status(url, own_host) == (200 if _published(storage, name) else 404), name
        assert _status(url, other_host) == 404, name
    download = (
        f"http://127.0.0.1:{port}/api/v1/cases/{made['case'].reference}/attachments/{made['visible'].pk}/download/"
    )
    assert _status(download, own_host) in (401, 403)
    assert _status(download, other_host) in (401, 403, 404)
    assert _status(f"http://127.0.0.1:{port}/admin/dossiers/piece-jointe/{made['visible'].pk}/", own_host) == 302


def test_hosts_answer_favicon_robots_and_french_404s(make_run_server, scratch_demo_territory):
    port, debug = make_run_server[0], make_run_server[3]
    base = f"http://127.0.0.1:{port}"
    for host in ("localhost", scratch_demo_territory.primary_domain.upper() + "."):
        assert _status(f"{base}/favicon.ico", host) == 200
        assert _status(f"{base}/robots.txt", host) == 200
    assert _status(f"{base}/une-page-qui-n-existe-pas/", "localhost") == 404
    request = urllib.request.Request(f"{base}/wp-login.php", headers={"Host": "localhost"})
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=20)
    assert error.value.code == 404
    if not debug:  # with DEBUG on, Django's own page explains the routing to the developer
        assert "Page introuvable" in error.value.read().decode()


# --- The public host and host names, in process -------------------------------------------------------------
@pytest.mark.parametrize("path", ["/favicon.ico", "/robots.txt", "/wp-admin/", "/media/dep_35/x.pdf", "/a/b/c"])
def test_public_host_answers_its_own_404_or_the_file(db, public_client, path):
    response = public_client.get(path)
    if path in ("/favicon.ico", "/robots.txt"):
        assert response.status_code == 200
    else:
        assert response.status_code == 404
        assert "Page introuvable" in response.content.decode()


def test_robots_and_favicon_on_a_territory(client_35):
    robots = client_35.get("/robots.txt")
    assert robots.status_code == 200
    assert "Disallow: /admin/" in robots.content.decode()
    assert client_35.get("/favicon.ico")["Content-Type"] == "image/x-icon"


def test_host_names_match_case_insensitively_and_with_a_trailing_dot(territory):
    host = territory.primary_domain
    for variant in (host.upper(), f"{host}.", f"{host.title()}.:80"):
        response = Client(HTTP_HOST=variant).get("/api/v1/territory/")
        assert response.status_code in (200, 401, 403), variant
        assert response.status_code != 404, variant
