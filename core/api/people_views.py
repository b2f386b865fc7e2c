"""The territory's people through the API (territory admins only): accounts with their roles and
memberships, and invitations. Every write goes through `core.services.accounts` (audited)."""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.permissions import ADMINS
from core.models import Invitation, Operator, Structure
from core.roles import role_label
from core.selectors.people import invitation_list, person_list
from core.services import accounts

ROLE_CHOICES = sorted(accounts.INVITABLE_ROLES)


class RoleField(serializers.ListField):
    child = serializers.ChoiceField(choices=ROLE_CHOICES)


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(read_only=True)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    roles = RoleField(required=False, help_text="Codes des rôles (groupes) de la personne.")
    role_labels = serializers.SerializerMethodField()
    structures = serializers.PrimaryKeyRelatedField(many=True, queryset=Structure.objects.all(), required=False)
    operators = serializers.PrimaryKeyRelatedField(many=True, queryset=Operator.objects.all(), required=False)
    is_active = serializers.BooleanField(required=False, help_text="Faux : compte désactivé (jamais supprimé).")
    last_login = serializers.DateTimeField(read_only=True)
    date_joined = serializers.DateTimeField(read_only=True)

    def to_representation(self, instance):
        return {
            "id": instance.pk,
            "email": instance.email,
            "first_name": instance.first_name,
            "last_name": instance.last_name,
            "roles": sorted(g.name for g in instance.groups.all()),
            "role_labels": sorted(role_label(g.name) for g in instance.groups.all()),
            "structures": sorted(m.structure_id for m in instance.structure_memberships.all()),
            "operators": sorted(m.operator_id for m in instance.operator_memberships.all()),
            "is_active": instance.is_active,
            "last_login": instance.last_login.isoformat() if instance.last_login else None,
            "date_joined": instance.date_joined.isoformat(),
        }

    def get_role_labels(self, instance) -> list[str]:  # for the schema; to_representation fills it
        return []


class InvitationSerializer(serializers.ModelSerializer):
    roles = RoleField()
    status = serializers.CharField(read_only=True, help_text="pending, accepted, expired ou revoked.")
    status_label = serializers.CharField(read_only=True)

    class Meta:
        model = Invitation
        fields = ["id", "email", "first_name", "last_name", "roles", "structure", "operator", "status",
                  "status_label", "created_at", "sent_at", "expires_at", "accepted_at", "revoked_at",
                  "user"]  # fmt: skip
        read_only_fields = ["created_at", "sent_at", "expires_at", "accepted_at", "revoked_at", "user"]


@extend_schema_view(
    list=extend_schema(summary="Lister les personnes du territoire", operation_id="people_list", tags=["personnes"]),
    retrieve=extend_schema(summary="Lire une personne", operation_id="people_get", tags=["personnes"]),
    partial_update=extend_schema(
        summary="Modifier les rôles, rattachements ou l'activation d'une personne",
        operation_id="people_update",
        tags=["personnes"],
    ),
)
class PersonViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = PersonSerializer
    required_roles = {"read": ADMINS, "partial_update": ADMINS}
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        params = self.request.query_params
        active = {"true": True, "false": False}.get(params.get("is_active", ""))
        return person_list(query=params.get("search", ""), role=params.get("role", ""), active=active)

    @staticmethod
    def _memberships_set(person, wanted_objects, kind: str, actor) -> None:
        wanted = {obj.pk: obj for obj in wanted_objects}
        add = getattr(accounts, f"{kind}_membership_add")
        remove = getattr(accounts, f"{kind}_membership_remove")
        for membership in getattr(person, f"{kind}_memberships").select_related(kind):
            if getattr(membership, f"{kind}_id") not in wanted:
                remove(user=person, actor=actor, **{kind: getattr(membership, kind)})
        for obj in wanted.values():
            add(user=person, actor=actor, **{kind: obj})

    @transaction.atomic
    def partial_update(self, request: Request, pk=None) -> Response:
        person = self.get_object()
        serializer = self.get_serializer(person, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data, actor = serializer.validated_data, request.user
        if "first_name" in data or "last_name" in data:
            accounts.person_update(user=person, first_name=data.get("first_name", person.first_name),
                                   last_name=data.get("last_name", person.last_name), actor=actor)  # fmt: skip
        if "roles" in data:
            accounts.person_roles_set(user=person, roles=data["roles"], actor=actor)
        if "structures" in data:
            self._memberships_set(person, data["structures"], "structure", actor)
        if "operators" in data:
            self._memberships_set(person, data["operators"], "operator", actor)
        if "is_active" in data and data["is_active"] != person.is_active:
            if data["is_active"]:
                accounts.person_reactivate(user=person, actor=actor)
            else:
                accounts.person_deactivate(user=person, actor=actor)
        return Response(self.get_serializer(self.get_queryset().get(pk=person.pk)).data)


@extend_schema_view(
    list=extend_schema(summary="Lister les invitations", operation_id="invitations_list", tags=["personnes"]),
    retrieve=extend_schema(summary="Lire une invitation", operation_id="invitations_get", tags=["personnes"]),
    create=extend_schema(
        summary="Inviter une personne (courriel avec un lien pour choisir son mot de passe)",
        operation_id="invitations_create",
        tags=["personnes"],
    ),
)
class InvitationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    serializer_class = InvitationSerializer
    required_roles = {"read": ADMINS, "create": ADMINS, "resend": ADMINS, "revoke": ADMINS}
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return invitation_list()

    def perform_create(self, serializer) -> None:
        serializer.instance = accounts.invitation_create(actor=self.request.user, **serializer.validated_data)

    @extend_schema(request=None, responses=InvitationSerializer, summary="Renvoyer une invitation (nouveau lien)",
                   operation_id="invitations_resend", tags=["personnes"])  # fmt: skip
    @action(detail=True, methods=["post"])
    def resend(self, request: Request, pk=None) -> Response:
        invitation = accounts.invitation_resend(invitation=self.get_object(), actor=request.user)
        return Response(self.get_serializer(invitation).data, status=status.HTTP_200_OK)

    @extend_schema(request=None, responses=InvitationSerializer, summary="Annuler une invitation",
                   operation_id="invitations_revoke", tags=["personnes"])  # fmt: skip
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk=None) -> Response:
        invitation = accounts.invitation_revoke(invitation=self.get_object(), actor=request.user)
        return Response(self.get_serializer(invitation).data, status=status.HTTP_200_OK)


