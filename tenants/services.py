"""Provisioning: the public and template territories, and new territories cloned from a template schema."""

from __future__ import annotations

import logging
import re
import time
import unicodedata
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from django_tenants.utils import get_public_schema_name, schema_context, schema_exists

from tenants.models import DEPARTEMENT_CODE, Domain, Territory, TerritoryPole
from tenants.signals import territory_provisioned, territory_published

logger = logging.getLogger("ppe.tenants")

TEMPLATE_SCHEMA = "template"


def _domain_for(slug: str) -> str:
    return f"{slug}.{settings.PPE_DOMAIN_SUFFIX}"


def schema_name_for(code: str) -> str:
    return f"dep_{code.lower()}"


def public_territory_ensure() -> Territory:
    """The public schema's row, with the platform's own host (the directory of territories)."""
    territory, _ = Territory.objects.get_or_create(
        schema_name=get_public_schema_name(),
        defaults={"name": "Plateforme Petite Enfance", "slug": "plateforme"},
    )
    Domain.objects.get_or_create(domain=settings.PPE_PUBLIC_DOMAIN, defaults={"tenant": territory, "is_primary": True})
    return territory


def template_ensure() -> Territory:
    """The template territory: a real tenant (so `migrate_schemas` keeps it current) that new ones clone.

    The first call builds its schema by running the migrations (about ten seconds); every later territory is
    a copy of it.
    """
    public_territory_ensure()
    territory = Territory.objects.filter(schema_name=TEMPLATE_SCHEMA).first()
    if territory is None:
        started = time.perf_counter()
        territory = Territory(schema_name=TEMPLATE_SCHEMA, name="Modèle de territoire", slug="modele", is_template=True)
        # Migrations cannot run in one transaction (Wagtail's alter tables with pending trigger events);
        # a failure here drops the schema with the row (auto_drop_schema).
        if schema_exists(TEMPLATE_SCHEMA):
            # The row was lost (a flushed test database, a restored public schema): adopt the schema.
            territory.auto_create_schema = False
        try:
            territory.save(verbosity=0)
        except Exception:
            if territory.pk:
                territory.delete(force_drop=True)
            raise
        try:
            with transaction.atomic():
                Domain.objects.create(domain=_domain_for("modele"), tenant=territory, is_primary=True)
                _site_configure(territory, _domain_for("modele"))
                with schema_context(territory.schema_name):
                    territory_provisioned.send(sender=Territory, territory=territory, source=None, sample_data=False)
        except Exception:
            connection.set_schema_to_public()
            territory.delete(force_drop=True)
            raise
        logger.info("Template territory built by migrations in %.1f s", time.perf_counter() - started)
    return territory


# Steps of a clone, in order, for progress bars (command, admin).
CLONE_STEPS = (
    "Vérification de la demande",
    "Copie du schéma du modèle",
    "Domaine, pôles et site",
    "Configuration du territoire (données personnelles retirées)",
)

ProgressCallback = Callable[[int, int, str], None]


def territory_create(
    *,
    code: str,
    name: str,
    slug: str | None = None,
    domain: str | None = None,
    source: Territory | None = None,
    sample_data: bool = False,
) -> Territory:
    """Create a territory by cloning a template schema (not by running the migrations).

    Raises ValidationError (French messages, keyed by field) on bad input; nothing is written then.
    """
    return territory_clone(code=code, name=name, slug=slug, domain=domain, source=source, sample_data=sample_data)


