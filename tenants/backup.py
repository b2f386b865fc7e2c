"""Backup and restore of one territory: its PostgreSQL schema (pg_dump, custom format) and its files, in one
archive, restored into this or a fresh installation (under another code, name and host if needed), with its
Territory, Domain and pole rows recreated.

    backup.yaml          format: ppe-backup/1, the territory, its domains and poles, its files
    schema.dump          pg_dump --format=custom --schema=<schema>
    media/<n>/<name>     the territory's files, storage by storage (read and written through the storages)

Files go through Django's storage API: the folder of a tenant-aware storage is copied whole (files no row
names included), any other storage gives the files the territory's rows name.
"""

from __future__ import annotations

import io
import logging
import os
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage, storages
from django.db import connection, transaction
from django.utils.text import slugify
from django_tenants.utils import schema_context, schema_exists

from tenants.media import _tenant_root, territory_files
from tenants.migrations_state import migrations_missing
from tenants.models import DEPARTEMENT_CODE, Domain, Territory, TerritoryPole
from tenants.postgres import PostgresToolError, pg_args, pg_bin, pg_run, rename_schema_sql
from tenants.storage import PRIVATE

logger = logging.getLogger("ppe.tenants")

BackupError = PostgresToolError  # a backup that cannot be made or restored (French message)

FORMAT = "ppe-backup/1"
MANIFEST = "backup.yaml"
DUMP = "schema.dump"


def _storage_key(storage: Storage, model=None, field=None) -> str:
    """How the archive names a storage: its alias in STORAGES, else the file field that uses it."""
    target = getattr(storage, "_wrapped", storage)
    for alias in storages.backends:
        if storages[alias] is target:
            return alias
    if target is getattr(default_storage, "_wrapped", None):
        return "default"
    return f"field:{model._meta.label}.{field.name}" if model is not None else "default"


def _storage_of(key: str) -> Storage:
    from django.apps import apps

    if key.startswith("field:"):
        label, _, name = key[len("field:") :].rpartition(".")
        return apps.get_model(label)._meta.get_field(name).storage
    return storages[key] if key in storages.backends else default_storage


def _walk(storage: Storage, folder: str = "") -> list[str]:
    directories, files = storage.listdir(folder)
    names = [f"{folder}/{name}" if folder else name for name in files]
    for directory in directories:
        names += _walk(storage, f"{folder}/{directory}" if folder else directory)
    return names


def _files(schema: str) -> list[tuple[str, str]]:
    """(storage key, name) of every file of the territory."""
    found: dict[tuple[str, str], None] = {}
    storages_seen: dict[str, Storage] = {"default": default_storage, PRIVATE: storages[PRIVATE]}
    for model, field, name in territory_files(schema):
        key = _storage_key(field.storage, model, field)
        storages_seen.setdefault(key, field.storage)
        found[(key, name)] = None
    for key, storage in storages_seen.items():
        if _tenant_root(storage, schema) is not None:  # its folder holds this territory's files only
            with schema_context(schema):
                for name in _walk(storage):
                    found[(key, name)] = None
    return sorted(found)


def territory_backup(*, territory: Territory, actor: Any = None) -> bytes:
    """The backup archive of a territory (its committed data: run it outside a transaction that wrote to it)."""
    if territory.schema_name == "public" or not schema_exists(territory.schema_name):
        raise BackupError(f"Le schéma du territoire « {territory} » est introuvable.")
    args, env = pg_args()
    dump = pg_run([pg_bin("pg_dump"), *args, "--format=custom", "--no-owner", f"--schema={territory.schema_name}"], env)
    members: dict[str, bytes] = {}
    files = []
    keys = []
    for key, name in _files(territory.schema_name):
        storage = _storage_of(key)
        with schema_context(territory.schema_name):
            try:
                with storage.open(name, "rb") as handle:
                    data = handle.read()
            except (FileNotFoundError, OSError):
                continue
        if key not in keys:
            keys.append(key)
        path = f"media/{keys.index(key)}/{name}"
        members[path] = data
        files.append({"path": path, "storage": key, "name": name})
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(tz=UTC).isoformat(timespec="seconds"),
        "territory": {
            "name": territory.name,
            "code": territory.code,
            "slug": territory.slug,
            "schema_name": territory.schema_name,
            "is_template": territory.is_template,
            "cloned_from": territory.cloned_from.schema_name if territory.cloned_from else None,
            "published_at": territory.published_at.isoformat() if territory.published_at else None,
        },
        "domains": [{"domain": d.domain, "is_primary": d.is_primary} for d in territory.domains.order_by("domain")],
        "poles": [
            {"pole": p.pole, "enabled": p.enabled, "settings": p.settings}
            for p in TerritoryPole.objects.filter(territory=territory).order_by("pole")
        ],
        "files": files,
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        entries = [(MANIFEST, yaml.safe_dump(manifest, allow_unicode=True).encode()), (DUMP, dump), *members.items()]
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o600
            archive.addfile(info, io.BytesIO(data))
    logger.info("Backup of %s by %s", territory.schema_name, getattr(actor, "username", actor))
    return buffer.getvalue()


