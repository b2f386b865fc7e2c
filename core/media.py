"""What a territory publishes as media: the files of its Wagtail images, nothing else.

`/media/<schema>/images/…` and `/media/<schema>/original_images/…` of the request's own territory are read
through the default storage (in every mode: no folder is ever served whole). Wagtail's documents go through
its serve view (`/documents/`, which checks the collection's privacy); private files have no URL at all
(tenants.storage, core.downloads).
"""

from __future__ import annotations

import mimetypes
import posixpath

from django.core.files.storage import default_storage
from django.db import connection
from django.http import FileResponse, Http404, HttpRequest, HttpResponse

from tenants.access import PUBLIC, access

PUBLISHED_FOLDERS = ("images", "original_images")


@access(PUBLIC)
def media_serve(request: HttpRequest, path: str) -> HttpResponse:
    schema, _, name = path.partition("/")
    folder = name.partition("/")[0]
    normalised = posixpath.normpath(name)
    if (
        schema != connection.schema_name
        or folder not in PUBLISHED_FOLDERS
        or normalised != name
        or normalised.startswith(("/", ".."))
    ):
        raise Http404("Fichier introuvable.")
    try:
        handle = default_storage.open(name, "rb")
    except (FileNotFoundError, IsADirectoryError, OSError) as error:
        raise Http404("Fichier introuvable.") from error
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if not content_type.startswith("image/"):
        handle.close()
        raise Http404("Fichier introuvable.")
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "public, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response
