"""The platform's directory (networks, structures, operators) and its service catalogue, per territory."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, ConcurrentTransition, ConcurrentTransitionMixin, FSMField, transition

from tenants.storage import private_storage

POSTCODE = RegexValidator(r"^\d{5}$", _("Code postal invalide (5 chiffres)."))


class Network(models.Model):
    """A network or federation that structures belong to (ADMR, Familles Rurales, ACCEP35...)."""

    class Kind(models.TextChoices):
        FEDERATION = "federation", _("Fédération")
        NETWORK = "network", _("Réseau local")
        ESS = "ess", _("Acteur de l'ESS")

    name = models.CharField(_("nom"), max_length=150, unique=True)
    acronym = models.CharField(_("sigle"), max_length=30, blank=True)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.NETWORK)
    description = models.TextField(_("description"), blank=True)
    website = models.URLField(_("site web"), blank=True)

    class Meta:
        verbose_name = _("réseau ou fédération")
        verbose_name_plural = _("réseaux et fédérations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.acronym or self.name


class Structure(models.Model):
    """A childcare structure run by an association (crèche, multi-accueil, halte-garderie)."""

    class Kind(models.TextChoices):
        CRECHE = "creche", _("Crèche")
        MULTI_ACCUEIL = "multi_accueil", _("Multi-accueil")
        HALTE_GARDERIE = "halte_garderie", _("Halte-garderie")

    class Professionalisation(models.IntegerChoices):
        VOLUNTEER = 1, _("Bénévole (bureau sans salarié de direction)")
        MIXED = 2, _("Mixte (direction salariée, gestion bénévole)")
        PROFESSIONAL = 3, _("Professionnalisée (direction et gestion salariées)")

    class Status(models.TextChoices):
        """A structure created from a public request waits for a coordinator's confirmation; one found to be a
        duplicate of another entry is set aside (kept, so the history of its case stays readable)."""

        CONFIRMED = "confirmed", _("Confirmée")
        PENDING = "pending", _("À confirmer")
        DISCARDED = "discarded", _("Écartée (doublon)")

    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("type d'accueil"), max_length=20, choices=Kind.choices)
    network = models.ForeignKey(
        Network,
        verbose_name=_("réseau / fédération"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="structures",
    )
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    address = models.CharField(_("adresse"), max_length=250, blank=True)
    postcode = models.CharField(_("code postal"), max_length=5, blank=True, validators=[POSTCODE])
    commune = models.CharField(_("commune"), max_length=100)
    commune_insee = models.CharField(_("code INSEE de la commune"), max_length=5, blank=True)
    places = models.PositiveIntegerField(_("places agréées"), default=0)
    employees = models.PositiveIntegerField(_("salariés"), default=0)
    fte = models.DecimalField(_("ETP"), max_digits=6, decimal_places=2, default=0)
    professionalisation = models.PositiveSmallIntegerField(
        _("niveau de professionnalisation"),
        choices=Professionalisation.choices,
        default=Professionalisation.MIXED,
    )
    email = models.EmailField(_("courriel"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=20, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    status = models.CharField(
        _("statut dans l'annuaire"), max_length=20, choices=Status.choices, default=Status.CONFIRMED, db_index=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("structure")
        verbose_name_plural = _("structures")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["name", "commune"], name="structure_name_commune_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.commune})"

    @property
    def current_partnership(self) -> MunicipalityPartnership | None:
        return self.partnerships.filter(end_date__isnull=True).order_by("-start_date").first()


class MunicipalityPartnership(models.Model):
    """How a structure works with its municipality, with its history (a row per period)."""

    class Kind(models.TextChoices):
        NONE = "none", _("Pas d'aide de la collectivité (fonctionnement parental, PSU CAF, CG)")
        ANNUAL_SUBSIDY = "annual_subsidy", _("Subvention annuelle")
        OBJECTIVES_AGREEMENT = "objectives_agreement", _("Conventionnement avec objectifs")
        PLACES_PURCHASE = "places_purchase", _("Achat de places")
        DSP = "dsp", _("Délégation de service public (DSP)")
        SIEG = "sieg", _("Service d'intérêt économique général (SIEG)")

    structure = models.ForeignKey(Structure, on_delete=models.CASCADE, related_name="partnerships")
    municipality = models.CharField(_("collectivité"), max_length=150)
    kind = models.CharField(_("type de partenariat"), max_length=30, choices=Kind.choices)
    annual_amount = models.DecimalField(
        _("montant annuel (€)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    places_purchased = models.PositiveIntegerField(_("places achetées"), null=True, blank=True)
    start_date = models.DateField(_("début"))
    end_date = models.DateField(_("fin"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("partenariat avec la collectivité")
        verbose_name_plural = _("partenariats avec les collectivités")
        ordering = ["structure", "-start_date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True) | models.Q(end_date__gte=models.F("start_date")),
                name="partnership_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.structure} · {self.get_kind_display()}"


class Operator(models.Model):
    """An ESS operator of the territory that carries out services (an accounting co-op, an HR group...)."""

    name = models.CharField(_("nom"), max_length=200, unique=True)
    legal_form = models.CharField(_("forme juridique"), max_length=80, blank=True)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    description = models.TextField(_("présentation"), blank=True)
    services = models.ManyToManyField(
        "core.CatalogueService", verbose_name=_("services proposés"), blank=True, related_name="operators"
    )
    communes_covered = models.TextField(
        _("zone couverte"),
        blank=True,
        help_text=_("Communes ou EPCI couverts, une par ligne ; vide = tout le département."),
    )
    capacity = models.PositiveIntegerField(
        _("capacité"), default=5, help_text=_("Nombre d'accompagnements simultanés possibles.")
    )
    email = models.EmailField(_("courriel"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=20, blank=True)
    website = models.URLField(_("site web"), blank=True)
    is_active = models.BooleanField(_("actif"), default=True)

    class Meta:
        verbose_name = _("opérateur ESS")
        verbose_name_plural = _("opérateurs ESS")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CatalogueService(models.Model):
    """A service of the territory's catalogue, registered by a pole and editable by its admins."""

    class Audience(models.TextChoices):
        STRUCTURE = "structure", _("Structures d'accueil")
        COLLECTIVITE = "collectivite", _("Collectivités")
        REMPLACANT = "remplacant", _("Professionnels remplaçants")
        OPERATEUR = "operateur", _("Opérateurs ESS")

    pole = models.CharField(_("pôle"), max_length=50, db_index=True)
    code = models.SlugField(_("code"), max_length=80, unique=True)
    title = models.CharField(_("intitulé"), max_length=200)
    summary = models.CharField(_("résumé"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    audience = models.CharField(_("public"), max_length=20, choices=Audience.choices, default=Audience.STRUCTURE)
    is_active = models.BooleanField(_("proposé"), default=True)
    shipped_checksum = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="Checksum of the pole's version last applied; tells an admin's edit from the shipped text.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("service du catalogue")
        verbose_name_plural = _("services du catalogue")
        ordering = ["pole", "title"]

    def __str__(self) -> str:
        return self.title


# ------------------------------------------------------------------------------------------------------------
# Cases: one model for every pole, run by the workflow engine
# ------------------------------------------------------------------------------------------------------------


class StructureMembership(models.Model):
    """A person who acts for a structure (a `structure_member` sees only its structures' cases)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("personne"),
        on_delete=models.CASCADE,
        related_name="structure_memberships",
    )
    structure = models.ForeignKey(
        Structure, verbose_name=_("structure"), on_delete=models.CASCADE, related_name="memberships"
    )

    class Meta:
        verbose_name = _("membre d'une structure")
        verbose_name_plural = _("membres des structures")
        constraints = [models.UniqueConstraint(fields=["user", "structure"], name="structure_membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.structure}"


class OperatorMembership(models.Model):
    """A person who works for an ESS operator (an `operator` sees only the cases its operators serve)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("personne"),
        on_delete=models.CASCADE,
        related_name="operator_memberships",
    )
    operator = models.ForeignKey(
        Operator, verbose_name=_("opérateur"), on_delete=models.CASCADE, related_name="memberships"
    )

    class Meta:
        verbose_name = _("membre d'un opérateur")
        verbose_name_plural = _("membres des opérateurs")
        constraints = [models.UniqueConstraint(fields=["user", "operator"], name="operator_membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.operator}"


class CaseCounter(models.Model):
    """The last case number given per year (and reference prefix) in this territory."""

    prefix = models.CharField(max_length=10, blank=True)
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "year"], name="case_counter_unique")]

    def __str__(self) -> str:
        return f"{self.prefix}{self.year}: {self.last}"


