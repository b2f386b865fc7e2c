"""The generic `notify` action of workflow transitions: e-mails from templates the territory's admins edit
(`core.models.NotificationTemplate`), offered in the workflow editor as « Envoyer le courriel « … » »
(action `notify_<code>`), so that a new workflow tells people without code.

The action runs after the transition commits, inside the transition's outbox effect
(`core.services.cases.case_transition_effects_run`): the ledger mail backend sends each message once, even
when the effect is retried. Templates are rendered in a sandbox (no loader, no tag library, plain values only)
and checked when saved: an unknown variable is refused, named.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import connection
from django.template import Context, Engine, TemplateSyntaxError
from django.urls import reverse

from core.documents import ALLOWED_TAGS
from core.links import territory_url
from core.models import Case, CaseEvent, NotificationTemplate

logger = logging.getLogger("ppe.notifications")

ACTION_PREFIX = "notify_"
PLAIN = Engine(loaders=[], libraries={}, autoescape=False, debug=False, string_if_invalid="")

# What a template may name: {{ case.reference }}, {{ data.<a field code of the case's forms> }}...
VARIABLES: dict[str, str] = {
    "case.reference": "la référence du dossier",
    "case.state": "l'étape où il arrive",
    "case.previous_state": "l'étape qu'il quitte",
    "case.workflow": "le type de dossier",
    "case.structure": "la structure",
    "case.link": "le lien vers le dossier",
    "case.opened_on": "la date d'ouverture",
    "transition": "l'action effectuée",
    "comment": "le commentaire de la transition",
    "actor": "qui l'a effectuée",
    "platform": "le nom du territoire",
    "data": "les données du dossier, par code de champ : {{ data.email }}",
}
_ROOTS = {name.split(".")[0] for name in VARIABLES}
_CASE_KEYS = {name.split(".")[1] for name in VARIABLES if name.startswith("case.")}
_VAR = re.compile(r"{{\s*([A-Za-z_][\w]*)(?:\.([A-Za-z_]\w*))?")
_TAG_NAMES = re.compile(r"{%\s*(?:if|elif|for\s+[\w\s,]+\s+in)\s+(?:not\s+)?([A-Za-z_]\w*)(?:\.([A-Za-z_]\w*))?")
_LOOP = re.compile(r"{%\s*for\s+([\w\s,]+?)\s+in\s")
_TAG = re.compile(r"{%\s*(\w+)")


def variables_help() -> str:
    return " ; ".join(f"{{{{ {name} }}}} : {text}" for name, text in VARIABLES.items())


def _check_text(source: str, field: str) -> list[tuple[str, str]]:
    errors = [
        (field, f"La balise « {{% {tag} %}} » n'est pas autorisée dans un modèle de courriel.")
        for tag in _TAG.findall(source or "")
        if tag not in ALLOWED_TAGS
    ]
    loop_vars = {name.strip() for names in _LOOP.findall(source or "") for name in names.split(",")}
    for root, key in _VAR.findall(source or "") + _TAG_NAMES.findall(source or ""):
        if root in loop_vars:
            continue
        if root not in _ROOTS:
            possible = ", ".join(sorted(_ROOTS))
            errors.append((field, f"Variable inconnue : « {root} ». Variables possibles : {possible}."))
        elif root == "case" and key and key not in _CASE_KEYS:
            errors.append((field, f"Variable inconnue : « case.{key} ». Possibles : "
                                  f"{', '.join('case.' + k for k in sorted(_CASE_KEYS))}."))  # fmt: skip
    if not errors:
        try:
            PLAIN.from_string(source or "")
        except TemplateSyntaxError as exc:
            errors.append((field, f"Le modèle ne se compile pas : {exc}"))
    return errors


def notification_template_check(template: NotificationTemplate) -> None:
    """Refuse a template that notifies nobody, names an unknown role or variable, or does not compile."""
    from core.roles import role_label

    errors: dict[str, list[str]] = {}
    known = set(NotificationTemplate.Recipient.values)
    unknown = [r for r in template.recipients or [] if r not in known]
    if unknown:
        errors.setdefault("recipients", []).append(f"Destinataire inconnu : {', '.join(unknown)}.")
    from django.contrib.auth.models import Group

    groups = set(Group.objects.values_list("name", flat=True))
    missing = [r for r in template.roles or [] if r not in groups]
    if missing:
        errors.setdefault("roles", []).append(f"Rôle inconnu : {', '.join(role_label(r) for r in missing)}.")
    if not (template.recipients or template.roles):
        errors.setdefault("recipients", []).append("Choisissez au moins un destinataire ou un rôle.")
    for field, message in _check_text(template.subject, "subject") + _check_text(template.body, "body"):
        errors.setdefault(field, []).append(message)
    if errors:
        raise ValidationError(errors)


def _context(case: Case, event: CaseEvent | None) -> dict[str, Any]:
    from workflows.engine import compiled_version

    compiled = compiled_version(case.workflow_version_id)
    actor = getattr(event, "actor", None) if event is not None else None
    territory = getattr(connection, "tenant", None)
    transition = compiled.transitions.get(event.transition) if event is not None and event.transition else None
    return {
        "case": {
            "reference": case.reference,
            "state": compiled.state_label(case.state),
            "previous_state": compiled.state_label(event.from_state) if event is not None and event.from_state else "",
            "workflow": compiled.name,
            "structure": case.structure.name if case.structure_id else str((case.data or {}).get("structure_name", "")),
            "link": territory_url(reverse("cases_admin:detail", args=[case.reference])),
            "opened_on": case.created_at.strftime("%d/%m/%Y") if case.created_at else "",
        },
        "transition": transition.label if transition is not None else "",
        "comment": getattr(event, "comment", "") or "",
        "actor": (actor.get_full_name() or actor.get_username()) if actor is not None else "",
        "platform": getattr(territory, "name", "") or "",
        "data": {k: v for k, v in (case.data or {}).items() if isinstance(v, str | int | float | bool | list)},
    }


def notification_recipients(*, template: NotificationTemplate, case: Case) -> list[str]:
    """The addresses a template reaches for a case (active accounts with an address, each once)."""
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    found: set[str] = set()
    wanted = set(template.recipients or [])
    if "assignees" in wanted:
        found |= set(case.assignees.filter(is_active=True).exclude(email="").values_list("email", flat=True))
    if "structure" in wanted:
        members = set()
        if case.structure_id:
            members = set(
                users.filter(structure_memberships__structure=case.structure_id).values_list("email", flat=True)
            )
        found |= members or {e for e in [str((case.data or {}).get("email") or "")] if "@" in e}
    if "operators" in wanted:
        operators = list(case.operators.all())
        found |= set(users.filter(operator_memberships__operator__in=operators).values_list("email", flat=True))
        found |= {op.email for op in operators if op.email}
    if template.roles:
        found |= set(users.filter(groups__name__in=template.roles).values_list("email", flat=True))
    return sorted(found)


# Whom a template addresses, as the case's history says it.
RECIPIENT_LABELS = {
    NotificationTemplate.Recipient.ASSIGNEES: "les chargés du dossier",
    NotificationTemplate.Recipient.STRUCTURE: "les membres de la structure",
    NotificationTemplate.Recipient.OPERATORS: "les opérateurs du dossier",
}


def notification_recipient_labels(template: NotificationTemplate) -> list[str]:
    """Whom a template addresses, in French (« les chargés du dossier », « le rôle « Coordination de pôle » »)."""
    from core.roles import role_label

    labels = [RECIPIENT_LABELS[code] for code in template.recipients or [] if code in RECIPIENT_LABELS]
    return labels + [f"le rôle « {role_label(code)} »" for code in template.roles or []]


def notification_send(*, template: NotificationTemplate, case: Case, event: CaseEvent | None = None) -> int:
    """Render a template for a case, e-mail each recipient (one message each) and record « Notification
    envoyée » in the case's history (whom, by label; the addresses for the team). Returns the count."""
    context = Context(_context(case, event), autoescape=False)
    subject = " ".join(PLAIN.from_string(template.subject).render(context).split())[:300]
    body = PLAIN.from_string(template.body).render(context)
    recipients = notification_recipients(template=template, case=case)
    for address in recipients:
        EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[address]).send()
    if not recipients:
        logger.info("notification %s on %s: nobody to tell", template.code, case.reference)
    CaseEvent.objects.create(
        case=case,
        kind=CaseEvent.Kind.NOTIFIED,
        transition=getattr(event, "transition", "") or "",
        detail={
            "template": template.name,
            "subject": subject,
            "recipients": notification_recipient_labels(template),
            "count": len(recipients),
            "addresses": recipients,
        },
    )
    return len(recipients)


