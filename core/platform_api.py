"""The platform admins' API on the public host, beyond listing and cloning territories (tenants/api.py): a
territory's detail, draft checklist and publication, deletion, kit export and import, drift and merge (with
undo), backups and restores.

Authentication: session or HTTP Basic with a platform admin's account of the public schema. Permissions are
Django's model permissions of that account (deny by default): `tenants.view_territory` to read,
`tenants.change_territory` to import, merge or publish, `tenants.delete_territory` to delete,
`tenants.add_territory` to restore, `tenants.view_territorybackup` to download a backup."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import BasicAuthentication, SessionAuthentication
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.admin import territory_checklist
from core.api.parsers import FormParser, JSONParser, MultiPartParser
from core.kit.archive import KitError
from core.services.clone import first_admin_invite
from core.services.drift import (
    drift_rows,
    kit_merge_list,
    kit_merge_undo,
    territory_drift_get,
    territory_drift_merge,
)
from core.services.kit import kit_export, kit_import
from tenants.api import TerritoriesView, TerritoryCloneInSerializer
from tenants.backup import BackupError, territory_backup_read, territory_backup_store, territory_restore
from tenants.models import Territory, TerritoryBackup
from tenants.services import territory_clone, territory_delete, territory_publish

_METHOD_PERMISSIONS = {"GET": "view", "HEAD": "view", "OPTIONS": "view", "DELETE": "delete"}


class PlatformPermission(BasePermission):
    """A staff account of the public schema holding the territory permission the request needs."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_staff):
            return False
        action = (
            getattr(view, "method_actions", {}).get(request.method)
            or getattr(view, "permission_action", None)
            or _METHOD_PERMISSIONS.get(request.method, "change")
        )
        return user.has_perm(f"tenants.{action}_territory")


class PlatformView(APIView):
    authentication_classes = [SessionAuthentication, BasicAuthentication]
    permission_classes = [PlatformPermission]

    def territory(self, code: str) -> Territory:
        wanted = code.strip()
        return get_object_or_404(
            Territory.objects.exclude(schema_name="public").filter(code=wanted.upper())
            or Territory.objects.exclude(schema_name="public").filter(slug=wanted.lower())
        )


def _errors(exc: ValidationError) -> Response:
    body = exc.message_dict if hasattr(exc, "error_dict") else {"detail": " ".join(exc.messages)}
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


class ChecklistEntrySerializer(serializers.Serializer):
    kind = serializers.CharField()
    page_id = serializers.IntegerField()
    page_title = serializers.CharField()
    field = serializers.CharField()
    detail = serializers.CharField()
    done = serializers.BooleanField()


class TerritoryDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    slug = serializers.CharField()
    schema_name = serializers.CharField()
    domain = serializers.CharField(source="primary_domain")
    cloned_from = serializers.CharField(source="cloned_from.slug", default=None)
    is_template = serializers.BooleanField()
    draft = serializers.BooleanField(source="is_draft")
    published_at = serializers.DateTimeField(allow_null=True)
    checklist = serializers.SerializerMethodField()

    def get_checklist(self, territory: Territory) -> list[dict]:
        return ChecklistEntrySerializer(territory_checklist(territory), many=True).data


class TerritoryDetailView(PlatformView):
    @extend_schema(
        responses=TerritoryDetailSerializer, summary="Un territoire, son brouillon et ce qu'il reste à adapter"
    )
    def get(self, request: Request, code: str) -> Response:
        return Response(TerritoryDetailSerializer(self.territory(code)).data)

    @extend_schema(responses={204: None}, summary="Supprimer un territoire (ses fichiers compris)")
    def delete(self, request: Request, code: str) -> Response:
        territory = self.territory(code)
        try:
            territory_delete(territory=territory, actor=request.user)
        except ValidationError as exc:
            return Response({"detail": " ".join(exc.messages)}, status=status.HTTP_403_FORBIDDEN)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TerritoryPublishView(PlatformView):
    @extend_schema(
        request=None, responses=TerritoryDetailSerializer, summary="Publier le site d'un territoire brouillon"
    )
    def post(self, request: Request, code: str) -> Response:
        territory = self.territory(code)
        try:
            territory_publish(territory=territory, actor=request.user)
        except ValidationError as exc:
            return _errors(exc)
        return Response(TerritoryDetailSerializer(territory).data)


