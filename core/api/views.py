"""Views of the API: they parse the request, call one service or selector, and render.

Each view declares the roles each action requires (`required_roles`, read by `RolePermission` and by the
permission-matrix tests).
"""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import filters, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import webhooks
from core.api.errors import problem_response
from core.api.events import EVENTS
from core.api.models import ApiToken, WebhookSubscription
from core.api.permissions import ADMINS, ANY_ROLE, COORDINATION, STAFF
from core.api.serializers import (
    CatalogueServiceSerializer,
    CurrentTokenSerializer,
    OperatorSerializer,
    StructureSerializer,
    TerritorySerializer,
    WebhookDeliverySerializer,
    WebhookEventSerializer,
    WebhookSubscriptionCreatedSerializer,
    WebhookSubscriptionSerializer,
)
from core.limits import is_api_path
from core.models import CatalogueService, Operator, Structure
from core.plugins import disabled_poles, poles
from core.services.catalogue import catalogue_service_update
from core.services.directory import operator_create, operator_update, structure_create, structure_update
from tenants.access import PUBLIC, access

LIST_FILTERS = [DjangoFilterBackend, filters.SearchFilter, filters.OrderingFilter]


class ServiceUpdateMixin:
    """PATCH through the entity's update service, called as `update_service(<update_argument>=obj,
    actor=user, **validated_data)`; the response is the updated object."""

    update_service = None
    update_argument = ""

    def partial_update(self, request: Request, pk=None) -> Response:
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        instance = self.update_service(
            **{self.update_argument: instance}, actor=request.user, **serializer.validated_data
        )
        return Response(self.get_serializer(instance).data)


