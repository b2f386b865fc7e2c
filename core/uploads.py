"""Uploaded files are judged by their bytes, never by the name or the type the client claims.

`UploadValidator` is a field validator (model or form): it sniffs the content type from the file's first
bytes, checks it against an allow-list and checks the size. The engine's file fields and the attachments use
it; `upload_sniff` tells what a file really is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.deconstruct import deconstructible

SNIFF_BYTES = 8192

# What the platform accepts by default: documents, spreadsheets, images and plain text.
DEFAULT_ALLOWED_TYPES = (
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/webp",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "text/plain",
    "text/csv",
)

# What a person choosing a form's file types reads.
FILE_TYPE_LABELS = {
    "application/pdf": "PDF",
    "image/png": "Image PNG",
    "image/jpeg": "Image JPEG (photo)",
    "image/webp": "Image WebP",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Document Word (.docx)",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Classeur Excel (.xlsx)",
    "application/vnd.oasis.opendocument.text": "Document OpenDocument (.odt)",
    "application/vnd.oasis.opendocument.spreadsheet": "Classeur OpenDocument (.ods)",
    "text/plain": "Texte brut (.txt)",
    "text/csv": "Tableau CSV (.csv)",
}

# The extensions that may carry each content type (a mismatch is refused).
EXTENSIONS = {
    "application/pdf": {"pdf"},
    "image/png": {"png"},
    "image/jpeg": {"jpg", "jpeg"},
    "image/webp": {"webp"},
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {"docx"},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"xlsx"},
    "application/vnd.oasis.opendocument.text": {"odt"},
    "application/vnd.oasis.opendocument.spreadsheet": {"ods"},
    "text/plain": {"txt", "csv", "md"},
    "text/csv": {"csv", "txt"},
}


def _head(file) -> bytes:
    position = file.tell() if hasattr(file, "tell") else None
    if hasattr(file, "seek"):
        file.seek(0)
    head = file.read(SNIFF_BYTES)
    if hasattr(file, "seek"):
        file.seek(position or 0)
    return head if isinstance(head, bytes) else head.encode()


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the sniffing window is still text.
        if exc.start < len(head) - 3:
            return False
    return True


def upload_sniff(file) -> str:
    """The content type of `file` as its bytes say (`application/octet-stream` when unknown)."""
    head = _head(file)
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime
    if head and _looks_like_text(head):
        lowered = head[:512].lstrip().lower()
        if lowered.startswith((b"<!doctype html", b"<html", b"<svg", b"<?xml", b"<script")):
            return "text/html"  # never served back as text
        return "text/plain"
    return "application/octet-stream"


@deconstructible
@dataclass(eq=True)
class UploadValidator:
    """Refuse a file whose sniffed type is not allowed, whose extension disagrees with it, or that is too big."""

    allowed_types: Iterable[str] = field(default=DEFAULT_ALLOWED_TYPES)
    max_bytes: int | None = None

    def __call__(self, file) -> None:
        limit = self.max_bytes or settings.PPE_UPLOAD_MAX_BYTES
        size = getattr(file, "size", None)
        if size is not None and size > limit:
            raise ValidationError(
                "Le fichier est trop volumineux (%(size)s ; %(limit)s au plus).",
                code="file_too_large",
                params={"size": filesizeformat(size), "limit": filesizeformat(limit)},
            )
        if size == 0:
            raise ValidationError("Le fichier est vide.", code="file_empty")
        sniffed = upload_sniff(file)
        allowed = set(self.allowed_types)
        # Plain text is also valid CSV: a CSV file sniffs as text.
        if sniffed == "text/plain" and "text/csv" in allowed:
            allowed.add("text/plain")
        if sniffed not in allowed:
            raise ValidationError("Type de fichier refusé (%(type)s).", code="file_type", params={"type": sniffed})
        name = getattr(file, "name", "") or ""
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if extension and extension not in EXTENSIONS.get(sniffed, set()):
            raise ValidationError(
                "L'extension « .%(ext)s » ne correspond pas au contenu du fichier (%(type)s).",
                code="file_extension",
                params={"ext": extension, "type": sniffed},
            )
