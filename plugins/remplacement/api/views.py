"""REST API of the remplacement pole (registered through the `api_routes` hook under `/api/v1/`).

- `remplacement/requests/`: a structure's requests (coordinators see all); POST to post one; `cancel`,
  `release` (free a person's shifts); coordinators: `candidates` (the ranking, with why each other substitute
  is excluded), `assign` (directly), `widen` (next wave now), `resend` (remind), `unfilled`.
- `remplacement/offers/`: a substitute's offers (structures: their requests' volunteers and bookings only;
  coordinators: all); `accept` (all offered shifts or some), `decline`; `confirm` for the structure.
- `remplacement/availability/`: the substitute's own weekly pattern (GET, PUT: several ranges a day) and
  dated exceptions (POST, DELETE `exceptions/<id>/`).
- `remplacement/timesheets/`: the substitute's own, a structure's requests', or all (coordinators); POST to
  declare or correct; `validate`, `reject` (the structure, with a comment).
- `remplacement/pool/`: the pool (coordinators): list with filters, one record, `deactivate`, `reactivate`.
- `remplacement/exports/<AAAA-MM>/`: the month's validated hours, per shift and totals (coordinators).

Errors are the platform's problem details (`core.api.errors`): 422 with French messages per field (nothing
saved), 403 when the person may not, 409 when the mission was filled or cancelled meanwhile.
"""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.errors import Problem
from core.models import Structure
from core.roles import COORDINATION_ROLES, STRUCTURE_ROLES, SUBSTITUTE_ROLES
from plugins.remplacement import selectors, services
from plugins.remplacement.api import serializers as s
from plugins.remplacement.models import (
    AvailabilityException,
    Offer,
    ReplacementRequest,
    Substitute,
    Timesheet,
)


class ServiceErrorsMixin:
    """A mission filled or cancelled meanwhile → 409; the services' other ValidationErrors become the
    platform's 422 problem details (core.api.errors)."""

    def handle_exception(self, exc):
        if isinstance(exc, services.MissionUnavailableError):
            exc = Problem(exc.messages[0], status_code=status.HTTP_409_CONFLICT, slug="mission-unavailable")
        return super().handle_exception(exc)


def _coordinator(request: Request) -> None:
    if not selectors.is_coordinator(request.user):
        raise PermissionDenied("Réservé aux coordinateurs du pôle remplacement.")


