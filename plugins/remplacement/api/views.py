"""REST API of the remplacement pole (registered through the `api_routes` hook under `/api/v1/`).

- `remplacement/requests/`: a structure's requests (coordinators see all); POST to post one; `cancel`;
  `candidates` (the ranking, with why each other substitute is excluded).
- `remplacement/offers/`: a substitute's offers (coordinators: all, structures: their requests'); `accept`,
  `decline`; `confirm` for the structure that picks a volunteer.
- `remplacement/availability/`: the substitute's own weekly pattern (GET, PUT) and dated exceptions (POST,
  DELETE `exceptions/<id>/`).

Errors are the platform's problem details (`core.api.errors`): 422 with French messages per field (nothing
saved), 403 when the person may not, 409 when the mission was filled or cancelled meanwhile.
"""

from __future__ import annotations

from django.db.models import Q
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.errors import Problem
from core.models import Structure
from plugins.remplacement import selectors, services
from plugins.remplacement.api import serializers as s
from plugins.remplacement.models import AvailabilityException, Offer, ReplacementRequest, Substitute


class ServiceErrorsMixin:
    """A mission filled or cancelled meanwhile → 409; the services' other ValidationErrors become the
    platform's 422 problem details (core.api.errors)."""

    def handle_exception(self, exc):
        if isinstance(exc, services.MissionUnavailableError):
            exc = Problem(exc.messages[0], status_code=status.HTTP_409_CONFLICT, slug="mission-unavailable")
        return super().handle_exception(exc)


@extend_schema_view(
    list=extend_schema(summary="Lister les demandes de remplacement"),
    retrieve=extend_schema(summary="Lire une demande de remplacement"),
)
class RequestViewSet(ServiceErrorsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.RequestSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # OpenAPI generation: no user
            return ReplacementRequest.objects.none()
        states = self.request.query_params.getlist("state") or None
        return selectors.request_list(user=self.request.user, states=states)

    @extend_schema(
        request=s.RequestCreateSerializer,
        responses={201: s.RequestSerializer},
        summary="Créer une demande de remplacement",
    )
    def create(self, request: Request) -> Response:
        data = s.RequestCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        structure = Structure.objects.filter(pk=values.pop("structure")).first()
        if structure is None:
            raise Problem(
                "Structure inconnue.", status_code=422, errors=[{"field": "structure", "detail": "Structure inconnue."}]
            )
        created = services.request_create(structure=structure, actor=request.user, **values)
        return Response(s.RequestSerializer(created).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.CancelSerializer, responses=s.RequestSerializer, summary="Annuler une demande de remplacement"
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk=None) -> Response:
        data = s.CancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cancelled = services.request_cancel(request=self.get_object(), actor=request.user, **data.validated_data)
        return Response(s.RequestSerializer(cancelled).data)

    @extend_schema(
        responses=s.RankingSerializer,
        summary="Lister les remplaçant·es possibles, classé·es, et les raisons des exclusions",
    )
    @action(detail=True, methods=["get"])
    def candidates(self, request: Request, pk=None) -> Response:
        ranking = selectors.request_ranking(self.get_object(), explain=True)
        names = {
            sub.pk: str(sub)
            for sub in Substitute.objects.select_related("user").filter(
                pk__in=[*ranking.ids.tolist(), *ranking.excluded]
            )
        }
        body = {
            "candidates": [{**vars(c), "name": names.get(c.substitute_id, "")} for c in ranking.candidates],
            "excluded": [
                {"substitute": pk, "name": names.get(pk, ""), "reasons": reasons}
                for pk, reasons in sorted(ranking.excluded.items(), key=lambda item: names.get(item[0], ""))
            ],
        }
        return Response(s.RankingSerializer(body).data)


@extend_schema_view(
    list=extend_schema(summary="Lister les propositions de mission"),
    retrieve=extend_schema(summary="Lire une proposition de mission"),
)
class OfferViewSet(ServiceErrorsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.OfferSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # OpenAPI generation: no user
            return Offer.objects.none()
        user = self.request.user
        qs = Offer.objects.select_related(
            "substitute__user", "request__structure", "request__qualification", "request__substitute__user"
        ).prefetch_related("request__slots")
        if selectors.is_coordinator(user):
            return qs.order_by("-sent_at")
        return qs.filter(Q(substitute__user=user) | Q(request__structure__in=selectors.structures_of(user))).order_by(
            "-sent_at"
        )

    def _answer(self, service, request: Request) -> Response:
        offer = service(offer=self.get_object(), actor=request.user)
        offer.refresh_from_db()
        return Response(s.OfferSerializer(offer).data)

    @extend_schema(request=None, responses=s.OfferSerializer, summary="Accepter la mission (ou se porter volontaire)")
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk=None) -> Response:
        return self._answer(services.offer_accept, request)

    @extend_schema(request=None, responses=s.OfferSerializer, summary="Décliner la mission")
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk=None) -> Response:
        return self._answer(services.offer_decline, request)

    @extend_schema(request=None, responses=s.OfferSerializer, summary="Retenir ce ou cette volontaire (structure)")
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk=None) -> Response:
        return self._answer(services.offer_confirm, request)


