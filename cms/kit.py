"""The CMS's kit sections: the territory's site pages (Wagtail page tree) and the images and documents they
show, with their files.

Every reference travels by natural key, never by primary key (keys differ between territories):
- a page by its path under the home page (`/`, `/services/support-rh/`);
- an image or a document by the SHA-256 of its file (`image:3f2a…`, `document:9c1e…`);
- any other row (a catalogue service) by its unique `code`.
This holds for foreign keys of pages, for chooser blocks inside StreamFields and for links and embeds inside
rich text (`<a linktype="page" id="/charte/">`). StreamField block ids are left out (Wagtail gives new ones
on import), so that exporting an imported kit gives the same kit.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.core.files.base import ContentFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django.utils.html import strip_tags
from PIL import Image as PILImage
from wagtail import blocks
from wagtail.fields import RichTextField, StreamField
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
# Fields of a page item that are not page fields.
_PLACEMENT = ("type", "parent", "position")


class KitReferenceError(ValueError):
    """A kit item refers to something neither the kit nor the territory has (French message)."""


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _home() -> Page:
    return Site.objects.get(is_default_site=True).root_page


def _key(page: Page, home: Page) -> str:
    return "/" + page.url_path[len(home.url_path) :] if page.pk != home.pk else "/"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read(file_field) -> bytes | None:
    try:
        with file_field.storage.open(file_field.name, "rb") as handle:
            return handle.read()
    except (FileNotFoundError, OSError, ValueError):
        return None


def _media_models() -> list[tuple[str, type[models.Model]]]:
    from wagtail.documents import get_document_model
    from wagtail.images import get_image_model

    return [("image", get_image_model()), ("document", get_document_model())]


# --- Natural keys ------------------------------------------------------------------------------------------
class References:
    """Translates references between primary keys (the database) and natural keys (the kit), in the current
    schema. Built once per export or import; `refresh()` after rows were created."""

    def __init__(self) -> None:
        self.missing: set[str] = set()  # page keys referred to but not (yet) in the site, while importing
        self.refresh()

    def refresh(self) -> None:
        self.refresh_pages()
        self.refresh_media()

    def refresh_pages(self) -> None:
        home = _home()
        self._page_key = {page.pk: _key(page, home) for page in Page.objects.filter(path__startswith=home.path)}
        self._page_pk = {key: pk for pk, key in self._page_key.items()}

    def refresh_media(self) -> None:
        self._media_key: dict[tuple[str, int], str] = {}
        self._media_pk: dict[str, int] = {}
        self.media_files: dict[str, tuple[models.Model, bytes]] = {}
        for kind, model in _media_models():
            rows = sorted(model.objects.all(), key=lambda obj: (obj.title, obj.pk))
            for obj in rows:
                data = _read(obj.file)
                if data is None:
                    continue
                key = base = f"{kind}:{_sha256(data)[:16]}"
                suffix = 2
                while key in self._media_pk:  # the same file uploaded twice
                    key, suffix = f"{base}-{suffix}", suffix + 1
                self._media_key[(kind, obj.pk)] = key
                self._media_pk[key] = obj.pk
                self.media_files[key] = (obj, data)

    def kind_of(self, model: type[models.Model]) -> str | None:
        for kind, media_model in _media_models():
            if issubclass(model, media_model):
                return kind
        return None

    def key_of(self, model: type[models.Model], pk: Any) -> Any:
        """The natural key of row `pk` of `model` (None for None; a dangling reference gives None too)."""
        if pk is None or pk == "":
            return None
        pk = int(pk) if str(pk).isdigit() else pk
        if issubclass(model, Page):
            return self._page_key.get(pk)
        kind = self.kind_of(model)
        if kind is not None:
            return self._media_key.get((kind, pk))
        if any(f.name == "code" and f.unique for f in model._meta.concrete_fields):
            return model._default_manager.filter(pk=pk).values_list("code", flat=True).first()
        raise TypeError(f"{model._meta.label} has no natural key: a kit cannot refer to it.")

    def pk_of(self, model: type[models.Model], key: Any, *, where: str) -> Any:
        """The primary key of the row whose natural key is `key`; KitReferenceError (French) when missing."""
        if key is None or key == "":
            return None
        if issubclass(model, Page):
            found = self._page_pk.get(key)
            if found is None:  # a page created later in the same import: resolved on the second pass
                self.missing.add(key)
                return None
        elif self.kind_of(model) is not None:
            found = self._media_pk.get(key)
        else:
            found = model._default_manager.filter(code=key).values_list("pk", flat=True).first()
        if found is None:
            raise KitReferenceError(
                f"{where} fait référence à « {key} » ({model._meta.verbose_name}), absent du kit et du territoire."
            )
        return found

    # Rich text: <a linktype="page" id="12"> ↔ <a linktype="page" id="/charte/">; documents and image embeds
    # alike. A link whose target is gone loses its target (its text stays), as Wagtail shows it.
    _TAG = re.compile(r"<(a|embed)\b[^>]*>", re.IGNORECASE)
    _TYPE = re.compile(r'\b(?:linktype|embedtype)="([a-z]+)"')
    _ID = re.compile(r'\bid="([^"]*)"')

    def _rich(self, html: str, convert: Callable[[str, str], str | None]) -> str:
        if not html or "type=" not in html:
            return html

        def replace(match: re.Match) -> str:
            tag = match.group(0)
            kind, ident = self._TYPE.search(tag), self._ID.search(tag)
            if kind is None or ident is None or kind.group(1) not in ("page", "document", "image"):
                return tag
            new = convert(kind.group(1), ident.group(1))
            return self._ID.sub(f'id="{new or ""}"', tag, count=1)

        return self._TAG.sub(replace, html)

    def rich_export(self, html: str) -> str:
        def convert(kind: str, ident: str) -> str | None:
            if not ident.isdigit():
                return ident
            return self._page_key.get(int(ident)) if kind == "page" else self._media_key.get((kind, int(ident)))

        return self._rich(html, convert)

    def rich_import(self, html: str) -> str:
        def convert(kind: str, ident: str) -> str | None:
            found = self._page_pk.get(ident) if kind == "page" else self._media_pk.get(ident)
            if found is None and kind == "page" and ident:
                self.missing.add(ident)
            return str(found) if found is not None else None

        return self._rich(html, convert)

    # StreamFields: walk the raw JSON with the block definitions.
    def stream(self, block: blocks.Block, value: Any, *, exporting: bool, where: str) -> Any:
        if isinstance(block, blocks.StreamBlock):
            return self._stream_children(block, value, exporting=exporting, where=where)
        if isinstance(block, blocks.ListBlock):
            return [
                self.stream(
                    block.child_block,
                    entry.get("value") if isinstance(entry, dict) and entry.get("type") == "item" else entry,
                    exporting=exporting,
                    where=where,
                )
                for entry in value or []
            ]
        if isinstance(block, blocks.StructBlock) and isinstance(value, dict):
            children = block.child_blocks
            return {
                name: self.stream(children[name], child, exporting=exporting, where=where)
                if name in children
                else child
                for name, child in value.items()
            }
        if isinstance(block, blocks.RichTextBlock):
            return self.rich_export(value) if exporting else self.rich_import(value)
        if isinstance(block, blocks.ChooserBlock):
            model = block.target_model
            return self.key_of(model, value) if exporting else self.pk_of(model, value, where=where)
        return value

    def _stream_children(self, block: blocks.StreamBlock, value: Any, *, exporting: bool, where: str) -> list:
        out = []
        for child in value or []:
            if not isinstance(child, dict):
                continue
            child_block = block.child_blocks.get(child.get("type"))
            child_value = child.get("value")
            if child_block is not None:
                child_value = self.stream(child_block, child_value, exporting=exporting, where=where)
            out.append({"type": child.get("type"), "value": child_value})
        return out


# --- Pages -------------------------------------------------------------------------------------------------
def _child_relations(model: type[Page]) -> dict[str, str]:
    """The page type's child relations (InlinePanel orderables), by accessor, with their parental key."""
    from modelcluster.models import get_all_child_relations

    return {rel.get_accessor_name(): rel.field.name for rel in get_all_child_relations(model)}


