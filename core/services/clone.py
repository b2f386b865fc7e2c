"""A cloned territory keeps its source's configuration only: every table that no kit section declares as
configuration (cases, people, accounts, the directory of structures and operators, logs) is emptied.

A clone asked from the platform admin's back office runs as a background job (`ProvisioningJob`) whose progress
the admin watches; its first admin is invited at the end (the link is shown to the platform admin)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.files.base import ContentFile
from django.db import connection, models, transaction
from django_tenants.utils import schema_context, tenant_context

from core.kit.sections import FRAMEWORK_MODELS, kit_sections_all

logger = logging.getLogger("ppe.core")

# Kept tables that point at any object through a content type: rows about emptied models are removed.
_GENERIC_REFERENCES = {
    "wagtailsearch.IndexEntry": ("content_type",),
    "wagtailcore.ReferenceIndex": ("content_type", "to_content_type"),
    "taggit.TaggedItem": ("content_type",),
    "wagtailcore.Revision": ("base_content_type",),
}


@dataclass
class ConfigurationKeepReport:
    kept: list[str] = field(default_factory=list)
    emptied: list[str] = field(default_factory=list)
    files_copied: int = 0


def _tenant_models() -> list[type[models.Model]]:
    tenant_apps = set(settings.TENANT_APPS)
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_config.name in tenant_apps and model._meta.managed and not model._meta.proxy
    ]


def configuration_models() -> set[type[models.Model]]:
    """The models whose rows are configuration: the framework's, those the kit sections declare, their
    multi-table children (page types) and the many-to-many tables between two of them."""
    labels = set(FRAMEWORK_MODELS)
    for section in kit_sections_all():
        labels.update(section.models)
    declared = {apps.get_model(label) for label in labels}
    kept = set()
    for model in _tenant_models():
        if model in declared or any(parent in declared for parent in model._meta.get_parent_list()):
            kept.add(model)
    for model in _tenant_models():
        if model._meta.auto_created:
            targets = {f.related_model for f in model._meta.concrete_fields if f.is_relation}
            if targets and targets <= kept:
                kept.add(model)
    return kept


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


@transaction.atomic
def territory_configuration_keep(*, source_schema: str) -> ConfigurationKeepReport:
    """Empty, in the current (freshly cloned) schema, every table that is not configuration, and copy the
    media files the kept rows refer to from the source territory's media folder.

    References from configuration to removed rows (a page's owner, an image's uploader) are set to NULL; a
    non-nullable one is a modelling error and raises ImproperlyConfigured.
    """
    report = ConfigurationKeepReport()
    models_all = _tenant_models()
    kept = configuration_models()
    emptied = [model for model in models_all if model not in kept]
    with connection.cursor() as cursor:
        statements, guarded = _guarded_tables_empty(cursor, emptied)
        statements.append("SET CONSTRAINTS ALL DEFERRED")
        for model in kept:
            for fk in model._meta.local_concrete_fields:
                if not fk.is_relation or fk.related_model in kept:
                    continue
                if not fk.null:
                    raise ImproperlyConfigured(
                        f"{model._meta.label}.{fk.name} is configuration that requires "
                        f"{fk.related_model._meta.label}, which no kit section declares."
                    )
                table, column = _quote(model._meta.db_table), _quote(fk.column)
                statements.append(f"UPDATE {table} SET {column} = NULL WHERE {column} IS NOT NULL")  # noqa: S608 (model metadata)
        from django.contrib.contenttypes.models import ContentType

        # Read from this schema (ContentType's process-wide cache is not per territory).
        wanted = {(model._meta.app_label, model._meta.model_name) for model in emptied}
        emptied_types = [
            pk
            for pk, app_label, name in ContentType.objects.values_list("pk", "app_label", "model")
            if (app_label, name) in wanted
        ]
        for label, columns in _GENERIC_REFERENCES.items():
            model = apps.get_model(label)
            if model in kept and emptied_types:
                ids = ", ".join(str(pk) for pk in emptied_types)
                for column in columns:
                    column_name = _quote(model._meta.get_field(column).column)
                    table = _quote(model._meta.db_table)
                    statements.append(f"DELETE FROM {table} WHERE {column_name} IN ({ids})")  # noqa: S608 (ints)
        statements.extend(
            f"DELETE FROM {_quote(model._meta.db_table)}"  # noqa: S608
            for model in emptied
            if model._meta.db_table not in guarded
        )
        cursor.execute(";\n".join(statements))
    report.kept = sorted(model._meta.label for model in kept)
    report.emptied = sorted(model._meta.label for model in emptied)
    report.files_copied = _media_copy(kept, source_schema)
    return report


def _guarded_tables_empty(cursor, emptied: list[type[models.Model]]) -> tuple[list[str], set[str]]:
    """Statements that empty the tables whose own triggers refuse deletes (the append-only case history):
    this schema was copied a moment ago in this transaction, so its copy of another territory's history is
    removed with the triggers switched off for the statement. Pending deferred checks of the copied rows
    run first (ALTER TABLE refuses a table with pending trigger events)."""
    cursor.execute(
        "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND NOT t.tgisinternal",
        [connection.schema_name],
    )
    with_triggers = {row[0] for row in cursor.fetchall()}
    guarded = {model._meta.db_table for model in emptied} & with_triggers
    statements = ["SET CONSTRAINTS ALL IMMEDIATE"] if guarded else []
    for table in sorted(guarded):
        quoted = _quote(table)
        statements += [
            f"ALTER TABLE {quoted} DISABLE TRIGGER USER",
            f"DELETE FROM {quoted}",  # noqa: S608
            f"ALTER TABLE {quoted} ENABLE TRIGGER USER",
        ]
    return statements, guarded


def _media_copy(kept: set[type[models.Model]], source_schema: str) -> int:
    """Copy the files of kept rows from the source territory, through each file field's own storage (read
    in the source's schema, written under the same name in this one)."""
    target_schema = connection.schema_name
    copied = 0
    for model in sorted(kept, key=lambda m: m._meta.label):
        for file_field in [f for f in model._meta.local_concrete_fields if isinstance(f, models.FileField)]:
            names = model._default_manager.exclude(**{file_field.name: ""}).values_list(file_field.name, flat=True)
            storage = file_field.storage
            for name in names:
                with schema_context(source_schema):
                    try:
                        with storage.open(name, "rb") as handle:
                            data = handle.read()
                    except (FileNotFoundError, OSError):
                        continue
                with schema_context(target_schema):
                    if storage.exists(name):
                        continue
                    saved = storage.save(name, ContentFile(data))
                if saved != name:  # the storage normalised the name: keep the row pointing at the file
                    model._default_manager.filter(**{file_field.name: name}).update(**{file_field.name: saved})
                copied += 1
    return copied