class KitImportSerializer(serializers.Serializer):
    archive = serializers.FileField(help_text="Le kit de territoire (.tar.gz).")


class TerritoryKitView(PlatformView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        responses={(200, "application/gzip"): OpenApiTypes.BINARY}, summary="Exporter le kit d'un territoire"
    )
    def get(self, request: Request, code: str) -> HttpResponse:
        territory = self.territory(code)
        response = HttpResponse(kit_export(territory=territory), content_type="application/gzip")
        response["Content-Disposition"] = f'attachment; filename="kit-{territory.slug}.tar.gz"'
        return response

    @extend_schema(request={"multipart/form-data": KitImportSerializer}, summary="Importer un kit dans un territoire")
    def post(self, request: Request, code: str) -> Response:
        territory = self.territory(code)
        data = KitImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            report = kit_import(territory=territory, archive=data.validated_data["archive"].read(), actor=request.user)
        except KitError as exc:
            return Response({"archive": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"sections": report.sections, "source": report.source})


class DriftMergeSerializer(serializers.Serializer):
    pull = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    resolutions = serializers.DictField(
        child=serializers.ChoiceField(choices=["ours", "theirs"]),
        required=False,
        default=dict,
        help_text="« section:clé » ou « section:clé|chemin » → ours (garder le territoire) ou theirs "
        "(prendre le modèle).",
    )


def _drift_data(territory: Territory) -> dict:
    drift = territory_drift_get(territory=territory)
    rows = drift_rows(drift)
    return {
        "template": drift.template.slug,
        **{
            group: [
                {
                    "ident": row["ident"],
                    "label": row["label"],
                    "section": row["section"],
                    "status": row["status"],
                    "changes": [
                        {k: field[k] for k in ("ident", "label", "base", "ours", "theirs", "conflict")}
                        for field in row["fields"]
                    ],
                }
                for row in entries
            ]
            for group, entries in rows.items()
        },
        "merges": [
            {
                "id": merge.pk,
                "merged_at": merge.merged_at,
                "actor": merge.actor,
                "pulled": merge.pulled,
                "kept": merge.kept,
                "undone_at": merge.undone_at,
            }
            for merge in kit_merge_list(territory=territory)
        ],
    }


class TerritoryDriftView(PlatformView):
    parser_classes = [JSONParser]

    @extend_schema(responses=OpenApiTypes.OBJECT, summary="Écarts d'un territoire avec son modèle")
    def get(self, request: Request, code: str) -> Response:
        try:
            return Response(_drift_data(self.territory(code)))
        except ValidationError as exc:
            return _errors(exc)

    @extend_schema(request=DriftMergeSerializer, responses=OpenApiTypes.OBJECT, summary="Récupérer des mises à jour")
    def post(self, request: Request, code: str) -> Response:
        territory = self.territory(code)
        data = DriftMergeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            report = territory_drift_merge(
                territory=territory,
                pull=data.validated_data["pull"],
                resolutions=data.validated_data["resolutions"],
                actor=request.user,
            )
        except ValidationError as exc:
            return _errors(exc)
        return Response(
            {"pulled": report.pulled, "kept": report.kept, "merge": report.merge.pk if report.merge else None}
        )


class TerritoryMergeUndoView(PlatformView):
    @extend_schema(request=None, responses=OpenApiTypes.OBJECT, summary="Annuler une fusion avec le modèle")
    def post(self, request: Request, code: str, merge_id: int) -> Response:
        try:
            merge = kit_merge_undo(territory=self.territory(code), merge_id=merge_id, actor=request.user)
        except ValidationError as exc:
            return _errors(exc)
        return Response({"id": merge.pk, "undone_at": merge.undone_at})


class BackupSerializer(serializers.ModelSerializer):
    class Meta:
        model = TerritoryBackup
        fields = ["id", "territory_name", "territory_code", "size", "created_by", "created_at"]


class TerritoryBackupsView(PlatformView):
    @extend_schema(responses=BackupSerializer(many=True), summary="Les sauvegardes d'un territoire")
    def get(self, request: Request, code: str) -> Response:
        territory = self.territory(code)
        return Response(BackupSerializer(TerritoryBackup.objects.filter(territory=territory), many=True).data)

    @extend_schema(request=None, responses={201: BackupSerializer}, summary="Sauvegarder un territoire")
    def post(self, request: Request, code: str) -> Response:
        try:
            backup = territory_backup_store(territory=self.territory(code), actor=request.user)
        except BackupError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(BackupSerializer(backup).data, status=status.HTTP_201_CREATED)


