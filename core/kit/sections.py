"""The core's own kit sections (catalogue, pole settings, roles and groups, reference lists, workflows and forms)
and the list of all sections."""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction

from core.hookspecs import KitFiles, KitItems, KitSection
from core.kit.archive import KitError
from core.kit.coded import coded_model_section

# Rows of these models are configuration of the framework itself: a clone always keeps them.
FRAMEWORK_MODELS = ("contenttypes.ContentType", "auth.Permission")


# --- Catalogue ----------------------------------------------------------------------------------------------
_CATALOGUE_FIELDS = ("pole", "title", "summary", "description", "audience", "is_active", "shipped_checksum")


def catalogue_export() -> tuple[KitItems, KitFiles]:
    from core.models import CatalogueService

    items = {
        service.code: {name: getattr(service, name) for name in _CATALOGUE_FIELDS}
        for service in CatalogueService.objects.order_by("code")
    }
    return items, {}


def catalogue_apply(items: KitItems, files: KitFiles) -> None:
    from core.models import CatalogueService

    existing = {service.code: service for service in CatalogueService.objects.all()}
    for code, values in items.items():
        fields = {name: values[name] for name in _CATALOGUE_FIELDS if name in values}
        service = existing.get(code)
        if service is None:
            CatalogueService.objects.create(code=code, **fields)
        elif any(getattr(service, name) != value for name, value in fields.items()):
            for name, value in fields.items():
                setattr(service, name, value)
            service.save()


def catalogue_prune(items: KitItems) -> None:
    """Remove the services the kit lacks; one still shown by a page (or used elsewhere) is refused."""
    from django.db.models import ProtectedError

    from core.models import CatalogueService

    for service in CatalogueService.objects.exclude(code__in=list(items)).order_by("code"):
        try:
            with transaction.atomic():
                service.delete()
        except ProtectedError as exc:
            users = sorted({str(obj) for obj in exc.protected_objects})
            raise KitError(
                f"Le service « {service.title} » ne peut pas être supprimé : "
                f"{', '.join(f'« {name} »' for name in users[:3])} l'utilise encore. "
                "Supprimez d'abord cette page (ou gardez le service)."
            ) from None


# --- Pole switches and settings (rows of the public schema, for the current territory) ----------------------
def _current_territory():
    from tenants.models import Territory

    return Territory.objects.get(schema_name=connection.schema_name)


def poles_export() -> tuple[KitItems, KitFiles]:
    from core.plugins import poles
    from tenants.models import TerritoryPole

    rows = {row.pole: row for row in TerritoryPole.objects.filter(territory=_current_territory())}
    items: KitItems = {}
    for code in sorted(set(poles()) | set(rows)):
        row = rows.get(code)
        items[code] = {"enabled": row.enabled if row else True, "settings": row.settings if row else {}}
    return items, {}


def poles_apply(items: KitItems, files: KitFiles) -> None:
    from tenants.models import TerritoryPole

    territory = _current_territory()
    TerritoryPole.objects.filter(territory=territory).exclude(pole__in=list(items)).delete()
    for code, values in items.items():
        TerritoryPole.objects.update_or_create(
            territory=territory,
            pole=code,
            defaults={"enabled": bool(values.get("enabled", True)), "settings": values.get("settings") or {}},
        )
    if hasattr(connection.tenant, "_ppe_disabled_poles"):
        del connection.tenant._ppe_disabled_poles


# --- Roles and groups ---------------------------------------------------------------------------------------
def roles_export() -> tuple[KitItems, KitFiles]:
    from django.contrib.auth.models import Group

    items: KitItems = {}
    for group in Group.objects.prefetch_related("permissions__content_type").order_by("name"):
        permissions = sorted(f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all())
        items[group.name] = {"permissions": permissions}
    return items, {}


def roles_apply(items: KitItems, files: KitFiles) -> None:
    from django.contrib.auth.models import Group, Permission

    Group.objects.exclude(name__in=list(items)).delete()
    by_key = {
        f"{app}.{codename}": pk
        for pk, app, codename in Permission.objects.values_list("pk", "content_type__app_label", "codename")
    }
    for name, values in items.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = values.get("permissions") or []
        # A permission of a model this installation does not have is skipped (an optional pole not installed).
        group.permissions.set([by_key[key] for key in wanted if key in by_key])


# --- Workflows and forms (the engine's `ppe-workflow/1` format), and the reference lists they use ----------
_WORKFLOW_FORMAT = "ppe-workflow/1"


