"""Services of the support pole. Every write goes through here: keyword-only, typed, atomic."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format

from core.documents import document_pdf, template_render
from core.models import Case, Operator, OperatorMembership, StructureMembership
from core.plugins import pole_settings, results_by_pole
from core.roles import user_roles
from core.selectors.cases import STAFF_ROLES
from core.services.case_updates import pole_event_record
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
    Referral,
)
from plugins.support.notifications import (
    notify_operator_referral,
    notify_signatures_waiting,
    notify_staff_referral_declined,
    notify_structure_proposals,
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
    """The case's history records the pole's writes as the pole's own event kinds (`plugins.support.events`)."""
    pole_event_record(case=case, pole="support", event=what, actor=actor, **detail)


def _name(user: Any) -> str:
    if not getattr(user, "pk", None):
        return ""
    return user.get_full_name() or user.get_username()


def _acts_for_structure(case: Case, actor: Any) -> bool:
    return (
        bool(case.structure_id) and StructureMembership.objects.filter(user=actor, structure=case.structure_id).exists()
    )


def _acts_for_operator(operator_id: int | None, actor: Any) -> bool:
    return operator_id is not None and OperatorMembership.objects.filter(user=actor, operator=operator_id).exists()


def _require_staff(actor: Any, what: str) -> None:
    if actor is not None and not user_roles(actor) & STAFF_ROLES:
        raise PermissionDenied(f"Seule l'équipe de la plateforme peut {what}.")


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
    _audit(case, actor=actor, what="diagnostic_scored", detail={"global": profile["global"]})
    proposals_compute(case=case, actor=actor)
    return row


@transaction.atomic
def proposals_compute(*, case: Case, actor: Any = None) -> list[Proposal]:
    """Ask every active pole for proposals (`diagnostic_proposals` hook) and store them: one per service,
    the highest priority kept, at most the pole setting `max_proposals`. Proposals already decided, and those
    the team added by hand, stay."""
    profile = DiagnosticProfile.objects.get(case=case).as_profile()
    candidates: dict[str, dict[str, Any]] = {}
    for pole, answers in results_by_pole("diagnostic_proposals", case=case, profile=profile).items():
        for raw in answers or []:
            answer = {"priority": 50, "source": raw.get("rule") or pole, **raw}
            code = answer.get("service")
            if code and (code not in candidates or answer["priority"] > candidates[code]["priority"]):
                candidates[code] = answer
    services = {s.code: s for s in catalogue_service_list().filter(code__in=list(candidates))}
    kept = case.support_proposals.exclude(Q(status=Proposal.Status.PROPOSED) & ~Q(source="manual"))
    decided = set(kept.values_list("service__code", flat=True))  # decided, or added by hand: they stay
    case.support_proposals.filter(status=Proposal.Status.PROPOSED).exclude(source="manual").delete()
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
    _audit(case, actor=actor, what="proposals_computed", detail={"services": [p.service.title for p in created]})
    if created:
        transaction.on_commit(lambda: notify_structure_proposals(case_id=case.pk))
    return created


@transaction.atomic
def proposals_recompute(*, case: Case, actor: Any) -> list[Proposal]:
    """Compute the proposals again from the stored profile (after a rule change): undecided proposals are
    replaced, decided ones stay. Staff only, while the case is at its proposals."""
    _require_staff(actor, "recalculer les propositions")
    if case.state != "propositions":
        raise ValidationError("Les propositions ne se recalculent qu'à l'étape « Propositions de services ».")
    if not DiagnosticProfile.objects.filter(case=case).exists():
        raise ValidationError("Le diagnostic n'est pas encore noté : pas de propositions à recalculer.")
    return proposals_compute(case=case, actor=actor)


def _open_for_proposals(case: Case) -> None:
    if case.closed_at is not None:
        raise ValidationError("Le dossier est clôturé : ses propositions ne changent plus.")
    if case.state != "propositions":
        raise ValidationError("Les propositions ne changent qu'à l'étape « Propositions de services ».")


