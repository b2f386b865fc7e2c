"""Personal data (RGPD): retention by case type, anonymisation of expired cases, a person's data exported
(right of access) and erased (right to erasure), each journaled as a `PersonalDataAction`.

The case history (`CaseEvent`) is append-only in the database (migration 0003). Rewriting its personal values
goes through the one door its trigger opens (migration 0015): `_history_rewrite_allow(action)` names the
anonymisation or erasure row in the transaction (`set_config('ppe.personal_data_action', id, true)`, gone at
commit), and the trigger then accepts an UPDATE that changes only `data_diff`, `comment` and `detail`, and
records it (`CaseEventRedaction`). Nothing else may update, and nothing may delete.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from core.models import AuditEvent, Case, CaseAttachment, CaseEvent, Comment, PersonalDataAction
from core.services.audit import actor_label, audit_record
from workflows.models import WorkflowDefinition

logger = logging.getLogger("ppe.personal_data")

# The retention of the shipped case types, in years after closure, when the territory's admin set none:
# an application to the substitute pool that led nowhere is kept two years (CNIL, recruitment), the support
# and remplacement files five years (limitation period of civil actions), the développement files ten years
# (public contracts and their accounting records).
SHIPPED_RETENTION_YEARS = {
    "support-accompagnement": 5,
    "remplacement-candidature": 2,
    "remplacement-demande": 5,
    "dev-reponse-commune": 10,
    "dev-sieg": 10,
}
MAX_RETENTION_YEARS = 50


def marker(on: dt.date | None = None) -> str:
    """What an anonymised value reads in the case's data and history."""
    return f"donnée anonymisée le {(on or timezone.localdate()):%d/%m/%Y}"


def comment_marker(on: dt.date | None = None) -> str:
    return f"Commentaire anonymisé le {(on or timezone.localdate()):%d/%m/%Y}"


# --- retention ------------------------------------------------------------------------------------------------


def retention_default_years(definition: WorkflowDefinition) -> int:
    return SHIPPED_RETENTION_YEARS.get(definition.code, settings.PPE_RETENTION_YEARS_DEFAULT)


def retention_years(definition: WorkflowDefinition) -> int:
    """How many years after closure a case of this type keeps its personal data."""
    if definition.retention_years is not None:
        return definition.retention_years
    return retention_default_years(definition)


def _years_before(moment: dt.datetime, years: int) -> dt.datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - years, day=28)


def _years_after(moment: dt.datetime, years: int) -> dt.datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def case_retention_end(case: Case) -> dt.datetime | None:
    """When a closed case's personal data are to be anonymised (None while it is open)."""
    if case.closed_at is None:
        return None
    return _years_after(case.closed_at, retention_years(case.workflow))


@transaction.atomic
def retention_set(*, definition: WorkflowDefinition, years: int | None, actor) -> WorkflowDefinition:
    """Set (or, with None, give back to its default) the retention of a case type; journaled."""
    if years is not None and not (0 <= years <= MAX_RETENTION_YEARS):
        raise ValidationError({"years": f"Indiquez une durée entre 0 et {MAX_RETENTION_YEARS} ans."})
    definition = WorkflowDefinition.objects.select_for_update().get(pk=definition.pk)
    before = definition.retention_years
    if before == years:
        return definition
    definition.retention_years = years
    definition.save(update_fields=["retention_years", "updated_at"])
    audit_record(
        kind=AuditEvent.Kind.UPDATED,
        target=definition,
        actor=actor,
        changes={"durée de conservation (années)": [_years_text(before, definition), _years_text(years, definition)]},
    )
    return definition


def _years_text(years: int | None, definition: WorkflowDefinition) -> str:
    if years is None:
        return f"par défaut ({retention_default_years(definition)} ans)"
    return f"{years} an{'s' if years > 1 else ''}"