def _fields(model: type[models.Model]) -> dict[str, models.Field]:
    return {f.name: f for f in model._meta.concrete_fields}


def _is_reference(field: models.Field) -> bool:
    return bool(field.is_relation and field.many_to_one and not getattr(field.remote_field, "parent_link", False))


def _value_export(field: models.Field | None, raw: Any, refs: References, where: str) -> Any:
    if isinstance(field, StreamField):
        data = json.loads(raw) if isinstance(raw, str) and raw else (raw or [])
        return refs.stream(field.stream_block, data, exporting=True, where=where)
    if isinstance(field, RichTextField):
        return refs.rich_export(raw or "")
    if field is not None and _is_reference(field):
        return refs.key_of(field.related_model, raw)
    return raw


def _value_import(field: models.Field | None, value: Any, refs: References, where: str) -> Any:
    if isinstance(field, StreamField):
        data = json.loads(value) if isinstance(value, str) and value else (value or [])
        return json.dumps(refs.stream(field.stream_block, data, exporting=False, where=where))
    if isinstance(field, RichTextField):
        return refs.rich_import(value or "")
    if field is not None and _is_reference(field):
        return refs.pk_of(field.related_model, value, where=where)
    return value


def _content(page: Page, refs: References, key: str) -> dict[str, Any]:
    """The page's content without Wagtail's bookkeeping, references by natural key."""
    model = type(page)
    fields = _fields(model)
    children = _child_relations(model)
    where = f"La page « {key} »"
    content: dict[str, Any] = {}
    for name, raw in page.serializable_data().items():
        if name in _NOT_CONTENT:
            continue
        if name in children:
            child_model = model._meta.get_field(name).related_model
            child_fields = _fields(child_model)
            content[name] = [
                {
                    k: _value_export(child_fields.get(k), v, refs, where)
                    for k, v in row.items()
                    if k not in ("pk", "id", children[name], "sort_order")
                }
                for row in raw or []
            ]
            continue
        content[name] = _value_export(fields.get(name), raw, refs, where)
    return _plain(content)