class AvailabilityViewSet(ServiceErrorsMixin, viewsets.ViewSet):
    """The signed-in substitute's availability."""

    serializer_class = s.AvailabilitySerializer

    def _substitute(self, request: Request) -> Substitute:
        substitute = selectors.substitute_of(request.user)
        if substitute is None:
            raise NotFound("Vous ne faites pas partie du vivier de remplaçants.")
        return substitute

    def _body(self, substitute: Substitute) -> dict:
        return s.AvailabilitySerializer(
            {"weekly": substitute.availability_rules.all(), "exceptions": substitute.availability_exceptions.all()}
        ).data

    @extend_schema(responses=s.AvailabilitySerializer, summary="Lire mes disponibilités")
    def list(self, request: Request) -> Response:
        return Response(self._body(self._substitute(request)))

    @extend_schema(request=s.WeeklySerializer, responses=s.AvailabilitySerializer, summary="Modifier ma semaine type")
    @action(detail=False, methods=["put"])
    def weekly(self, request: Request) -> Response:
        substitute = self._substitute(request)
        data = s.WeeklySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rules = [
            {"weekday": r["weekday"], "start": r["start_time"], "end": r["end_time"]}
            for r in data.validated_data["weekly"]
        ]
        services.availability_weekly_set(substitute=substitute, rules=rules, actor=request.user)
        return Response(self._body(substitute))

    @extend_schema(
        request=s.ExceptionSerializer,
        responses={201: s.ExceptionSerializer},
        summary="Ajouter une exception de disponibilité",
    )
    @action(detail=False, methods=["post"])
    def exceptions(self, request: Request) -> Response:
        substitute = self._substitute(request)
        data = s.ExceptionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        created = services.availability_exception_add(
            substitute=substitute,
            date=v["date"],
            kind=v["kind"],
            start=v.get("start_time"),
            end=v.get("end_time"),
            actor=request.user,
        )
        return Response(s.ExceptionSerializer(created).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None}, summary="Supprimer une exception de disponibilité")
    @action(detail=False, methods=["delete"], url_path=r"exceptions/(?P<exception_id>\d+)")
    def exception_delete(self, request: Request, exception_id: str) -> Response:
        substitute = self._substitute(request)
        exception = get_object_or_404(AvailabilityException, pk=exception_id, substitute=substitute)
        services.availability_exception_delete(exception=exception, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


ROUTES = [
    ("remplacement/requests", RequestViewSet, "remplacement-request"),
    ("remplacement/offers", OfferViewSet, "remplacement-offer"),
    ("remplacement/availability", AvailabilityViewSet, "remplacement-availability"),
]