@transaction.atomic
def proposal_add(
    *, case: Case, service_code: str, operator: Operator | None = None, reason: str = "", actor: Any
) -> Proposal:
    """Propose a catalogue service by hand, carried out by `operator` (who must offer it) or the platform."""
    _require_staff(actor, "ajouter un service")
    _open_for_proposals(case)
    service = catalogue_service_list().filter(code=service_code).first()
    if service is None:
        raise ValidationError({"service": f"Aucun service du catalogue n'a le code « {service_code} »."})
    if case.support_proposals.filter(service=service).exists():
        raise ValidationError({"service": f"« {service.title} » est déjà proposé dans ce dossier."})
    if operator is not None and not operator.services.filter(pk=service.pk).exists():
        raise ValidationError({"operator": f"{operator.name} ne propose pas « {service.title} »."})
    proposal = Proposal.objects.create(
        case=case, service=service, operator=operator, reason=(reason or "Ajouté par l'équipe de la plateforme")[:300],
        priority=100, source="manual",
    )  # fmt: skip
    _audit(case, actor=actor, what="proposal_added",
           detail={"service": service.title, "by": proposal.carried_out_by})  # fmt: skip
    return proposal


@transaction.atomic
def proposal_reassign(*, proposal: Proposal, operator: Operator | None, actor: Any) -> Proposal:
    """Give a proposal to another operator offering its service, or to the platform (`operator` None). The
    previous operator no longer sees the case unless another accepted service is its."""
    _require_staff(actor, "réattribuer un service")
    proposal = (
        Proposal.objects.select_for_update(of=("self",))
        .select_related("case", "service", "operator")
        .get(pk=proposal.pk)
    )
    if proposal.case.closed_at is not None:
        raise ValidationError("Le dossier est clôturé : ses propositions ne changent plus.")
    if _signed_conventions(proposal.case).exists():
        raise ValidationError("Une convention est déjà signée : revoyez d'abord les propositions.")
    if operator is not None and not operator.services.filter(pk=proposal.service_id).exists():
        raise ValidationError({"operator": f"{operator.name} ne propose pas « {proposal.service.title} »."})
    before = proposal.carried_out_by
    previous = proposal.operator_id
    proposal.operator = operator
    proposal.referral_status = Referral.PENDING if operator and proposal.status == Proposal.Status.ACCEPTED else ""
    proposal.referral_answered_at = None
    proposal.referral_note = ""
    proposal.save(update_fields=["operator", "referral_status", "referral_answered_at", "referral_note"])
    _operators_sync(proposal.case, previous)
    if operator is not None and proposal.status == Proposal.Status.ACCEPTED:
        proposal.case.operators.add(operator)
        transaction.on_commit(lambda: notify_operator_referral(proposal_id=proposal.pk))
    _audit(proposal.case, actor=actor, what="proposal_reassigned",
           detail={"service": proposal.service.title, "before": before, "after": proposal.carried_out_by})  # fmt: skip
    return proposal


def _operators_sync(case: Case, operator_id: int | None) -> None:
    """Remove an operator from the case's operators when none of the case's accepted services is its."""
    if (
        operator_id
        and not case.support_proposals.filter(operator_id=operator_id, status=Proposal.Status.ACCEPTED)
        .exclude(referral_status=Referral.DECLINED)
        .exists()
    ):
        case.operators.remove(operator_id)


def _signed_conventions(case: Case):
    return case.support_conventions.filter(superseded_at__isnull=True).filter(
        Q(platform_signed_on__isnull=False) | Q(counterparty_signed_on__isnull=False)
    )