def notification_event_title(detail: dict[str, Any]) -> str:
    """The timeline's line for a « Notification envoyée » event (French, labels only)."""
    whom = ", ".join(detail.get("recipients") or []) or "personne"
    count = int(detail.get("count") or 0)
    sent = f"{count} destinataire{'s' if count > 1 else ''}" if count else "aucun destinataire trouvé"
    return f"Notification envoyée « {detail.get('subject') or detail.get('template') or ''} » à : {whom} ({sent})"


class _NotifyAction:
    """A transition action that sends one template (its `label` is what the workflow editor shows)."""

    def __init__(self, code: str, name: str) -> None:
        self.code = code
        self.label = f"Envoyer le courriel « {name} »"

    def __call__(self, case: Case, event: CaseEvent) -> None:
        template = NotificationTemplate.objects.filter(code=self.code, is_active=True).first()
        if template is None:
            logger.warning("notification template %s is gone or unused (%s)", self.code, case.reference)
            return
        notification_send(template=template, case=case, event=event)


def notification_actions() -> dict[str, Any]:
    """The `notify_<code>` transition actions of the current schema's active templates."""
    return {
        f"{ACTION_PREFIX}{code}": _NotifyAction(code, name)
        for code, name in NotificationTemplate.objects.filter(is_active=True).values_list("code", "name")
    }
