"""Workflow definitions (the low-code engine): versioned state machines and their forms.

A `WorkflowDefinition` is a kind of case; it has numbered `WorkflowVersion`s. A version holds its states,
transitions and forms; once published it is frozen (its rows refuse changes) and a snapshot of it, in the
export format, is stored: the runtime reads only that snapshot, compiled once and cached in memory.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, MultiFieldPanel

CODE = RegexValidator(r"^[a-z0-9][a-z0-9_-]*$", _("Code invalide : lettres minuscules, chiffres, « - » et « _ »."))


class WorkflowDefinition(models.Model):
    """A kind of case: its code, name and who may open one. Its graph and forms live in its versions."""

    code = models.CharField(_("code"), max_length=80, unique=True, validators=[CODE])
    name = models.CharField(_("nom"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    pole = models.CharField(_("pôle"), max_length=50, blank=True, help_text=_("Vide pour un workflow créé ici."))
    reference_prefix = models.CharField(_("préfixe des références"), max_length=10, blank=True)
    open_form = models.CharField(
        _("formulaire d'ouverture"), max_length=80, blank=True, help_text=_("Code du formulaire rempli à l'ouverture.")
    )
    open_roles = models.JSONField(_("rôles autorisés à ouvrir"), default=list, blank=True)
    retention_years = models.PositiveSmallIntegerField(
        _("durée de conservation après clôture (années)"),
        null=True,
        blank=True,
        help_text=_("Les données personnelles d'un dossier clôturé sont anonymisées passé ce délai. Vide : la "
                    "durée par défaut de ce type de dossier."),
    )  # fmt: skip
    shipped_checksum = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="Checksum of the pole's file last applied (tells whether the shipped file changed).",
    )
    shipped_spec_checksum = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="Checksum of the version imported from that file (tells whether an admin changed it since).",
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("workflow")
        verbose_name_plural = _("workflows")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not isinstance(self.open_roles, list) or not all(isinstance(r, str) for r in self.open_roles):
            raise ValidationError({"open_roles": _("Les rôles autorisés doivent être une liste de codes de rôle.")})

    @property
    def published_version(self) -> WorkflowVersion | None:
        return self.versions.filter(status=WorkflowVersion.Status.PUBLISHED).order_by("-number").first()


class WorkflowVersion(ClusterableModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        PUBLISHED = "published", _("Publiée")
        RETIRED = "retired", _("Retirée")

    definition = models.ForeignKey(
        WorkflowDefinition, verbose_name=_("workflow"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("numéro"))
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(_("publiée le"), null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("publiée par"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    snapshot = models.JSONField(
        _("instantané"), null=True, blank=True, editable=False, help_text=_("La définition telle que publiée.")
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("version de workflow")
        verbose_name_plural = _("versions de workflow")
        ordering = ["definition", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["definition", "number"], name="workflow_version_number_unique"),
            models.UniqueConstraint(
                fields=["definition"],
                condition=models.Q(status="published"),
                name="workflow_one_published_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.definition} · v{self.number} ({self.get_status_display()})"

    @property
    def is_frozen(self) -> bool:
        return self.status != self.Status.DRAFT

    def delete(self, *args, **kwargs):
        if self.pk is not None and WorkflowVersion.objects.filter(pk=self.pk).exclude(status="draft").exists():
            raise ValidationError(_("Une version publiée ou retirée ne peut pas être supprimée : elle reste "
                                    "l'historique des dossiers qui l'ont suivie."))  # fmt: skip
        return super().delete(*args, **kwargs)


def expression_check(source: str, field: str) -> None:
    """Refuse a CEL expression that does not compile, with its position, on the field that holds it."""
    from workflows import registry
    from workflows.exceptions import ExpressionError
    from workflows.expressions import expression_compile

    try:
        expression_compile(source, functions=frozenset(registry.guard_functions()))
    except ExpressionError as exc:
        raise ValidationError({field: exc.message}) from None


FROZEN_MESSAGE = _("Cette version est publiée ou retirée : créez un brouillon pour la modifier.")


def _assert_draft(version_id: int | None) -> None:
    """Refuse a change to a row of a published or retired version (checked in the database, not in memory)."""
    if version_id is not None and WorkflowVersion.objects.filter(pk=version_id).exclude(status="draft").exists():
        raise ValidationError(FROZEN_MESSAGE)


class _VersionPart(models.Model):
    """A row that belongs to a version and is frozen with it."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        _assert_draft(self._version_id())
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _assert_draft(self._version_id())
        return super().delete(*args, **kwargs)

    def clean(self) -> None:
        _assert_draft(self._version_id())

    def _version_id(self) -> int | None:
        return self.version_id


