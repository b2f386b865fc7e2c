"""A URL configuration for the pole-routes test: the territory's URLs with the poles' routes built afresh (after
the test has registered a pole that implements `api_routes`)."""

from django.urls import include, path

from core.api import urls as api_urls
from core.api.routes import pole_urlpatterns

urlpatterns = [
    path("api/", include((
        [path("v1/", include((pole_urlpatterns(), "v1"))), *api_urls.urlpatterns], "api"
    ), namespace=None)),
]  # fmt: skip