def pages_export() -> tuple[KitItems, KitFiles]:
    home = _home()
    refs = References()
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
            **_content(page, refs, keys[page.path]),
        }
    return items, {}


def _serializable(model: type[Page], item: dict[str, Any], refs: References, key: str) -> dict[str, Any]:
    """The item as Wagtail's revision content (`serializable_data`) of a page of `model`."""
    fields = _fields(model)
    children = _child_relations(model)
    where = f"La page « {key} »"
    content: dict[str, Any] = {}
    for name, value in item.items():
        if name in _PLACEMENT:
            continue
        if name in children:
            child_fields = _fields(model._meta.get_field(name).related_model)
            content[name] = [
                {
                    **{k: _value_import(child_fields.get(k), v, refs, where) for k, v in row.items()},
                    "pk": None,
                    "sort_order": position,
                }
                for position, row in enumerate(value or [])
            ]
        elif name in fields:
            content[name] = _value_import(fields[name], value, refs, where)
        # A field this installation's page type does not have (a newer kit) is left out.
    return content


def _revise(page: Page, content: dict[str, Any], *, publish: bool) -> Page:
    """Give the page `content` as a new revision, published when asked."""
    updated = page.with_content_json({**page.serializable_data(), **content})
    revision = updated.save_revision(clean=False)
    if publish:
        revision.publish(skip_permission_checks=True)
    return Page.objects.get(pk=page.pk)


