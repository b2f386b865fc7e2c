"""The kit archive: a tar.gz holding `kit.yaml` (the manifest), one readable YAML file per section and the
files the sections refer to, each checked against the manifest's SHA-256 on reading.

    kit.yaml                       format: ppe-kit/1, source, sections (version, file, sha256), files
    sections/<code>.yaml           {item key: {field: value}}
    files/<code>/<path>            images, documents...
"""

from __future__ import annotations

import hashlib
import io
import shutil
import tarfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from core.hookspecs import KitFiles, KitItems, KitSection

FORMAT = "ppe-kit/1"
MANIFEST = "kit.yaml"
MAX_UNCOMPRESSED_BYTES = 512 * 1024 * 1024


class KitError(Exception):
    """An archive this installation cannot read; the message is French and says why."""


@dataclass
class Kit:
    """A kit read from an archive (or about to be written)."""

    source: dict[str, Any] = field(default_factory=dict)
    sections: dict[str, KitItems] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    files: dict[str, KitFiles] = field(default_factory=dict)
    created_at: str = ""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _dump(data: Any) -> bytes:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110).encode()


def _section_meta(section: KitSection, path: str, count: int) -> dict[str, Any]:
    return {"label": section.label, "version": section.version, "file": path, "items": count}


def kit_write(kit: Kit, sections: list[KitSection]) -> bytes:
    """The archive of `kit` (its sections in the order given)."""
    members: dict[str, bytes] = {}
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "created_at": kit.created_at or datetime.now(tz=UTC).isoformat(timespec="seconds"),
        "source": kit.source,
        "sections": {},
        "files": {},
    }
    for section in sections:
        if section.code not in kit.sections:
            continue
        path = f"sections/{section.code}.yaml"
        members[path] = _dump(kit.sections[section.code])
        manifest["sections"][section.code] = {
            **_section_meta(section, path, len(kit.sections[section.code])),
            "sha256": _sha256(members[path]),
        }
        for name, data in sorted(kit.files.get(section.code, {}).items()):
            file_path = f"files/{section.code}/{name}"
            members[file_path] = data
            manifest["files"][file_path] = _sha256(data)
    return _archive(manifest, members)