class State(_VersionPart):
    class Kind(models.TextChoices):
        INITIAL = "initial", _("Initial")
        NORMAL = "normal", _("Intermédiaire")
        FINAL = "final", _("Final")

    version = ParentalKey(WorkflowVersion, verbose_name=_("version"), on_delete=models.CASCADE, related_name="states")
    position = models.PositiveIntegerField(_("ordre"), default=0)
    code = models.CharField(_("code"), max_length=80, validators=[CODE])
    label = models.CharField(_("libellé"), max_length=200)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.NORMAL)
    sla_days = models.PositiveIntegerField(_("délai (jours ouvrés)"), null=True, blank=True)
    responsible = models.CharField(_("rôle responsable"), max_length=80, blank=True)

    class Meta:
        verbose_name = _("état")
        verbose_name_plural = _("états")
        ordering = ["version", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="state_code_unique")]

    def __str__(self) -> str:
        return f"{self.label} ({self.code})"


class FormDefinition(ClusterableModel):
    version = models.ForeignKey(
        WorkflowVersion, verbose_name=_("version"), on_delete=models.CASCADE, related_name="forms"
    )
    code = models.CharField(_("code"), max_length=80, validators=[CODE])
    name = models.CharField(_("nom"), max_length=200)

    class Meta:
        verbose_name = _("formulaire")
        verbose_name_plural = _("formulaires")
        ordering = ["version", "code"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="form_code_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self) -> None:
        _assert_draft(self.version_id)

    def save(self, *args, **kwargs):
        _assert_draft(self.version_id)
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _assert_draft(self.version_id)
        return super().delete(*args, **kwargs)


class Transition(_VersionPart):
    class Comment(models.TextChoices):
        NONE = "none", _("Pas de commentaire")
        OPTIONAL = "optional", _("Commentaire facultatif")
        REQUIRED = "required", _("Commentaire obligatoire")

    version = models.ForeignKey(
        WorkflowVersion, verbose_name=_("version"), on_delete=models.CASCADE, related_name="transitions"
    )
    position = models.PositiveIntegerField(_("ordre"), default=0)
    code = models.CharField(_("code"), max_length=80, validators=[CODE])
    label = models.CharField(_("libellé"), max_length=200)
    sources = models.ManyToManyField(State, verbose_name=_("depuis"), related_name="outgoing")
    target = models.ForeignKey(
        State, verbose_name=_("vers"), null=True, blank=True, on_delete=models.SET_NULL, related_name="incoming"
    )
    target_code = models.CharField(
        _("code de l'état d'arrivée"),
        max_length=80,
        blank=True,
        help_text=_("Renseigné à l'import quand l'état d'arrivée n'existe pas (signalé à la validation)."),
    )
    roles = models.JSONField(_("rôles autorisés"), default=list, blank=True)
    guard = models.TextField(
        _("condition (CEL)"),
        blank=True,
        help_text=_(
            "Facultatif. Expression CEL qui doit être vraie pour que la transition soit possible, par exemple "
            '« data.places > 10 » ou « "case_worker" in actor.roles ». Variables : data (les données du dossier), '
            "case (state, reference, structure, age_days), actor (roles, id), today (AAAA-MM-JJ)."
        ),
    )
    guard_message = models.CharField(
        _("message si la condition n'est pas remplie"),
        max_length=300,
        blank=True,
        help_text=_("Montré aux personnes à la place de la condition, par exemple « Au moins deux devis sont "
                    "nécessaires »."),
    )  # fmt: skip
    form = models.CharField(_("formulaire"), max_length=80, blank=True, help_text=_("Code du formulaire à remplir."))
    comment = models.CharField(_("commentaire"), max_length=20, choices=Comment.choices, default=Comment.NONE)
    actions = models.JSONField(_("actions"), default=list, blank=True)

    class Meta:
        verbose_name = _("transition")
        verbose_name_plural = _("transitions")
        ordering = ["version", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="transition_code_unique")]

    def __str__(self) -> str:
        return f"{self.label} ({self.code})"

    def clean(self) -> None:
        super().clean()
        for name in ("roles", "actions"):
            value = getattr(self, name)
            if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
                raise ValidationError({name: _("Une liste de codes est attendue.")})
        if self.target_id and self.version_id and self.target.version_id != self.version_id:
            raise ValidationError({"target": _("L'état d'arrivée doit appartenir à la même version.")})
        if self.guard:
            expression_check(self.guard, "guard")


