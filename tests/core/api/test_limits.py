"""Input limits: deep JSON, huge bodies and control characters get a clear French 400/413/422 problem, never a
500; the public host's unknown paths are its French 404 page with DEBUG on and off."""

import json

import pytest
from django.test import override_settings

from tests.core.api.test_errors import assert_problem


def test_json_nested_2000_deep_is_a_400_problem(api_as):
    body = "[" * 2000 + "]" * 2000
    response = api_as("case_worker").post("/api/v1/structures/", body, content_type="application/json")
    problem = assert_problem(response, 400, "Requête invalide")
    assert "imbriqué trop profondément" in problem["detail"]


def test_json_nested_within_the_limit_is_parsed(api_as):
    data = {"name": "Crèche des Lilas", "kind": "creche", "commune": "Rennes", "notes": [[["ok"]]]}
    response = api_as("case_worker").post("/api/v1/structures/", data, format="json")
    assert response.status_code == 201, response.content


def test_brackets_inside_strings_do_not_count(api_as):
    name = "[" * 500 + "{" * 500
    response = api_as("case_worker").post(
        "/api/v1/structures/", {"name": name[:200], "kind": "creche", "commune": "Rennes"}, format="json"
    )
    assert response.status_code == 201, response.content


def test_control_characters_in_a_text_field_are_a_422_naming_the_field(api_as):
    response = api_as("case_worker").post(
        "/api/v1/structures/", {"name": "Crèche\x00 des\x1b Lilas", "kind": "creche", "commune": "Rennes"},
        format="json",
    )  # fmt: skip
    problem = assert_problem(response, 422)
    assert problem["type"] == "urn:ppe:problem:control-characters"
    assert [error["field"] for error in problem["errors"]] == ["name"]
    assert "caractères de contrôle" in problem["detail"]


def test_tabs_and_line_breaks_are_text(api_as):
    response = api_as("case_worker").post(
        "/api/v1/structures/", {"name": "Crèche\tdes Lilas", "kind": "creche", "commune": "Rennes\r\n"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content


def test_control_characters_in_a_form_field_are_refused_too(api_as):
    response = api_as("case_worker").post(
        "/api/v1/structures/", {"name": "Crèche\x07", "kind": "creche", "commune": "Rennes"}
    )  # multipart
    problem = assert_problem(response, 422)
    assert problem["errors"][0]["field"] == "name"


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_a_json_body_over_the_limit_is_a_413_problem(api_as):
    body = json.dumps({"name": "x" * 2000, "kind": "creche", "commune": "Rennes"})
    response = api_as("case_worker").post("/api/v1/structures/", body, content_type="application/json")
    problem = assert_problem(response, 413, "Contenu trop volumineux")
    assert "1,0\xa0Kio au plus" in problem["detail"]


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_a_body_read_without_content_length_over_the_limit_is_a_413_problem(api_as, rf):
    """The parser reads at most the limit (a missing or lying Content-Length never streams a body to memory)."""
    from io import BytesIO

    from django.core.exceptions import RequestDataTooBig

    from core.api.errors import problem_exception_handler
    from core.api.parsers import JSONParser

    with pytest.raises(RequestDataTooBig) as caught:
        JSONParser().parse(BytesIO(b'{"a": "' + b"x" * 5000 + b'"}'), parser_context={})
    response = problem_exception_handler(caught.value, {"request": rf.post("/api/v1/structures/")})
    assert response.status_code == 413


@override_settings(PPE_REQUEST_MAX_BYTES=2048)
def test_an_upload_over_the_limit_is_refused_before_it_is_read(api_as):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("gros.txt", b"x" * 10_000, content_type="text/plain")
    response = api_as("case_worker").post("/api/v1/structures/", {"name": "Crèche", "file": upload})
    assert_problem(response, 413)
    assert response["Connection"] == "close"


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_a_huge_html_form_is_a_french_413_page(client_35):
    response = client_35.post("/compte/mot-de-passe/", {"email": "x" * 5000})
    assert response.status_code == 413
    assert "Envoi trop volumineux" in response.content.decode()


@override_settings(DATA_UPLOAD_MAX_NUMBER_FIELDS=3)
def test_too_many_form_fields_is_a_french_400_page(client_35):
    response = client_35.post("/compte/mot-de-passe/", {f"champ{i}": "x" for i in range(10)})
    assert response.status_code == 400
    assert "Requête invalide" in response.content.decode()


@pytest.mark.parametrize("debug", [False, True])
def test_public_host_unknown_paths_are_the_french_404_page(public_client, db, settings, debug):
    settings.DEBUG = debug
    for path in ("/nulle-part/", "/wp-login.php", "/plateforme/inconnu"):
        response = public_client.get(path)
        assert response.status_code == 404, path
        assert "Page introuvable" in response.content.decode(), path


@pytest.mark.parametrize("debug", [False, True])
def test_public_host_unknown_platform_api_paths_are_problems(public_client, db, settings, debug):
    settings.DEBUG = debug
    assert_problem(public_client.get("/plateforme/api/v1/nulle-part/"), 404)


def test_public_host_still_adds_the_missing_slash(public_client, db):
    response = public_client.get("/plateforme/admin")
    assert response.status_code == 301
    assert response["Location"] == "/plateforme/admin/"


def test_a_csrf_failure_on_an_html_form_is_a_french_page(territory):
    from django.test import Client

    from tests.conftest import host_of

    client = Client(HTTP_HOST=host_of(territory), enforce_csrf_checks=True)
    response = client.post("/compte/mot-de-passe/", {"email": "a@example.org"})
    assert response.status_code == 403
    assert "Vérification de sécurité échouée" in response.content.decode()
