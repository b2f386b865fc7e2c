"""Glue from the provisioning layer (tenants/) to the poles: a new territory's schema is seeded by hooks."""

from __future__ import annotations

from django.db import connection
from django.db.models.signals import post_migrate
from django.dispatch import receiver

from tenants.signals import territory_provisioned, territory_published


@receiver(territory_provisioned, dispatch_uid="core.territory_provisioned")
def on_territory_provisioned(sender, territory, source, sample_data, **kwargs):
    from core.plugins import hooks
    from core.roles import roles_ensure
    from core.services.catalogue import catalogue_sync
    from core.services.workflows import workflows_sync
    from workflows.engine import compiled_cache_clear

    compiled_cache_clear(schema=territory.schema_name)  # a schema name reused: its version ids start again
    if source is None:  # built by migrations: seed the shipped configuration
        roles_ensure()
        catalogue_sync()
        workflows_sync()
    else:  # a clone: keep the source's configuration only, and remember it as the base of later merges
        from core.services.clone import territory_configuration_keep
        from core.services.kit import kit_snapshot_record

        territory_configuration_keep(source_schema=source.schema_name)
        roles_ensure()  # the code's permissions (and the site's, whose rows a clone does not keep)
        kit_snapshot_record(source=source)
        if sample_data:
            from core.services.demo import directory_seed

            directory_seed()
            hooks(territory).demo_seed(territory=territory)
    if source is not None:  # cloned: the source territory's API clients are not this one's
        from core.api.services import api_credentials_drop

        api_credentials_drop()
    hooks(territory).territory_provisioned(territory=territory, source=source, sample_data=sample_data)


@receiver(territory_published, dispatch_uid="core.territory_published")
def on_territory_published(sender, territory, **kwargs):
    from core.plugins import hooks

    hooks(territory).territory_published(territory=territory)


@receiver(post_migrate, dispatch_uid="core.roles_after_migrate")
def on_post_migrate(sender, **kwargs):
    """Keep every territory's role groups and their permissions current (`migrate_schemas` runs per schema)."""
    from django_tenants.utils import get_public_schema_name

    from core.roles import roles_ensure

    if sender.name != "core" or connection.schema_name == get_public_schema_name():
        return
    roles_ensure()