@extend_schema_view(
    list=extend_schema(summary="Lister les demandes de remplacement"),
    retrieve=extend_schema(summary="Lire une demande de remplacement"),
)
class RequestViewSet(ServiceErrorsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    required_roles = {
        "read": COORDINATION_ROLES | STRUCTURE_ROLES,
        "create": COORDINATION_ROLES | STRUCTURE_ROLES,
        "cancel": COORDINATION_ROLES | STRUCTURE_ROLES,
        "release": COORDINATION_ROLES | STRUCTURE_ROLES,
        "candidates": COORDINATION_ROLES,
        "assign": COORDINATION_ROLES,
        "widen": COORDINATION_ROLES,
        "resend": COORDINATION_ROLES,
        "unfilled": COORDINATION_ROLES,
    }
    serializer_class = s.RequestSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # OpenAPI generation: no user
            return ReplacementRequest.objects.none()
        states = self.request.query_params.getlist("state") or None
        return selectors.request_list(user=self.request.user, states=states)

    def _body(self, request_id: int) -> dict:
        return s.RequestSerializer(self.get_queryset().get(pk=request_id)).data

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
        values["staff_present"] = [dict(item) for item in values.get("staff_present") or []]
        created = services.request_create(structure=structure, actor=request.user, channel="api", **values)
        return Response(self._body(created.pk), status=status.HTTP_201_CREATED)

    @extend_schema(request=s.CancelSerializer, responses=s.RequestSerializer, summary="Annuler une demande")
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk=None) -> Response:
        data = s.CancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cancelled = services.request_cancel(request=self.get_object(), actor=request.user, **data.validated_data)
        return Response(self._body(cancelled.pk))

    @extend_schema(request=s.ReleaseSerializer, responses=s.RequestSerializer, summary="Libérer une personne retenue")
    @action(detail=True, methods=["post"])
    def release(self, request: Request, pk=None) -> Response:
        data = s.ReleaseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        replacement = self.get_object()
        person = get_object_or_404(
            Substitute.objects.filter(pk__in=[p.pk for p in selectors.booked_substitutes(replacement)]),
            pk=data.validated_data["substitute"],
        )
        services.request_release(
            request=replacement, substitute=person, actor=request.user, reason=data.validated_data["reason"]
        )
        return Response(self._body(replacement.pk))

    @extend_schema(
        responses=s.RankingSerializer,
        summary="Lister les remplaçant·es possibles, classé·es, et les raisons des exclusions (coordinateurs)",
    )
    @action(detail=True, methods=["get"])
    def candidates(self, request: Request, pk=None) -> Response:
        _coordinator(request)
        ranked = selectors.request_ranking(self.get_object(), explain=True)
        ranking = ranked.ranking
        names = {
            sub.pk: str(sub)
            for sub in Substitute.objects.select_related("user").filter(
                pk__in=[*ranking.ids.tolist(), *ranking.excluded]
            )
        }
        slot_ids = [slot.slot_id for slot in ranked.spec.slots] if ranked.spec else []
        body = {
            "candidates": [
                {**vars(c), "name": names.get(c.substitute_id, ""), "slots": [slot_ids[k] for k in c.slot_indexes]}
                for c in ranking.candidates
            ],
            "excluded": [
                {"substitute": pk, "name": names.get(pk, ""), "reasons": reasons}
                for pk, reasons in sorted(ranking.excluded.items(), key=lambda item: names.get(item[0], ""))
            ],
        }
        return Response(s.RankingSerializer(body).data)

    @extend_schema(request=s.AssignSerializer, responses=s.RequestSerializer, summary="Affecter directement (coord.)")
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk=None) -> Response:
        _coordinator(request)
        data = s.AssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        replacement = self.get_object()
        person = get_object_or_404(Substitute, pk=data.validated_data["substitute"])
        services.request_assign(
            request=replacement, substitute=person, actor=request.user, slot_ids=data.validated_data.get("slots")
        )
        return Response(self._body(replacement.pk))

    @extend_schema(request=None, responses=s.RequestSerializer, summary="Envoyer la vague suivante maintenant (coord.)")
    @action(detail=True, methods=["post"])
    def widen(self, request: Request, pk=None) -> Response:
        _coordinator(request)
        replacement = self.get_object()
        services.request_widen(request=replacement, actor=request.user)
        return Response(self._body(replacement.pk))

    @extend_schema(request=None, responses=s.RequestSerializer, summary="Relancer les personnes sans réponse (coord.)")
    @action(detail=True, methods=["post"])
    def resend(self, request: Request, pk=None) -> Response:
        _coordinator(request)
        replacement = self.get_object()
        services.request_resend(request=replacement, actor=request.user)
        return Response(self._body(replacement.pk))

    @extend_schema(request=None, responses=s.RequestSerializer, summary="Clore comme non pourvue (coordinateurs)")
    @action(detail=True, methods=["post"])
    def unfilled(self, request: Request, pk=None) -> Response:
        _coordinator(request)
        replacement = self.get_object()
        services.request_unfilled(request=replacement, actor=request.user)
        return Response(self._body(replacement.pk))


