"""Services of the développement pole. Every write goes through here: keyword-only, typed, atomic."""

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
from django.utils.html import escape

from core.documents import document_pdf, template_render
from core.models import Case
from core.plugins import pole_settings
from core.services.case_updates import pole_event_record
from core.services.shipped import ShippedSyncReport, shipped_rows_sync
from plugins.developpement.models import Candidate, DeliberationDraft, DeliberationTemplate, DraftSection, Meeting

logger = logging.getLogger("ppe.developpement")

DATA = Path(__file__).resolve().parent / "data"
TEMPLATE_FIELDS = ("kind", "title", "body")


@transaction.atomic
def developpement_seed(*, templates_file: Path | None = None) -> ShippedSyncReport:
    """Seed or upgrade the territory's model deliberations; never overwrites an admin's edit. Idempotent."""
    rows = yaml.safe_load((templates_file or DATA / "deliberation_templates.yaml").read_text(encoding="utf-8"))
    report = shipped_rows_sync(model=DeliberationTemplate, rows=rows, fields=TEMPLATE_FIELDS)
    if report.kept_local_changes:
        logger.warning("deliberation templates changed by admins, upgrade not applied: %s", report.kept_local_changes)
    return report


# --- Case work: sections of a joint response, consultation meetings, deliberations, reminders -------------------


def _audit(case: Case, *, actor: Any, what: str, detail: dict[str, Any]) -> None:
    """The case's history records the pole's writes as its own event kinds (`plugins.developpement.events`)."""
    pole_event_record(case=case, pole="developpement", event=what, actor=actor, **detail)


@transaction.atomic
def sections_plan(*, case: Case, sections: list[dict[str, Any]], actor: Any = None) -> list[DraftSection]:
    """Create or update the response's sections from the drafting plan (title, partner, email, deadline).
    A delivered section is left as it is; sections no longer in the plan and not delivered are removed."""
    if case.closed_at is not None:
        raise ValidationError("Le dossier est clôturé.")
    titles = []
    result = []
    for index, item in enumerate(sections, start=1):
        title = str(item.get("titre") or "").strip()
        try:
            due = (
                item["echeance"]
                if isinstance(item.get("echeance"), dt.date)
                else dt.date.fromisoformat(str(item.get("echeance")))
            )
        except ValueError:
            raise ValidationError(f"Section {index} : échéance invalide « {item.get('echeance')} ».") from None
        section = DraftSection.objects.filter(case=case, title=title).first() or DraftSection(case=case, title=title)
        if section.delivered_at is None:
            section.partner = str(item.get("partenaire") or "").strip()
            section.email = str(item.get("email") or "").strip()
            section.due_date = due
            try:
                section.full_clean()
            except ValidationError as exc:
                raise ValidationError(f"Section {index} : {' '.join(exc.messages)}") from None
            section.save()
        titles.append(title)
        result.append(section)
    DraftSection.objects.filter(case=case, delivered_at__isnull=True).exclude(title__in=titles).delete()
    _audit(case, actor=actor, what="sections_planned", detail={"sections": titles})
    return result


@transaction.atomic
def section_deliver(*, section: DraftSection, actor: Any) -> DraftSection:
    section = DraftSection.objects.select_for_update().get(pk=section.pk)
    if section.delivered_at is not None:
        raise ValidationError("Cette section est déjà remise.")
    section.delivered_at = timezone.now()
    section.save(update_fields=["delivered_at"])
    _audit(section.case, actor=actor, what="section_delivered", detail={"section": section.title})
    return section


@transaction.atomic
def meeting_record(
    *, case: Case, held_on: dt.date, participants: str, minutes: str, place: str = "", actor: Any
) -> Meeting:
    """Record a consultation meeting of a SIEG case with its participants and minutes."""
    meeting = Meeting(case=case, held_on=held_on, place=place.strip(), participants=participants.strip(),
                      minutes=minutes.strip())  # fmt: skip
    meeting.full_clean()
    if held_on > timezone.localdate():
        raise ValidationError({"held_on": "Une réunion à venir ne peut pas avoir de compte rendu."})
    if len(meeting.participant_list) < 2:
        raise ValidationError({"participants": "Une concertation réunit au moins deux participants."})
    meeting.save()
    _audit(case, actor=actor, what="meeting_recorded",
           detail={"held_on": held_on.isoformat(), "participants": len(meeting.participant_list)})  # fmt: skip
    return meeting