@transaction.atomic
def proposal_decide(*, proposal: Proposal, accepted: bool, actor: Any) -> Proposal:
    """The structure (or the platform for it) accepts or declines a proposal, or changes its mind while the
    case is at its proposals. An accepted service carried out by an operator is referred to it (the operator
    sees the case and is asked to accept it)."""
    proposal = (
        Proposal.objects.select_for_update(of=("self",))
        .select_related("case", "service", "operator")
        .get(pk=proposal.pk)
    )
    case = proposal.case
    if actor is not None and not user_roles(actor) & STAFF_ROLES and not _acts_for_structure(case, actor):
        raise PermissionDenied("Seuls la structure et l'équipe de la plateforme décident des propositions.")
    if _signed_conventions(case).exists():
        raise ValidationError("Une convention est déjà signée : revoyez les propositions avec la plateforme.")
    _open_for_proposals(case)
    status = Proposal.Status.ACCEPTED if accepted else Proposal.Status.DECLINED
    if proposal.status == status:
        raise ValidationError(f"« {proposal.service.title} » est déjà {'acceptée' if accepted else 'déclinée'}.")
    proposal.status = status
    proposal.decided_at = timezone.now()
    proposal.decided_by = actor if getattr(actor, "pk", None) else None
    referred = accepted and proposal.operator_id and proposal.referral_status != Referral.ACCEPTED
    if referred:
        proposal.referral_status = Referral.PENDING
    elif not accepted:
        proposal.referral_status = ""
    proposal.referral_answered_at = None if not accepted else proposal.referral_answered_at
    proposal.save(update_fields=["status", "decided_at", "decided_by", "referral_status", "referral_answered_at"])
    if proposal.operator_id:
        if accepted:
            case.operators.add(proposal.operator)
        else:
            _operators_sync(case, proposal.operator_id)
    _audit(case, actor=actor, what="proposal_accepted" if accepted else "proposal_declined",
           detail={"service": proposal.service.title, "by": proposal.carried_out_by, "who": _name(actor)})  # fmt: skip
    if referred:
        transaction.on_commit(lambda: notify_operator_referral(proposal_id=proposal.pk))
    return proposal


@transaction.atomic
def referral_answer(*, proposal: Proposal, accepted: bool, actor: Any, note: str = "") -> Proposal:
    """The operator accepts or declines the service referred to it (staff may record its answer). Declined,
    the service goes back to the platform's team, who gives it to another operator or carries it out."""
    proposal = (
        Proposal.objects.select_for_update(of=("self",))
        .select_related("case", "service", "operator")
        .get(pk=proposal.pk)
    )
    if (
        actor is not None
        and not user_roles(actor) & STAFF_ROLES
        and not _acts_for_operator(proposal.operator_id, actor)
    ):
        raise PermissionDenied("Seul l'opérateur à qui le service est confié peut répondre.")
    if proposal.case.closed_at is not None:
        raise ValidationError("Le dossier est clôturé.")
    if proposal.referral_status != Referral.PENDING:
        raise ValidationError("Ce service n'attend pas de réponse de l'opérateur.")
    note = (note or "").strip()
    if not accepted and not note:
        raise ValidationError({"note": "Dites à la plateforme pourquoi vous déclinez ce service."})
    proposal.referral_status = Referral.ACCEPTED if accepted else Referral.DECLINED
    proposal.referral_answered_at = timezone.now()
    proposal.referral_note = note[:500]
    proposal.save(update_fields=["referral_status", "referral_answered_at", "referral_note"])
    operator_name = proposal.operator.name
    if not accepted:
        _operators_sync(proposal.case, proposal.operator_id)
        transaction.on_commit(lambda: notify_staff_referral_declined(proposal_id=proposal.pk))
    _audit(proposal.case, actor=actor, what="referral_accepted" if accepted else "referral_declined",
           detail={"service": proposal.service.title, "operator": operator_name, "note": note[:500]})  # fmt: skip
    return proposal


def proposals_revise(*, case: Case, actor: Any = None) -> int:
    """The proposals are revised (« Revoir les propositions »): the case's conventions are kept for the record
    but replaced (new ones are drawn up once the proposals are validated again), so every proposal can be
    decided again. Returns how many conventions were set aside. Runs inside the transition's transaction."""
    superseded = case.support_conventions.filter(superseded_at__isnull=True).update(superseded_at=timezone.now())
    if superseded:
        _audit(case, actor=actor, what="conventions_superseded", detail={"count": superseded})
    return superseded


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


def _convention_pdf(convention: Convention) -> bytes:
    """The convention's PDF with each party's signature block: signatory and date once signed."""

    def signed(on: dt.date | None) -> str:
        return date_format(on, "j F Y") if on else ""

    platform = pole_settings("support")["platform_name"]
    return document_pdf(
        title=convention.title,
        html=convention.body_html,
        signatories=[
            (f"Pour {platform}", convention.platform_signatory, signed(convention.platform_signed_on)),
            (f"Pour {convention.counterparty_label} : {convention.counterparty_name}",
             convention.counterparty_signatory, signed(convention.counterparty_signed_on)),
        ],
    )  # fmt: skip


