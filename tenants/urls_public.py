"""URLs of the public host (public schema): the directory of territories and the platform admins' admin."""

from django.contrib import admin
from django.urls import path

from tenants import api, views

urlpatterns = [
    path("", views.territory_directory, name="territory_directory"),
    path("plateforme/admin/", admin.site.urls),
    path("plateforme/api/v1/territoires/", api.TerritoriesView.as_view(), name="platform_territories"),
]