def _archive(manifest: dict[str, Any], members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in [(MANIFEST, _dump(manifest)), *members.items()]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


# --- A kit as a folder (the demo kit in the repository): the archive's layout, without checksums ----------
def kit_folder_write(kit: Kit, sections: list[KitSection], folder: Path) -> None:
    """Write `kit` unpacked into `folder` (replacing its `kit.yaml`, `sections/` and `files/`): readable YAML
    to keep in a repository. No date and no checksums: git keeps the history, `kit_folder_pack` computes them."""
    folder.mkdir(parents=True, exist_ok=True)
    for sub in ("sections", "files"):
        if (folder / sub).is_dir():
            shutil.rmtree(folder / sub)
    manifest: dict[str, Any] = {"format": FORMAT, "source": kit.source, "sections": {}}
    for section in sections:
        if section.code not in kit.sections:
            continue
        path = f"sections/{section.code}.yaml"
        (folder / "sections").mkdir(exist_ok=True)
        (folder / path).write_bytes(_dump(kit.sections[section.code]))
        manifest["sections"][section.code] = {"label": section.label, "version": section.version, "file": path}
        for name, data in sorted(kit.files.get(section.code, {}).items()):
            target = folder / "files" / section.code / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    (folder / MANIFEST).write_bytes(_dump(manifest))


def kit_folder_pack(folder: Path) -> bytes:
    """The archive of a kit folder (what `kit_folder_write` writes, or a hand-edited copy), checksums
    computed, ready for `kit_read`. Raises KitError (French) when the folder is not a kit."""
    if not (folder / MANIFEST).is_file():
        raise KitError(f"Dossier de kit invalide : {folder / MANIFEST} manque.")
    manifest = _load_yaml((folder / MANIFEST).read_bytes(), MANIFEST)
    if not isinstance(manifest, dict) or not isinstance(manifest.get("sections") or {}, dict):
        raise KitError("Dossier de kit invalide : le manifeste kit.yaml est mal formé.")
    members: dict[str, bytes] = {}
    manifest = {**manifest, "created_at": manifest.get("created_at") or "", "files": {}}
    for code, meta in (manifest.get("sections") or {}).items():
        path = (meta or {}).get("file") or f"sections/{code}.yaml"
        if not (folder / path).is_file():
            raise KitError(f"Dossier de kit incomplet : « {path} » manque.")
        members[path] = (folder / path).read_bytes()
        meta["sha256"] = _sha256(members[path])
        files_root = folder / "files" / code
        if files_root.is_dir():
            for file in sorted(p for p in files_root.rglob("*") if p.is_file()):
                name = f"files/{code}/{file.relative_to(files_root).as_posix()}"
                members[name] = file.read_bytes()
                manifest["files"][name] = _sha256(members[name])
    return _archive(manifest, members)


def _members(data: bytes) -> dict[str, bytes]:
    try:
        archive = tarfile.open(fileobj=io.BytesIO(data), mode="r:gz")  # noqa: SIM115 (closed below)
    except (tarfile.TarError, EOFError, OSError, ValueError):
        raise KitError(
            "Archive illisible : ce fichier n'est pas un kit de territoire (tar.gz) ou il est endommagé."
        ) from None
    members: dict[str, bytes] = {}
    total = 0
    try:
        with archive:
            for info in archive:
                if not info.isfile():
                    continue
                if info.name.startswith(("/", "\\")) or ".." in info.name.split("/"):
                    raise KitError(f"Archive refusée : chemin interdit « {info.name} ».")
                total += info.size
                if total > MAX_UNCOMPRESSED_BYTES:
                    raise KitError("Archive refusée : son contenu dépasse 512 Mo.")
                extracted = archive.extractfile(info)
                members[info.name] = extracted.read() if extracted else b""
    except (tarfile.TarError, EOFError, OSError, ValueError):
        raise KitError("Archive endommagée : son contenu ne peut pas être lu jusqu'au bout.") from None
    return members


def _load_yaml(data: bytes, name: str) -> Any:
    try:
        return yaml.safe_load(data.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise KitError(
            f"Archive endommagée : « {name} » n'est pas un YAML valide ({exc.__class__.__name__})."
        ) from None


def kit_read(data: bytes, sections: list[KitSection]) -> Kit:
    """Read and check an archive against this installation's sections; raises KitError (French) when it is
    corrupt, of another format version, or holds a section this installation does not know."""
    members = _members(data)
    manifest = _manifest(members)
    known = {section.code: section for section in sections}
    kit = Kit(source=manifest.get("source") or {}, created_at=str(manifest.get("created_at") or ""))
    for code, meta in manifest["sections"].items():
        section = known.get(code)
        if section is None:
            raise KitError(
                f"Section inconnue dans le kit : « {code} ». Elle vient d'un module absent de cette installation."
            )
        kit.sections[code] = _section_items(section, meta, members)
        kit.versions[code] = section.version
        kit.files[code] = {}
    for path, checksum in (manifest.get("files") or {}).items():
        _, code, name = _checked(members, path, checksum).split("/", 2)
        if code not in kit.files:
            raise KitError(f"Archive invalide : le fichier « {path} » n'appartient à aucune section du kit.")
        kit.files[code][name] = members[path]
    return kit


def _checked(members: dict[str, bytes], path: str, checksum: Any) -> str:
    if path not in members:
        raise KitError(f"Archive incomplète : le fichier « {path} » manque.")
    if _sha256(members[path]) != checksum:
        raise KitError(f"Archive endommagée : « {path} » ne correspond pas à sa somme de contrôle.")
    return path


def _section_items(section: KitSection, meta: Any, members: dict[str, bytes]) -> KitItems:
    if not isinstance(meta, dict) or str(meta.get("version", "")) != str(section.version):
        version = meta.get("version") if isinstance(meta, dict) else "?"
        raise KitError(
            f"La section « {section.label} » du kit est au format {version} ; "
            f"cette installation lit le format {section.version}."
        )
    path = _checked(members, meta.get("file") or f"sections/{section.code}.yaml", meta.get("sha256"))
    items = _load_yaml(members[path], path) or {}
    if not isinstance(items, dict) or not all(isinstance(v, dict) for v in items.values()):
        raise KitError(f"Archive invalide : « {path} » doit associer à chaque clé un ensemble de champs.")
    return {str(key): value for key, value in items.items()}


def _manifest(members: dict[str, bytes]) -> dict[str, Any]:
    if MANIFEST not in members:
        raise KitError("Archive incomplète : le manifeste kit.yaml manque ; ce n'est pas un kit de territoire.")
    manifest = _load_yaml(members[MANIFEST], MANIFEST)
    if not isinstance(manifest, dict) or "format" not in manifest:
        raise KitError("Archive invalide : le manifeste kit.yaml n'indique pas de format.")
    fmt = str(manifest["format"])
    if fmt != FORMAT:
        if fmt.startswith("ppe-kit/"):
            raise KitError(
                f"Version de kit non prise en charge : « {fmt} ». Cette installation lit le format {FORMAT} ; "
                "exportez le kit depuis une installation de la même version."
            )
        raise KitError(f"Format inconnu : « {fmt} ». Cette installation lit les kits au format {FORMAT}.")
    if not isinstance(manifest.get("sections") or {}, dict):
        raise KitError("Archive invalide : la liste des sections du manifeste est mal formée.")
    manifest["sections"] = manifest.get("sections") or {}
    return manifest
