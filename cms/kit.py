"""The CMS's kit sections: the territory's site pages (Wagtail page tree, StreamField JSON) and the images and
documents they show, with their files."""

from __future__ import annotations

import hashlib
import io
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.db import connection, models
from PIL import Image as PILImage
from wagtail.fields import StreamField
from wagtail.models import Collection, Page, Site

from core.hookspecs import KitFiles, KitItems, KitSection

_PAGE_FIELDS = ("title", "slug", "seo_title", "search_description", "show_in_menus", "live")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _own_fields(page_class: type[Page]) -> list[models.Field]:
    """The concrete fields a page type adds to Wagtail's Page (its content)."""
    return [
        f
        for f in page_class._meta.concrete_fields
        if f.model is not Page and not f.primary_key and not (f.is_relation and f.related_model is Page)
    ]


def _home() -> Page:
    return Site.objects.get(is_default_site=True).root_page


def _key(page: Page, home: Page) -> str:
    return "/" + page.url_path[len(home.url_path) :] if page.pk != home.pk else "/"


def pages_export() -> tuple[KitItems, KitFiles]:
    home = _home()
    items: KitItems = {}
    pages = Page.objects.filter(path__startswith=home.path).order_by("path").specific()
    keys = {page.path: _key(page, home) for page in pages}
    for page in pages:
        item: dict[str, Any] = {
            "type": page._meta.label_lower,
            "parent": None if page.pk == home.pk else keys[page.path[: -Page.steplen]],
            "position": int(page.path[-Page.steplen :], 36) if page.pk != home.pk else 0,
        }
        item.update({name: _plain(getattr(page, name)) for name in _PAGE_FIELDS})
        for own in _own_fields(type(page)):
            if isinstance(own, StreamField):
                item[own.name] = list(own.get_prep_value(getattr(page, own.name)))
            else:
                item[own.name] = _plain(own.value_from_object(page))
        items[keys[page.path]] = item
    return items, {}


def _assign(page: Page, item: dict[str, Any]) -> None:
    for name in _PAGE_FIELDS:
        if name in item and name != "live":
            setattr(page, name, item[name] if item[name] is not None else "")
    for own in _own_fields(type(page)):
        if own.name in item:
            value = item[own.name]
            setattr(
                page, own.attname if own.is_relation else own.name, own.to_python(value) if value is not None else None
            )


def pages_apply(items: KitItems, files: KitFiles) -> None:
    from django.apps import apps

    current, _ = pages_export()
    home = _home()
    by_key = {_key(page, home): page for page in Page.objects.filter(path__startswith=home.path)}
    # Remove pages the kit does not have (deepest first), and pages whose type changed.
    for key in sorted(by_key, key=lambda k: -k.count("/")):
        if key != "/" and (key not in items or items[key].get("type") != current[key]["type"]):
            by_key[key].specific.delete()
            by_key.pop(key)
    ordered = sorted(items, key=lambda k: (k.count("/") if k != "/" else 0, items[k].get("position", 0), k))
    for key in ordered:
        item = items[key]
        if key in by_key and current.get(key) == item:
            continue
        page_class = apps.get_model(item["type"])
        if key in by_key:
            page = by_key[key].specific
            if type(page) is not page_class:  # the home page changes type: not supported by Wagtail's tree
                raise ValueError(f"La page d'accueil est de type {page._meta.label_lower}, pas {item['type']}.")
            _assign(page, item)
        else:
            parent = by_key[item["parent"]]
            page = page_class()
            _assign(page, item)
            parent.add_child(instance=page)
            home = _home() if key == "/" else home
        revision = page.save_revision()
        if item.get("live", True):
            revision.publish()
        by_key[key] = Page.objects.get(pk=page.pk)


# --- Images and documents -----------------------------------------------------------------------------------
def _digest(file_field) -> tuple[str, bytes]:
    with file_field.open("rb") as handle:
        data = handle.read()
    return hashlib.sha256(data).hexdigest(), data


