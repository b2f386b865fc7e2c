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
    published_at = models.DateTimeField(
        _("site publié le"),
        null=True,
        blank=True,
        help_text=_("Vide : le site est un brouillon (un clone pas encore publié), invisible du public."),
    )

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

    @property
    def is_platform_row(self) -> bool:
        """The public schema's row and the template: the platform's own rows, never deleted."""
        from django_tenants.utils import get_public_schema_name

        return self.schema_name == get_public_schema_name() or self.is_template

    @property
    def is_draft(self) -> bool:
        return self.published_at is None and not self.is_platform_row


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


def _backup_storage():
    """Where backups are kept: the `backups` storage (owner-only files, never served by a URL)."""
    from django.core.files.storage import storages

    return storages["backups"]


class ProvisioningJob(models.Model):
    """A territory being cloned in the background (or restored), with its progress for the platform admin."""

    class Kind(models.TextChoices):
        CLONE = "clone", _("Clonage")

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente")
        RUNNING = "running", _("En cours")
        DONE = "done", _("Terminé")
        FAILED = "failed", _("Échec")

    kind = models.CharField(_("opération"), max_length=20, choices=Kind.choices, default=Kind.CLONE)
    status = models.CharField(_("état"), max_length=20, choices=Status.choices, default=Status.PENDING)
    step = models.PositiveSmallIntegerField(_("étape"), default=0)
    total = models.PositiveSmallIntegerField(_("nombre d'étapes"), default=0)
    label = models.CharField(_("étape en cours"), max_length=200, blank=True)
    params = models.JSONField(_("demande"), default=dict)
    source = models.ForeignKey(Territory, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    territory = models.ForeignKey(
        Territory, null=True, blank=True, on_delete=models.SET_NULL, related_name="provisioning_jobs"
    )
    error = models.TextField(_("erreur"), blank=True)
    invitation_url = models.CharField(_("lien d'invitation"), max_length=500, blank=True)
    created_by = models.CharField(_("demandé par"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("demandé le"), auto_now_add=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("création de territoire")
        verbose_name_plural = _("créations de territoires")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.params.get('name', '')} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * max(self.step - 1, 0) / self.total) if self.total else 0


class TerritoryBackup(models.Model):
    """A backup archive of a territory made from the back office or the API (`territory_backup`), kept in the
    `backups` storage; downloaded and restored by platform admins only."""

    territory = models.ForeignKey(Territory, null=True, blank=True, on_delete=models.SET_NULL, related_name="backups")
    territory_name = models.CharField(_("territoire"), max_length=100)
    territory_code = models.CharField(_("code"), max_length=3, blank=True)
    file = models.FileField(_("archive"), upload_to="territoires/", storage=_backup_storage, max_length=255)
    size = models.PositiveBigIntegerField(_("taille (octets)"), default=0)
    created_by = models.CharField(_("faite par"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("faite le"), auto_now_add=True)

    class Meta:
        verbose_name = _("sauvegarde de territoire")
        verbose_name_plural = _("sauvegardes de territoires")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.territory_name} ({self.created_at:%d/%m/%Y %H:%M})"