# --- Clones as background jobs ------------------------------------------------------------------------------
_JOB_COLUMNS = frozenset({"status", "step", "total", "label"})


def _job_write(job_id: int, **columns: Any) -> None:
    """Record a job's state at once, on a connection of its own: the clone runs in one transaction (the
    outbox runs every task in one), which the admin's page could not see into before it commits. The job's
    row is never updated by that transaction before the clone ends: it would hold the row's lock, and this
    connection would wait for it forever."""
    import psycopg
    from psycopg import sql

    from core.settings.database import libpq_dsn

    if not columns or not set(columns) <= _JOB_COLUMNS:
        raise ValueError(f"Provisioning job columns: {sorted(columns)}")
    if "label" in columns:
        columns["label"] = columns["label"][:200]
    assignments = sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(name)) for name in columns)
    statement = sql.SQL("UPDATE public.tenants_provisioningjob SET {} WHERE id = %s").format(assignments)
    try:
        with psycopg.connect(libpq_dsn(settings.DATABASES["default"]), autocommit=True) as side:
            side.execute("SET lock_timeout = '10s'")
            side.execute(statement, [*columns.values(), job_id])
    except psycopg.Error:  # progress is a courtesy: never let it break the clone
        logger.warning("State of provisioning job %s could not be recorded", job_id)


