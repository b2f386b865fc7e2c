"""The REST API of a territory: `/api/v1/` (core endpoints and the poles' routes), its schema and docs."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from core.api import case_views, people_views, views
from core.api.routes import pole_urlpatterns

router = SimpleRouter()
router.register("catalogue", views.CatalogueServiceViewSet, basename="catalogue")
router.register("structures", views.StructureViewSet, basename="structures")
router.register("operators", views.OperatorViewSet, basename="operators")
router.register("webhooks", views.WebhookSubscriptionViewSet, basename="webhooks")
router.register("cases", case_views.CaseViewSet, basename="cases")
router.register("workflows", case_views.WorkflowViewSet, basename="workflows")
router.register("people", people_views.PersonViewSet, basename="people")
router.register("invitations", people_views.InvitationViewSet, basename="invitations")
router.register("personal-data", people_views.PersonalDataViewSet, basename="personal-data")

api_v1 = [
    path("territory/", views.TerritoryView.as_view(), name="territory"),
    path("token/", views.CurrentTokenView.as_view(), name="token-current"),
    path("webhook-events/", views.WebhookEventListView.as_view(), name="webhook-events"),
    *router.urls,
    *pole_urlpatterns(),
]

urlpatterns = [
    path("v1/", include((api_v1, "v1"))),
    path("schema/", SpectacularAPIView.as_view(urlconf="core.urls"), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path(
        "redoc/",
        SpectacularRedocView.as_view(url_name="api-schema", template_name="api/redoc.html"),
        name="api-redoc",
    ),
    re_path(r"^.*$", views.api_not_found),
]
