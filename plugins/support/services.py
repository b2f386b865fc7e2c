"""Services of the support pole. Every write goes through here: keyword-only, typed, atomic."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format

from core.documents import document_pdf, template_render
from core.models import Case, CaseEvent, Operator
from core.plugins import pole_settings, results_by_pole
from core.services.catalogue import catalogue_service_list
from core.services.shipped import ShippedSyncReport, shipped_rows_sync
from plugins.support.models import (
    Convention,
    ConventionTemplate,
    CoordinationTask,
    DiagnosticProfile,
    FollowUpEntry,
    Proposal,
    ProposalRule,
)
from plugins.support.scoring import profile_compute

logger = logging.getLogger("ppe.support")

DATA = Path(__file__).resolve().parent / "data"
RULE_FIELDS = ("name", "condition", "service_code", "priority", "reason")
TEMPLATE_FIELDS = ("party", "title", "body")


@transaction.atomic
def support_seed(*, rules_file: Path | None = None, templates_file: Path | None = None) -> dict[str, ShippedSyncReport]:
    """Seed or upgrade the territory's proposal rules and convention templates from the pole's data files.
    Never overwrites what an admin changed (reported in `kept_local_changes`). Idempotent."""
    rules = yaml.safe_load((rules_file or DATA / "proposal_rules.yaml").read_text(encoding="utf-8"))
    templates = yaml.safe_load((templates_file or DATA / "convention_templates.yaml").read_text(encoding="utf-8"))
    reports = {
        "rules": shipped_rows_sync(model=ProposalRule, rows=rules, fields=RULE_FIELDS),
        "templates": shipped_rows_sync(model=ConventionTemplate, rows=templates, fields=TEMPLATE_FIELDS),
    }
    for kind, report in reports.items():
        if report.kept_local_changes:
            logger.warning("support %s changed by admins, upgrade not applied: %s", kind, report.kept_local_changes)
    return reports


# --- Case work: diagnostic, proposals, conventions, follow-up ---------------------------------------------------


def _audit(case: Case, *, actor: Any, what: str, detail: dict[str, Any]) -> None:
    """The case's history records the pole's writes (CaseEvent is append-only)."""
    CaseEvent.objects.create(
        case=case,
        kind=CaseEvent.Kind.DATA_UPDATED,
        actor=actor if getattr(actor, "pk", None) else None,
        detail={"support": what, **detail},
    )


@transaction.atomic
def diagnostic_score(*, case: Case, actor: Any = None) -> DiagnosticProfile:
    """Score the case's diagnostic answers into its profile, then compute the service proposals.
    Raises `ScoringError` (French) when the answers cannot be scored."""
    structure = case.structure if case.structure_id else None
    network = structure.network if structure is not None and structure.network_id else None
    profile = profile_compute(
        answers=case.data or {},
        network_kind=network.kind if network else None,
        network_name=network.name if network else None,
        professionalisation=structure.professionalisation if structure else None,
    )
    row, _ = DiagnosticProfile.objects.update_or_create(
        case=case,
        defaults={
            "axes": profile["axes"],
            "federation": profile["federation"] or "",
            "professionalisation": profile["professionalisation"],
            "global_score": profile["global"],
        },
    )
    _audit(case, actor=actor, what="diagnostic_scored", detail={"profile": profile})
    proposals_compute(case=case, actor=actor)
    return row


@transaction.atomic
def proposals_compute(*, case: Case, actor: Any = None) -> list[Proposal]:
    """Ask every active pole for proposals (`diagnostic_proposals` hook) and store them: one per service,
    the highest priority kept, at most the pole setting `max_proposals`. Proposals already decided stay."""
    profile = DiagnosticProfile.objects.get(case=case).as_profile()
    candidates: dict[str, dict[str, Any]] = {}
    for pole, answers in results_by_pole("diagnostic_proposals", case=case, profile=profile).items():
        for raw in answers or []:
            answer = {"priority": 50, "source": raw.get("rule") or pole, **raw}
            code = answer.get("service")
            if code and (code not in candidates or answer["priority"] > candidates[code]["priority"]):
                candidates[code] = answer
    services = {s.code: s for s in catalogue_service_list().filter(code__in=list(candidates))}
    decided = set(
        case.support_proposals.exclude(status=Proposal.Status.PROPOSED).values_list("service__code", flat=True)
    )
    case.support_proposals.filter(status=Proposal.Status.PROPOSED).delete()
    limit = pole_settings("support")["max_proposals"]
    ranked = sorted(
        (c for code, c in candidates.items() if code in services and code not in decided),
        key=lambda c: -c["priority"],
    )[:limit]
    operators = {
        op.pk: op for op in Operator.objects.filter(pk__in=[c["operator"] for c in ranked if c.get("operator")])
    }
    created = [
        Proposal.objects.create(
            case=case,
            service=services[c["service"]],
            operator=operators.get(c.get("operator")),
            reason=str(c.get("reason") or "")[:300],
            priority=int(c["priority"]),
            source=str(c["source"])[:80],
        )
        for c in ranked
    ]
    _audit(case, actor=actor, what="proposals_computed", detail={"services": [p.service.code for p in created]})
    return created


@transaction.atomic
def proposal_decide(*, proposal: Proposal, accepted: bool, actor: Any) -> Proposal:
    """The structure (or the platform for it) accepts or declines a proposal; an accepted operator is added
    to the case's operators (so that it sees the case)."""
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.case.closed_at is not None:
        raise ValidationError("Le dossier est clôturé : ses propositions ne changent plus.")
    if proposal.case.support_conventions.filter(
        Q(platform_signed_on__isnull=False) | Q(counterparty_signed_on__isnull=False)
    ).exists():
        raise ValidationError("Une convention est déjà signée : revoyez les propositions avec la plateforme.")
    proposal.status = Proposal.Status.ACCEPTED if accepted else Proposal.Status.DECLINED
    proposal.decided_at = timezone.now()
    proposal.decided_by = actor if getattr(actor, "pk", None) else None
    proposal.save(update_fields=["status", "decided_at", "decided_by"])
    if proposal.operator_id:
        if accepted:
            proposal.case.operators.add(proposal.operator)
        elif not proposal.case.support_proposals.filter(operator=proposal.operator, status="accepted").exists():
            proposal.case.operators.remove(proposal.operator)
    _audit(proposal.case, actor=actor, what="proposal_decided",
           detail={"service": proposal.service.code, "status": proposal.status})  # fmt: skip
    return proposal