def _page_model(key: str, item: dict[str, Any]) -> type[Page]:
    from django.apps import apps

    try:
        model = apps.get_model(item["type"])
    except (LookupError, ValueError, KeyError):
        raise KitReferenceError(f"La page « {key} » est d'un type inconnu : « {item.get('type')} ».") from None
    if not issubclass(model, Page):
        raise KitReferenceError(f"« {item.get('type')} » (page « {key} ») n'est pas un type de page.")
    return model


def page_create(parent: Page, key: str, item: dict[str, Any], refs: References) -> Page:
    """Create the page of a kit item under `parent`, with all its content (required fields included), as a
    revision published when the item is live."""
    model = _page_model(key, item)
    content = _serializable(model, item, refs, key)
    page = model.from_serializable_data({**content, "pk": None, "live": False}, check_fks=False)
    parent.specific.add_child(instance=page)
    page = _revise(page, content, publish=bool(item.get("live", True)))
    refs.refresh_pages()
    return page


def pages_apply(items: KitItems, files: KitFiles) -> None:
    """Create and update the kit's pages (parents first), in the kit's order among siblings. Pages the kit
    lacks are removed by `pages_prune`, after every section's apply."""
    current, _ = pages_export()
    home = _home()
    by_key = {_key(page, home): page for page in Page.objects.filter(path__startswith=home.path)}
    refs = References()
    if "/" in items and items["/"].get("type") != current["/"]["type"]:
        raise KitReferenceError(
            f"La page d'accueil du territoire est de type « {current['/']['type']} », celle du kit "
            f"« {items['/'].get('type')} » : le type de la page d'accueil ne peut pas changer."
        )
    # A page whose type changed is replaced (Wagtail cannot change a page's type).
    for key in sorted(by_key, key=lambda k: -k.count("/")):
        if key != "/" and key in items and items[key].get("type") != current[key]["type"]:
            by_key.pop(key).specific.delete()
            refs.refresh_pages()
    unresolved: list[str] = []  # pages that refer to a page created after them
    for key in sorted(items, key=lambda k: (k.count("/") if k != "/" else 0, items[k].get("position", 0), k)):
        item = items[key]
        if key in by_key and current.get(key) == item:
            continue
        refs.missing.clear()
        if key in by_key:
            page = by_key[key].specific
            publish = bool(item.get("live", True))
            if not publish and page.live:
                page.unpublish(log_action=None)
            by_key[key] = _revise(page, _serializable(_page_model(key, item), item, refs, key), publish=publish)
        else:
            parent = by_key.get(item.get("parent"))
            if parent is None:
                raise KitReferenceError(f"La page « {key} » a pour parent « {item.get('parent')} », absent du kit.")
            by_key[key] = page_create(parent, key, item, refs)
        if refs.missing - {key}:
            unresolved.append(key)
    refs.refresh_pages()
    for key in unresolved:  # second pass: every page of the kit exists now
        item = items[key]
        content = _serializable(_page_model(key, item), item, refs, key)
        by_key[key] = _revise(by_key[key].specific, content, publish=bool(item.get("live", True)))
    _order(items, by_key)
    page_cache_purge()  # the public site shows the new pages at once


def pages_ensure(items: KitItems) -> list[str]:
    """Create the pages of `items` that the site lacks (parents first), leaving every existing page as it is
    (admins may have edited it). Returns the keys of the pages created."""
    home = _home()
    by_key = {_key(page, home): page for page in Page.objects.filter(path__startswith=home.path)}
    refs = References()
    created = []
    unresolved = []
    for key in sorted(items, key=lambda k: (k.count("/") if k != "/" else 0, items[k].get("position", 0), k)):
        parent = by_key.get(items[key].get("parent"))
        if key in by_key or parent is None:
            continue
        refs.missing.clear()
        by_key[key] = page_create(parent, key, items[key], refs)
        created.append(key)
        if refs.missing - {key}:
            unresolved.append(key)
    for key in unresolved:  # links to pages created after them
        item = items[key]
        content = _serializable(_page_model(key, item), item, refs, key)
        by_key[key] = _revise(by_key[key].specific, content, publish=bool(item.get("live", True)))
    if created:
        page_cache_purge()
    return created