class BackupFileView(PlatformView):
    @extend_schema(responses={(200, "application/gzip"): OpenApiTypes.BINARY}, summary="Télécharger une sauvegarde")
    def get(self, request: Request, backup_id: int) -> FileResponse:
        if not request.user.has_perm("tenants.view_territorybackup"):
            raise PermissionDenied("La permission de télécharger les sauvegardes vous manque.")
        backup = get_object_or_404(TerritoryBackup, pk=backup_id)
        try:
            handle = backup.file.open("rb")
        except (FileNotFoundError, OSError):
            return Response({"detail": "Le fichier de cette sauvegarde est introuvable."}, status=404)
        name = backup.file.name.rsplit("/", 1)[-1]
        return FileResponse(handle, as_attachment=True, filename=name, content_type="application/gzip")


class RestoreSerializer(serializers.Serializer):
    backup = serializers.PrimaryKeyRelatedField(queryset=TerritoryBackup.objects.all(), required=False)
    archive = serializers.FileField(required=False)
    code = serializers.CharField(max_length=3, required=False, allow_blank=True)
    name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    domain = serializers.CharField(max_length=253, required=False, allow_blank=True)

    def validate(self, attrs):
        if not attrs.get("backup") and not attrs.get("archive"):
            raise serializers.ValidationError("Indiquez une sauvegarde (backup) ou déposez une archive (archive).")
        return attrs


class RestoreView(PlatformView):
    permission_action = "add"
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(request={"multipart/form-data": RestoreSerializer}, responses={201: TerritoryDetailSerializer})
    def post(self, request: Request) -> Response:
        """Restaurer un territoire depuis une sauvegarde, sous son code ou un autre (nom et hôte au choix)."""
        data = RestoreSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            archive = (
                territory_backup_read(backup=values["backup"]) if values.get("backup") else values["archive"].read()
            )
            territory = territory_restore(
                archive=archive,
                code=values.get("code") or None,
                name=values.get("name") or None,
                domain=values.get("domain") or None,
                actor=request.user,
            )
        except BackupError as exc:
            return Response({"archive": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        except ValidationError as exc:
            return _errors(exc)
        return Response(TerritoryDetailSerializer(territory).data, status=status.HTTP_201_CREATED)


class TerritoryCreateSerializer(TerritoryCloneInSerializer):
    draft = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Site en brouillon jusqu'à publication (par défaut : oui pour le clone d'un territoire).",
    )
    first_admin_email = serializers.EmailField(required=False, allow_blank=True)
    first_admin_first_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    first_admin_last_name = serializers.CharField(required=False, allow_blank=True, max_length=150)


class TerritoryCreatedSerializer(TerritoryDetailSerializer):
    invitation_url = serializers.CharField(allow_blank=True)
    invitation_error = serializers.CharField(allow_blank=True)


class PlatformTerritoriesView(TerritoriesView):
    """Territories: list (GET) and clone (POST; the new territory's first admin is invited)."""

    authentication_classes = [SessionAuthentication, BasicAuthentication]
    permission_classes = [PlatformPermission]
    method_actions = {"POST": "add"}

    @extend_schema(
        request=TerritoryCreateSerializer,
        responses={201: TerritoryCreatedSerializer},
        summary="Créer un territoire en clonant la configuration d'un autre",
    )
    def post(self, request: Request) -> Response:
        data = TerritoryCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        first_admin = {
            "email": values.pop("first_admin_email", ""),
            "first_name": values.pop("first_admin_first_name", ""),
            "last_name": values.pop("first_admin_last_name", ""),
        }
        source, refused = self.source_of(values.pop("source", ""))
        if refused is not None:
            return refused
        try:
            territory = territory_clone(**values, source=source, actor=request.user)
        except ValidationError as exc:
            return _errors(exc)
        invitation, error = ("", "")
        if first_admin["email"]:
            invitation, error = first_admin_invite(territory=territory, **first_admin, actor=request.user)
        body = {**TerritoryDetailSerializer(territory).data, "invitation_url": invitation, "invitation_error": error}
        return Response(body, status=status.HTTP_201_CREATED)