def territory_clone_job_start(
    *,
    source: Any,
    code: str,
    name: str,
    slug: str | None = None,
    domain: str | None = None,
    sample_data: bool = False,
    first_admin: dict[str, str] | None = None,
    actor: Any = None,
) -> Any:
    """Check a clone request (ValidationError, French, keyed by field) and queue it as a background job;
    returns the `ProvisioningJob` to follow. `first_admin` ({email, first_name, last_name}) is invited as the
    new territory's platform admin once it exists."""
    from core.tasks import territory_clone_job_run_task
    from tenants.models import ProvisioningJob
    from tenants.services import CLONE_STEPS, territory_clone_check

    code, name, slug, domain = territory_clone_check(code=code, name=name, slug=slug, domain=domain, source=source)
    if ProvisioningJob.objects.filter(
        status__in=[ProvisioningJob.Status.PENDING, ProvisioningJob.Status.RUNNING], params__code=code
    ).exists():
        raise ValidationError({"code": f"Le territoire du département {code} est déjà en cours de création."})
    job = ProvisioningJob.objects.create(
        source=source,
        total=len(CLONE_STEPS) + (1 if first_admin else 0),
        label="En attente du traitement",
        params={
            "code": code,
            "name": name,
            "slug": slug,
            "domain": domain,
            "sample_data": sample_data,
            "first_admin": first_admin or {},
        },
        created_by=getattr(actor, "get_username", lambda: str(actor or ""))(),
    )
    territory_clone_job_run_task.enqueue_on_commit(job.pk)
    return job


def territory_clone_job_run(*, job_id: int) -> Any:
    """Run a queued clone job: the clone (progress recorded step by step), then the first admin's invitation.
    A failure is recorded on the job in French; nothing of the territory is left then."""
    from django.utils import timezone

    from tenants.models import ProvisioningJob
    from tenants.services import territory_clone

    job = ProvisioningJob.objects.get(pk=job_id)
    if job.status != ProvisioningJob.Status.PENDING:
        return job
    job.status = ProvisioningJob.Status.RUNNING
    _job_write(job.pk, status=job.status)  # not job.save(): see _job_write
    params = dict(job.params)
    first_admin = params.pop("first_admin", None) or {}
    try:
        territory = territory_clone(
            **params,
            source=job.source,
            actor=job.created_by,
            progress=lambda step, total, label: _job_write(job.pk, step=step, total=job.total, label=label),
        )
    except ValidationError as exc:
        job.status, job.error = ProvisioningJob.Status.FAILED, " ".join(exc.messages)
    except Exception:
        logger.exception("Provisioning job %s failed", job_id)
        job.status = ProvisioningJob.Status.FAILED
        job.error = (
            "Le clonage a échoué sur une erreur inattendue ; rien n'a été créé. Réessayez ou prévenez l'exploitant."
        )
    else:
        job.territory = territory
        if first_admin:
            _job_write(
                job.pk,
                step=job.total,
                total=job.total,
                label="Invitation de la première administratrice ou du premier administrateur",
            )
            job.invitation_url, error = first_admin_invite(territory=territory, **first_admin, actor=job.created_by)
            job.error = error
        job.status = ProvisioningJob.Status.DONE
    job.finished_at = timezone.now()
    job.step = job.total if job.status == ProvisioningJob.Status.DONE else job.step
    job.label = job.get_status_display()
    job.save()
    return job


def first_admin_invite(
    *, territory: Any, email: str, first_name: str = "", last_name: str = "", actor: Any = None
) -> tuple[str, str]:
    """Invite the first admin (platform_admin role) of a new territory; returns (invitation link, French
    error). The link goes to the platform admin who asked for the clone (and by e-mail to the person), never a
    password. `actor` is the platform admin (an account of the public host, with no account in the territory:
    recorded by name in the territory's journal)."""
    from core.roles import Role
    from core.services.accounts import invitation_create, invitation_url

    username = actor.get_username() if hasattr(actor, "get_username") else str(actor or "")
    label = f"la plateforme ({username})" if username else "la plateforme"
    try:
        with tenant_context(territory):
            invitation = invitation_create(
                email=email, roles=[Role.PLATFORM_ADMIN], first_name=first_name, last_name=last_name, actor=label
            )
            return invitation_url(invitation), ""
    except ValidationError as exc:
        return "", "L'invitation n'a pas été envoyée : " + " ".join(exc.messages)
