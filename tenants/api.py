"""The platform admins' API on the public host: list territories and clone a new one.

Authentication: session or HTTP Basic with a platform admin's account of the public schema (API tokens live in
each territory's schema, so they cannot authenticate here)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import BasicAuthentication, SessionAuthentication
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tenants.models import Territory
from tenants.selectors import territory_list
from tenants.services import territory_clone


class TerritoryOutSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    slug = serializers.CharField()
    schema_name = serializers.CharField()
    domain = serializers.CharField(source="primary_domain")
    cloned_from = serializers.CharField(source="cloned_from.slug", default=None)


class TerritoryCloneInSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=3)
    name = serializers.CharField(max_length=100)
    slug = serializers.CharField(max_length=100, required=False, allow_blank=True)
    domain = serializers.CharField(max_length=253, required=False, allow_blank=True)
    source = serializers.CharField(
        required=False, allow_blank=True, help_text="Code ou identifiant du territoire à cloner ; vide : le modèle."
    )
    sample_data = serializers.BooleanField(required=False, default=False)


class TerritoriesView(APIView):
    authentication_classes = [SessionAuthentication, BasicAuthentication]
    permission_classes = [IsAdminUser]

    @staticmethod
    def source_of(wanted: str) -> tuple[Territory | None, Response | None]:
        """The territory to clone named by its code or slug (None: the template), or a French 400."""
        wanted = (wanted or "").strip()
        if not wanted:
            return None, None
        source = (
            Territory.objects.filter(code=wanted.upper()).first()
            or Territory.objects.filter(slug=wanted.lower()).exclude(schema_name="public").first()
        )
        if source is None:
            return None, Response(
                {"source": [f"Territoire inconnu : « {wanted} »."]}, status=status.HTTP_400_BAD_REQUEST
            )
        return source, None

    @extend_schema(responses=TerritoryOutSerializer(many=True), summary="Lister les territoires")
    def get(self, request: Request) -> Response:
        return Response(TerritoryOutSerializer(territory_list(include_templates=True), many=True).data)

    @extend_schema(
        request=TerritoryCloneInSerializer,
        responses={201: TerritoryOutSerializer},
        summary="Créer un territoire en clonant la configuration d'un autre",
    )
    def post(self, request: Request) -> Response:
        data = TerritoryCloneInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        source, refused = self.source_of(values.pop("source", ""))
        if refused is not None:
            return refused
        try:
            territory = territory_clone(**values, source=source, actor=request.user)
        except ValidationError as exc:
            return Response(exc.message_dict, status=status.HTTP_400_BAD_REQUEST)
        return Response(TerritoryOutSerializer(territory).data, status=status.HTTP_201_CREATED)
