"""The outbox: every background effect of a write, recorded in the same transaction as the write.

`Effect` rows live in the schema of the write (a territory's, or the public one for the platform's own work).
`SentMessage` (the ledger of e-mails handed to the mail server) and `Heartbeat` (the last periodic runs) are
used in the public schema only.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Effect(models.Model):
    """One background effect to carry out once: a task name, its JSON arguments and an idempotency key."""

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente")
        DONE = "done", _("Fait")
        FAILED = "failed", _("Abandonné")

    key = models.CharField(_("clé d'idempotence"), max_length=200, unique=True)
    task = models.CharField(_("tâche"), max_length=200)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    kwargs = models.JSONField(_("arguments nommés"), default=dict, blank=True)
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    available_at = models.DateTimeField(_("à faire à partir du"), default=timezone.now)
    enqueued_at = models.DateTimeField(_("confié à la file le"), default=timezone.now)
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("tentatives au plus"), default=4)
    retry_delay = models.PositiveIntegerField(_("délai avant nouvelle tentative (s)"), default=30)
    last_error = models.TextField(_("dernière erreur"), blank=True)
    done_at = models.DateTimeField(_("fait le"), null=True, blank=True)

    class Meta:
        verbose_name = _("travail en arrière-plan")
        verbose_name_plural = _("travaux en arrière-plan")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["available_at"], condition=Q(status="pending"), name="outbox_effect_due"),
        ]

    def __str__(self) -> str:
        return f"{self.task} ({self.key})"


class SentMessage(models.Model):
    """An e-mail of an effect: claimed before it is handed to the mail server, marked sent after."""

    class Status(models.TextChoices):
        SENDING = "sending", _("En cours d'envoi")
        SENT = "sent", _("Envoyé")

    key = models.CharField(max_length=300, unique=True)
    message_id = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SENDING)
    claimed_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.key


class Heartbeat(models.Model):
    """The last run of a periodic job of the platform (the outbox sweep...), and what it saw."""

    name = models.CharField(max_length=100, unique=True)
    at = models.DateTimeField()
    details = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return self.name