class CaseConflict(ConcurrentTransition):
    """A case row was saved from a copy older than the row (its `revision` moved on): nothing was written."""


SEARCH_VALUES_TEMPLATE = (
    "lower(jsonb_path_query_array(%(expressions)s, "
    '\'strict $.** ? (@.type() == "string" || @.type() == "number")\')::text)'
)


class CaseDataDocument(models.Func):
    """The words of a case's data for PostgreSQL's French full-text search: the JSON's string and number values
    only (`jsonb_to_tsvector` with a filter), never its keys. Stored with the case (`Case.search_document`);
    `core.selectors.cases.case_list(search=...)` matches it with `websearch_to_tsquery('french', …)`."""

    function = "jsonb_to_tsvector"
    template = "%(function)s('french'::regconfig, %(expressions)s, '[\"string\", \"numeric\"]'::jsonb)"
    output_field = SearchVectorField()


class CaseManager(models.Manager):
    """Cases without their search columns, which only the search's WHERE reads (a case's words as a tsvector
    weigh more than its data: the API's list of 50 cases took three times as long with them)."""

    def get_queryset(self):
        return super().get_queryset().defer(*CASE_SEARCH_COLUMNS)


CASE_SEARCH_COLUMNS = ("search_document", "search_values")


class Case(ConcurrentTransitionMixin, models.Model):
    """A case (dossier) of any kind: its type is its workflow; it runs on the version it was opened with.

    `revision` counts the writes of the row: every `save()` of an existing case bumps it and updates only
    the row still at the revision this copy was read at (`CaseConflict` otherwise), on top of django-fsm's
    check of the state. Write a case through its services (`core.services.cases`, `case_updates`), which
    lock and re-read the row inside their transaction; a queryset `update()` must bump it too
    (`revision=F("revision") + 1`).
    """

    class Channel(models.TextChoices):
        BACKOFFICE = "backoffice", _("Back-office")
        PUBLIC = "public", _("Formulaire public")
        API = "api", _("API")
        IMPORT = "import", _("Import")

    reference = models.CharField(_("référence"), max_length=40, unique=True, editable=False)
    workflow = models.ForeignKey(
        "workflows.WorkflowDefinition",
        verbose_name=_("type de dossier"),
        on_delete=models.PROTECT,
        related_name="cases",
    )
    workflow_version = models.ForeignKey(
        "workflows.WorkflowVersion",
        verbose_name=_("version du workflow"),
        on_delete=models.PROTECT,
        related_name="cases",
    )
    state = FSMField(_("état"), max_length=80, protected=True, db_index=True)
    data = models.JSONField(_("données"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    structure = models.ForeignKey(
        Structure, verbose_name=_("structure"), null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    # Set when a public request was linked to a structure by matching: a coordinator confirms (or corrects)
    # the link before the person who sent the request is invited as a member (`core.services.case_structure`).
    structure_to_confirm = models.BooleanField(_("rattachement à confirmer"), default=False)
    operators = models.ManyToManyField(Operator, verbose_name=_("opérateurs"), blank=True, related_name="cases")
    assignees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("chargés du dossier"), blank=True, related_name="assigned_cases"
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ouvert par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opened_cases",
    )
    channel = models.CharField(_("canal"), max_length=20, choices=Channel.choices, default=Channel.BACKOFFICE)
    created_at = models.DateTimeField(_("ouvert le"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)
    state_entered_at = models.DateTimeField(_("dans cet état depuis"), default=timezone.now)
    due_at = models.DateField(_("échéance"), null=True, blank=True, db_index=True)
    closed_at = models.DateTimeField(_("clôturé le"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymisé le"), null=True, blank=True, editable=False)
    revision = models.PositiveIntegerField(_("révision"), default=1, editable=False)
    # Its words for the French full-text search, kept with the row too (`CaseDataDocument`): the search's OR
    # (words, or part of a value, a reference, a structure) never used the GIN index on the expression, and
    # computed the document again for every case at every search (1.2 s of 1.4 over 100,000 cases). No index:
    # no plan of the search uses one (docs/performance.md), and every change of the data would update it.
    search_document = models.GeneratedField(
        expression=CaseDataDocument("data"),
        output_field=SearchVectorField(),
        db_persist=True,
        verbose_name=_("mots cherchés"),
    )
    # The data's string and number values (any depth, never the keys) as one lowercased text, kept by
    # PostgreSQL with the row: what a search for part of a word (an e-mail's domain, digits of a SIRET) looks
    # into, without evaluating a JSON path on every case at every search (measured on 100,000 cases: 380 ms
    # for the expression, 55 ms for the column; docs/performance.md).
    search_values = models.GeneratedField(
        expression=models.Func(F("data"), template=SEARCH_VALUES_TEMPLATE, output_field=models.TextField()),
        output_field=models.TextField(),
        db_persist=True,
        verbose_name=_("valeurs cherchées"),
    )

    objects = CaseManager()

    class Meta:
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["workflow", "state"], name="case_workflow_state"),
        ]

    def __str__(self) -> str:
        return self.reference

    def save(self, *args, **kwargs) -> None:
        if self._state.adding:
            super().save(*args, **kwargs)
            return
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "revision"}
        self._read_revision = self.revision
        self.revision += 1
        try:
            super().save(*args, **kwargs)
        except BaseException:
            self.revision = self._read_revision
            raise
        finally:
            del self._read_revision

    def _do_update(self, base_qs, using, pk_val, values, update_fields, forced_update, *args, **kwargs):  # noqa: PLR0917
        read = getattr(self, "_read_revision", None)
        if read is None:
            return super()._do_update(base_qs, using, pk_val, values, update_fields, forced_update, *args, **kwargs)
        updated = super()._do_update(
            base_qs.filter(revision=read), using, pk_val, values, update_fields, forced_update, *args, **kwargs
        )
        if not updated and base_qs.filter(pk=pk_val).exists():
            raise CaseConflict(f"Case {self.reference} changed since it was read (revision {read}).")
        return updated

    @transition(field=state, source="*", target=RETURN_VALUE())
    def move_to(self, target: str) -> str:
        """The one generic transition: the engine checked the graph, roles and guard; django-fsm records it
        and ConcurrentTransitionMixin refuses the save if another transaction moved the case meanwhile."""
        return target


class CaseEvent(models.Model):
    """Append-only history of a case. The database refuses UPDATE and DELETE on this table (trigger)."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Ouverture")
        TRANSITIONED = "transitioned", _("Changement d'état")
        DATA_UPDATED = "data_updated", _("Données modifiées")
        COMMENT = "comment", _("Commentaire")
        ASSIGNED = "assigned", _("Attribution")
        MIGRATED = "migrated", _("Changement de version du workflow")
        STRUCTURE = "structure", _("Rattachement à une structure")
        POLE = "pole", _("Travail du pôle")  # detail: {"pole": code, "event": the pole's CaseEventKind code, ...}
        # detail: {"template": name, "subject": ..., "recipients": [French labels], "count": n, "addresses": [...]}
        NOTIFIED = "notified", _("Notification envoyée")

    case = models.ForeignKey(Case, verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auteur"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    from_state = models.CharField(_("état de départ"), max_length=80, blank=True)
    to_state = models.CharField(_("état d'arrivée"), max_length=80, blank=True)
    transition = models.CharField(_("transition"), max_length=80, blank=True)
    data_diff = models.JSONField(_("données modifiées"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    comment = models.TextField(_("commentaire"), blank=True)
    detail = models.JSONField(_("détail"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("événement de dossier")
        verbose_name_plural = _("historique des dossiers")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.case_id} · {self.get_kind_display()}"


def _attachment_path(instance: CaseAttachment, filename: str) -> str:
    # The storage puts every territory's files under its own schema folder; the name is never the client's.
    import uuid

    return f"cases/attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class CaseAttachment(models.Model):
    """A file joined to a case. Its type is the one sniffed from its bytes (core.uploads), never the client's."""

    case = models.ForeignKey(Case, verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(_("fichier"), upload_to=_attachment_path, storage=private_storage, max_length=255)
    name = models.CharField(_("nom"), max_length=200)
    content_type = models.CharField(_("type"), max_length=120)
    size = models.PositiveBigIntegerField(_("taille (octets)"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("déposé par"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("déposé le"), auto_now_add=True)
    visibility = models.CharField(
        _("visibilité"),
        max_length=20,
        choices=[("internal", _("Interne (équipe de la plateforme)")), ("structure", _("Visible par la structure"))],
        default="structure",
    )

    class Meta:
        verbose_name = _("pièce jointe")
        verbose_name_plural = _("pièces jointes")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.name


class KitSnapshot(models.Model):
    """The configuration of the territory this one was cloned from, as it was then (the base of the
    three-way merge with its template). Rewritten item by item as template updates are pulled."""

    source_schema = models.CharField(_("schéma source"), max_length=63)
    source_name = models.CharField(_("territoire source"), max_length=100)
    taken_at = models.DateTimeField(_("pris le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("mis à jour le"), auto_now=True)
    sections = models.JSONField(
        _("configuration"), default=dict, help_text="{section code: {item key: {field: value}}}"
    )

    class Meta:
        verbose_name = _("instantané de la configuration d'origine")
        verbose_name_plural = _("instantanés de la configuration d'origine")

    def __str__(self) -> str:
        return f"{self.source_name} ({self.taken_at:%d/%m/%Y})"


class KitMerge(models.Model):
    """A merge of template updates into this territory (who, when, what), with the configuration of the
    sections it touched as they were just before (a kit archive), so that it can be undone."""

    merged_at = models.DateTimeField(_("fusionné le"), auto_now_add=True)
    actor = models.CharField(_("par"), max_length=200, blank=True)
    source_name = models.CharField(_("modèle"), max_length=100)
    pulled = models.JSONField(_("mises à jour récupérées"), default=list, help_text="[{ident, label}]")
    kept = models.JSONField(_("conflits gardés tels quels"), default=list, help_text="[{ident, label}]")
    sections = models.JSONField(_("sections touchées"), default=list)
    before = models.FileField(
        _("configuration avant la fusion"), upload_to="kits/merges/", storage=private_storage, max_length=255
    )
    base_before = models.JSONField(_("base de fusion avant"), default=dict)
    undone_at = models.DateTimeField(_("annulé le"), null=True, blank=True)
    undone_by = models.CharField(_("annulé par"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("fusion avec le modèle")
        verbose_name_plural = _("fusions avec le modèle")
        ordering = ["-merged_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.source_name} ({self.merged_at:%d/%m/%Y %H:%M})"


class Comment(models.Model):
    """A comment on a case: internal (the platform's staff only) or visible to the case's structure.
    Written with `case_comment_add`, which writes the `comment` CaseEvent in the same transaction."""

    class Visibility(models.TextChoices):
        INTERNAL = "internal", _("Interne (équipe de la plateforme)")
        STRUCTURE = "structure", _("Visible par la structure")

    case = models.ForeignKey(Case, verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("auteur"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField(_("commentaire"))
    visibility = models.CharField(
        _("visibilité"), max_length=20, choices=Visibility.choices, default=Visibility.INTERNAL
    )
    created_at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("commentaire")
        verbose_name_plural = _("commentaires")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.case_id} · {self.get_visibility_display()}"


# ------------------------------------------------------------------------------------------------------------
# People: invitations and the audit of accounts and of the directory
# ------------------------------------------------------------------------------------------------------------


class Invitation(models.Model):
    """An invitation to join the territory: the person sets their password from a signed, expiring link
    (`core.services.accounts`); on acceptance the account gets the roles and the membership named here."""

    email = models.EmailField(_("courriel"))
    first_name = models.CharField(_("prénom"), max_length=150, blank=True)
    last_name = models.CharField(_("nom"), max_length=150, blank=True)
    roles = models.JSONField(_("rôles"), default=list, help_text="role codes (names of the territory's groups)")
    structure = models.ForeignKey(
        Structure,
        verbose_name=_("structure"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitations",
    )
    operator = models.ForeignKey(
        Operator,
        verbose_name=_("opérateur"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitations",
    )
    nonce = models.CharField(max_length=32, editable=False)  # part of the signed token, renewed on resend
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invité par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("compte"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitations",
    )
    created_at = models.DateTimeField(_("créée le"), default=timezone.now)
    sent_at = models.DateTimeField(_("envoyée le"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expire le"))
    accepted_at = models.DateTimeField(_("acceptée le"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("annulée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["email"], name="invitation_email")]

    def __str__(self) -> str:
        return self.email

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"

    @property
    def status_label(self) -> str:
        return {
            "accepted": _("acceptée"),
            "revoked": _("annulée"),
            "expired": _("expirée"),
            "pending": _("en attente"),
        }[self.status]


class AuditEvent(models.Model):
    """Append-only record of who changed what outside cases: accounts (invitations, roles, memberships,
    activation, sign-ins and failed sign-ins) and the directory (structures, operators, partnerships)."""

    class Kind(models.TextChoices):
        INVITED = "invited", _("Invitation envoyée")
        INVITATION_RESENT = "invitation_resent", _("Invitation renvoyée")
        INVITATION_REVOKED = "invitation_revoked", _("Invitation annulée")
        INVITATION_ACCEPTED = "invitation_accepted", _("Invitation acceptée")
        ROLES_CHANGED = "roles_changed", _("Rôles modifiés")
        MEMBERSHIP_ADDED = "membership_added", _("Rattachement ajouté")
        MEMBERSHIP_REMOVED = "membership_removed", _("Rattachement retiré")
        DEACTIVATED = "deactivated", _("Compte désactivé")
        REACTIVATED = "reactivated", _("Compte réactivé")
        SIGNED_IN = "signed_in", _("Connexion")
        SIGN_IN_FAILED = "sign_in_failed", _("Échec de connexion")
        SIGNED_OUT = "signed_out", _("Déconnexion")
        PASSWORD_CHANGED = "password_changed", _("Mot de passe modifié")
        OTP_ENROLLED = "otp_enrolled", _("Double authentification activée")
        OTP_RESET = "otp_reset", _("Double authentification réinitialisée")
        CREATED = "created", _("Création")
        UPDATED = "updated", _("Modification")

    kind = models.CharField(_("type"), max_length=30, choices=Kind.choices, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auteur"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(_("auteur"), max_length=200, blank=True)
    target_type = models.CharField(_("objet"), max_length=40, db_index=True)
    target_id = models.CharField(_("identifiant"), max_length=40, blank=True, db_index=True)
    target_label = models.CharField(_("libellé"), max_length=250, blank=True)
    changes = models.JSONField(_("changements"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    ip_address = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    created_at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("événement du journal")
        verbose_name_plural = _("journal des comptes et de l'annuaire")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.target_label}"


class PersonalDataAction(models.Model):
    """The journal of what was done with personal data (RGPD): a case anonymised at the end of its retention
    period, a person's data exported (right of access) or erased (right to erasure).

    An anonymisation or an erasure is the only writer the case history's trigger lets rewrite an event: the
    service names its row in the transaction (`SET LOCAL ppe.personal_data_action`), and the trigger checks the
    row, refuses any change but the personal columns, and records each rewritten event (`CaseEventRedaction`).
    The journal names a person by a pseudonym once erased, never by what was erased."""

    class Kind(models.TextChoices):
        ANONYMISED = "anonymised", _("Dossier anonymisé (fin de conservation)")
        EXPORTED = "exported", _("Données d'une personne exportées (droit d'accès)")
        ERASED = "erased", _("Données d'une personne effacées (droit à l'effacement)")

    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(_("par"), max_length=200, blank=True)
    subject_label = models.CharField(_("personne ou dossier"), max_length=250, blank=True)
    case = models.ForeignKey(
        Case, verbose_name=_("dossier"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    summary = models.JSONField(_("résumé"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("action sur des données personnelles")
        verbose_name_plural = _("journal des données personnelles")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.subject_label}"


class CaseEventRedaction(models.Model):
    """An event of a case history whose personal values were rewritten, written by the history's trigger
    itself (never by the application) when a `PersonalDataAction` allowed it."""

    event = models.ForeignKey(CaseEvent, verbose_name=_("événement"), on_delete=models.PROTECT, related_name="+")
    action = models.ForeignKey(
        PersonalDataAction, verbose_name=_("action"), on_delete=models.PROTECT, related_name="redactions"
    )
    columns = models.JSONField(_("colonnes réécrites"), default=list)
    created_at = models.DateTimeField(_("date"), default=timezone.now)

    class Meta:
        verbose_name = _("événement anonymisé")
        verbose_name_plural = _("événements anonymisés")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.event_id} · {self.action_id}"


class NotificationTemplate(models.Model):
    """An e-mail a workflow transition sends (its action « Envoyer le courriel … » in the workflow editor,
    named `notify_<code>`): to whom, its subject and text, with the case's data in template syntax."""

    class Recipient(models.TextChoices):
        ASSIGNEES = "assignees", _("Les chargés du dossier")
        STRUCTURE = "structure", _("Les membres de la structure du dossier (à défaut, le courriel de la demande)")
        OPERATORS = "operators", _("Les opérateurs du dossier")

    code = models.SlugField(_("code"), max_length=80, unique=True)
    name = models.CharField(_("intitulé"), max_length=200, help_text=_("Tel que le montre l'éditeur de workflows."))
    recipients = models.JSONField(_("destinataires"), default=list, blank=True)
    roles = models.JSONField(_("rôles destinataires"), default=list, blank=True)
    subject = models.CharField(_("objet"), max_length=300)
    body = models.TextField(_("texte du courriel"))
    is_active = models.BooleanField(_("utilisé"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("modèle de notification")
        verbose_name_plural = _("modèles de notification")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from core.services.notifications import notification_template_check

        notification_template_check(self)