class TerritoryView(APIView):
    """The territory this API serves, and its poles (with whether each is switched on)."""

    required_roles = {"get": ANY_ROLE}

    @extend_schema(
        responses=TerritorySerializer, summary="Décrire le territoire et ses pôles", operation_id="territory_get",
        tags=["territoire"],
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        territory = connection.tenant
        off = disabled_poles(territory)
        data = {
            "name": territory.name,
            "code": territory.code,
            "slug": territory.slug,
            "domain": territory.primary_domain,
            "poles": [
                {
                    "code": code,
                    "label": str(config.pole_label),
                    "description": str(config.pole_description),
                    "enabled": code not in off,
                }
                for code, config in poles().items()
            ],
        }
        return Response(TerritorySerializer(data).data)


class CurrentTokenView(APIView):
    """The token this request is made with (name, scope, expiry): lets a client check its access."""

    required_roles = {"get": ANY_ROLE}

    @extend_schema(
        responses=CurrentTokenSerializer, summary="Décrire le jeton utilisé", operation_id="token_current_get",
        tags=["territoire"],
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        if not isinstance(request.auth, ApiToken):
            raise NotFound("Cette requête n'utilise pas de jeton d'API.")
        return Response(CurrentTokenSerializer(request.auth).data)


# --- Catalogue ----------------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Lister les services du catalogue", operation_id="catalogue_list"),
    retrieve=extend_schema(summary="Lire un service du catalogue", operation_id="catalogue_get"),
    partial_update=extend_schema(summary="Modifier un service du catalogue", operation_id="catalogue_update"),
)
@extend_schema(tags=["catalogue"])
class CatalogueServiceViewSet(
    ServiceUpdateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = CatalogueServiceSerializer
    queryset = CatalogueService.objects.all()
    filter_backends = LIST_FILTERS
    filterset_fields = ["pole", "audience", "is_active"]
    search_fields = ["title", "summary", "code"]
    ordering_fields = ["title", "pole", "updated_at"]
    required_roles = {"read": ANY_ROLE, "partial_update": ADMINS}
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        from core.services.catalogue import catalogue_service_list

        return catalogue_service_list(include_inactive=True)  # a switched-off pole's services vanish

    update_service = staticmethod(catalogue_service_update)
    update_argument = "service"


# --- Directory ----------------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Lister les structures d'accueil", operation_id="structures_list"),
    retrieve=extend_schema(summary="Lire une structure", operation_id="structures_get"),
    create=extend_schema(summary="Créer une structure", operation_id="structures_create"),
    partial_update=extend_schema(summary="Modifier une structure", operation_id="structures_update"),
)
@extend_schema(tags=["annuaire"])
class StructureViewSet(
    ServiceUpdateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = StructureSerializer
    queryset = Structure.objects.select_related("network")
    filter_backends = LIST_FILTERS
    filterset_fields = ["kind", "commune", "network", "professionalisation", "is_active"]
    search_fields = ["name", "commune", "siret"]
    ordering_fields = ["name", "commune", "places", "created_at"]
    required_roles = {"read": ANY_ROLE, "create": STAFF, "partial_update": STAFF}
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):  # a structure member reads their own structure's entry, not every structure's
        from core.selectors.directory import structure_list

        if getattr(self, "swagger_fake_view", False):
            return Structure.objects.none()
        return structure_list(user=self.request.user)

    def perform_create(self, serializer) -> None:
        serializer.instance = structure_create(actor=self.request.user, **serializer.validated_data)

    update_service = staticmethod(structure_update)
    update_argument = "structure"


@extend_schema_view(
    list=extend_schema(summary="Lister les opérateurs ESS", operation_id="operators_list"),
    retrieve=extend_schema(summary="Lire un opérateur ESS", operation_id="operators_get"),
    create=extend_schema(summary="Créer un opérateur ESS", operation_id="operators_create"),
    partial_update=extend_schema(summary="Modifier un opérateur ESS", operation_id="operators_update"),
)
@extend_schema(tags=["annuaire"])
class OperatorViewSet(
    ServiceUpdateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = OperatorSerializer
    queryset = Operator.objects.prefetch_related("services")
    filter_backends = LIST_FILTERS
    filterset_fields = ["is_active"]
    search_fields = ["name", "description", "communes_covered"]
    ordering_fields = ["name", "capacity"]
    required_roles = {"read": ANY_ROLE, "create": COORDINATION, "partial_update": COORDINATION}
    http_method_names = ["get", "post", "patch", "head", "options"]

    def perform_create(self, serializer) -> None:
        serializer.instance = operator_create(actor=self.request.user, **serializer.validated_data)

    update_service = staticmethod(operator_update)
    update_argument = "operator"


# --- Webhooks -----------------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Lister les abonnements webhook", operation_id="webhooks_list"),
    retrieve=extend_schema(summary="Lire un abonnement webhook", operation_id="webhooks_get"),
    create=extend_schema(
        summary="S'abonner à des événements",
        operation_id="webhooks_create",
        responses={201: WebhookSubscriptionCreatedSerializer},
    ),
    partial_update=extend_schema(summary="Modifier un abonnement webhook", operation_id="webhooks_update"),
    destroy=extend_schema(summary="Supprimer un abonnement webhook", operation_id="webhooks_delete"),
)
@extend_schema(tags=["webhooks"])
class WebhookSubscriptionViewSet(viewsets.ModelViewSet):
    serializer_class = WebhookSubscriptionSerializer
    queryset = WebhookSubscription.objects.all()
    required_roles = {"read": ADMINS, "write": ADMINS}
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subscription = webhooks.webhook_subscription_create(actor=request.user, **serializer.validated_data)
        return Response(WebhookSubscriptionCreatedSerializer(subscription).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk=None) -> Response:
        subscription = self.get_object()
        serializer = self.get_serializer(subscription, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        subscription = webhooks.webhook_subscription_update(
            subscription=subscription, actor=request.user, **serializer.validated_data
        )
        return Response(self.get_serializer(subscription).data)

    @extend_schema(
        summary="Historique des livraisons d'un abonnement", operation_id="webhooks_deliveries_list",
        responses=WebhookDeliverySerializer(many=True),
    )  # fmt: skip
    @action(detail=True, methods=["get"])
    def deliveries(self, request: Request, pk=None) -> Response:
        subscription = self.get_object()
        queryset = subscription.deliveries.prefetch_related("attempt_log")
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)

    @extend_schema(
        summary="Renouveler le secret de signature (l'ancien signe encore 24 h)", operation_id="webhooks_rotate_secret",
        request=None, responses={200: WebhookSubscriptionCreatedSerializer},
    )  # fmt: skip
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk=None) -> Response:
        subscription = self.get_object()
        webhooks.webhook_secret_rotate(subscription=subscription, actor=request.user)
        return Response(WebhookSubscriptionCreatedSerializer(subscription).data)

    @extend_schema(
        summary="Renvoyer une livraison passée", operation_id="webhooks_redeliver", request=None,
        responses={202: WebhookDeliverySerializer},
    )  # fmt: skip
    @action(detail=True, methods=["post"], url_path=r"deliveries/(?P<delivery>[0-9a-f-]{36})/redeliver")
    def redeliver(self, request: Request, pk=None, delivery: str = "") -> Response:
        past = self.get_object().deliveries.filter(uuid=delivery).first()
        if past is None:
            raise NotFound("Aucune livraison de cet abonnement ne porte cet identifiant.")
        again = webhooks.webhook_redeliver(delivery=past, actor=request.user)
        return Response(WebhookDeliverySerializer(again).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Envoyer un événement de test", operation_id="webhooks_ping", request=None,
        responses={202: WebhookDeliverySerializer},
    )  # fmt: skip
    @action(detail=True, methods=["post"])
    def ping(self, request: Request, pk=None) -> Response:
        delivery = webhooks.webhook_ping(subscription=self.get_object())
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class WebhookEventListView(APIView):
    """The events a subscription may receive."""

    required_roles = {"get": ADMINS}

    @extend_schema(
        responses=WebhookEventSerializer(many=True), summary="Lister les événements disponibles",
        operation_id="webhook_events_list", tags=["webhooks"],
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        return Response([{"code": code, "label": label} for code, label in EVENTS.items()])


# --- Fallbacks: every other /api/ answer is a problem too -------------------------------------------------------


@csrf_exempt  # it changes nothing: a 404 whatever the method
@access(PUBLIC)
def api_not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    return problem_response(request, 404, "Aucune ressource de l'API ne correspond à cette adresse.")


def csrf_failure(request: HttpRequest, reason: str = "", **kwargs):
    """Django's CSRF failure view: a problem for the API, Django's page elsewhere."""
    if is_api_path(request.path):
        return problem_response(request, 403, "Vérification CSRF échouée : jeton CSRF absent ou invalide.")
    from django.views.csrf import csrf_failure as html_csrf_failure

    return html_csrf_failure(request, reason=reason)


def server_error(request: HttpRequest, *args, **kwargs):
    """Django's 500 handler: a problem for the API, the HTML page elsewhere."""
    if is_api_path(request.path):
        return problem_response(request, 500, "Une erreur inattendue s'est produite.")
    from django.views.defaults import server_error as html_server_error

    return html_server_error(request)