def convention_filename(convention: Convention, *, signed: bool = False) -> str:
    """Each party's file has its own name: « Convention <case> - structure <name>.pdf »,
    « Convention <case> - opérateur <name>.pdf » (« - signée » for the signed copy)."""
    party = "opérateur" if convention.party == Convention.Party.OPERATOR else "structure"
    name = " ".join(str(convention.counterparty_name).replace("/", " ").split())[:80]
    suffix = " - exemplaire signé" if signed else ""
    return f"Convention {convention.case.reference} - {party} {name}{suffix}.pdf"


def _pdf_slug(convention: Convention) -> str:
    from django.utils.text import slugify

    party = "operateur" if convention.party == Convention.Party.OPERATOR else "structure"
    return f"convention-{convention.case.reference}-{party}-{slugify(str(convention.counterparty_name))[:60]}.pdf"


@transaction.atomic
def conventions_generate(*, case: Case, actor: Any = None) -> list[Convention]:
    """Generate the case's conventions from the admins' templates: platform↔structure, and platform↔operator
    for each operator of the accepted services (an operator that declined its referral has none). Unsigned
    conventions are regenerated; a convention one party signed is kept as it is."""
    if actor is not None:
        _require_staff(actor, "établir les conventions")
    accepted = list(
        case.support_proposals.filter(status=Proposal.Status.ACCEPTED)
        .exclude(referral_status=Referral.DECLINED)
        .select_related("service", "operator")
    )
    if not accepted:
        raise ValidationError("Aucune proposition acceptée : pas de convention à établir.")
    templates = {t.party: t for t in ConventionTemplate.objects.filter(is_active=True).order_by("-updated_at")}
    wanted: list[tuple[str, Operator | None, list[Proposal]]] = [(ConventionTemplate.Party.STRUCTURE, None, accepted)]
    wanted += [
        (ConventionTemplate.Party.OPERATOR, operator, [p for p in accepted if p.operator == operator])
        for operator in {p.operator for p in accepted if p.operator_id}
    ]
    current = case.support_conventions.filter(superseded_at__isnull=True)
    result = []
    for party, operator, services in sorted(wanted, key=lambda w: (w[0] != "structure", str(w[1] or ""))):
        template = templates.get(party)
        if template is None:
            raise ValidationError(f"Aucun modèle de convention actif pour « {ConventionTemplate.Party(party).label} ».")
        existing = current.filter(party=party, operator=operator).first()
        if existing is not None and (existing.platform_signed_on or existing.counterparty_signed_on):
            result.append(existing)
            continue
        html = template_render(template.body, _convention_context(case, services, operator))
        if existing is not None:
            existing.pdf.delete(save=False)
            existing.delete()
        convention = Convention(case=case, party=party, operator=operator, title=template.title, body_html=html)
        convention.pdf.save(_pdf_slug(convention), ContentFile(_convention_pdf(convention)), save=False)
        convention.save()
        result.append(convention)
    # Conventions of operators no longer in the case (declined, reassigned), if unsigned, are withdrawn.
    stale = current.exclude(pk__in=[c.pk for c in result]).filter(
        platform_signed_on__isnull=True, counterparty_signed_on__isnull=True
    )
    for convention in stale:
        convention.pdf.delete(save=False)
        convention.delete()
    _audit(case, actor=actor, what="conventions_generated", detail={"conventions": [c.title for c in result],
           "parties": [str(c.counterparty_name) for c in result]})  # fmt: skip
    transaction.on_commit(lambda: notify_signatures_waiting(case_id=case.pk))
    return result


def _may_sign(convention: Convention, party: str, actor: Any) -> bool:
    if actor is None or user_roles(actor) & STAFF_ROLES:
        return True  # the platform's team records any party's signature (a copy signed on paper)
    if party != "counterparty":
        return False
    if convention.party == Convention.Party.STRUCTURE:
        return _acts_for_structure(convention.case, actor)
    return _acts_for_operator(convention.operator_id, actor)