def backup_file_write(path: Path, data: bytes) -> None:
    """Write a backup archive to a local file readable by its owner only (it holds everyone's data)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), 0o600)  # an existing file keeps its mode otherwise
        handle.write(data)


def _read(archive: bytes) -> tuple[dict[str, Any], bytes, dict[str, bytes]]:
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
            members = {}
            for info in tar:
                if not info.isfile():
                    continue
                if info.name.startswith("/") or ".." in info.name.split("/"):
                    raise BackupError(f"Sauvegarde refusée : chemin interdit « {info.name} ».")
                members[info.name] = tar.extractfile(info).read()
    except (tarfile.TarError, EOFError, OSError):
        raise BackupError("Sauvegarde illisible : ce fichier n'est pas une sauvegarde de territoire.") from None
    if MANIFEST not in members or DUMP not in members:
        raise BackupError("Sauvegarde incomplète : backup.yaml ou schema.dump manque.")
    try:
        manifest = yaml.safe_load(members[MANIFEST])
    except yaml.YAMLError:
        raise BackupError("Sauvegarde endommagée : backup.yaml n'est pas un YAML valide.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else "?"
        raise BackupError(f"Format de sauvegarde non pris en charge : « {found} » (attendu : {FORMAT}).")
    media = {name: data for name, data in members.items() if name.startswith("media/")}
    return manifest, members[DUMP], media


def _restore_target(
    manifest: dict[str, Any], code: str | None, slug: str | None, domain: str | None, name: str | None
) -> dict[str, Any]:
    """Where a backup goes in this installation; ValidationError (French) when that is taken."""
    from tenants.services import schema_name_for

    original = manifest["territory"]
    renamed = bool(code) and code.strip().upper() != (original.get("code") or "")
    code = (code or original.get("code") or "").strip().upper() or None
    schema = schema_name_for(code) if renamed else original["schema_name"]
    name = (name or "").strip() or original["name"]
    if slug:
        slug = slugify(slug)
    elif name != original["name"]:
        slug = slugify(name)
    else:
        slug = f"{original['slug']}-{code.lower()}" if renamed else original["slug"]
    domains = _restore_domains(manifest, domain, slug, moved=renamed or slug != original["slug"])
    errors = {}
    if renamed:
        try:
            DEPARTEMENT_CODE(code)
        except ValidationError as exc:
            errors["code"] = exc.messages[0]
    if schema_exists(schema) or Territory.objects.filter(schema_name=schema).exists():
        errors["code"] = f"Le schéma « {schema} » existe déjà : restaurez sous un autre code (--code)."
    elif code and Territory.objects.filter(code=code).exists():
        errors["code"] = f"Le territoire du département {code} existe déjà : restaurez sous un autre code."
    if Territory.objects.filter(slug=slug).exists():
        errors["slug"] = f"L'identifiant « {slug} » est déjà pris : indiquez-en un autre (--slug ou --name)."
    taken = [d["domain"] for d in domains if Domain.objects.filter(domain=d["domain"]).exists()]
    if taken:
        errors["domain"] = f"Le domaine « {taken[0]} » est déjà utilisé : indiquez-en un autre (--domain)."
    if errors:
        raise ValidationError(errors)
    return {"code": code, "schema": schema, "slug": slug, "name": name, "domains": domains}


def _restore_domains(manifest: dict[str, Any], domain: str | None, slug: str, *, moved: bool) -> list[dict]:
    """The host names of the restored territory: the one asked for, else a new one when it moves under
    another identity, else its own."""
    from tenants.services import _domain_for

    if domain:
        return [{"domain": domain.strip().lower().rstrip("."), "is_primary": True}]
    if moved:
        return [{"domain": _domain_for(slug), "is_primary": True}]
    return list(manifest.get("domains") or [])


def _restore_schema(dump: bytes, old_schema: str, schema: str) -> None:
    args, env = pg_args()
    with tempfile.NamedTemporaryFile(suffix=".dump") as handle:
        handle.write(dump)
        handle.flush()
        sql = pg_run([pg_bin("pg_restore"), "--no-owner", "--file=-", handle.name], env).decode()
    if schema != old_schema:
        sql = rename_schema_sql(sql, old_schema, schema)
    psql = [pg_bin("psql"), *args, "--quiet", "-v", "ON_ERROR_STOP=1", "--single-transaction", "--file=-"]
    pg_run(psql, env, sql.encode())


def _restore_rows(manifest: dict[str, Any], target: dict[str, Any]) -> Territory:
    from tenants.services import _site_configure

    original = manifest["territory"]
    if "published_at" not in original:  # a backup of an older version knows no drafts: its site was online
        published_at = datetime.now(tz=UTC)
    else:
        published_at = datetime.fromisoformat(original["published_at"]) if original["published_at"] else None
    with transaction.atomic():
        territory = Territory(
            schema_name=target["schema"],
            name=target["name"],
            code=target["code"],
            slug=target["slug"],
            is_template=bool(original.get("is_template")),
            cloned_from=Territory.objects.filter(schema_name=original.get("cloned_from") or "").first(),
            published_at=published_at,
        )
        territory.auto_create_schema = False
        territory.save(verbosity=0)
        for entry in target["domains"]:
            Domain.objects.create(domain=entry["domain"], tenant=territory, is_primary=entry["is_primary"])
        TerritoryPole.objects.bulk_create(
            TerritoryPole(territory=territory, pole=p["pole"], enabled=p["enabled"], settings=p["settings"] or {})
            for p in manifest.get("poles") or []
        )
        primary = next((d["domain"] for d in target["domains"] if d["is_primary"]), None)
        moved = primary not in {d["domain"] for d in manifest.get("domains") or []}
        if primary and (moved or target["name"] != original["name"]):
            _site_configure(territory, primary)  # the Wagtail site answers on its new host, under its name
    connection.set_schema_to_public()
    return territory


def _restore_files(manifest: dict[str, Any], media: dict[str, bytes], schema: str) -> None:
    entries = manifest.get("files")
    if entries is None:  # an archive of the first version: the default storage's folder
        entries = [{"path": path, "storage": "default", "name": path[len("media/") :]} for path in media]
    with schema_context(schema):
        for entry in entries:
            data = media.get(entry["path"])
            if data is None:
                continue
            storage = _storage_of(entry["storage"])
            if storage.exists(entry["name"]):
                storage.delete(entry["name"])
            storage.save(entry["name"], ContentFile(data))


def territory_restore(
    *,
    archive: bytes,
    code: str | None = None,
    name: str | None = None,
    slug: str | None = None,
    domain: str | None = None,
    actor: Any = None,
) -> Territory:
    """Restore a territory from its backup archive; `code` (and `name`, `slug`, `domain`) restore it under
    another identity, in schema `dep_<code>`, when the original one is taken in this installation. Raises
    ValidationError when the target is taken and BackupError when the archive is unreadable; nothing is
    left behind then."""
    connection.set_schema_to_public()
    manifest, dump, media = _read(archive)
    target = _restore_target(manifest, code, slug, domain, name)
    schema = target["schema"]
    _restore_schema(dump, manifest["territory"]["schema_name"], schema)
    try:
        territory = _restore_rows(manifest, target)
    except Exception:
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        raise
    _restore_files(manifest, media, schema)
    if migrations_missing(schema):  # a backup from an older version of the platform
        from django.core.management import call_command

        call_command("migrate_schemas", tenant=True, schema_name=schema, interactive=False, verbosity=0)
        connection.set_schema_to_public()
    logger.info(
        "Territory %s restored as %s by %s",
        manifest["territory"]["schema_name"],
        schema,
        getattr(actor, "username", actor),
    )
    return territory


def territory_backup_store(*, territory: Territory, actor: Any = None) -> Any:
    """Back a territory up into the `backups` storage (owner-only files, served by no URL) and record it;
    returns the `TerritoryBackup`. Raises BackupError (French)."""
    from tenants.models import TerritoryBackup

    data = territory_backup(territory=territory, actor=actor)
    stamp = datetime.now(tz=UTC).strftime("%Y%m%d-%H%M%S")
    backup = TerritoryBackup(
        territory=territory,
        territory_name=territory.name,
        territory_code=territory.code or "",
        size=len(data),
        created_by=getattr(actor, "get_username", lambda: str(actor or ""))(),
    )
    backup.file.save(f"sauvegarde-{territory.slug}-{stamp}.tar.gz", ContentFile(data), save=False)
    backup.save()
    return backup


def territory_backup_read(*, backup: Any) -> bytes:
    try:
        with backup.file.open("rb") as handle:
            return handle.read()
    except (FileNotFoundError, OSError):
        raise BackupError("Le fichier de cette sauvegarde est introuvable.") from None
