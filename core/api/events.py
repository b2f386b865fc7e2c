"""The events a webhook subscription may receive. Small on purpose: add one here with its French label and
emit it from a core service (never from pole code)."""

from __future__ import annotations

CASE_OPENED = "case.opened"
CASE_TRANSITIONED = "case.transitioned"
CASE_UPDATED = "case.updated"
CASE_COMMENTED = "case.commented"
WEBHOOK_PING = "webhook.ping"

EVENTS: dict[str, str] = {
    CASE_OPENED: "Dossier ouvert",
    CASE_TRANSITIONED: "Dossier passé d'un état à un autre",
    CASE_UPDATED: "Données d'un dossier modifiées",
    CASE_COMMENTED: "Commentaire ajouté à un dossier",
    WEBHOOK_PING: "Test de l'abonnement",
}


def event_choices() -> list[tuple[str, str]]:
    return list(EVENTS.items())