@transaction.atomic
def deliberations_draft(*, case: Case, actor: Any = None) -> list[DeliberationDraft]:
    """Draft the deliberations (general interest, mandate) from the admins' model deliberations and the
    case's data; earlier drafts of the same kind are replaced."""
    templates = {t.kind: t for t in DeliberationTemplate.objects.filter(is_active=True).order_by("-updated_at")}
    missing = [str(label) for kind, label in DeliberationTemplate.Kind.choices if kind not in templates]
    if missing:
        raise ValidationError(f"Aucun modèle actif pour : {', '.join(missing)}.")
    data = case.data or {}
    context = {
        **{key: value for key, value in data.items() if isinstance(value, str | int | float)},
        "case": {"reference": case.reference},
        "today": date_format(timezone.localdate(), "j F Y"),
        "concertation": consultation_summary(case),
    }
    drafts = []
    for kind, _label in DeliberationTemplate.Kind.choices:
        template = templates[kind]
        html = template_render(template.body, context)
        adoption = deliberation_adoption(case, kind)
        if adoption is not None:  # adopted: the session and its vote close the text
            html += f"<p><b>{escape(adoption['text'])}</b></p>"
        pdf = document_pdf(
            title=template.title,
            html=html,
            signatories=[("Le maire", "", adoption["day"] if adoption else "")],
        )
        for old in DeliberationDraft.objects.filter(case=case, kind=kind):
            old.pdf.delete(save=False)
            old.delete()
        draft = DeliberationDraft(case=case, kind=kind, title=template.title, body_html=html)
        draft.pdf.save(f"deliberation-{case.reference}-{kind}.pdf", ContentFile(pdf), save=False)
        draft.save()
        drafts.append(draft)
    _audit(case, actor=actor, what="deliberations_drafted", detail={"drafts": [d.title for d in drafts]})
    return drafts


def consultation_summary(case: Case) -> str:
    """The consultation's meetings in one French sentence (the deliberations quote it)."""
    meetings = list(case.developpement_meetings.all())
    if not meetings:
        return "aucune réunion de concertation"
    days = ", ".join(date_format(m.held_on, "j F Y") for m in meetings)
    people = sum(len(m.participant_list) for m in meetings)
    count = len(meetings)
    return f"{count} réunion{'s' if count > 1 else ''} de concertation ({days}), {people} participations"


# The fields of the « Délibérations adoptées » form, by deliberation kind: its session's date and its vote.
ADOPTION_FIELDS = {
    DeliberationTemplate.Kind.GENERAL_INTEREST: ("date_deliberation_interet_general", "ig"),
    DeliberationTemplate.Kind.MANDATE: ("date_deliberation_mandatement", "mandat"),
}


def deliberation_adoption(case: Case, kind: str) -> dict[str, Any] | None:
    """How a deliberation was adopted, from the case's « Délibérations adoptées » form: the session's date and
    the vote (for, against, abstentions), with its French sentence; None before it was."""
    data = case.data or {}
    date_field, prefix = ADOPTION_FIELDS[kind]
    try:
        session = dt.date.fromisoformat(str(data.get(date_field) or "")[:10])
    except ValueError:
        return None
    votes = {name: int(data.get(f"vote_{prefix}_{name}") or 0) for name in ("pour", "contre", "abstentions")}
    day = date_format(session, "j F Y")
    abstentions = votes["abstentions"]
    text = (
        f"Adoptée par le conseil en séance du {day} : {votes['pour']} voix pour, {votes['contre']} contre, "
        f"{abstentions} abstention{'s' if abstentions > 1 else ''}."
    )
    return {"session_on": session.isoformat(), "day": day, **votes, "text": text}


@transaction.atomic
def deliberations_adopt(*, case: Case, actor: Any = None) -> list[DeliberationDraft]:
    """Record the deliberations' adoption (the « Délibérations adoptées » transition): each is drafted again
    with its session and vote at its foot, and the history gets « Délibération adoptée » for each."""
    drafts = deliberations_draft(case=case, actor=actor)
    for draft in drafts:
        adoption = deliberation_adoption(case, draft.kind)
        if adoption is None:
            continue
        _audit(case, actor=actor, what="deliberation_adopted",
               detail={"title": draft.title, "session_on": adoption["session_on"], "pour": adoption["pour"],
                       "contre": adoption["contre"], "abstentions": adoption["abstentions"]})  # fmt: skip
    return drafts