def territory_clone_check(
    *, code: str, name: str, slug: str | None = None, domain: str | None = None, source: Territory | None = None
) -> tuple[str, str, str, str]:
    """The request of a new territory, normalised (code, name, slug, domain); ValidationError (French
    messages, keyed by field) when it cannot be served. Nothing is written."""
    connection.set_schema_to_public()
    code = (code or "").strip().upper()
    name = (name or "").strip()
    slug = slugify(slug or _ascii(name))
    domain = (domain or _domain_for(slug)).strip().lower().rstrip(".")
    errors: dict[str, str] = {}
    try:
        DEPARTEMENT_CODE(code)
    except ValidationError as exc:
        errors["code"] = exc.messages[0]
    if not name:
        errors["name"] = "Le nom du territoire est obligatoire."
    if not slug:
        errors["slug"] = "L'identifiant du territoire est obligatoire."
    if not re.fullmatch(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?", domain):
        errors["domain"] = f"Nom de domaine invalide : « {domain} »."
    if code and Territory.objects.filter(code=code).exists():
        errors["code"] = f"Le territoire du département {code} existe déjà."
    elif code and "code" not in errors and schema_exists(schema_name_for(code)):
        errors["code"] = f"Le schéma « {schema_name_for(code)} » existe déjà sans territoire : supprimez-le d'abord."
    if Territory.objects.filter(slug=slug).exists():
        errors["slug"] = f"L'identifiant « {slug} » est déjà pris."
    if Domain.objects.filter(domain=domain).exists():
        errors["domain"] = f"Le domaine « {domain} » est déjà utilisé."
    if source is not None and source.schema_name == get_public_schema_name():
        errors["source"] = "Le schéma public ne peut pas servir de modèle."
    if errors:
        raise ValidationError(errors)
    return code, name, slug, domain


def territory_clone(
    *,
    code: str,
    name: str,
    slug: str | None = None,
    domain: str | None = None,
    source: Territory | None = None,
    sample_data: bool = False,
    draft: bool | None = None,
    actor: Any = None,
    progress: ProgressCallback | None = None,
) -> Territory:
    """Create a territory as a copy of `source`'s configuration (the template by default).

    The source's schema is cloned; the receivers of `territory_provisioned` then keep its configuration only
    (workflows, forms, catalogue, pages, roles and groups) and remove its cases, people and directory, unless
    `sample_data` asks for sample data on top. The source's pole switches and settings are copied.
    `progress(step, total, label)` is called before each step of `CLONE_STEPS`.
    A clone of a real territory (not of the template) is a draft by default (`draft`): its site stays
    offline, with a checklist of what names the source, until `territory_publish`.
    Raises ValidationError (French messages, keyed by field) on bad input; nothing is written then.
    """
    report = progress or (lambda step, total, label: None)
    total = len(CLONE_STEPS)
    connection.set_schema_to_public()  # territories are created from the public schema
    report(1, total, CLONE_STEPS[0])
    code, name, slug, domain = territory_clone_check(code=code, name=name, slug=slug, domain=domain, source=source)
    source = source or template_ensure()
    if not schema_exists(source.schema_name):
        raise ValidationError({"source": f"Le schéma modèle « {source.schema_name} » est introuvable."})
    started = time.perf_counter()
    with transaction.atomic():
        report(2, total, CLONE_STEPS[1])
        if draft is None:
            draft = not source.is_template
        territory = Territory(
            schema_name=schema_name_for(code),
            name=name,
            code=code,
            slug=slug,
            cloned_from=source,
            published_at=None if draft else timezone.now(),
        )
        territory.clone_source_schema = source.schema_name
        territory.save(verbosity=0)
        report(3, total, CLONE_STEPS[2])
        Domain.objects.create(domain=domain, tenant=territory, is_primary=True)
        TerritoryPole.objects.bulk_create(
            TerritoryPole(territory=territory, pole=pole.pole, enabled=pole.enabled, settings=pole.settings)
            for pole in TerritoryPole.objects.filter(territory=source)
        )
        _site_configure(territory, domain)
        report(4, total, CLONE_STEPS[3])
        with schema_context(territory.schema_name):
            territory_provisioned.send(sender=Territory, territory=territory, source=source, sample_data=sample_data)
    connection.set_schema_to_public()
    logger.info(
        "Territory %s cloned from %s in %.2f s (actor: %s)",
        territory.schema_name,
        source.schema_name,
        time.perf_counter() - started,
        getattr(actor, "username", actor),
    )
    return territory


def territory_publish(*, territory: Territory, actor: Any = None) -> Territory:
    """Put a draft territory's site online (every page that was online at its source goes online in its
    latest version). Raises ValidationError (French) when the territory is not a draft."""
    if not territory.is_draft:
        raise ValidationError({"territory": f"Le site de « {territory.name} » est déjà publié."})
    with transaction.atomic():
        territory.published_at = timezone.now()
        territory.save(update_fields=["published_at"])
        with schema_context(territory.schema_name):
            territory_published.send(sender=Territory, territory=territory)
    connection.set_schema_to_public()
    logger.info("Territory %s published by %s", territory.schema_name, getattr(actor, "username", actor))
    return territory


def territory_delete(*, territory: Territory, actor: Any = None) -> None:
    """Delete a territory: its files (through their storages), its schema and its rows. The public row and the
    template are the platform's own and are refused (ValidationError, French)."""
    from tenants.media import territory_files_delete

    if territory.is_platform_row:
        raise ValidationError(
            {"territory": f"« {territory} » appartient à la plateforme elle-même : il ne peut pas être supprimé."}
        )
    connection.set_schema_to_public()
    schema = territory.schema_name
    if schema_exists(schema):
        territory_files_delete(schema)
    with transaction.atomic():
        with connection.cursor() as cursor:  # deferred checks of rows written in this transaction run first
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        territory.delete(force_drop=True)
    connection.set_schema_to_public()
    logger.info("Territory %s deleted by %s", schema, getattr(actor, "username", actor))


def territory_domain_ensure(*, territory: Territory, domain: str) -> Domain:
    obj, _ = Domain.objects.get_or_create(domain=domain, defaults={"tenant": territory, "is_primary": True})
    if obj.tenant_id != territory.pk:
        raise ValidationError({"domain": f"Le domaine « {domain} » appartient à un autre territoire."})
    return obj


def _site_configure(territory: Territory, hostname: str) -> None:
    """Point the territory's Wagtail site at its host and name."""
    from wagtail.models import Site

    with schema_context(territory.schema_name):
        site = Site.objects.filter(is_default_site=True).first()
        if site is not None:
            site.hostname = hostname
            site.site_name = territory.name
            site.port = 80
            site.save()


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