def _signature_errors(convention: Convention, *, party: str, signed_on: dt.date, signatory: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if party not in ("platform", "counterparty"):
        errors["party"] = "Partie inconnue : choisissez la plateforme ou l'autre partie."
    if convention.superseded_at is not None:
        errors["party"] = "Cette convention a été remplacée après la révision des propositions."
    if not signatory:
        errors["signatory"] = "Le nom du signataire est obligatoire."
    if signed_on > timezone.localdate():
        errors["signed_on"] = "La date de signature ne peut pas être dans le futur."
    elif signed_on < timezone.localtime(convention.generated_at).date():
        errors["signed_on"] = "La date de signature précède l'établissement de la convention."
    if not errors and getattr(convention, f"{party}_signed_on") is not None:
        errors["party"] = "Cette partie a déjà signé la convention."
    if not errors and party == "counterparty" and convention.party == Convention.Party.OPERATOR:
        refused = convention.case.support_proposals.filter(
            operator=convention.operator_id, status=Proposal.Status.ACCEPTED, referral_status=Referral.DECLINED
        )
        if refused.exists():
            errors["party"] = "L'opérateur a décliné le service : il ne signe pas cette convention."
    return errors


@transaction.atomic
def convention_sign(
    *, convention: Convention, party: str, signed_on: dt.date | None = None, signatory: str = "", actor: Any
) -> Convention:
    """Record one party's signature (`party`: "platform" or "counterparty") with its date and signatory, and
    write them into the PDF. The structure's members and the operator's sign for their own side only (their
    name and today's date by default); the platform's team records any party's signature."""
    convention = (
        Convention.objects.select_for_update(of=("self",)).select_related("case", "operator").get(pk=convention.pk)
    )
    if party in ("platform", "counterparty") and not _may_sign(convention, party, actor):
        raise PermissionDenied("Vous ne pouvez signer que pour votre structure ou votre opérateur.")
    signatory = (signatory or "").strip()
    if not signatory and actor is not None and not user_roles(actor) & STAFF_ROLES:
        signatory = _name(actor)  # the party signs for itself, under its own name
    signed_on = signed_on or timezone.localdate()
    errors = _signature_errors(convention, party=party, signed_on=signed_on, signatory=signatory)
    if errors:
        raise ValidationError(errors)
    setattr(convention, f"{party}_signed_on", signed_on)
    setattr(convention, f"{party}_signatory", signatory)
    if party == "counterparty" and convention.party == Convention.Party.OPERATOR:
        # Signing is accepting: the services referred to this operator are accepted with it.
        convention.case.support_proposals.filter(
            operator=convention.operator_id, status=Proposal.Status.ACCEPTED, referral_status=Referral.PENDING
        ).update(referral_status=Referral.ACCEPTED, referral_answered_at=timezone.now())
    old = convention.pdf.name
    convention.pdf.save(_pdf_slug(convention), ContentFile(_convention_pdf(convention)), save=False)
    convention.save(update_fields=[f"{party}_signed_on", f"{party}_signatory", "pdf"])
    if old and old != convention.pdf.name:
        convention.pdf.storage.delete(old)
    who = pole_settings("support")["platform_name"] if party == "platform" else str(convention.counterparty_name)
    _audit(convention.case, actor=actor, what="convention_signed",
           detail={"convention": convention.title, "party": who, "signatory": signatory,
                   "signed_on": signed_on.isoformat()})  # fmt: skip
    return convention


@transaction.atomic
def convention_signed_copy_attach(*, convention: Convention, file: Any, actor: Any) -> Convention:
    """Keep the copy signed by hand (a PDF, judged by its bytes). Staff, or the party who signed it."""
    from core.uploads import UploadValidator

    convention = (
        Convention.objects.select_for_update(of=("self",)).select_related("case", "operator").get(pk=convention.pk)
    )
    if not _may_sign(convention, "counterparty", actor):
        raise PermissionDenied("Vous ne pouvez déposer que l'exemplaire de votre structure ou de votre opérateur.")
    if convention.superseded_at is not None:
        raise ValidationError("Cette convention a été remplacée après la révision des propositions.")
    UploadValidator(allowed_types=("application/pdf",), max_bytes=settings.PPE_UPLOAD_MAX_BYTES)(file)
    if convention.signed_pdf:
        convention.signed_pdf.delete(save=False)
    file.seek(0)
    convention.signed_pdf.save(_pdf_slug(convention).replace(".pdf", "-signee.pdf"), ContentFile(file.read()),
                               save=False)  # fmt: skip
    convention.signed_pdf_uploaded_at = timezone.now()
    convention.save(update_fields=["signed_pdf", "signed_pdf_uploaded_at"])
    _audit(convention.case, actor=actor, what="convention_copy_attached",
           detail={"convention": convention.title, "party": str(convention.counterparty_name)})  # fmt: skip
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
    _audit(case, actor=actor, what="followup_added",
           detail={"kind": entry.get_kind_display(), "happened_on": happened_on.isoformat()})  # fmt: skip
    return entry


def _assignee_check(assignee: Any) -> None:
    from core.services.case_work import assignable_users

    if assignee is not None and not assignable_users().filter(pk=assignee.pk).exists():
        raise ValidationError({"assignee": "Une tâche se confie à un membre de l'équipe de la plateforme."})


@transaction.atomic
def task_create(
    *, case: Case, title: str, due_date: dt.date, assignee: Any = None, operator: Operator | None = None, actor: Any
) -> CoordinationTask:
    """Create a coordination task of a case, for anyone of the platform's team (the author by default);
    reminders go out before its due date."""
    _require_staff(actor, "créer une tâche")
    if case.closed_at is not None:
        raise ValidationError("Le dossier est clôturé.")
    assignee = assignee if assignee is not None else (actor if getattr(actor, "pk", None) else None)
    _assignee_check(assignee)
    task = CoordinationTask(case=case, title=(title or "").strip(), due_date=due_date, assignee=assignee,
                            operator=operator, created_by=actor if getattr(actor, "pk", None) else None)  # fmt: skip
    task.full_clean()
    if due_date < timezone.localdate():
        raise ValidationError({"due_date": "L'échéance est déjà passée."})
    task.save()
    _audit(case, actor=actor, what="task_created",
           detail={"title": task.title, "due_date": due_date.isoformat(), "assignee": _name(assignee)})  # fmt: skip
    return task


@transaction.atomic
def task_update(
    *, task: CoordinationTask, actor: Any, assignee: Any = ..., due_date: dt.date | None = None, title: str = ""
) -> CoordinationTask:
    """Give an open task to someone else of the team, move its due date or rename it."""
    _require_staff(actor, "modifier une tâche")
    task = CoordinationTask.objects.select_for_update(of=("self",)).select_related("case", "assignee").get(pk=task.pk)
    if task.done_at is not None:
        raise ValidationError("Cette tâche est déjà faite.")
    changes = []
    if assignee is not ... and assignee != task.assignee:
        _assignee_check(assignee)
        task.assignee = assignee
        changes.append("assignee")
    if due_date is not None and due_date != task.due_date:
        if due_date < timezone.localdate():
            raise ValidationError({"due_date": "L'échéance est déjà passée."})
        task.due_date, task.reminded_on = due_date, None
        changes += ["due_date", "reminded_on"]
    if title and title.strip() != task.title:
        task.title = title.strip()
        changes.append("title")
    if changes:
        task.full_clean()
        task.save(update_fields=changes)
        _audit(task.case, actor=actor, what="task_updated",
               detail={"title": task.title, "due_date": task.due_date.isoformat(),
                       "assignee": _name(task.assignee)})  # fmt: skip
    return task


@transaction.atomic
def task_complete(*, task: CoordinationTask, actor: Any) -> CoordinationTask:
    _require_staff(actor, "terminer une tâche")
    task = CoordinationTask.objects.select_for_update().get(pk=task.pk)
    if task.done_at is not None:
        raise ValidationError("Cette tâche est déjà faite.")
    task.done_at = timezone.now()
    task.save(update_fields=["done_at"])
    _audit(task.case, actor=actor, what="task_done", detail={"title": task.title})
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
