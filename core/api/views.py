from django.db import connection
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.serializers import TerritorySerializer
from core.plugins import disabled_poles, poles


class TerritoryView(APIView):
    """The territory this API serves, and its poles (with whether each is switched on)."""

    @extend_schema(responses=TerritorySerializer, summary="Décrire le territoire et ses pôles")
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
