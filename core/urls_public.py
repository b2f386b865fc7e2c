"""URLs of the public host (public schema): tenants' own (the directory of territories, the platform admins'
back office and API), with the content-aware platform API of the core in front."""

from django.contrib.auth import views as auth_views
from django.urls import path, re_path

from core import otp_views
from core import platform_api as api
from core.site_files import favicon, robots_txt
from core.views import unknown_path
from tenants.urls_public import urlpatterns as tenants_urlpatterns

# Password reset of the platform's staff (Django's views and the admin's French templates; the link in the
# e-mail names the host the request came to). The admin's login page links to `admin_password_reset`.
password_reset_urlpatterns = [
    path("plateforme/admin/mot-de-passe/", auth_views.PasswordResetView.as_view(), name="admin_password_reset"),
    path(
        "plateforme/admin/mot-de-passe/envoye/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "plateforme/admin/mot-de-passe/termine/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path(
        "plateforme/admin/mot-de-passe/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
]

urlpatterns = [
    *password_reset_urlpatterns,
    path("compte/double-authentification/", otp_views.otp_verify_view, name="otp_verify"),
    path("compte/double-authentification/activer/", otp_views.otp_enrol_view, name="otp_enrol"),
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
    # Last: every unknown path is the French 404 page (a problem under plateforme/api/), DEBUG on or off.
    re_path(r"^(?P<path>.*)$", unknown_path),
]

handler400 = "core.views.bad_request"
handler404 = "core.views.page_not_found"
handler500 = "core.api.views.server_error"