def deadline_reminders_send(*, today: dt.date | None = None) -> int:
    """E-mail each partner whose section falls due within the pole setting `reminder_days_before` days (or is
    late), at most once a day; and the case's assignees when the response's own deadline comes. Returns the
    number of e-mails sent."""
    today = today or timezone.localdate()
    days = pole_settings("developpement")["reminder_days_before"]
    horizon = today + dt.timedelta(days=days)
    sent = 0
    sections = (
        DraftSection.objects.filter(delivered_at__isnull=True, due_date__lte=horizon, case__closed_at__isnull=True)
        .filter(Q(reminded_on__isnull=True) | Q(reminded_on__lt=today))
        .select_related("case")
    )
    for section in sections:
        late = section.due_date < today
        send_mail(
            subject=f"[{section.case.reference}] {'En retard' if late else 'Échéance proche'} : {section.title}",
            message=(
                f"Bonjour {section.partner},\n\nLa section « {section.title} » de la réponse commune "
                f"« {section.case.data.get('titre', section.case.reference)} » "
                f"{'était attendue le' if late else 'est attendue le'} {section.due_date:%d/%m/%Y}.\n\n"
                "L'équipe de la plateforme"
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[section.email],
        )
        DraftSection.objects.filter(pk=section.pk).update(reminded_on=today)
        sent += 1
    open_responses = Case.objects.filter(workflow__code="dev-reponse-commune", closed_at__isnull=True).exclude(
        state__in=["deposee", "attribuee", "non_retenue"]
    )
    for case in open_responses.prefetch_related("assignees"):
        try:
            deadline = dt.date.fromisoformat(str(case.data.get("date_limite")))
        except ValueError:
            continue
        if deadline - today not in (dt.timedelta(days=days), dt.timedelta(days=1)):
            continue
        recipients = [user.email for user in case.assignees.all() if user.email]
        if recipients:
            send_mail(
                subject=f"[{case.reference}] Dépôt le {deadline:%d/%m/%Y} : {case.data.get('titre', '')}",
                message=f"La réponse commune doit être déposée le {deadline:%d/%m/%Y}.",
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=recipients,
            )
            sent += 1
    return sent


# --- SIEG: candidates scored per weighted criterion, their ranking and the analysis report --------------------


def sieg_criteria(case: Case) -> list[tuple[str, int]]:
    """The case's evaluation criteria and their weights (%), as the « Arrêter les critères » form set them."""
    return [
        (str(item.get("critere") or "").strip(), int(item.get("ponderation") or 0))
        for item in (case.data or {}).get("criteres_evaluation") or []
        if str(item.get("critere") or "").strip()
    ]


@transaction.atomic
def candidate_score(*, case: Case, name: str, scores: dict[str, Any], remarks: str = "", actor: Any) -> Candidate:
    """Record a candidate of the SIEG's call for projects (or score it again) with a mark out of 20 on every
    criterion of the case. French errors by field: the name, or the criterion's title."""
    if case.closed_at is not None:
        raise ValidationError("Le dossier est clôturé.")
    criteria = sieg_criteria(case)
    if not criteria:
        raise ValidationError("Les critères d'évaluation ne sont pas encore arrêtés : rien à noter.")
    name = " ".join(str(name or "").split())
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["Le nom du candidat est obligatoire."]
    marks: dict[str, float] = {}
    for criterion, _weight in criteria:
        raw = scores.get(criterion)
        try:
            mark = float(str(raw).replace(",", "."))
        except (TypeError, ValueError):
            errors[criterion] = [f"« {criterion} » : une note sur 20 est attendue."]
            continue
        if not 0 <= mark <= 20:
            errors[criterion] = [f"« {criterion} » : la note doit être comprise entre 0 et 20."]
            continue
        marks[criterion] = round(mark, 2)
    if errors:
        raise ValidationError(errors)
    candidate, _created = Candidate.objects.update_or_create(
        case=case, name=name, defaults={"scores": marks, "remarks": (remarks or "").strip()}
    )
    _audit(
        case, actor=actor, what="candidate_scored", detail={"name": name, "total": candidate_total(candidate, criteria)}
    )
    return candidate


def candidate_total(candidate: Candidate, criteria: list[tuple[str, int]]) -> float:
    """The weighted score out of 100: each criterion's mark /20 times its weight (%)."""
    return round(sum(float(candidate.scores.get(c, 0)) / 20 * weight for c, weight in criteria), 1)


def sieg_ranking(case: Case) -> list[dict[str, Any]]:
    """The candidates ranked by weighted score (best first), each with its mark per criterion."""
    criteria = sieg_criteria(case)
    rows = [
        {"candidate": c, "name": c.name, "total": candidate_total(c, criteria),
         "marks": [(criterion, weight, c.scores.get(criterion)) for criterion, weight in criteria]}
        for c in case.developpement_candidates.all()
    ]  # fmt: skip
    rows.sort(key=lambda row: (-row["total"], row["name"].casefold()))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return rows


def sieg_report_pdf(*, case: Case) -> bytes:
    """The analysis report of the call for projects: criteria and weights, then the candidates ranked."""
    criteria = sieg_criteria(case)
    data = case.data or {}
    html = [f"<p>{escape(data.get('collectivite') or '')} — dossier {escape(case.reference)}.</p>", "<h2>Critères</h2>"]
    html += [f"<li>{escape(c)} : {w} %</li>" for c, w in criteria]
    html.append("<h2>Classement des candidatures</h2>")
    for row in sieg_ranking(case):
        marks = ", ".join(f"{escape(c)} {m if m is not None else '—'}/20" for c, _w, m in row["marks"])
        html.append(
            f"<li>{row['rank']}. {escape(row['name'])} — {str(row['total']).replace('.', ',')} sur 100 ({marks})</li>"
        )
    if data.get("laureat"):
        html.append(f"<p>Projet retenu : {escape(data['laureat'])}.</p>")
    from django.db import connection

    territory = getattr(connection, "tenant", None)
    today = date_format(timezone.localdate(), "j F Y")
    author = f"Établi par {getattr(territory, 'name', 'la plateforme')}"
    return document_pdf(title="Rapport d'analyse des candidatures", html="".join(html),
                        signatories=[(author, "", today)])  # fmt: skip
