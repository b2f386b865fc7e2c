"""Backup and restore of one territory: its PostgreSQL schema (pg_dump, custom format) and its media folder,
in one archive, restored into this or a fresh installation (under another schema name if needed), with its
Territory, Domain and pole rows recreated.

    backup.yaml          format: ppe-backup/1, the territory, its domains and poles
    schema.dump          pg_dump --format=custom --schema=<schema>
    media/<path>         the territory's media folder
"""

from __future__ import annotations

import io
import logging
import tarfile
import tempfile
from datetime import UTC, datetime
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django_tenants.utils import schema_exists

from tenants.media import tenant_media_root
from tenants.migrations_state import migrations_missing
from tenants.models import DEPARTEMENT_CODE, Domain, Territory, TerritoryPole
from tenants.postgres import PostgresToolError, pg_args, pg_bin, pg_run, rename_schema_sql

logger = logging.getLogger("ppe.tenants")

BackupError = PostgresToolError  # a backup that cannot be made or restored (French message)

FORMAT = "ppe-backup/1"
MANIFEST = "backup.yaml"
DUMP = "schema.dump"


def territory_backup(*, territory: Territory, actor: Any = None) -> bytes:
    """The backup archive of a territory (its committed data: run it outside a transaction that wrote to it)."""
    if territory.schema_name == "public" or not schema_exists(territory.schema_name):
        raise BackupError(f"Le schéma du territoire « {territory} » est introuvable.")
    args, env = pg_args()
    dump = pg_run([pg_bin("pg_dump"), *args, "--format=custom", "--no-owner", f"--schema={territory.schema_name}"], env)
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
        },
        "domains": [{"domain": d.domain, "is_primary": d.is_primary} for d in territory.domains.order_by("domain")],
        "poles": [
            {"pole": p.pole, "enabled": p.enabled, "settings": p.settings}
            for p in TerritoryPole.objects.filter(territory=territory).order_by("pole")
        ],
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in ((MANIFEST, yaml.safe_dump(manifest, allow_unicode=True).encode()), (DUMP, dump)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        media = tenant_media_root(territory.schema_name)
        if media.is_dir():
            for path in sorted(media.rglob("*")):
                if path.is_file():
                    archive.add(path, arcname=f"media/{path.relative_to(media).as_posix()}", recursive=False)
    logger.info("Backup of %s by %s", territory.schema_name, getattr(actor, "username", actor))
    return buffer.getvalue()


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
    media = {name[len("media/") :]: data for name, data in members.items() if name.startswith("media/")}
    return manifest, members[DUMP], media


def _restore_target(manifest: dict[str, Any], code: str | None, slug: str | None, domain: str | None) -> dict[str, Any]:
    """Where a backup goes in this installation; ValidationError (French) when that is taken."""
    from tenants.services import schema_name_for

    original = manifest["territory"]
    renamed = bool(code) and code.strip().upper() != (original.get("code") or "")
    code = (code or original.get("code") or "").strip().upper() or None
    schema = schema_name_for(code) if renamed else original["schema_name"]
    slug = slug or (f"{original['slug']}-{code.lower()}" if renamed else original["slug"])
    domains = [{"domain": domain, "is_primary": True}] if domain else list(manifest.get("domains") or [])
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
        errors["slug"] = f"L'identifiant « {slug} » est déjà pris."
    taken = [d["domain"] for d in domains if Domain.objects.filter(domain=d["domain"]).exists()]
    if taken:
        errors["domain"] = f"Le domaine « {taken[0]} » est déjà utilisé : indiquez-en un autre (--domain)."
    if errors:
        raise ValidationError(errors)
    return {"code": code, "schema": schema, "slug": slug, "domains": domains}


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


def _restore_rows(manifest: dict[str, Any], target: dict[str, Any], domain: str | None) -> Territory:
    from tenants.services import _site_configure

    original = manifest["territory"]
    with transaction.atomic():
        territory = Territory(
            schema_name=target["schema"],
            name=original["name"],
            code=target["code"],
            slug=target["slug"],
            is_template=bool(original.get("is_template")),
            cloned_from=Territory.objects.filter(schema_name=original.get("cloned_from") or "").first(),
        )
        territory.auto_create_schema = False
        territory.save(verbosity=0)
        for entry in target["domains"]:
            Domain.objects.create(domain=entry["domain"], tenant=territory, is_primary=entry["is_primary"])
        TerritoryPole.objects.bulk_create(
            TerritoryPole(territory=territory, pole=p["pole"], enabled=p["enabled"], settings=p["settings"] or {})
            for p in manifest.get("poles") or []
        )
        if domain:
            _site_configure(territory, domain)
    connection.set_schema_to_public()
    return territory


def territory_restore(
    *,
    archive: bytes,
    code: str | None = None,
    slug: str | None = None,
    domain: str | None = None,
    actor: Any = None,
) -> Territory:
    """Restore a territory from its backup archive; `code` (and `slug`, `domain`) restore it under another
    identity, in schema `dep_<code>`, when the original one is taken in this installation. Raises
    ValidationError when the target is taken and BackupError when the archive is unreadable; nothing is
    left behind then."""
    connection.set_schema_to_public()
    manifest, dump, media = _read(archive)
    target = _restore_target(manifest, code, slug, domain)
    schema = target["schema"]
    _restore_schema(dump, manifest["territory"]["schema_name"], schema)
    try:
        territory = _restore_rows(manifest, target, domain)
    except Exception:
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        raise
    media_root = tenant_media_root(schema)
    for name, data in media.items():
        path = media_root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
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
