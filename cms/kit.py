"""The CMS's kit sections: the territory's site pages (Wagtail page tree, StreamField JSON) and the images and
documents they show, with their files."""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

from django.core.files.base import ContentFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from PIL import Image as PILImage
from wagtail.fields import StreamField
from wagtail.models import Collection, Page, Site

from cms.cache import page_cache_purge
from core.hookspecs import KitFiles, KitItems, KitSection

# Wagtail's bookkeeping of a page (tree, revisions, locks, dates, translation): not its content.
_NOT_CONTENT = frozenset(
    {
        "pk",
        "path",
        "depth",
        "numchild",
        "url_path",
        "content_type",
        "owner",
        "locked",
        "locked_at",
        "locked_by",
        "latest_revision",
        "latest_revision_created_at",
        "live_revision",
        "first_published_at",
        "last_published_at",
        "has_unpublished_changes",
        "draft_title",
        "translation_key",
        "locale",
        "alias_of",
        "expired",
        "go_live_at",
        "expire_at",
        "wagtail_admin_comments",
    }
)


def _home() -> Page:
    return Site.objects.get(is_default_site=True).root_page


def _key(page: Page, home: Page) -> str:
    return "/" + page.url_path[len(home.url_path) :] if page.pk != home.pk else "/"


def _child_relations(page: Page) -> dict[str, str]:
    """The page's child relations (InlinePanel orderables), by accessor, with their parental key's name."""
    from modelcluster.models import get_all_child_relations

    return {rel.get_accessor_name(): rel.field.name for rel in get_all_child_relations(page)}


def _streamfields(page: Page) -> set[str]:
    return {f.name for f in page._meta.concrete_fields if isinstance(f, StreamField)}


def _content(page: Page) -> dict[str, Any]:
    """The page's content as Wagtail serialises it for revisions, without bookkeeping; StreamFields as JSON
    structures (readable in YAML), child rows without their ids."""
    # Through Django's JSON encoder: dates, decimals and times become the strings Wagtail reads back.
    data = json.loads(json.dumps(page.serializable_data(), cls=DjangoJSONEncoder))
    children = _child_relations(page)
    streams = _streamfields(page)
    content: dict[str, Any] = {}
    for name, raw in data.items():
        if name in _NOT_CONTENT:
            continue
        value = raw
        if name in streams and isinstance(raw, str):
            value = json.loads(raw) if raw else []
        elif name in children and isinstance(raw, list):
            value = [{k: v for k, v in row.items() if k not in ("pk", "id", children[name])} for row in raw]
        content[name] = value
    return content


def pages_export() -> tuple[KitItems, KitFiles]:
    home = _home()
    items: KitItems = {}
    pages = list(Page.objects.filter(path__startswith=home.path).order_by("path").specific())
    keys = {page.path: _key(page, home) for page in pages}
    positions: dict[str, int] = {}
    for page in pages:
        parent_path = page.path[: -Page.steplen]
        position = positions.get(parent_path, 0)
        positions[parent_path] = position + 1
        items[keys[page.path]] = {
            "type": page._meta.label_lower,
            "parent": None if page.pk == home.pk else keys[parent_path],
            "position": 0 if page.pk == home.pk else position,
            **_content(page),
        }
    return items, {}


def _publish(page: Page, item: dict[str, Any]) -> None:
    """Give the page the item's content as a new revision, published when the item is live."""
    content = page.serializable_data()
    streams = _streamfields(page)
    for name, value in item.items():
        if name in ("type", "parent", "position"):
            continue
        content[name] = json.dumps(value) if name in streams and not isinstance(value, str) else value
    updated = page.with_content_json(content)
    revision = updated.save_revision()
    if item.get("live", True):
        revision.publish()


def _page_new(page_class, key: str, item: dict[str, Any]) -> Page:
    """An unsaved page of the item's type with its plain fields set (required ones such as a news article's
    date included); StreamFields and child rows come with its first revision (`_publish`)."""
    page = page_class(title=item.get("title") or key, slug=item.get("slug") or key.strip("/"), live=False)
    streams = {f.name for f in page_class._meta.concrete_fields if isinstance(f, StreamField)}
    for model_field in page_class._meta.concrete_fields:
        name = model_field.name
        if name in item and name not in streams and name not in _NOT_CONTENT and not model_field.primary_key:
            setattr(page, model_field.attname, model_field.to_python(item[name]))
    page.live = False
    return page


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
        else:
            page = _page_new(page_class, key, item)
            by_key[item["parent"]].specific.add_child(instance=page)
        _publish(page, item)
        by_key[key] = Page.objects.get(pk=page.pk)
    page_cache_purge()  # the public site shows the new pages at once


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
