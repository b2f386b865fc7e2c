"""URLs of a territory's host: its API, its Wagtail admin, its documents, then its pages."""

from django.conf import settings
from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from core import accounts_views as accounts
from core import otp_views
from core.admin_views import pole_site_urlpatterns
from core.media import media_serve
from core.site_files import favicon, robots_txt
from core.views import wagtail_error_test_closed

urlpatterns = [
    path("favicon.ico", favicon, name="favicon"),
    path("robots.txt", robots_txt, name="robots_txt"),
    path("compte/invitation/<str:token>/", accounts.invitation_accept_view, name="invitation_accept"),
    path("compte/double-authentification/", otp_views.otp_verify_view, name="otp_verify"),
    path("compte/double-authentification/activer/", otp_views.otp_enrol_view, name="otp_enrol"),
    path("compte/mot-de-passe/", accounts.PasswordResetView.as_view(), name="password_reset"),
    path("compte/mot-de-passe/envoye/", accounts.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("compte/mot-de-passe/termine/", accounts.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path(
        "compte/mot-de-passe/<uidb64>/<token>/",
        accounts.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("api/", include("core.api.urls")),
    # Wagtail's error test page answers 500 on purpose: closed before Wagtail's own route.
    path("admin/failwhale/", wagtail_error_test_closed, name="ppe_wagtail_error_test_closed"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
]

# Only the territory's published images are media (core.media), in every mode; private files have no URL.
urlpatterns += [re_path(rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.+)$", media_serve, name="media")]

# The poles' own pages (hook `site_urls`: the remplacement pole's portals), 404 where the pole is switched off.
urlpatterns += pole_site_urlpatterns()

urlpatterns += [path("", include(wagtail_urls))]

handler400 = "core.views.bad_request"
handler404 = "core.views.page_not_found"
handler500 = "core.api.views.server_error"