def _plain(value):
    """JSON-friendly copy (YAML-dumpable, comparable after a round trip)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


# The engine's lists whose entries have a `code`: in the kit they are mappings by code, so that a merge works
# state by state, transition by transition and form by form (their order is the mapping's).
_BY_CODE = ("forms", "states", "transitions")


def _by_code(spec: dict) -> dict:
    item = dict(spec)
    for name in _BY_CODE:
        entries = item.get(name)
        if isinstance(entries, list) and all(isinstance(e, dict) and e.get("code") for e in entries):
            item[name] = {e["code"]: {k: v for k, v in e.items() if k != "code"} for e in entries}
    return item


def _as_lists(item: dict) -> dict:
    spec = dict(item)
    for name in _BY_CODE:
        entries = spec.get(name)
        if isinstance(entries, dict):
            spec[name] = [{"code": code, **(values or {})} for code, values in entries.items()]
    return spec


def workflows_export() -> tuple[KitItems, KitFiles]:
    """Each workflow's published version (its latest draft when none is published), as the engine exports it
    (`ppe-workflow/1`), its forms, states and transitions as mappings by code."""
    from workflows.models import WorkflowDefinition, WorkflowVersion
    from workflows.serialization import version_spec

    items: KitItems = {}
    for definition in WorkflowDefinition.objects.order_by("code"):
        versions = definition.versions.order_by("-number")
        version = versions.filter(status=WorkflowVersion.Status.PUBLISHED).first() or versions.first()
        if version is None:
            continue
        spec = _plain(version_spec(version))
        item = _by_code({key: value for key, value in spec.items() if key not in ("format", "code")})
        item["published"] = version.status == WorkflowVersion.Status.PUBLISHED
        # The engine's bookkeeping of the pole's shipped file: a later pole upgrade behaves as at the source.
        item["shipped_checksum"] = definition.shipped_checksum
        item["shipped_spec_checksum"] = definition.shipped_spec_checksum
        if definition.retention_years is not None:  # RGPD: years its closed cases keep their personal data
            item["retention_years"] = definition.retention_years
        items[definition.code] = item
    return items, {}


def workflows_apply(items: KitItems, files: KitFiles) -> None:
    """A workflow whose definition differs gets a new version (published when the kit's is), imported by the
    engine; the running cases keep their version. A workflow the kit does not have is left as it is: cases
    may still run on it."""
    from workflows.models import WorkflowDefinition
    from workflows.services import workflow_import

    bookkeeping = ("published", "shipped_checksum", "shipped_spec_checksum", "retention_years")
    current, _ = workflows_export()
    for code, item in items.items():
        if current.get(code) == item:
            continue
        definition = _as_lists({k: v for k, v in item.items() if k not in bookkeeping})
        spec = {"format": _WORKFLOW_FORMAT, "code": code, **definition}
        definition_now = {k: v for k, v in (current.get(code) or {}).items() if k not in bookkeeping}
        if definition_now != {k: v for k, v in item.items() if k not in bookkeeping}:
            workflow_import(source=spec, publish=bool(item.get("published", True)))
        WorkflowDefinition.objects.filter(code=code).update(
            shipped_checksum=item.get("shipped_checksum") or "",
            shipped_spec_checksum=item.get("shipped_spec_checksum") or "",
            retention_years=item.get("retention_years"),
        )


_WORKFLOW_FIELDS = {
    "name": "nom",
    "description": "description",
    "pole": "pôle",
    "open_form": "formulaire d'ouverture",
    "open_roles": "rôles qui peuvent ouvrir un dossier",
    "reference_prefix": "préfixe des références",
    "published": "version publiée",
    "shipped_checksum": "version livrée par le pôle",
    "shipped_spec_checksum": "version livrée par le pôle",
    "retention_years": "conservation des données personnelles après clôture (années)",
}
_PART_NAMES = {"states": "État", "transitions": "Transition", "forms": "Formulaire"}
_PART_FIELDS = {
    "label": "libellé",
    "name": "nom",
    "kind": "type d'état",
    "sla_days": "délai (jours ouvrés)",
    "responsible": "responsable",
    "to": "état d'arrivée",
    "from": "états de départ",
    "roles": "rôles autorisés",
    "guard": "condition",
    "form": "formulaire à remplir",
    "actions": "actions",
    "comment": "commentaire",
    "fields": "champs",
    "description": "description",
}
_STATE_KINDS = {"initial": "initial", "normal": "intermédiaire", "final": "final"}
_COMMENT = {"required": "obligatoire", "optional": "facultatif", "none": "aucun"}


def workflows_describe(key: str, item: dict | None, path: tuple[str, ...]) -> str:
    """« Workflow “Demande d'accompagnement” », « Transition “Refuser la demande” : libellé »."""
    item = item or {}
    if not path:
        return f"Workflow « {item.get('name') or key} »"
    if path[0] in _PART_NAMES and len(path) >= 2:
        part = (item.get(path[0]) or {}).get(path[1]) or {}
        title = f"{_PART_NAMES[path[0]]} « {part.get('label') or part.get('name') or path[1]} »"
        if len(path) == 2:
            return title
        return f"{title} : {_PART_FIELDS.get(path[2], path[2])}"
    return _WORKFLOW_FIELDS.get(path[0], path[0])


def _role_label(code: str) -> str:
    from core.roles import Role

    return str(Role(code).label) if code in Role.values else code


def workflows_display(key: str, item: dict | None, path: tuple[str, ...], value) -> str | None:
    """States by their label, roles by their name, kinds and comment rules in French."""
    item = item or {}
    states = item.get("states") or {}
    last = path[-1] if path else ""

    def state(code: str) -> str:
        return (states.get(code) or {}).get("label") or code

    if path[:1] == ("transitions",) and last in ("to", "from"):
        codes = value if isinstance(value, list) else [value]
        return ", ".join(state(code) for code in codes if code)
    if last in ("roles", "open_roles", "responsible"):
        codes = value if isinstance(value, list) else [value]
        return ", ".join(_role_label(code) for code in codes if code)
    if last == "kind" and isinstance(value, str):
        return _STATE_KINDS.get(value, value)
    if last == "comment" and isinstance(value, str):
        return _COMMENT.get(value, value)
    return None


def reference_lists_export() -> tuple[KitItems, KitFiles]:
    from workflows.models import ReferenceList

    items: KitItems = {}
    for ref_list in ReferenceList.objects.prefetch_related("items").order_by("code"):
        entries = sorted(ref_list.items.all(), key=lambda entry: (entry.position, entry.pk))
        items[ref_list.code] = {
            "name": ref_list.name,
            "items": [
                {"value": e.value, "label": e.label, "is_active": e.is_active, "position": e.position} for e in entries
            ],
        }
    return items, {}


def reference_lists_apply(items: KitItems, files: KitFiles) -> None:
    from workflows.models import ReferenceItem, ReferenceList

    current, _ = reference_lists_export()
    for code, item in items.items():
        if current.get(code) == item:
            continue
        ref_list, _ = ReferenceList.objects.update_or_create(code=code, defaults={"name": item.get("name", code)})
        wanted = {entry["value"]: entry for entry in item.get("items") or []}
        ref_list.items.exclude(value__in=list(wanted)).delete()
        for value, entry in wanted.items():
            ReferenceItem.objects.update_or_create(
                list=ref_list,
                value=value,
                defaults={
                    "label": entry.get("label", value),
                    "is_active": bool(entry.get("is_active", True)),
                    "position": int(entry.get("position", 0)),
                },
            )
    # A list the kit does not have stays: workflow fields and cases may refer to it.


CORE_SECTIONS = (
    KitSection(
        code="catalogue",
        label="Catalogue de services",
        version=1,
        export=catalogue_export,
        apply=catalogue_apply,
        prune=catalogue_prune,
        models=("core.CatalogueService",),
        order=20,
    ),
    KitSection(
        code="poles",
        label="Pôles activés et leurs réglages",
        version=1,
        export=poles_export,
        apply=poles_apply,
        order=10,
    ),
    KitSection(
        code="roles",
        label="Rôles et groupes",
        version=1,
        export=roles_export,
        apply=roles_apply,
        models=("auth.Group",),
        order=5,
    ),
    KitSection(
        code="reference_lists",
        label="Listes de référence des formulaires",
        version=1,
        export=reference_lists_export,
        apply=reference_lists_apply,
        models=("workflows.ReferenceList", "workflows.ReferenceItem"),
        order=25,
    ),
    KitSection(
        code="workflows",
        label="Workflows et formulaires",
        version=2,
        export=workflows_export,
        apply=workflows_apply,
        describe=workflows_describe,
        display=workflows_display,
        models=(
            "workflows.WorkflowDefinition",
            "workflows.WorkflowVersion",
            "workflows.State",
            "workflows.FormDefinition",
            "workflows.Transition",
            "workflows.FieldDefinition",
        ),
        order=50,
    ),
    coded_model_section(
        code="notification_templates", label="Modèles de notification", model="core.NotificationTemplate", order=45
    ),
)


def kit_sections_all() -> list[KitSection]:
    """The core's sections and those every installed plugin contributes (`kit_sections` hook), by `order`.

    Poles switched off in a territory are asked too: their configuration stays the territory's while they
    are off (the switch itself travels in the `poles` section). Raises ValueError when two sections share a
    code (a programming error of a plugin)."""
    from core.plugins import plugin_manager

    sections = list(CORE_SECTIONS)
    for contributed in plugin_manager().hook.kit_sections():
        sections.extend(contributed or [])
    codes = [section.code for section in sections]
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        raise ValueError(f"Kit sections declared twice: {', '.join(duplicates)}")
    return sorted(sections, key=lambda section: (section.order, section.code))