FIELD_OPTIONS = ("min_value", "max_value", "min_length", "max_length", "pattern", "choices", "reference",
                 "visible_builder", "visible_if", "content_types", "max_size_mb", "decimal_places", "min_items",
                 "max_items", "default", "group")  # fmt: skip


class FieldDefinition(models.Model):
    class Type(models.TextChoices):
        TEXT = "text", _("Texte court")
        TEXTAREA = "textarea", _("Texte long")
        INTEGER = "integer", _("Nombre entier")
        DECIMAL = "decimal", _("Nombre décimal")
        MONEY = "money", _("Montant en euros")
        DATE = "date", _("Date")
        DATETIME = "datetime", _("Date et heure")
        EMAIL = "email", _("Courriel")
        PHONE = "phone", _("Téléphone")
        SIRET = "siret", _("SIRET")
        SIREN = "siren", _("SIREN")
        POSTCODE = "postcode", _("Code postal")
        COMMUNE = "commune", _("Commune")
        BOOLEAN = "boolean", _("Oui / non")
        CHOICE = "choice", _("Choix unique")
        MULTICHOICE = "multichoice", _("Choix multiple")
        REFERENCE = "reference", _("Choix dans une liste de référence")
        FILE = "file", _("Fichier")
        SECTION = "section", _("Titre de section")
        HELP = "help", _("Texte d'explication")
        GROUP = "group", _("Groupe répétable")

    form = ParentalKey(FormDefinition, verbose_name=_("formulaire"), on_delete=models.CASCADE, related_name="fields")
    group = models.ForeignKey(
        "self",
        verbose_name=_("groupe"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="subfields",
        help_text=_("Le groupe répétable dont ce champ fait partie."),
    )
    position = models.PositiveIntegerField(_("ordre"), default=0)
    code = models.CharField(_("code"), max_length=80, validators=[CODE])
    type = models.CharField(_("type"), max_length=20, choices=Type.choices, default=Type.TEXT)
    label = models.CharField(_("libellé"), max_length=300)
    help = models.TextField(_("aide"), blank=True)
    required = models.BooleanField(_("obligatoire"), default=False)
    min_value = models.DecimalField(_("minimum"), max_digits=18, decimal_places=6, null=True, blank=True)
    max_value = models.DecimalField(_("maximum"), max_digits=18, decimal_places=6, null=True, blank=True)
    min_length = models.PositiveIntegerField(_("longueur minimale"), null=True, blank=True)
    max_length = models.PositiveIntegerField(_("longueur maximale"), null=True, blank=True)
    pattern = models.CharField(_("motif (expression régulière)"), max_length=300, blank=True)
    choices = models.JSONField(
        _("choix"),
        default=list,
        blank=True,
        help_text=_('Pour un choix unique ou multiple, par exemple : [{"value": "creche", "label": "Crèche"}]'),
    )
    reference = models.CharField(_("liste de référence"), max_length=80, blank=True)
    visible_if = models.TextField(
        _("visible si (CEL)"),
        blank=True,
        help_text=_("Facultatif. Expression CEL ; le champ n'est affiché que si elle est vraie, par exemple "
                    "« data.adherent == true »."),
    )  # fmt: skip
    content_types = models.JSONField(_("types de fichier acceptés"), default=list, blank=True)
    max_size_mb = models.DecimalField(_("taille maximale (Mo)"), max_digits=8, decimal_places=2, null=True, blank=True)
    decimal_places = models.PositiveIntegerField(_("décimales"), null=True, blank=True)
    min_items = models.PositiveIntegerField(_("nombre minimal d'éléments"), null=True, blank=True)
    max_items = models.PositiveIntegerField(_("nombre maximal d'éléments"), null=True, blank=True)
    default = models.JSONField(_("valeur par défaut"), null=True, blank=True)
    personal = models.BooleanField(
        _("donnée personnelle"),
        null=True,
        blank=True,
        help_text=_("Une donnée personnelle est anonymisée à la fin de la durée de conservation du dossier et "
                    "effacée à la demande de la personne. Vide : selon le type du champ."),
    )  # fmt: skip

    # The form builder's inline editor: the usual settings first, the type-specific options folded away.
    panels = [
        FieldPanel("position"),
        FieldPanel("code"),
        FieldPanel("type"),
        FieldPanel("label"),
        FieldPanel("required"),
        FieldPanel("personal"),
        FieldPanel("help"),
        MultiFieldPanel(
            [
                FieldPanel(name, heading=_("Afficher ce champ seulement si"))
                if name == "visible_builder"
                else FieldPanel(name)
                for name in FIELD_OPTIONS
            ],
            heading=_("Options selon le type (bornes, choix, liste, condition d'affichage, fichier, groupe)"),
            classname="collapsed",
        ),
    ]

    class Meta:
        verbose_name = _("champ")
        verbose_name_plural = _("champs")
        ordering = ["form", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.label} ({self.code})"

    def save(self, *args, **kwargs):
        _assert_draft(self._version_id())
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _assert_draft(self._version_id())
        return super().delete(*args, **kwargs)

    def clean(self) -> None:
        _assert_draft(self._version_id())
        if self.group_id is not None:
            group = self.group
            if group.form_id != self.form_id:
                raise ValidationError({"group": _("Un champ ne peut rejoindre qu'un groupe de son propre formulaire.")})
            if group.type != self.Type.GROUP:
                raise ValidationError({"group": _("Le champ choisi n'est pas un groupe répétable.")})
            if group.pk == self.pk:
                raise ValidationError({"group": _("Un groupe ne peut pas faire partie de lui-même.")})
        if self.visible_if:
            expression_check(self.visible_if, "visible_if")

    def _version_id(self) -> int | None:
        return self.form.version_id if self.form_id else None


class ReferenceList(ClusterableModel):
    """A list of values an admin maintains (types of request, funders...), offered by `reference` fields."""

    code = models.CharField(_("code"), max_length=80, unique=True, validators=[CODE])
    name = models.CharField(_("nom"), max_length=200)

    class Meta:
        verbose_name = _("liste de référence")
        verbose_name_plural = _("listes de référence")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ReferenceItem(models.Model):
    list = ParentalKey(ReferenceList, verbose_name=_("liste"), on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(_("ordre"), default=0)
    value = models.CharField(_("valeur"), max_length=120)
    label = models.CharField(_("libellé"), max_length=300)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("élément de liste")
        verbose_name_plural = _("éléments de liste")
        ordering = ["list", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["list", "value"], name="reference_item_value_unique")]

    def __str__(self) -> str:
        return self.label


class WorkflowAudit(models.Model):
    """What happened to a definition (imported, published, draft created, synced): who and when."""

    definition = models.ForeignKey(WorkflowDefinition, on_delete=models.CASCADE, related_name="audit")
    version = models.ForeignKey(WorkflowVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(_("action"), max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("historique de workflow")
        verbose_name_plural = _("historiques de workflow")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.definition_id} · {self.action}"
