"""The REST API of a territory: `/api/v1/` (core endpoints and the poles' routes), its schema and docs."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from core.api import views

api_v1 = [
    path("territory/", views.TerritoryView.as_view(), name="territory"),
]

urlpatterns = [
    path("v1/", include((api_v1, "v1"))),
    path("schema/", SpectacularAPIView.as_view(urlconf="core.urls"), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]
