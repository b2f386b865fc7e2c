"""URLs of the public host (public schema): tenants' own (the directory of territories, the platform admins'
back office and API), with the content-aware platform API of the core in front."""

from django.urls import path

from core import platform_api as api
from core.site_files import favicon, robots_txt
from tenants.urls_public import urlpatterns as tenants_urlpatterns

urlpatterns = [
    path("favicon.ico", favicon),
    path("robots.txt", robots_txt),
    path("plateforme/api/v1/territoires/", api.PlatformTerritoriesView.as_view(), name="platform_territories"),
    path("plateforme/api/v1/territoires/<str:code>/", api.TerritoryDetailView.as_view(), name="platform_territory"),
    path(
        "plateforme/api/v1/territoires/<str:code>/publier/",
        api.TerritoryPublishView.as_view(),
        name="platform_territory_publish",
    ),
    path("plateforme/api/v1/territoires/<str:code>/kit/", api.TerritoryKitView.as_view(), name="platform_kit"),
    path("plateforme/api/v1/territoires/<str:code>/ecarts/", api.TerritoryDriftView.as_view(), name="platform_drift"),
    path(
        "plateforme/api/v1/territoires/<str:code>/ecarts/fusions/<int:merge_id>/annuler/",
        api.TerritoryMergeUndoView.as_view(),
        name="platform_merge_undo",
    ),
    path(
        "plateforme/api/v1/territoires/<str:code>/sauvegardes/",
        api.TerritoryBackupsView.as_view(),
        name="platform_backups",
    ),
    path("plateforme/api/v1/sauvegardes/<int:backup_id>/", api.BackupFileView.as_view(), name="platform_backup_file"),
    path("plateforme/api/v1/restaurations/", api.RestoreView.as_view(), name="platform_restore"),
    *tenants_urlpatterns,
]

handler404 = "core.views.page_not_found"
handler500 = "core.api.views.server_error"
