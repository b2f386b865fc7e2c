"""The response of a permission-checked download of a private file (tenants.storage).

Call `file_response` once the view has checked that the person may see the file:

    return file_response(attachment.file, filename=attachment.name, content_type=attachment.content_type)

The file is named by its own name (Content-Disposition, RFC 6266), never cached by a shared cache
(Cache-Control: private, no-store) and never sniffed into something else by the browser. Behind nginx or
Apache, PPE_FILE_SERVE hands the transfer to the web server (X-Accel-Redirect / X-Sendfile) for storages with
local paths; otherwise the application streams it.
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.files.storage import Storage
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpResponse
from django.utils.http import content_disposition_header

from tenants.storage import private_storage

SERVE_METHODS = ("django", "x-accel-redirect", "x-sendfile")


def _headers(response: HttpResponse, *, filename: str, inline: bool) -> HttpResponse:
    response["Content-Disposition"] = content_disposition_header(not inline, filename)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    if not inline:  # a downloaded file never runs as a page of the site
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _local_path(storage: Storage, name: str) -> str | None:
    try:
        return storage.path(name)
    except NotImplementedError:
        return None


def storage_response(
    storage: Storage, name: str, *, filename: str, content_type: str | None = None, inline: bool = False
) -> HttpResponse:
    """The download of `name` from `storage` (404 when the file is missing)."""
    content_type = content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    method = getattr(settings, "PPE_FILE_SERVE", "django")
    path = _local_path(storage, name) if method != "django" else None
    if path is not None:
        if not os.path.isfile(path):
            raise Http404("Fichier introuvable.")
        response = HttpResponse(content_type=content_type)
        if method == "x-accel-redirect":
            root = os.path.abspath(os.path.join(private_root(storage), ""))
            relative = os.path.relpath(path, root)
            if relative.startswith(".."):  # a storage outside the private folder: stream it
                return _stream(storage, name, filename=filename, content_type=content_type, inline=inline)
            response["X-Accel-Redirect"] = settings.PPE_FILE_ACCEL_PREFIX.rstrip("/") + "/" + relative
        else:
            response["X-Sendfile"] = path
        return _headers(response, filename=filename, inline=inline)
    return _stream(storage, name, filename=filename, content_type=content_type, inline=inline)


def private_root(storage: Storage) -> str:
    """The folder X-Accel-Redirect paths are relative to: the private folder (above the territories')."""
    return str(getattr(storage, "_private_root", None) or settings.PPE_PRIVATE_DIR)


def _stream(storage: Storage, name: str, *, filename: str, content_type: str, inline: bool) -> HttpResponse:
    try:
        handle = storage.open(name, "rb")
    except (FileNotFoundError, OSError) as error:
        raise Http404("Fichier introuvable.") from error
    response = FileResponse(handle, content_type=content_type)
    return _headers(response, filename=filename, inline=inline)


def file_response(
    field_file: FieldFile, *, filename: str, content_type: str | None = None, inline: bool = False
) -> HttpResponse:
    """The download of a model's file (its field's storage)."""
    if not field_file:
        raise Http404("Fichier introuvable.")
    return storage_response(
        field_file.storage, field_file.name, filename=filename, content_type=content_type, inline=inline
    )


def form_file_response(value: Mapping[str, Any], *, inline: bool = False) -> HttpResponse:
    """The download of a file a case form stored (`{name, path, size, content_type}`)."""
    if not isinstance(value, Mapping) or not value.get("path"):
        raise Http404("Fichier introuvable.")
    from django.core.files.storage import default_storage

    storage = private_storage()
    if not storage.exists(value["path"]) and default_storage.exists(value["path"]):
        storage = default_storage  # a file stored by an older version, before private storage
    return storage_response(
        storage,
        value["path"],
        filename=value.get("name") or os.path.basename(value["path"]),
        content_type=value.get("content_type"),
        inline=inline,
    )
