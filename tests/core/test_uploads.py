"""Uploads are judged by their bytes (sniffed) and their size, never by what the client claims."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from core.uploads import UploadValidator, upload_sniff

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 100


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def upload(name: str, content: bytes, claimed: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=claimed)


@pytest.mark.parametrize(
    ("name", "content"),
    [("devis.pdf", PDF), ("photo.png", PNG), ("notes.txt", "Réunion du 3 mars".encode()), ("liste.csv", b"a;b\n1;2\n")],
)
def test_genuine_files_pass(name, content):
    UploadValidator()(upload(name, content))


def test_a_docx_is_recognised():
    assert upload_sniff(upload("cv.docx", docx_bytes())).endswith("wordprocessingml.document")


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("facture.pdf", EXE, "file_type"),  # an executable claiming to be a PDF
        ("facture.pdf", ELF, "file_type"),
        ("page.txt", b"<!DOCTYPE html><script>alert(1)</script>", "file_type"),  # HTML disguised as text
        ("image.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', "file_type"),
        ("photo.pdf", PNG, "file_extension"),  # a real PNG with a lying extension
        ("vide.pdf", b"", "file_empty"),
    ],
)
def test_disguised_or_empty_files_are_refused(name, content, code):
    with pytest.raises(ValidationError) as caught:
        UploadValidator()(upload(name, content))
    assert caught.value.code == code


def test_size_is_limited():
    validator = UploadValidator(max_bytes=1024)
    validator(upload("petit.pdf", PDF))
    with pytest.raises(ValidationError, match="trop volumineux"):
        validator(upload("gros.pdf", PDF + b"0" * 2048))


def test_allowed_types_are_per_field():
    images_only = UploadValidator(allowed_types=["image/png", "image/jpeg"])
    images_only(upload("photo.png", PNG))
    with pytest.raises(ValidationError):
        images_only(upload("devis.pdf", PDF))


def test_the_validator_is_usable_in_migrations():
    path, _, kwargs = UploadValidator(max_bytes=10).deconstruct()
    assert path == "core.uploads.UploadValidator"
    assert kwargs == {"max_bytes": 10}