def cases_expired(*, now: dt.datetime | None = None) -> QuerySet[Case]:
    """The closed cases past their retention period whose personal data are still there."""
    now = now or timezone.now()
    candidates = Case.objects.none()
    for definition in WorkflowDefinition.objects.all():
        limit = _years_before(now, retention_years(definition))
        candidates |= Case.objects.filter(workflow=definition, closed_at__lte=limit)
    return candidates.filter(closed_at__isnull=False, anonymised_at__isnull=True).order_by("closed_at", "pk")


def retention_sweep(*, now: dt.datetime | None = None) -> int:
    """Record one anonymisation effect per expired case of the current territory (the outbox runs each once a
    day at most: the key names the day; the anonymisation itself skips a case already done). Returns how many."""
    from core.tasks import case_anonymise_task

    today = timezone.localdate()
    count = 0
    with transaction.atomic():
        for case_id in cases_expired(now=now).values_list("pk", flat=True):
            case_anonymise_task.effect(args=(case_id,), key=f"rgpd:anonymise:{case_id}:{today:%Y-%m-%d}")
            count += 1
    return count


# --- the history's one door -----------------------------------------------------------------------------------


def _history_rewrite_allow(action: PersonalDataAction) -> None:
    """Name `action` to the history's trigger for the rest of this transaction (must be inside one)."""
    if not connection.in_atomic_block:
        raise RuntimeError("The history is rewritten inside the transaction of its PersonalDataAction only.")
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('ppe.personal_data_action', %s, true)", [str(action.pk)])


def _history_rewrite_close() -> None:
    """Close the door before the service's block ends: the rest of an enclosing transaction (an outbox effect,
    a request) must not rewrite the history under this action's name. (A rollback closes it too.)"""
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('ppe.personal_data_action', '', true)")


def _event_rewrite(event: CaseEvent, *, data_diff: dict, comment: str, detail: dict) -> bool:
    if data_diff == (event.data_diff or {}) and comment == event.comment and detail == (event.detail or {}):
        return False
    CaseEvent.objects.filter(pk=event.pk).update(data_diff=data_diff, comment=comment, detail=detail)
    return True


# --- values ---------------------------------------------------------------------------------------------------


def _specs(case: Case) -> dict:
    from core.selectors.case_work import field_specs
    from workflows.engine import compiled_version

    return field_specs(compiled_version(case.workflow_version_id))


def _strings_replace(value: Any, needles: Iterable[str], replacement: str) -> Any:
    """`value` (JSON) with each string holding one of `needles` (case-insensitive) rewritten."""
    needles = [n for n in needles if n and len(n) >= 3]
    if not needles:
        return value
    if isinstance(value, str):
        lowered = value.lower()
        if any(n.lower() in lowered for n in needles):
            import re

            pattern = re.compile("|".join(re.escape(n) for n in sorted(needles, key=len, reverse=True)), re.I)
            return pattern.sub(replacement, value)
        return value
    if isinstance(value, list):
        return [_strings_replace(item, needles, replacement) for item in value]
    if isinstance(value, dict):
        return {key: _strings_replace(item, needles, replacement) for key, item in value.items()}
    return value


