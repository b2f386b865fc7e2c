"""Territories (one PostgreSQL schema each), their host names and the poles each has switched on."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

DEPARTEMENT_CODE = RegexValidator(
    r"^(0[1-9]|[1-8][0-9]|9[0-5]|2[AB]|97[1-6])$",
    _("Code de département invalide (ex. : 35, 2A, 974)."),
)


class Territory(TenantMixin):
    """A territory (a département) of the platform, with its own schema, site, admin and API."""

    name = models.CharField(_("nom"), max_length=100)
    code = models.CharField(
        _("code du département"),
        max_length=3,
        unique=True,
        null=True,
        blank=True,
        validators=[DEPARTEMENT_CODE],
        help_text=_("Code INSEE du département (35, 2A…). Vide pour un modèle."),
    )
    slug = models.SlugField(_("identifiant"), max_length=100, unique=True)
    is_template = models.BooleanField(
        _("modèle"),
        default=False,
        help_text=_("Un modèle sert de point de départ aux nouveaux territoires ; il ne reçoit pas de dossiers."),
    )
    cloned_from = models.ForeignKey(
        "self",
        verbose_name=_("cloné depuis"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="clones",
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    auto_create_schema = True
    auto_drop_schema = True

    class Meta:
        verbose_name = _("territoire")
        verbose_name_plural = _("territoires")
        ordering = ["code", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})" if self.code else self.name

    def get_base_schema(self):
        """The schema this territory is cloned from: the one the provisioning service chose, else the
        template (TENANT_BASE_SCHEMA)."""
        if getattr(self, "provision_by_migrations", False):
            return False
        return getattr(self, "clone_source_schema", None) or super().get_base_schema()

    def create_schema(self, check_if_exists=False, sync_schema=True, verbosity=1):
        """Clone the base schema without replaying its migrations when it is current.

        django-tenants runs `migrate_schemas --fake` after every clone (about 0.7 s): the clone already copies
        `django_migrations`, so that run only re-records rows that are there. When the source lacks
        migrations that exist on disk, they are applied for real (faking them would leave tables missing,
        DESIGN fact 2).
        """
        from django.db import connection
        from django_tenants.clone import CloneSchema
        from django_tenants.utils import get_creation_fakes_migrations, schema_exists

        from tenants.migrations_state import migrations_missing

        base_schema = self.get_base_schema() if get_creation_fakes_migrations() else False
        if not (sync_schema and base_schema and schema_exists(base_schema)):
            return super().create_schema(check_if_exists=check_if_exists, sync_schema=sync_schema, verbosity=verbosity)
        if check_if_exists and schema_exists(self.schema_name):
            return False
        from tenants.schema_clone import schema_clone

        connection.set_schema_to_public()
        if not schema_clone(base_schema, self.schema_name):
            CloneSchema().clone_schema(base_schema, self.schema_name, self.clone_mode)
        if migrations_missing(self.schema_name):
            from django.core.management import call_command

            call_command(
                "migrate_schemas", tenant=True, schema_name=self.schema_name, interactive=False, verbosity=verbosity
            )
        connection.set_schema_to_public()
        return True

    @property
    def primary_domain(self) -> str | None:
        domain = self.domains.filter(is_primary=True).first()
        return domain.domain if domain else None


class Domain(DomainMixin):
    class Meta:
        verbose_name = _("nom de domaine")
        verbose_name_plural = _("noms de domaine")

    def __str__(self) -> str:
        return self.domain


class TerritoryPole(models.Model):
    """Whether a pole is switched on in a territory, and that pole's settings there."""

    territory = models.ForeignKey(Territory, on_delete=models.CASCADE, related_name="poles")
    pole = models.CharField(_("pôle"), max_length=50)
    enabled = models.BooleanField(_("activé"), default=True)
    settings = models.JSONField(_("réglages"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("pôle d'un territoire")
        verbose_name_plural = _("pôles des territoires")
        constraints = [models.UniqueConstraint(fields=["territory", "pole"], name="territorypole_unique")]

    def __str__(self) -> str:
        return f"{self.territory} · {self.pole}"
