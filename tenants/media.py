"""Where a territory's media files live (django-tenants' TenantFileSystemStorage: MEDIA_ROOT/<schema>/)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings


def tenant_media_root(schema_name: str) -> Path:
    """The folder of a territory's media, as TenantFileSystemStorage computes it for that schema."""
    relative = getattr(settings, "MULTITENANT_RELATIVE_MEDIA_ROOT", None)
    if relative is None:
        return Path(settings.MEDIA_ROOT) / schema_name
    path = str(Path(settings.MEDIA_ROOT) / relative)
    return Path(path % schema_name if "%s" in path else str(Path(path) / schema_name))
