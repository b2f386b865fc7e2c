"""OpenAPI generation: only the platform's own `/api/` paths (Wagtail's admin API would appear otherwise),
the problem-details error responses of every operation, and the token security scheme."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from core.api.errors import PROBLEM_CONTENT_TYPE


def only_api_paths(endpoints, **kwargs):
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v")]


class FieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="Champ en cause (chemin pointé, vide pour l'ensemble).")
    detail = serializers.CharField(help_text="Message d'erreur, en français.")
    code = serializers.CharField(help_text="Code stable de l'erreur (required, invalid…).")


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details."""

    type = serializers.CharField(help_text="URI du type de problème (`about:blank` ou `urn:ppe:problem:…`).")
    title = serializers.CharField(help_text="Intitulé court du problème.")
    status = serializers.IntegerField(help_text="Code HTTP.")
    detail = serializers.CharField(help_text="Explication propre à cette occurrence.")
    instance = serializers.CharField(help_text="Chemin de la requête en cause.")
    errors = FieldErrorSerializer(many=True, required=False, help_text="Erreurs par champ (422).")


ERROR_DESCRIPTIONS = {
    "400": "Requête mal formée (JSON illisible, en-tête invalide, caractère nul dans l'adresse).",
    "401": "Authentification requise ou jeton invalide, expiré ou révoqué.",
    "403": "Rôle ou portée du jeton insuffisants.",
    "404": "Ressource (ou page de liste) introuvable dans ce territoire.",
    "405": "Méthode non autorisée.",
    "406": "Format de réponse demandé (Accept) non disponible : application/json.",
    "409": "Conflit (modification concurrente, requête idempotente en cours).",
    "413": "Contenu trop volumineux.",
    "415": "Type de contenu non pris en charge.",
    "422": "Données invalides (erreurs par champ dans `errors`).",
    "429": "Trop de requêtes : réessayer après `Retry-After` secondes.",
    "500": "Erreur interne du serveur.",
}
IDEMPOTENCY_HEADER = OpenApiParameter(
    name="Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Clé choisie par le client (255 caractères au plus) : une nouvelle tentative avec la même clé et le même "
        "corps renvoie la première réponse ; la même clé avec un autre corps donne 422. Conservée 24 heures."
    ),
)


class ApiAutoSchema(AutoSchema):
    """Adds the problem-details responses each operation can give, and the Idempotency-Key header of POSTs."""

    def _error_codes(self) -> list[str]:
        # 404 on lists too (a page out of range), 422 on GET too (an invalid filter value), 400 on every method
        # (a NUL character in the address, core.limits).
        codes = ["400", "401", "403", "404", "406", "422", "429", "500"]
        if self.method in ("POST", "PUT", "PATCH"):
            codes += ["409", "413", "415"]
        elif self.method == "DELETE":
            codes.append("409")
        return sorted(codes)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                response = self._get_response_for_code(ProblemSerializer, code, media_types=[PROBLEM_CONTENT_TYPE])
                response["description"] = ERROR_DESCRIPTIONS[code]
                responses[code] = response
        return responses

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self.method == "POST":
            parameters.append(IDEMPOTENCY_HEADER)
        return parameters


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "core.api.authentication.ApiTokenAuthentication"
    name = "jeton"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "Jeton d'API du territoire (créé dans son administration, affiché une seule fois) : "
                "`Authorization: Bearer ppe_<préfixe>_<secret>`. Portée lecture seule ou lecture-écriture."
            ),
        }
