"""What the API keeps per territory: access tokens, idempotency records, webhook subscriptions and deliveries.

Every table lives in the territory's schema, so nothing here is ever visible from another territory.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    """A bearer token of one territory, acting as one of its users.

    Only `prefix` is kept in clear (to find the row); the secret part is kept as an HMAC keyed by the project's
    secret key and bound to the territory's schema name, so that a copied row (a territory cloned from this
    one, a leaked dump) authenticates nowhere. The full token is shown once, when it is created.
    """

    class Scope(models.TextChoices):
        READ = "read", _("Lecture seule")
        READ_WRITE = "read_write", _("Lecture et écriture")

    name = models.CharField(_("nom"), max_length=100, help_text=_("À quoi sert ce jeton (ex. : SI de la CAF)."))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("compte"),
        on_delete=models.CASCADE,
        related_name="platform_api_tokens",
        help_text=_("Le jeton agit au nom de ce compte, avec ses rôles."),
    )
    prefix = models.CharField(_("préfixe"), max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    scope = models.CharField(_("portée"), max_length=20, choices=Scope.choices, default=Scope.READ)
    expires_at = models.DateTimeField(_("expire le"))
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(_("dernière utilisation"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("créé par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = _("jeton d'API")
        verbose_name_plural = _("jetons d'API")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def allows_writes(self) -> bool:
        return self.scope == self.Scope.READ_WRITE


class IdempotencyRecord(models.Model):
    """The first response to a POST sent with an `Idempotency-Key` header, replayed to its retries."""

    key = models.CharField(max_length=255)
    principal = models.CharField(max_length=64, help_text="Hash of who sent it (token or session user).")
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty while in progress.")
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(default=b"")
    location = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["principal", "key"], name="idempotency_principal_key_unique")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"


class WebhookSubscription(models.Model):
    """A client's endpoint that receives the territory's events, signed with the subscription's secret."""

    name = models.CharField(_("nom"), max_length=100)
    url = models.URLField(_("adresse de réception"), max_length=500)
    events = models.JSONField(_("événements"), default=list, help_text=_("Codes des événements reçus."))
    secret = models.CharField(_("secret de signature"), max_length=100, editable=False)
    # The secret before the last rotation, still signing deliveries (a second signature) until it expires.
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    # A run of failed tries with no success since `failing_since`; past PPE_WEBHOOK_DISABLE_AFTER_HOURS the
    # endpoint is switched off (`disabled_at`, `disabled_reason`) and its owner e-mailed; re-enabling clears them.
    failing_since = models.DateTimeField(_("en échec depuis"), null=True, blank=True, editable=False)
    disabled_at = models.DateTimeField(_("désactivée automatiquement le"), null=True, blank=True, editable=False)
    disabled_reason = models.CharField(_("motif de la désactivation"), max_length=300, blank=True, editable=False)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("créée par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = _("abonnement webhook")
        verbose_name_plural = _("abonnements webhook")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def state_label(self) -> str:
        """« Active », « Désactivée », or « Désactivée automatiquement le … » (French, for the admin)."""
        if self.is_active:
            return "Active" if self.failing_since is None else f"Active, en échec depuis le {_when(self.failing_since)}"
        if self.disabled_at is not None:
            return f"Désactivée automatiquement le {_when(self.disabled_at)}"
        return "Désactivée"


def _when(moment) -> str:
    from django.utils.formats import date_format

    return date_format(timezone.localtime(moment), "j F Y à H:i")


class WebhookDelivery(models.Model):
    """One event sent (or to be sent) to one subscription; retried with exponential backoff."""

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente")
        RETRYING = "retrying", _("Nouvelle tentative prévue")
        SUCCEEDED = "succeeded", _("Livrée")
        FAILED = "failed", _("Abandonnée")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    subscription = models.ForeignKey(
        WebhookSubscription, verbose_name=_("abonnement"), on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(_("événement"), max_length=100)
    payload = models.JSONField(_("contenu"))
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    next_attempt_at = models.DateTimeField(_("prochaine tentative"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("dernier code HTTP"), null=True, blank=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("livrée le"), null=True, blank=True)
    redelivery_of = models.ForeignKey(
        "self",
        verbose_name=_("nouvel envoi de"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="redeliveries",
        editable=False,
    )

    class Meta:
        verbose_name = _("livraison webhook")
        verbose_name_plural = _("livraisons webhook")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription}"


class WebhookAttempt(models.Model):
    """The log of one try of a delivery: when, the HTTP status answered (if any), the error otherwise."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField(_("tentative n°"))
    attempted_at = models.DateTimeField(_("tentée le"), auto_now_add=True)
    status_code = models.PositiveSmallIntegerField(_("code HTTP"), null=True, blank=True)
    error = models.CharField(_("erreur"), max_length=500, blank=True)
    response_body = models.TextField(_("réponse reçue"), blank=True, help_text=_("Début du corps de la réponse."))
    duration_ms = models.PositiveIntegerField(_("durée (ms)"), default=0)

    class Meta:
        verbose_name = _("tentative de livraison")
        verbose_name_plural = _("tentatives de livraison")
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"{self.delivery} #{self.number}"
