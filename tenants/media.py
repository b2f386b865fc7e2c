"""A territory's stored files, through the storages of the models' file fields (storage-agnostic): listed for
backups, deleted with the territory, so that a new territory under the same schema name never inherits them."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.files.storage import Storage, default_storage
from django.db import models
from django_tenants.utils import schema_context

from tenants.storage import private_storage

logger = logging.getLogger("ppe.tenants")


def _tenant_file_fields() -> list[tuple[type[models.Model], models.FileField]]:
    tenant_apps = set(settings.TENANT_APPS)
    return [
        (model, field)
        for model in apps.get_models()
        if model._meta.app_config.name in tenant_apps and model._meta.managed and not model._meta.proxy
        for field in model._meta.local_concrete_fields
        if isinstance(field, models.FileField)
    ]


def territory_files(schema_name: str) -> Iterator[tuple[type[models.Model], models.FileField, str]]:
    """(model, file field, stored name) of every file the territory's rows refer to (read in its schema)."""
    from django.db.utils import ProgrammingError

    with schema_context(schema_name):
        for model, field in _tenant_file_fields():
            try:
                names = list(model._default_manager.exclude(**{field.name: ""}).values_list(field.name, flat=True))
            except ProgrammingError:  # a table this (older) schema does not have yet
                continue
            for name in names:
                if name:
                    yield model, field, name


def _tenant_root(storage: Storage, schema_name: str) -> Path | None:
    """The folder of a storage that holds only this territory's files (a tenant-aware file system storage),
    else None (a shared or remote storage: only the files the rows name are deleted)."""
    try:
        with schema_context(schema_name):
            root = Path(storage.path(""))
        with schema_context("public"):
            public_root = Path(storage.path(""))
    except NotImplementedError:
        return None
    return root if root != public_root and schema_name in root.parts else None


def territory_files_delete(schema_name: str) -> int:
    """Delete a territory's files: those its rows name, in each field's storage, then the territory's own
    folder of tenant-aware storages (left-over files included). Returns the number of files deleted."""
    deleted = 0
    private = private_storage()
    storages_seen: dict[int, Storage] = {id(default_storage): default_storage, id(private): private}
    for _model, field, name in list(territory_files(schema_name)):
        storages_seen[id(field.storage)] = field.storage
        with schema_context(schema_name):
            try:
                if field.storage.exists(name):
                    field.storage.delete(name)
                    deleted += 1
            except OSError:
                logger.warning("File %s of %s could not be deleted", name, schema_name)
    for storage in storages_seen.values():
        root = _tenant_root(storage, schema_name)
        if root is not None and root.is_dir():
            deleted += sum(1 for path in root.rglob("*") if path.is_file())
            shutil.rmtree(root, ignore_errors=True)
    return deleted