def _order(items: KitItems, by_key: dict[str, Page]) -> None:
    """Put each parent's children in the kit's order (kit pages first, by position)."""
    parents: dict[str, list[str]] = {}
    for key, item in items.items():
        if item.get("parent") is not None:
            parents.setdefault(item["parent"], []).append(key)
    for parent_key, keys in parents.items():
        parent = by_key.get(parent_key)
        if parent is None:
            continue
        wanted = [by_key[key].pk for key in sorted(keys, key=lambda k: (items[k].get("position", 0), k))]
        actual = [
            pk for pk in Page.objects.get(pk=parent.pk).get_children().values_list("pk", flat=True) if pk in wanted
        ]
        if actual == wanted:
            continue
        for pk in wanted:
            Page.objects.get(pk=pk).move(Page.objects.get(pk=parent.pk), pos="last-child")


def pages_prune(items: KitItems) -> None:
    """Remove the pages the kit lacks (deepest first)."""
    home = _home()
    for page in sorted(Page.objects.filter(path__startswith=home.path), key=lambda p: -p.depth):
        key = _key(page, home)
        if key != "/" and key not in items and Page.objects.filter(pk=page.pk).exists():
            page.specific.delete()
    page_cache_purge()


def pages_describe(key: str, item: dict[str, Any] | None, path: tuple[str, ...]) -> str:
    """« Page “Charte des valeurs” » and its fields by their French names."""
    from django.apps import apps

    title = (item or {}).get("title") or key
    if not path:
        return f"Page « {title} » ({key})"
    names = {"type": "type de page", "parent": "page parente", "position": "place parmi les pages sœurs"}
    try:
        model = apps.get_model((item or {}).get("type") or "wagtailcore.page")
        field = model._meta.get_field(path[0])
        label = str(getattr(field, "verbose_name", path[0]))
    except (LookupError, ValueError, FieldDoesNotExist):
        label = names.get(path[0], path[0])
    return label


# --- Images and documents -----------------------------------------------------------------------------------
_FOCAL = ("focal_point_x", "focal_point_y", "focal_point_width", "focal_point_height")


# The suffix Django's storages add to a name already taken (`logo_kzCs70d.png`): not part of the file's name.
_STORAGE_SUFFIX = re.compile(r"_[A-Za-z0-9]{7}(?=\.[^.]+$|$)")


def media_export() -> tuple[KitItems, KitFiles]:
    refs = References()
    items: KitItems = {}
    files: KitFiles = {}
    for key in sorted(refs.media_files):
        obj, data = refs.media_files[key]
        kind = key.split(":", 1)[0]
        name = _STORAGE_SUFFIX.sub("", PurePosixPath(obj.file.name).name)
        file_key = f"{kind}s/{key.split(':', 1)[1]}{PurePosixPath(name).suffix.lower()}"
        item: dict[str, Any] = {
            "kind": kind,
            "title": obj.title,
            "file": file_key,
            "filename": name,
            "sha256": _sha256(data),
            "collection": obj.collection.name,
        }
        if kind == "image":
            item.update({name: getattr(obj, name) for name in _FOCAL})
        items[key] = item
        files[file_key] = data
    return items, files