def media_export() -> tuple[KitItems, KitFiles]:
    from wagtail.documents import get_document_model
    from wagtail.images import get_image_model

    items: KitItems = {}
    files: KitFiles = {}
    for kind, model in (("image", get_image_model()), ("document", get_document_model())):
        for obj in model.objects.select_related("collection").order_by("pk"):
            try:
                checksum, data = _digest(obj.file)
            except FileNotFoundError:
                continue
            key = f"{kind}s/{obj.file.name}"
            item = {
                "kind": kind,
                "id": obj.pk,
                "title": obj.title,
                "collection": obj.collection.name,
                "sha256": checksum,
            }
            if kind == "image":
                item.update(
                    {
                        name: getattr(obj, name)
                        for name in ("focal_point_x", "focal_point_y", "focal_point_width", "focal_point_height")
                    }
                )
            items[key] = item
            files[key] = data
    return items, files


def _store(obj, kind: str, name: str, data: bytes) -> None:
    """Write a file under exactly `name` in the territory's storage (the item's key) and set its metadata."""
    storage = obj.file.storage
    if storage.exists(name):
        storage.delete(name)
    obj.file.name = storage.save(name, ContentFile(data))
    if kind == "image":
        with PILImage.open(io.BytesIO(data)) as picture:
            obj.width, obj.height = picture.size
        obj._set_image_file_metadata()
    else:
        obj._set_document_file_metadata()


def media_apply(items: KitItems, files: KitFiles) -> None:
    from wagtail.documents import get_document_model
    from wagtail.images import get_image_model

    root = Collection.get_first_root_node()
    for kind, model in (("image", get_image_model()), ("document", get_document_model())):
        wanted = {key: item for key, item in items.items() if item.get("kind") == kind}
        existing = {f"{kind}s/{obj.file.name}": obj for obj in model.objects.all()}
        for key, obj in existing.items():
            if key not in wanted:
                obj.delete()
        for key, item in wanted.items():
            obj = existing.get(key)
            collection = Collection.objects.filter(name=item.get("collection")).first() or root
            fields = {"title": item.get("title", ""), "collection": collection}
            if kind == "image":
                fields.update(
                    {
                        name: item.get(name)
                        for name in ("focal_point_x", "focal_point_y", "focal_point_width", "focal_point_height")
                    }
                )
            if obj is None:
                obj = model(**fields)
                if not model.objects.filter(pk=item.get("id")).exists():
                    obj.pk = item.get("id")
                _store(obj, kind, key.split("/", 1)[1], files[key])
                obj.save()
            else:
                for name, value in fields.items():
                    setattr(obj, name, value)
                if key in files and _digest(obj.file)[0] != item.get("sha256"):
                    if kind == "image":
                        obj.renditions.all().delete()
                    _store(obj, kind, key.split("/", 1)[1], files[key])
                obj.save()
        with connection.cursor() as cursor:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), GREATEST(COALESCE(MAX(id), 0), 1)) FROM {table}",  # noqa: S608
                [table],
            )


_WAGTAIL_CONFIGURATION = (
    "wagtailcore.Page",
    "wagtailcore.Revision",
    "wagtailcore.Locale",
    "wagtailcore.Site",
    "wagtailcore.Collection",
    "wagtailcore.GroupPagePermission",
    "wagtailcore.GroupCollectionPermission",
    "wagtailcore.GroupSitePermission",
    "wagtailcore.PageViewRestriction",
    "wagtailcore.CollectionViewRestriction",
    "wagtailcore.Workflow",
    "wagtailcore.WorkflowTask",
    "wagtailcore.Task",
    "wagtailcore.WorkflowContentType",
    "wagtailcore.WorkflowPage",
    "wagtailcore.ReferenceIndex",
    "wagtailredirects.Redirect",
    "wagtailsearch.IndexEntry",
    "wagtailembeds.Embed",
    "taggit.Tag",
    "taggit.TaggedItem",
)

CMS_SECTIONS = [
    KitSection(
        code="media",
        label="Images et documents du site",
        version=1,
        export=media_export,
        apply=media_apply,
        models=("wagtailimages.Image", "wagtailimages.Rendition", "wagtaildocs.Document"),
        order=30,
    ),
    KitSection(
        code="pages",
        label="Pages du site (charte, accueil…)",
        version=1,
        export=pages_export,
        apply=pages_apply,
        models=_WAGTAIL_CONFIGURATION,
        order=40,
    ),
]
