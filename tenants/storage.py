"""Private files: case attachments, form files, conventions, deliberations, diplomas, kit merges.

They live in the `private` storage (STORAGES["private"]), never under MEDIA_ROOT and never behind a URL: only
permission-checked views hand them out (core.downloads). The default storage keeps what Wagtail publishes
(images, public documents), the only files served as media.

The filesystem backend below keeps each territory's files in a folder of its own (PPE_PRIVATE_DIR/<schema>/),
like django-tenants' media storage. Any other Django storage can be configured instead (an S3-compatible
bucket, see docs/deployment.md): every read and write goes through the storage API.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any

from django.conf import settings
from django.core.files.storage import Storage, default_storage, storages
from django_tenants.files.storage import TenantFileSystemStorage

PRIVATE = "private"


class PrivateURLError(ValueError):
    """A private file was asked for its URL: it has none (serve it through core.downloads)."""


class TenantPrivateStorage(TenantFileSystemStorage):
    """A territory's private files under `<root>/<schema>/` (root: the `root` option, else PPE_PRIVATE_DIR),
    created owner-only, with no URL."""

    def __init__(self, root: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("file_permissions_mode", 0o600)
        kwargs.setdefault("directory_permissions_mode", 0o700)
        self._private_root = root
        super().__init__(**kwargs)

    @property  # not cached: follows PPE_PRIVATE_DIR
    def relative_media_root(self) -> str:
        root = self._private_root or str(settings.PPE_PRIVATE_DIR)
        return os.path.join(root, settings.MULTITENANT_RELATIVE_MEDIA_ROOT)

    @property
    def base_url(self) -> None:
        return None

    def url(self, name: str | None) -> str:
        raise PrivateURLError(f"« {name} » est un fichier privé : il n'a pas d'adresse publique.")


def private_storage() -> Storage:
    """The storage of private files (a callable, so that file fields and migrations follow the setting)."""
    return storages[PRIVATE]


def stored_file_open(value: Mapping[str, Any]):
    """A file a case form stored (`{name, path, size, content_type}`), opened for reading through the storage
    API: the private storage, else the default one where files of older versions were kept."""
    path = value["path"]
    storage = private_storage()
    if storage.exists(path):
        return storage.open(path, "rb")
    return default_storage.open(path, "rb")


# --- Moving the files of older versions out of the media folder (data steps of the migrations) -------------
def _move(name: str) -> bool:
    """Move one stored file from the default storage (public media) to the private one, under the same name."""
    source, target = default_storage, private_storage()
    if not name or not source.exists(name):
        return False
    if not target.exists(name):
        with source.open(name, "rb") as handle:
            saved = target.save(name, handle)
        if saved != name:  # never expected (the name was free): keep the original where the rows point
            target.delete(saved)
            return False
    source.delete(name)
    return True


def _form_files(value: Any) -> Iterator[str]:
    """The stored paths of the form files (`{name, path, size, content_type}`) among a case's data."""
    if isinstance(value, Mapping):
        if isinstance(value.get("path"), str) and "content_type" in value and "name" in value:
            yield value["path"]
        else:
            for item in value.values():
                yield from _form_files(item)
    elif isinstance(value, list):
        for item in value:
            yield from _form_files(item)


def private_files_move(*fields: str, case_data: bool = False):
    """A RunPython step moving the files of `app_label.Model.field` (and, with `case_data`, the case forms'
    files) from the media folder to the private storage, in the schema being migrated."""

    def forwards(apps, schema_editor) -> None:
        for label in fields:
            app_label, model_name, field = label.split(".")
            model = apps.get_model(app_label, model_name)
            for name in model._default_manager.exclude(**{field: ""}).values_list(field, flat=True).iterator():
                _move(name)
        if case_data:
            case_model = apps.get_model("core", "Case")
            for data in case_model._default_manager.values_list("data", flat=True).iterator():
                for path in _form_files(data):
                    _move(path)

    return forwards