class PersonalDataQuerySerializer(serializers.Serializer):
    email = serializers.EmailField(help_text="L'adresse électronique de la personne.")


class PersonalDataEraseSerializer(PersonalDataQuerySerializer):
    confirmation = serializers.CharField(help_text="La même adresse, recopiée : l'effacement ne s'annule pas.")

    def validate(self, attrs):
        if attrs["confirmation"].strip().lower() != attrs["email"].strip().lower():
            raise serializers.ValidationError(
                {"confirmation": "L'adresse recopiée ne correspond pas : rien n'a été effacé."}
            )
        return attrs


class PersonalDataViewSet(viewsets.GenericViewSet):
    """A person's data (RGPD), as the « Données personnelles » screens give them: what is held (the export's
    content, journaled as an export), the erasure, and the retention of each case type."""

    serializer_class = PersonalDataQuerySerializer
    required_roles = {"list": ADMINS, "erase": ADMINS, "retention": ADMINS}
    pagination_class = None

    @extend_schema(
        parameters=[PersonalDataQuerySerializer],
        responses={200: dict},
        summary="Exporter les données d'une personne (droit d'accès)",
        operation_id="personal_data_export",
        tags=["personnes"],
    )
    def list(self, request: Request) -> Response:
        from core.services import personal_data

        query = PersonalDataQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = personal_data.person_data_get(email=query.validated_data["email"])
        if not data.found:
            raise exceptions.NotFound("Aucune donnée n'est détenue sur cette adresse dans ce territoire.")
        content, _files = personal_data.person_export_content(data)
        personal_data.person_export_journal(data=data, actor=request.user, files=0, request=request)
        return Response(content)

    @extend_schema(
        request=PersonalDataEraseSerializer,
        responses={200: dict},
        summary="Effacer les données d'une personne (droit à l'effacement)",
        operation_id="personal_data_erase",
        tags=["personnes"],
    )
    @action(detail=False, methods=["post"])
    def erase(self, request: Request) -> Response:
        from core.services import personal_data

        serializer = PersonalDataEraseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        email = serializer.validated_data["email"]
        if not personal_data.person_data_get(email=email).found:
            raise exceptions.NotFound("Aucune donnée n'est détenue sur cette adresse dans ce territoire.")
        action_row = personal_data.person_erase(email=email, actor=request.user, request=request)
        return Response({"pseudonyme": action_row.subject_label, "résumé": action_row.summary})

    @extend_schema(
        responses={200: dict},
        summary="Lister les durées de conservation par type de dossier",
        operation_id="personal_data_retention",
        tags=["personnes"],
    )
    @action(detail=False, methods=["get"])
    def retention(self, request: Request) -> Response:
        from core.selectors.personal_data import retention_rows

        return Response(
            [
                {
                    "workflow": row.definition.code,
                    "nom": row.definition.name,
                    "années": row.years,
                    "par défaut": row.is_default,
                    "dossiers clôturés": row.closed,
                    "dossiers anonymisés": row.anonymised,
                }
                for row in retention_rows()
            ]
        )