def _convention_context(case: Case, services: list[Proposal], operator: Operator | None) -> dict[str, Any]:
    structure = case.structure if case.structure_id else None
    data = case.data or {}
    return {
        "platform": pole_settings("support")["platform_name"],
        "case": {"reference": case.reference},
        "structure": {
            "name": structure.name if structure else data.get("structure_name", ""),
            "commune": structure.commune if structure else data.get("commune", ""),
            "siret": (structure.siret if structure else data.get("siret")) or "",
            "address": structure.address if structure else "",
        },
        "operator": {"name": operator.name, "legal_form": operator.legal_form, "siret": operator.siret}
        if operator
        else {},
        "services": [{"title": p.service.title, "operator": p.carried_out_by} for p in services],
        "today": date_format(timezone.localdate(), "j F Y"),
    }


@transaction.atomic
def conventions_generate(*, case: Case, actor: Any = None) -> list[Convention]:
    """Generate the case's conventions from the admins' templates: platform↔structure, and platform↔operator
    for each operator of the accepted services. Unsigned conventions are regenerated; a convention one party
    signed is kept as it is."""
    accepted = list(
        case.support_proposals.filter(status=Proposal.Status.ACCEPTED).select_related("service", "operator")
    )
    if not accepted:
        raise ValidationError("Aucune proposition acceptée : pas de convention à établir.")
    templates = {t.party: t for t in ConventionTemplate.objects.filter(is_active=True).order_by("-updated_at")}
    wanted: list[tuple[str, Operator | None, list[Proposal]]] = [(ConventionTemplate.Party.STRUCTURE, None, accepted)]
    wanted += [
        (ConventionTemplate.Party.OPERATOR, operator, [p for p in accepted if p.operator == operator])
        for operator in {p.operator for p in accepted if p.operator_id}
    ]
    structure_name = (case.structure.name if case.structure_id else case.data.get("structure_name")) or ""
    result = []
    for party, operator, services in sorted(wanted, key=lambda w: (w[0] != "structure", str(w[1] or ""))):
        template = templates.get(party)
        if template is None:
            raise ValidationError(f"Aucun modèle de convention actif pour « {ConventionTemplate.Party(party).label} ».")
        existing = case.support_conventions.filter(party=party, operator=operator).first()
        if existing is not None and (existing.platform_signed_on or existing.counterparty_signed_on):
            result.append(existing)
            continue
        html = template_render(template.body, _convention_context(case, services, operator))
        counterparty = operator.name if operator else structure_name
        pdf = document_pdf(
            title=template.title,
            html=html,
            signatories=[("Pour la plateforme", pole_settings("support")["platform_name"], ""),
                         ("Pour " + ("l'opérateur" if operator else "la structure"), counterparty, "")],
        )  # fmt: skip
        if existing is not None:
            existing.pdf.delete(save=False)
            existing.delete()
        convention = Convention(case=case, party=party, operator=operator, title=template.title, body_html=html)
        slug = f"{case.reference}-{party}{'-' + str(operator.pk) if operator else ''}"
        convention.pdf.save(f"convention-{slug}.pdf", ContentFile(pdf), save=False)
        convention.save()
        result.append(convention)
    _audit(case, actor=actor, what="conventions_generated", detail={"conventions": [c.pk for c in result]})
    return result