@extend_schema_view(
    list=extend_schema(summary="Lister les propositions de mission"),
    retrieve=extend_schema(summary="Lire une proposition de mission"),
)
class OfferViewSet(ServiceErrorsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    required_roles = {
        "read": COORDINATION_ROLES | STRUCTURE_ROLES | SUBSTITUTE_ROLES,
        "accept": SUBSTITUTE_ROLES,
        "decline": SUBSTITUTE_ROLES,
        "confirm": COORDINATION_ROLES | STRUCTURE_ROLES,
    }
    serializer_class = s.OfferSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # OpenAPI generation: no user
            return Offer.objects.none()
        user = self.request.user
        qs = Offer.objects.select_related(
            "substitute__user", "request__structure", "request__qualification", "request__case"
        ).prefetch_related("request__slots__assignments__substitute__user", "slots")
        if selectors.is_coordinator(user):
            return qs.order_by("-sent_at")
        # A structure sees the volunteers and the people it booked on its requests, never the rest of the pool.
        seen = Q(status__in=[Offer.Status.VOLUNTEERED, Offer.Status.ACCEPTED])
        return qs.filter(
            Q(substitute__user=user) | (Q(request__structure__in=selectors.structures_of(user)) & seen)
        ).order_by("-sent_at")

    def _answer(self, service, request: Request) -> Response:
        data = s.AnswerSerializer(data=request.data or {})
        data.is_valid(raise_exception=True)
        kwargs = {"slot_ids": data.validated_data["slots"]} if "slots" in data.validated_data else {}
        offer = service(offer=self.get_object(), actor=request.user, **kwargs)
        return Response(s.OfferSerializer(self.get_queryset().get(pk=offer.pk)).data)

    @extend_schema(
        request=s.AnswerSerializer, responses=s.OfferSerializer, summary="Accepter la mission (ou se porter volontaire)"
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk=None) -> Response:
        return self._answer(services.offer_accept, request)

    @extend_schema(request=None, responses=s.OfferSerializer, summary="Décliner la mission")
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk=None) -> Response:
        offer = services.offer_decline(offer=self.get_object(), actor=request.user)
        return Response(s.OfferSerializer(self.get_queryset().get(pk=offer.pk)).data)

    @extend_schema(request=s.AnswerSerializer, responses=s.OfferSerializer, summary="Retenir ce ou cette volontaire")
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk=None) -> Response:
        return self._answer(services.offer_confirm, request)


class AvailabilityViewSet(ServiceErrorsMixin, viewsets.ViewSet):
    """The signed-in substitute's availability."""

    required_roles = {"read": SUBSTITUTE_ROLES, "write": SUBSTITUTE_ROLES}
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

    @extend_schema(
        request=s.WeeklySerializer,
        responses=s.AvailabilitySerializer,
        summary="Modifier ma semaine type (plusieurs plages par jour possibles)",
    )
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


