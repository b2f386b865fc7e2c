"""The API's request parsers: DRF's, with limits on what a body may hold.

- JSON nested deeper than `PPE_API_JSON_MAX_DEPTH` is refused (400) before it can exhaust Python's recursion
  (2,000 levels answered 500);
- a text value (JSON string, form or multipart field, object key) holding a control character other than
  tab, line feed and carriage return is refused (422, naming the field): such characters are invisible on
  screen, break exports and are never typed by a person;
- bodies larger than `DATA_UPLOAD_MAX_MEMORY_SIZE` (files apart) are refused with 413 by Django itself,
  mapped to a problem by `core.api.errors`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from core.api.errors import Problem

# C0 controls except \t \n \r, DEL, and the C1 controls.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BRACKETS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def json_depth_check(raw: bytes, max_depth: int) -> None:
    """Refuse a JSON text nested deeper than `max_depth` (strings skipped), without recursion."""
    if raw.count(b"[") + raw.count(b"{") <= max_depth:
        return
    depth = 0
    for match in _BRACKETS.finditer(raw):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > max_depth:
                raise ParseError(f"Le JSON envoyé est imbriqué trop profondément ({max_depth} niveaux au plus).")
        elif token in (b"]", b"}"):
            depth -= 1


def control_characters_find(value: Any, path: str = "") -> list[str]:
    """The paths (`data.nom`, `items.0`) of the text values of `value` that hold a control character."""
    found: list[str] = []
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            if CONTROL_CHARACTERS.search(item):
                found.append(where)
        elif isinstance(item, dict):
            for key, child in item.items():
                name = f"{where}.{key}" if where else str(key)
                if isinstance(key, str) and CONTROL_CHARACTERS.search(key):
                    found.append(name)
                stack.append((name, child))
        elif isinstance(item, (list, tuple)):
            stack.extend((f"{where}.{index}" if where else str(index), child) for index, child in enumerate(item))
    return sorted(found)


def control_characters_refuse(value: Any) -> None:
    fields = control_characters_find(value)
    if fields:
        raise Problem(
            "Le texte envoyé contient des caractères de contrôle invisibles : retirez-les et réessayez.",
            status_code=422,
            slug="control-characters",
            errors=[
                {"field": name, "detail": "Caractère de contrôle non autorisé.", "code": "control_characters"}
                for name in fields
            ],
        )


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1 if limit else -1) if stream is not None else b""
        if limit and len(raw) > limit:
            raise RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")
        if not raw.strip():
            raise ParseError("Le corps de la requête est vide : un document JSON est attendu.")
        json_depth_check(raw, settings.PPE_API_JSON_MAX_DEPTH)
        try:
            data = json.loads(raw.decode(encoding), parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"JSON invalide : {_json_error(exc)}") from None
        control_characters_refuse(data)
        return data


def _refuse_constant(name: str):
    raise ValueError(f"« {name} » n'est pas une valeur JSON")


def _json_error(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return "le texte n'est pas encodé en UTF-8."
    if isinstance(exc, json.JSONDecodeError):
        return f"erreur ligne {exc.lineno}, colonne {exc.colno}."
    return str(exc)


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        control_characters_refuse(_form_values(data))
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        control_characters_refuse(_form_values(result.data))
        return result


def _form_values(data) -> dict[str, Any]:
    values = {key: data.getlist(key) for key in data}
    return {key: items[0] if len(items) == 1 else items for key, items in values.items()}


def form_body(request) -> tuple[Any, dict[str, Any]]:
    """The body of a request that fills a workflow form, and the files sent with it. A JSON body is taken as
    is (no files). A multipart body gives its text parts, its `data` part read as the JSON object the JSON body
    would hold, and its files by the field they fill: `<field>`, or `<group>.<row>.<field>` for a repeatable
    group's row (`row` from 0, the element's position in `data`'s list)."""
    files = dict(request.FILES.items())
    if not files and isinstance(request.data, dict) and not hasattr(request.data, "getlist"):
        return request.data, {}
    payload = {key: request.data.get(key) for key in request.data if key not in files}
    raw = payload.get("data")
    if isinstance(raw, str):
        json_depth_check(raw.encode(), settings.PPE_API_JSON_MAX_DEPTH)
        try:
            payload["data"] = json.loads(raw, parse_constant=_refuse_constant) if raw.strip() else {}
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"La partie « data » doit être un objet JSON : {_json_error(exc)}") from None
    return payload, files