def _store(obj, kind: str, filename: str, data: bytes) -> None:
    """Save the file through the field's storage (which picks a free name) and set its metadata."""
    folder = "original_images" if kind == "image" else "documents"
    field = obj._meta.get_field("file")
    obj.file.name = field.storage.save(f"{folder}/{PurePosixPath(filename).name}", ContentFile(data))
    if kind == "image":
        with PILImage.open(io.BytesIO(data)) as picture:
            obj.width, obj.height = picture.size
        obj._set_image_file_metadata()
    else:
        obj._set_document_file_metadata()


def media_apply(items: KitItems, files: KitFiles) -> None:
    """Create the kit's images and documents the territory lacks (found by file hash), update the titles,
    collections and focal points of those it has. Those the kit lacks go in `media_prune`."""
    refs = References()
    root = Collection.get_first_root_node()
    models_by_kind = dict(_media_models())
    for key, item in items.items():
        kind = item.get("kind")
        model = models_by_kind.get(kind)
        if model is None:
            raise KitReferenceError(f"Élément « {key} » : type de fichier inconnu « {kind} ».")
        collection = Collection.objects.filter(name=item.get("collection")).first() or root
        fields: dict[str, Any] = {"title": item.get("title") or item.get("filename") or key, "collection": collection}
        if kind == "image":
            fields.update({name: item.get(name) for name in _FOCAL})
        existing = refs.media_files.get(key)
        if existing is not None:
            obj = existing[0]
            if any(getattr(obj, name) != value for name, value in fields.items()):
                for name, value in fields.items():
                    setattr(obj, name, value)
                obj.save()
            continue
        data = files.get(item.get("file") or "")
        if data is None:
            raise KitReferenceError(f"Le fichier de « {fields['title']} » manque dans le kit.")
        if _sha256(data) != item.get("sha256", _sha256(data)):
            raise KitReferenceError(f"Le fichier de « {fields['title']} » ne correspond pas à son empreinte.")
        obj = model(**fields)
        _store(obj, kind, item.get("filename") or item["file"], data)
        obj.save()
    _sequences_fix()


def media_prune(items: KitItems) -> None:
    refs = References()
    for key, (obj, _data) in refs.media_files.items():
        if key not in items:
            obj.delete()


def _sequences_fix() -> None:
    """A schema copied row by row keeps its sequences; make sure new rows get free ids."""
    with connection.cursor() as cursor:
        for _kind, model in _media_models():
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), GREATEST(COALESCE(MAX(id), 0), 1)) FROM {table}",  # noqa: S608
                [table],
            )


def media_describe(key: str, item: dict[str, Any] | None, path: tuple[str, ...]) -> str:
    item = item or {}
    kind = "Image" if item.get("kind") == "image" else "Document"
    if not path:
        return f"{kind} « {item.get('title') or item.get('filename') or key} »"
    labels = {
        "title": "titre",
        "collection": "collection",
        "file": "fichier",
        "filename": "nom du fichier",
        "sha256": "contenu du fichier",
        "focal_point_x": "point focal",
        "focal_point_y": "point focal",
        "focal_point_width": "point focal",
        "focal_point_height": "point focal",
    }
    return labels.get(path[0], path[0])


def text_of(value: Any) -> str:
    """Plain text of a page field's kit value (rich text without tags, streams flattened), for the clone
    checklist's searches."""
    if isinstance(value, str):
        return strip_tags(value)
    if isinstance(value, list):
        return " ".join(text_of(v) for v in value)
    if isinstance(value, dict):
        return " ".join(text_of(v) for k, v in value.items() if k != "type")
    return ""


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
        version=2,
        export=media_export,
        apply=media_apply,
        prune=media_prune,
        models=("wagtailimages.Image", "wagtailimages.Rendition", "wagtaildocs.Document"),
        order=30,
        describe=media_describe,
    ),
    KitSection(
        code="pages",
        label="Pages du site",
        version=2,
        export=pages_export,
        apply=pages_apply,
        prune=pages_prune,
        models=_WAGTAIL_CONFIGURATION,
        order=40,
        volatile=("position", "live"),
        describe=pages_describe,
    ),
]