@transaction.atomic
def convention_sign(
    *, convention: Convention, party: str, signed_on: dt.date, signatory: str, actor: Any
) -> Convention:
    """Record one party's signature (`party`: "platform" or "counterparty") with its date and signatory."""
    convention = Convention.objects.select_for_update().get(pk=convention.pk)
    signatory = (signatory or "").strip()
    errors: dict[str, str] = {}
    if party not in ("platform", "counterparty"):
        errors["party"] = f"Partie inconnue : « {party} »."
    if not signatory:
        errors["signatory"] = "Le nom du signataire est obligatoire."
    if signed_on > timezone.localdate():
        errors["signed_on"] = "La date de signature ne peut pas être dans le futur."
    elif signed_on < timezone.localtime(convention.generated_at).date():
        errors["signed_on"] = "La date de signature précède l'établissement de la convention."
    if not errors and getattr(convention, f"{party}_signed_on") is not None:
        errors["party"] = "Cette partie a déjà signé la convention."
    if errors:
        raise ValidationError(errors)
    setattr(convention, f"{party}_signed_on", signed_on)
    setattr(convention, f"{party}_signatory", signatory)
    convention.save(update_fields=[f"{party}_signed_on", f"{party}_signatory"])
    _audit(convention.case, actor=actor, what="convention_signed",
           detail={"convention": convention.pk, "party": party, "signed_on": signed_on.isoformat()})  # fmt: skip
    return convention


@transaction.atomic
def followup_add(*, case: Case, kind: str, happened_on: dt.date, text: str, actor: Any) -> FollowUpEntry:
    """Add an entry to the case's follow-up log."""
    entry = FollowUpEntry(case=case, kind=kind, happened_on=happened_on, text=(text or "").strip(),
                          author=actor if getattr(actor, "pk", None) else None)  # fmt: skip
    entry.full_clean()
    if happened_on > timezone.localdate():
        raise ValidationError({"happened_on": "Un suivi ne peut pas être daté dans le futur."})
    entry.save()
    _audit(case, actor=actor, what="followup_added", detail={"entry": entry.pk, "kind": kind})
    return entry


@transaction.atomic
def task_create(
    *, case: Case, title: str, due_date: dt.date, assignee: Any = None, operator: Operator | None = None, actor: Any
) -> CoordinationTask:
    """Create a coordination task of a case; reminders go out before its due date."""
    if case.closed_at is not None:
        raise ValidationError("Le dossier est clôturé.")
    task = CoordinationTask(case=case, title=(title or "").strip(), due_date=due_date, assignee=assignee,
                            operator=operator, created_by=actor if getattr(actor, "pk", None) else None)  # fmt: skip
    task.full_clean()
    if due_date < timezone.localdate():
        raise ValidationError({"due_date": "L'échéance est déjà passée."})
    task.save()
    _audit(case, actor=actor, what="task_created", detail={"task": task.pk, "due_date": due_date.isoformat()})
    return task


@transaction.atomic
def task_complete(*, task: CoordinationTask, actor: Any) -> CoordinationTask:
    task = CoordinationTask.objects.select_for_update().get(pk=task.pk)
    if task.done_at is not None:
        raise ValidationError("Cette tâche est déjà faite.")
    task.done_at = timezone.now()
    task.save(update_fields=["done_at"])
    _audit(task.case, actor=actor, what="task_done", detail={"task": task.pk})
    return task


def task_reminders_send(*, today: dt.date | None = None) -> int:
    """E-mail a reminder for every open task falling due within the pole setting `reminder_days_before`
    days (or overdue), at most once a day per task. Returns the number of reminders sent."""
    today = today or timezone.localdate()
    horizon = today + dt.timedelta(days=pole_settings("support")["reminder_days_before"])
    due = (
        CoordinationTask.objects.filter(done_at__isnull=True, due_date__lte=horizon, case__closed_at__isnull=True)
        .filter(Q(reminded_on__isnull=True) | Q(reminded_on__lt=today))
        .select_related("case", "assignee", "operator")
    )
    sent = 0
    for task in due:
        recipients = [
            address for address in (getattr(task.assignee, "email", ""), getattr(task.operator, "email", "")) if address
        ]
        if not recipients:
            continue
        late = task.due_date < today
        send_mail(
            subject=f"[{task.case.reference}] {'En retard' if late else 'Échéance proche'} : {task.title}",
            message=(
                f"Bonjour,\n\nLa tâche « {task.title} » du dossier {task.case.reference} "
                f"{'était due le' if late else 'est due le'} {task.due_date:%d/%m/%Y}.\n\n"
                "L'équipe de la plateforme"
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=recipients,
        )
        CoordinationTask.objects.filter(pk=task.pk).update(reminded_on=today)
        sent += 1
    return sent