def _string_values(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return set().union(*(_string_values(v) for v in value)) if value else set()
    if isinstance(value, dict) and not value.get("path"):
        return set().union(*(_string_values(v) for v in value.values())) if value else set()
    return set()


def _files_delete(files: Iterable[dict[str, Any]]) -> int:
    from django.core.files.storage import default_storage

    from tenants.storage import private_storage

    deleted = 0
    storage = private_storage()
    for value in files:
        path = value.get("path")
        if not path:
            continue
        for candidate in (storage, default_storage):
            if candidate.exists(path):
                candidate.delete(path)
                deleted += 1
                break
    return deleted


def _attachments_delete(attachments: Iterable[CaseAttachment]) -> int:
    count = 0
    for attachment in attachments:
        if attachment.file:
            attachment.file.storage.delete(attachment.file.name)
        attachment.delete()
        count += 1
    return count


# --- anonymisation of an expired case -------------------------------------------------------------------------


def case_anonymise(*, case_id: int, actor=None, now: dt.datetime | None = None) -> PersonalDataAction | None:
    """Anonymise a closed case: its personal values (fields marked personal, by default by type) replaced by
    « donnée anonymisée le … » in its data and in its history, its files and attachments deleted from storage,
    its comments' text replaced; the history keeps every event, state and date. Idempotent: a case already
    anonymised, or reopened, is left as it is (None)."""
    from workflows.personal import personal_files, personal_values_redact

    now = now or timezone.now()
    on = timezone.localdate(now)
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("workflow").filter(pk=case_id).first()
        if case is None or case.anonymised_at is not None or case.closed_at is None:
            return None
        action = PersonalDataAction.objects.create(
            kind=PersonalDataAction.Kind.ANONYMISED,
            actor=actor if getattr(actor, "pk", None) else None,
            actor_label=actor_label(actor) if actor else "la plateforme (fin de la durée de conservation)",
            subject_label=case.reference,
            case=case,
            created_at=now,
        )
        _history_rewrite_allow(action)
        specs = _specs(case)
        text = marker(on)
        data = dict(case.data or {})
        redacted = personal_values_redact(data, specs, text)
        personal = {code for code in data if redacted.get(code) != data.get(code)}
        needles = set().union(*(_string_values(data[code]) for code in personal)) if personal else set()
        files = personal_files(data, specs)
        events = rewritten = 0
        for event in case.events.order_by("pk"):
            events += 1
            diff = {}
            for code, pair in (event.data_diff or {}).items():
                if code in specs and isinstance(pair, list) and len(pair) == 2:
                    before, after = (personal_values_redact({code: v}, specs, text)[code] for v in pair)
                    needles |= _string_values(pair[0]) | _string_values(pair[1]) if [before, after] != pair else set()
                    files += personal_files({code: pair[0]}, specs) + personal_files({code: pair[1]}, specs)
                    diff[code] = [before, after]
                else:
                    diff[code] = pair
            comment = comment_marker(on) if event.comment else ""
            detail = _strings_replace(event.detail or {}, needles, text)
            rewritten += _event_rewrite(event, data_diff=diff, comment=comment, detail=detail)
        comments = Comment.objects.filter(case=case).exclude(body=comment_marker(on)).update(body=comment_marker(on))
        attachments = _attachments_delete(case.attachments.all())
        unique_files = {f["path"]: f for f in files if f.get("path")}
        deleted_files = _files_delete(unique_files.values())
        Case.objects.filter(pk=case.pk).update(data=redacted, anonymised_at=now, revision=case.revision + 1)
        _history_rewrite_close()
        action.summary = {
            "valeurs": len(personal),
            "fichiers": deleted_files,
            "pièces jointes": attachments,
            "commentaires": comments,
            "événements": events,
            "événements réécrits": rewritten,
        }
        action.save(update_fields=["summary"])
    logger.info("case %s anonymised (%s)", case.reference, action.summary)
    return action


# --- a person: what the territory holds on them ---------------------------------------------------------------


@dataclass
class CaseFinding:
    """A case that holds something of the person, and why."""

    case: Case
    reasons: list[str] = field(default_factory=list)
    contact_codes: set[str] = field(default_factory=set)  # top-level fields of their own block (a request's contact)
    group_items: dict[str, list[int]] = field(default_factory=dict)  # group code → indexes of their items


@dataclass
class PersonData:
    email: str
    user: Any | None
    cases: list[CaseFinding]
    comments: list[Comment]
    events: list[CaseEvent]
    audit: list[AuditEvent]
    invitations: list[Any]
    parts: list[Any]

    @property
    def found(self) -> bool:
        return bool(self.user or self.cases or self.invitations or self.parts or self.audit)

    @property
    def kept(self) -> list[str]:
        sentences = [KEPT_HISTORY if self.user is not None else KEPT_HISTORY_NO_ACCOUNT]
        for part in self.parts:
            sentences += list(part.kept)
        return sentences


KEPT_HISTORY = (
    "L'historique des dossiers et le journal des comptes gardent chaque événement, sa date et son auteur : le "
    "nom de la personne y est remplacé par un pseudonyme, le compte désactivé reste pour que l'historique reste "
    "lisible (obligation de traçabilité)."
)


KEPT_HISTORY_NO_ACCOUNT = (
    "L'historique des dossiers garde chaque événement, sa date et son auteur (obligation de traçabilité) : les "
    "valeurs de la personne y sont remplacées par « donnée anonymisée le … », son nom et son adresse par un "
    "pseudonyme."
)


def _email_of(value: Any) -> str:
    return value.strip().lower() if isinstance(value, str) else ""


def _block_of(data: dict[str, Any], specs: dict, email: str) -> tuple[set[str], dict[str, list[int]]]:
    """The person's own values in a case's data: the top-level fields when a top-level e-mail field is theirs (a
    request's contact), and, in repeatable groups, the items whose e-mail is theirs."""
    from workflows.personal import field_is_personal

    codes: set[str] = set()
    items: dict[str, list[int]] = {}
    top = {code for code, spec in specs.items() if spec.type == "email"}
    if any(_email_of(data.get(code)) == email for code in top):
        codes = {code for code, spec in specs.items() if code in data and field_is_personal(spec)}
    for code, spec in specs.items():
        if spec.type != "group" or not isinstance(data.get(code), list):
            continue
        subs = [sub.code for sub in spec.fields if sub.type == "email"]
        found = [
            index
            for index, item in enumerate(data[code])
            if isinstance(item, dict) and any(_email_of(item.get(sub)) == email for sub in subs)
        ]
        if found:
            items[code] = found
    return codes, items


def _person_needles(email: str, user) -> set[str]:
    needles = {email}
    if user is not None:
        full = f"{user.first_name} {user.last_name}".strip()
        if " " in full:
            needles |= {full, f"{user.last_name} {user.first_name}".strip()}
        needles.add(user.email)
    return {n for n in needles if n}


def person_data_get(*, email: str) -> PersonData:
    """Everything the current territory holds on the person of this address: their account (roles,
    memberships, invitations, journal), the cases that name them (opened, assigned, their address in the data),
    their comments and history entries, and what each pole holds (hook `person_personal_data`)."""
    from django.contrib.auth import get_user_model
    from django.db.models import TextField
    from django.db.models.functions import Cast

    from core.models import Invitation
    from core.plugins import plugin_manager

    email = (email or "").strip().lower()
    user = get_user_model().objects.filter(email__iexact=email).order_by("pk").first() if email else None
    findings: dict[int, CaseFinding] = {}

    def finding(case: Case) -> CaseFinding:
        return findings.setdefault(case.pk, CaseFinding(case=case))

    if email:
        texts = Case.objects.annotate(text=Cast("data", TextField())).filter(text__icontains=email)
        for case in texts.select_related("workflow"):
            codes, items = _block_of(case.data or {}, _specs(case), email)
            if codes or items:
                entry = finding(case)
                entry.contact_codes, entry.group_items = codes, items
                entry.reasons.append("son adresse figure dans les données du dossier")
    comments: list[Comment] = []
    events: list[CaseEvent] = []
    audit: list[AuditEvent] = []
    if user is not None:
        for case in Case.objects.filter(opened_by=user).select_related("workflow"):
            finding(case).reasons.append("dossier ouvert par la personne")
        for case in Case.objects.filter(assignees=user).select_related("workflow"):
            finding(case).reasons.append("la personne en est chargée")
        comments = list(Comment.objects.filter(author=user).select_related("case").order_by("created_at", "pk"))
        events = list(CaseEvent.objects.filter(actor=user).select_related("case").order_by("created_at", "pk"))
        audit = list(AuditEvent.objects.filter(models_q_person(user)).order_by("created_at", "pk"))
    invitations = list(Invitation.objects.filter(email__iexact=email)) if email else []
    parts = []
    for answer in plugin_manager().hook.person_personal_data(user=user, email=email):
        parts += list(answer or [])
    return PersonData(
        email=email,
        user=user,
        cases=sorted(findings.values(), key=lambda f: (f.case.created_at, f.case.pk)),
        comments=comments,
        events=events,
        audit=audit,
        invitations=invitations,
        parts=parts,
    )


def models_q_person(user) -> Q:
    return Q(target_type="user", target_id=str(user.pk)) | Q(actor=user)


# --- right of access: the archive -----------------------------------------------------------------------------


def _when(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")
    return value.strftime("%d/%m/%Y")


def _case_values(case: Case, codes: Iterable[str] | None = None) -> dict[str, str]:
    from core.selectors.case_work import value_display

    specs = _specs(case)
    data = case.data or {}
    wanted = set(codes) if codes is not None else set(data)
    return {
        (specs[code].label if code in specs else code): value_display(specs.get(code), data[code])
        for code in data
        if code in wanted
    }


def _group_values(case: Case, finding: CaseFinding) -> dict[str, list[dict[str, str]]]:
    from core.selectors.case_work import value_display

    specs = _specs(case)
    out: dict[str, list[dict[str, str]]] = {}
    for code, indexes in finding.group_items.items():
        subs = {sub.code: sub for sub in specs[code].fields}
        out[specs[code].label] = [
            {(subs[k].label if k in subs else k): value_display(subs.get(k), v) for k, v in case.data[code][i].items()}
            for i in indexes
        ]
    return out


def person_export_content(data: PersonData) -> tuple[dict[str, Any], list[tuple[str, Any, str]]]:
    """The archive's `donnees.json` (French keys, values as people read them) and its files."""
    from core.roles import role_label
    from core.selectors.case_work import case_timeline
    from core.services.audit import audit_describe
    from tenants.storage import private_storage
    from workflows.personal import personal_files

    user = data.user
    content: dict[str, Any] = {
        "personne": data.email,
        "territoire": getattr(connection.tenant, "name", ""),
        "exporté le": _when(timezone.now()),
    }
    files: list[tuple[str, Any, str]] = []
    if user is not None:
        content["compte"] = {
            "identifiant": user.get_username(),
            "prénom": user.first_name,
            "nom": user.last_name,
            "courriel": user.email,
            "actif": "oui" if user.is_active else "non",
            "créé le": _when(user.date_joined),
            "dernière connexion": _when(user.last_login) or "jamais",
            "rôles": [str(role_label(name)) for name in user.groups.values_list("name", flat=True)],
        }
        content["rattachements"] = [f"Structure : {m.structure}" for m in user.structure_memberships.all()] + [
            f"Opérateur : {m.operator}" for m in user.operator_memberships.all()
        ]
    content["invitations"] = [
        {
            "courriel": i.email,
            "prénom": i.first_name,
            "nom": i.last_name,
            "rôles": [str(role_label(code)) for code in i.roles],
            "créée le": _when(i.created_at),
            "état": str(i.status_label),
        }
        for i in data.invitations
    ]
    cases = []
    for finding in data.cases:
        case = finding.case
        item: dict[str, Any] = {
            "référence": case.reference,
            "type de dossier": case.workflow.name,
            "ouvert le": _when(case.created_at),
            "clôturé le": _when(case.closed_at),
            "pourquoi": finding.reasons,
        }
        if finding.contact_codes or (user is not None and case.opened_by_id == user.pk):
            item["données"] = _case_values(case)
            files.extend(
                (f"dossiers/{case.reference}/{value.get('name') or 'fichier'}", private_storage(), value["path"])
                for value in personal_files(case.data or {}, _specs(case))
            )
        elif finding.group_items:
            item["données"] = _group_values(case, finding)
        if user is not None:
            item["historique"] = [
                {"date": _when(e.created_at), "événement": e.kind_label, "détail": e.title}
                for e in case_timeline(case=case, user=user)
                if e.actor and e.actor == _actor_name(user)
            ]
        cases.append(item)
    content["dossiers"] = cases
    content["commentaires"] = [
        {
            "dossier": c.case.reference,
            "date": _when(c.created_at),
            "visibilité": c.get_visibility_display(),
            "texte": c.body,
        }
        for c in data.comments
    ]
    if user is not None:
        attachments = CaseAttachment.objects.filter(uploaded_by=user).select_related("case")
        content["pièces jointes déposées"] = [
            {"dossier": a.case.reference, "nom": a.name, "déposée le": _when(a.created_at)} for a in attachments
        ]
        files += [(f"pieces-jointes/{a.case.reference}/{a.name}", a.file.storage, a.file.name) for a in attachments]
    content["journal"] = [
        {
            "date": _when(e.created_at),
            "événement": e.get_kind_display(),
            "par": e.actor_label or "la plateforme",
            "objet": e.target_label,
            "détail": audit_describe(e),
        }
        for e in data.audit
    ]
    content["pôles"] = [{"titre": part.title, "éléments": part.records} for part in data.parts]
    for part in data.parts:
        files += list(part.files)
    content["fichiers"] = [name for name, _storage, _path in files]
    return content, files


def _actor_name(user) -> str:
    from core.selectors.case_work import _actor_name as name

    return name(user)


README = """Données personnelles détenues par la plateforme petite enfance — {territory}

Personne : {email}
Exporté le {when} par {actor} (droit d'accès, article 15 du RGPD).

- donnees.json : le compte, ses rôles et rattachements, les invitations, les dossiers qui la nomment (avec
  leurs données), ses commentaires, ses pièces jointes, le journal de son compte, ce que chaque pôle détient.
- fichiers/ : les fichiers de la personne (pièces des dossiers, documents du vivier…).
"""


@transaction.atomic
def person_export_journal(*, data: PersonData, actor, files: int, missing: list[str] | None = None, request=None):
    """Journal an export of a person's data (the archive, or the API's JSON)."""
    PersonalDataAction.objects.create(
        kind=PersonalDataAction.Kind.EXPORTED,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=actor_label(actor),
        subject_label=data.email,
        summary={"dossiers": len(data.cases), "fichiers": files, "fichiers introuvables": missing or []},
    )
    if data.user is not None:
        audit_record(
            kind=AuditEvent.Kind.UPDATED,
            target=data.user,
            target_type="user",
            target_label=data.user.get_full_name() or data.user.email,
            actor=actor,
            request=request,
            changes={"motif": "données personnelles exportées (droit d'accès)"},
        )


def person_export(*, email: str, actor, request=None) -> tuple[str, bytes]:
    """The right of access: a ZIP archive (`donnees.json`, `LISEZMOI.txt`, `fichiers/…`) of everything held on
    the person, journaled. Returns (file name, bytes). ValidationError when nothing is held."""
    import io
    import json
    import zipfile

    from django.core.serializers.json import DjangoJSONEncoder
    from django.utils.text import slugify

    data = person_data_get(email=email)
    if not data.found:
        raise ValidationError("Aucune donnée n'est détenue sur cette adresse dans ce territoire.")
    content, files = person_export_content(data)
    buffer = io.BytesIO()
    missing = []
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("donnees.json", json.dumps(content, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2))
        archive.writestr(
            "LISEZMOI.txt",
            README.format(
                territory=content["territoire"], email=data.email, when=content["exporté le"], actor=actor_label(actor)
            ),
        )
        seen: set[str] = set()
        for name, storage, path in files:
            target = f"fichiers/{name}"
            while target in seen:
                target = target.replace("fichiers/", "fichiers/autre-", 1)
            seen.add(target)
            try:
                with storage.open(path, "rb") as handle:
                    archive.writestr(target, handle.read())
            except (FileNotFoundError, OSError):
                missing.append(name)
    person_export_journal(data=data, actor=actor, files=len(files) - len(missing), missing=missing, request=request)
    return f"donnees-personnelles-{slugify(data.email)}.zip", buffer.getvalue()


# --- right to erasure -----------------------------------------------------------------------------------------


def _block_redact(data: dict[str, Any], finding: CaseFinding, specs: dict, text: str) -> dict[str, Any]:
    from workflows.personal import field_is_personal, personal_values_redact

    out = dict(data)
    for code in finding.contact_codes:
        if code in out and code in specs:
            out[code] = personal_values_redact({code: out[code]}, specs, text)[code]
    for code, indexes in finding.group_items.items():
        items = list(out.get(code) or [])
        subs = {sub.code: sub for sub in specs[code].fields}
        for index in indexes:
            if index < len(items) and isinstance(items[index], dict):
                items[index] = {
                    k: (text if k in subs and field_is_personal(subs[k]) and v not in (None, "", []) else v)
                    for k, v in items[index].items()
                }
        out[code] = items
    return out


def _block_files(data: dict[str, Any], finding: CaseFinding, specs: dict) -> list[dict[str, Any]]:
    from workflows.personal import personal_files

    mine = {code: data[code] for code in finding.contact_codes if code in data}
    files = personal_files(mine, specs)
    for code, indexes in finding.group_items.items():
        items = data.get(code) or []
        chosen = [items[i] for i in indexes if i < len(items)]
        files += personal_files({code: chosen}, specs)
    return files


def _erase_case(finding: CaseFinding, needles: set[str], pseudonym: str, text: str, counts: dict) -> None:
    case = Case.objects.select_for_update().get(pk=finding.case.pk)
    specs = _specs(case)
    before = case.data or {}
    for code in finding.contact_codes:
        needles |= _string_values(before.get(code))
    counts["fichiers"] += _files_delete(_block_files(before, finding, specs))
    after = _strings_replace(_block_redact(before, finding, specs, text), needles, pseudonym)
    if after != before:
        Case.objects.filter(pk=case.pk).update(data=after, revision=case.revision + 1)
    counts["dossiers"] += 1
    for event in case.events.order_by("pk"):
        diff = {}
        for code, pair in (event.data_diff or {}).items():
            redacted = pair
            if isinstance(pair, list) and len(pair) == 2 and code in specs:
                redacted = [
                    _block_redact({code: v}, finding, specs, text)[code]
                    if isinstance(v, list) or code in finding.contact_codes
                    else v
                    for v in pair
                ]
            diff[code] = _strings_replace(redacted, needles, pseudonym)
        counts["événements réécrits"] += _event_rewrite(
            event,
            data_diff=diff,
            comment=_strings_replace(event.comment or "", needles, pseudonym),
            detail=_strings_replace(event.detail or {}, needles, pseudonym),
        )
    for comment in Comment.objects.filter(case=case):
        counts["commentaires"] += _comment_rewrite(comment, needles, pseudonym)


def _comment_rewrite(comment: Comment, needles: set[str], pseudonym: str) -> int:
    body = _strings_replace(comment.body, needles, pseudonym)
    if body == comment.body:
        return 0
    Comment.objects.filter(pk=comment.pk).update(body=body)
    return 1


def _erase_account(user, *, action: PersonalDataAction, pseudonym: str, actor, request) -> None:
    """Deactivate the account and replace what identifies it; the row stays (the history names it)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django_otp import devices_for_user

    from core.models import OperatorMembership, StructureMembership
    from core.services import accounts

    if user.is_active:
        accounts.person_deactivate(user=user, actor=actor, request=request)
    for device in list(devices_for_user(user, confirmed=None)):
        device.delete()
    user.groups.clear()
    StructureMembership.objects.filter(user=user).delete()
    OperatorMembership.objects.filter(user=user).delete()
    get_user_model().objects.filter(pk=user.pk).update(
        first_name="",
        last_name=pseudonym,
        email=f"efface-{action.pk}@efface.invalid",
        username=f"efface-{action.pk}",
        password=make_password(None),  # an unusable password
    )
    audit_record(
        kind=AuditEvent.Kind.UPDATED,
        target_type="user",
        target_id=user.pk,
        target_label=pseudonym,
        actor=actor,
        request=request,
        changes={"motif": "données personnelles effacées (droit à l'effacement)"},
    )


def _journal_pseudonymise(user, needles: set[str], pseudonym: str) -> None:
    """The accounts' journal: the rows of and by the account, and those that name the person (an invitation)."""
    named = Q(pk__in=[])
    for needle in needles:
        named |= Q(target_label__icontains=needle) | Q(actor_label__icontains=needle)
    rows = AuditEvent.objects.filter(named | (models_q_person(user) if user is not None else Q(pk__in=[])))
    for entry in rows:
        AuditEvent.objects.filter(pk=entry.pk).update(
            target_label=_strings_replace(entry.target_label, needles, pseudonym),
            actor_label=_strings_replace(entry.actor_label, needles, pseudonym),
            changes=_strings_replace(entry.changes or {}, needles, pseudonym),
        )


def person_erase(*, email: str, actor, request=None) -> PersonalDataAction:
    """The right to erasure: the person's values in the cases that name them replaced (their own block of a
    request by « donnée anonymisée le … », their name and address elsewhere by a pseudonym), their files in
    those blocks deleted from storage, their account deactivated with its identifying fields replaced, roles and
    memberships removed, the journal and the history pseudonymised through the trigger's door; each pole erases
    its own part. What the law requires to keep (signed conventions, validated timesheets) is kept, named in
    the screen and in the journal. Journaled under the pseudonym only."""
    from core.models import Invitation

    email = (email or "").strip().lower()
    data = person_data_get(email=email)
    if not data.found:
        raise ValidationError("Aucune donnée n'est détenue sur cette adresse dans ce territoire.")
    user = data.user
    if user is not None and getattr(actor, "pk", None) == user.pk:
        raise ValidationError("Vous ne pouvez pas effacer vos propres données depuis votre compte.")
    text = marker(timezone.localdate())
    with transaction.atomic():
        action = PersonalDataAction.objects.create(
            kind=PersonalDataAction.Kind.ERASED,
            actor=actor if getattr(actor, "pk", None) else None,
            actor_label=actor_label(actor),
        )
        pseudonym = f"Personne effacée n° {action.pk}"
        _history_rewrite_allow(action)
        needles = _person_needles(email, user)
        counts = {"dossiers": 0, "fichiers": 0, "événements réécrits": 0, "commentaires": 0}
        for finding in data.cases:
            _erase_case(finding, needles, pseudonym, text, counts)
        named = {f.case.pk for f in data.cases}
        for event in data.events:  # their history entries in cases that do not name them otherwise
            if event.case_id not in named:
                counts["événements réécrits"] += _event_rewrite(
                    event,
                    data_diff=_strings_replace(event.data_diff or {}, needles, pseudonym),
                    comment=_strings_replace(event.comment or "", needles, pseudonym),
                    detail=_strings_replace(event.detail or {}, needles, pseudonym),
                )
        for comment in data.comments:
            if comment.case_id not in named:
                counts["commentaires"] += _comment_rewrite(comment, needles, pseudonym)
        for part in data.parts:
            if part.erase is not None:
                for label, number in (part.erase(pseudonym) or {}).items():
                    counts[label] = counts.get(label, 0) + number
        Invitation.objects.filter(email__iexact=email).update(
            email=f"efface-{action.pk}@efface.invalid", first_name="", last_name=pseudonym
        )
        if user is not None:
            _erase_account(user, action=action, pseudonym=pseudonym, actor=actor, request=request)
            counts["compte"] = 1
        _journal_pseudonymise(user, needles, pseudonym)
        PersonalDataAction.objects.exclude(pk=action.pk).filter(subject_label__iexact=email).update(
            subject_label=pseudonym
        )
        _history_rewrite_close()
        action.subject_label = pseudonym
        action.summary = {**{k: v for k, v in counts.items() if v}, "gardé": data.kept}
        action.save(update_fields=["subject_label", "summary"])
    logger.info("personal data erased as %s (%s)", pseudonym, counts)
    return action