@extend_schema_view(
    list=extend_schema(summary="Lister les relevés d'heures"),
    retrieve=extend_schema(summary="Lire un relevé d'heures"),
)
class TimesheetViewSet(ServiceErrorsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    required_roles = {
        "read": COORDINATION_ROLES | STRUCTURE_ROLES | SUBSTITUTE_ROLES,
        "create": SUBSTITUTE_ROLES,
        "validate": COORDINATION_ROLES | STRUCTURE_ROLES,
        "reject": COORDINATION_ROLES | STRUCTURE_ROLES,
    }
    serializer_class = s.TimesheetSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Timesheet.objects.none()
        user = self.request.user
        qs = Timesheet.objects.select_related(
            "request__case", "request__structure", "substitute__user"
        ).prefetch_related("lines")
        status_filter = self.request.query_params.get("status")
        if status_filter:
            qs = qs.filter(status=status_filter)
        if selectors.is_coordinator(user):
            return qs.order_by("-submitted_at")
        return qs.filter(Q(substitute__user=user) | Q(request__structure__in=selectors.structures_of(user))).order_by(
            "-submitted_at"
        )

    @extend_schema(
        request=s.TimesheetSubmitSerializer,
        responses={201: s.TimesheetSerializer},
        summary="Déclarer (ou corriger) mes heures d'une mission",
    )
    def create(self, request: Request) -> Response:
        data = s.TimesheetSubmitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        substitute = selectors.substitute_of(request.user)
        if substitute is None:
            raise NotFound("Vous ne faites pas partie du vivier de remplaçants.")
        mission = get_object_or_404(selectors.missions_of(substitute), pk=data.validated_data["request"])
        sheet = services.timesheet_submit(
            request=mission,
            lines=[dict(line) for line in data.validated_data["lines"]],
            comment=data.validated_data["comment"],
            actor=request.user,
            substitute=substitute,
        )
        return Response(s.TimesheetSerializer(self.get_queryset().get(pk=sheet.pk)).data, status=201)

    def _review(self, request: Request, *, approve: bool) -> Response:
        data = s.TimesheetReviewSerializer(data=request.data or {})
        data.is_valid(raise_exception=True)
        sheet = services.timesheet_review(
            timesheet=self.get_object(), actor=request.user, approve=approve, comment=data.validated_data["comment"]
        )
        return Response(s.TimesheetSerializer(self.get_queryset().get(pk=sheet.pk)).data)

    @extend_schema(request=s.TimesheetReviewSerializer, responses=s.TimesheetSerializer, summary="Valider les heures")
    @action(detail=True, methods=["post"])
    def validate(self, request: Request, pk=None) -> Response:
        return self._review(request, approve=True)

    @extend_schema(
        request=s.TimesheetReviewSerializer, responses=s.TimesheetSerializer, summary="Renvoyer pour correction"
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk=None) -> Response:
        return self._review(request, approve=False)


POOL_FILTERS = [
    OpenApiParameter("q", str, description="Nom ou courriel"),
    OpenApiParameter("qualification", str, description="Code d'un diplôme détenu"),
    OpenApiParameter("commune", str, description="Commune (nom ou code INSEE)"),
    OpenApiParameter("active", str, description="1 : actifs, 0 : désactivés"),
    OpenApiParameter("documents", str, description="expired, expiring, unverified ou missing"),
]


@extend_schema_view(
    list=extend_schema(summary="Lister le vivier (coordinateurs)", parameters=POOL_FILTERS),
    retrieve=extend_schema(summary="Lire la fiche d'un ou d'une remplaçant·e (coordinateurs)"),
)
class PoolViewSet(ServiceErrorsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    required_roles = {"read": COORDINATION_ROLES, "write": COORDINATION_ROLES}
    serializer_class = s.SubstituteSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Substitute.objects.none()
        _coordinator(self.request)
        p = self.request.query_params
        return selectors.pool_list(
            query=p.get("q", ""),
            qualification=p.get("qualification", ""),
            commune=p.get("commune", ""),
            active=p.get("active", ""),
            documents=p.get("documents", ""),
        )

    @extend_schema(request=s.DeactivateSerializer, responses=s.SubstituteSerializer, summary="Désactiver")
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, pk=None) -> Response:
        data = s.DeactivateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        person = services.substitute_deactivate(
            substitute=self.get_object(), actor=request.user, reason=data.validated_data["reason"]
        )
        return Response(s.SubstituteSerializer(self.get_queryset().get(pk=person.pk)).data)

    @extend_schema(request=None, responses=s.SubstituteSerializer, summary="Réactiver")
    @action(detail=True, methods=["post"])
    def reactivate(self, request: Request, pk=None) -> Response:
        person = services.substitute_reactivate(substitute=self.get_object(), actor=request.user)
        return Response(s.SubstituteSerializer(self.get_queryset().get(pk=person.pk)).data)


MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class ExportViewSet(viewsets.ViewSet):
    """The month's validated hours (coordinators): a line per mission and shift, the totals per substitute
    (payroll) and per structure (billing)."""

    required_roles = {"read": COORDINATION_ROLES}
    serializer_class = s.MonthHoursSerializer
    lookup_value_regex = r"\d{4}-\d{2}"

    @extend_schema(responses=s.MonthHoursSerializer, summary="Lire les heures validées d'un mois (AAAA-MM)")
    def retrieve(self, request: Request, pk=None) -> Response:
        _coordinator(request)
        match = MONTH.match(pk or "")
        if match is None or not 1 <= int(match.group(2)) <= 12:
            raise NotFound("Mois attendu au format AAAA-MM.")
        hours = selectors.month_hours(year=int(match.group(1)), month=int(match.group(2)))
        return Response(
            s.MonthHoursSerializer(
                {
                    "month": pk,
                    "lines": hours.lines,
                    "by_substitute": hours.by_substitute,
                    "by_structure": hours.by_structure,
                }
            ).data
        )


ROUTES = [
    ("remplacement/requests", RequestViewSet, "remplacement-request"),
    ("remplacement/offers", OfferViewSet, "remplacement-offer"),
    ("remplacement/availability", AvailabilityViewSet, "remplacement-availability"),
    ("remplacement/timesheets", TimesheetViewSet, "remplacement-timesheet"),
    ("remplacement/pool", PoolViewSet, "remplacement-pool"),
    ("remplacement/exports", ExportViewSet, "remplacement-export"),
]
