"""The work on a case beside its transitions: comments, attachments, assignment, data edits, bulk transitions.

Each service checks that the actor may do it, runs in one transaction and writes its `CaseEvent`.
Errors: `PermissionDenied` (French message) when the actor may not, `ValidationError` (French) for bad input,
`FormInvalid` (`.errors` per field) for data that the workflow's forms refuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename

from core.models import Attachment, Case, CaseEvent, Comment
from core.roles import user_roles
from core.selectors.cases import STAFF_ROLES, case_list
from core.services.cases import _diff, transition_apply
from workflows.engine import compiled_version
from workflows.exceptions import FormInvalid, WorkflowError
from workflows.forms import FormSpec, form_validate

# Attachments: what may be uploaded (declared type and the file's first bytes must agree) and how big.
ATTACHMENT_TYPES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "text/plain": (),
    "text/csv": (),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (b"PK\x03\x04",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (b"PK\x03\x04",),
    "application/vnd.oasis.opendocument.text": (b"PK\x03\x04",),
    "application/vnd.oasis.opendocument.spreadsheet": (b"PK\x03\x04",),
}
ATTACHMENT_MAX_MB = getattr(settings, "PPE_ATTACHMENT_MAX_MB", 10)


def is_staff_actor(user) -> bool:
    return bool(user_roles(user) & STAFF_ROLES)


def _require_visible(case: Case, actor) -> None:
    if actor is None or not case_list(user=actor).filter(pk=case.pk).exists():
        raise PermissionDenied("Vous n'avez pas accès à ce dossier.")


def _require_staff(actor, what: str) -> None:
    if not is_staff_actor(actor):
        raise PermissionDenied(f"Seule l'équipe de la plateforme peut {what}.")


@transaction.atomic
def case_comment_add(*, case: Case, body: str, visibility: str, actor) -> Comment:
    """Add a comment to a case. Staff write internal comments or comments the structure sees; a structure
    member or an operator writes only comments visible to the structure."""
    _require_visible(case, actor)
    body = str(body or "").strip()
    if not body:
        raise ValidationError({"body": "Le commentaire est vide."})
    if visibility not in Comment.Visibility.values:
        raise ValidationError({"visibility": "Visibilité inconnue : « interne » ou « visible par la structure »."})
    if visibility == Comment.Visibility.INTERNAL and not is_staff_actor(actor):
        raise PermissionDenied("Seule l'équipe de la plateforme écrit des commentaires internes.")
    now = timezone.now()
    comment = Comment.objects.create(case=case, author=actor, body=body, visibility=visibility, created_at=now)
    CaseEvent.objects.create(
        case=case,
        kind=CaseEvent.Kind.COMMENT,
        actor=actor,
        comment=body,
        detail={"comment": comment.pk, "visibility": visibility},
        created_at=now,
    )
    return comment


def assignable_users():
    """The people a case can be assigned to: active holders of a staff role."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(groups__name__in=sorted(STAFF_ROLES))
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


@transaction.atomic
def case_assign(*, case: Case, users, actor) -> CaseEvent | None:
    """Set who works on a case (replaces the assignees). Returns the `assigned` event, or None when nothing
    changed."""
    _require_staff(actor, "attribuer un dossier")
    _require_visible(case, actor)
    users = list(users)
    allowed = set(assignable_users().values_list("pk", flat=True))
    refused = [_name(u) for u in users if u.pk not in allowed]
    if refused:
        raise ValidationError({"users": f"Ces personnes n'ont pas de rôle de l'équipe : {', '.join(refused)}."})
    case = Case.objects.select_for_update().get(pk=case.pk)
    before = {u.pk: u for u in case.assignees.all()}
    after = {u.pk: u for u in users}
    added = [after[pk] for pk in after if pk not in before]
    removed = [before[pk] for pk in before if pk not in after]
    if not added and not removed:
        return None
    case.assignees.set(users)
    return CaseEvent.objects.create(
        case=case,
        kind=CaseEvent.Kind.ASSIGNED,
        actor=actor,
        detail={
            "added": [{"id": u.pk, "name": _name(u)} for u in added],
            "removed": [{"id": u.pk, "name": _name(u)} for u in removed],
            "assignees": [{"id": u.pk, "name": _name(u)} for u in users],
        },
    )


def case_editable_form(case: Case) -> FormSpec | None:
    """The fields of a case's data that can be edited: its opening form's, plus those of the other forms
    that already hold a value; files are replaced through a transition, not here. None when there are none."""
    compiled = compiled_version(case.workflow_version_id)
    fields, seen = [], set()
    forms = [compiled.forms[compiled.open_form]] if compiled.open_form in compiled.forms else []
    forms += [f for code, f in compiled.forms.items() if code != compiled.open_form]
    for index, form in enumerate(forms):
        opening = index == 0 and compiled.open_form in compiled.forms
        for field in form.fields:
            if field.type == "file" or field.code in seen:
                continue
            if not opening and (field.type in ("section", "help") or case.data.get(field.code) is None):
                continue
            seen.add(field.code)
            fields.append(field)
    if not any(f.type not in ("section", "help") for f in fields):
        return None
    return FormSpec(code="donnees", name="Données du dossier", fields=tuple(fields))


def case_may_edit_data(*, case: Case, user) -> bool:
    return is_staff_actor(user) and case.closed_at is None


def case_data_update(*, case: Case, data: dict[str, Any], actor) -> CaseEvent | None:
    """Change a case's data (the editable fields, see `case_editable_form`), validated by its forms, with a
    `data_updated` event holding the diff. Returns None when nothing changed. Staff only, open cases only."""
    _require_staff(actor, "modifier les données d'un dossier")
    _require_visible(case, actor)
    if case.closed_at is not None:
        raise PermissionDenied("Ce dossier est clôturé : ses données ne se modifient plus.")
    if not isinstance(data, dict):
        raise FormInvalid({"__all__": ["Les données doivent être un objet (champ: valeur)."]})
    form = case_editable_form(case)
    if form is None:
        raise FormInvalid({"__all__": ["Ce dossier n'a pas de données modifiables."]})
    compiled = compiled_version(case.workflow_version_id)
    roles = user_roles(actor)
    cleaned = form_validate(
        form,
        data=data,
        case_data={**compiled.data_defaults, **case.data},
        context={"actor": {"roles": sorted(roles), "id": actor.pk}, "today": timezone.localdate().isoformat()},
        functions=compiled.functions,
    )
    codes = {f.code for f in form.input_fields()}
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.state != case.state:
            from workflows.exceptions import ConcurrentTransition

            raise ConcurrentTransition()
        before = locked.data
        after = {k: v for k, v in before.items() if k not in codes or k in cleaned}
        after.update(cleaned)
        diff = _diff(before, after) | {k: [before[k], None] for k in before if k not in after}
        if not diff:
            return None
        locked.data = after
        locked.save(update_fields=["data", "updated_at"])
        case.data = after
        return CaseEvent.objects.create(case=locked, kind=CaseEvent.Kind.DATA_UPDATED, actor=actor, data_diff=diff)


def _content_check(upload) -> str:
    declared = (getattr(upload, "content_type", "") or "").split(";")[0].strip().lower()
    if declared not in ATTACHMENT_TYPES:
        raise ValidationError({"file": f"Type de fichier refusé ({declared or 'inconnu'}) : PDF, image, texte ou "
                                       "document bureautique attendu."})  # fmt: skip
    if upload.size > ATTACHMENT_MAX_MB * 1024 * 1024:
        raise ValidationError({"file": f"Fichier trop volumineux : {ATTACHMENT_MAX_MB} Mo au plus."})
    if upload.size == 0:
        raise ValidationError({"file": "Le fichier est vide."})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    signatures = ATTACHMENT_TYPES[declared]
    if signatures and not any(head.startswith(s) for s in signatures):
        raise ValidationError({"file": "Le contenu du fichier ne correspond pas à son type déclaré."})
    if not signatures and b"\x00" in head:
        raise ValidationError({"file": "Ce fichier n'est pas un texte."})
    return declared


@transaction.atomic
def case_attachment_add(*, case: Case, upload, visibility: str, actor) -> Attachment:
    """Attach a file to a case (types in ATTACHMENT_TYPES, ATTACHMENT_MAX_MB at most), with its event."""
    _require_visible(case, actor)
    if upload is None:
        raise ValidationError({"file": "Choisissez un fichier."})
    if visibility not in Comment.Visibility.values:
        raise ValidationError({"visibility": "Visibilité inconnue."})
    if visibility == Comment.Visibility.INTERNAL and not is_staff_actor(actor):
        raise PermissionDenied("Seule l'équipe de la plateforme dépose des pièces internes.")
    content_type = _content_check(upload)
    name = get_valid_filename(upload.name) or "fichier"
    attachment = Attachment(
        case=case, name=upload.name[:255], content_type=content_type, size=upload.size,
        visibility=visibility, uploaded_by=actor,
    )  # fmt: skip
    attachment.file.save(f"{case.reference}-{name}", upload, save=False)
    attachment.save()
    CaseEvent.objects.create(
        case=case,
        kind=CaseEvent.Kind.ATTACHED,
        actor=actor,
        detail={"attachment": attachment.pk, "name": attachment.name, "visibility": visibility},
    )
    return attachment


@dataclass(frozen=True)
class BulkResult:
    reference: str
    ok: bool
    message: str


def transition_bulk_apply(*, cases, transition: str, actor, comment: str = "") -> list[BulkResult]:
    """Apply one transition to several cases, each through `transition_apply` in its own transaction (one
    refusal does not stop the others). Transitions that need a form cannot be applied in bulk."""
    results = []
    for case in cases:
        try:
            _require_visible(case, actor)
            compiled = compiled_version(case.workflow_version_id)
            spec = compiled.transitions.get(transition)
            if spec is not None and spec.form:
                raise WorkflowError(f"« {spec.label} » demande un formulaire : appliquez-la dossier par dossier.")
            transition_apply(
                case=case,
                transition=transition,
                actor=actor,
                comment=comment if spec is None or spec.comment != "none" else "",
            )
        except WorkflowError as exc:
            results.append(BulkResult(case.reference, False, exc.message))
        except PermissionDenied as exc:
            results.append(BulkResult(case.reference, False, str(exc)))
        else:
            results.append(BulkResult(case.reference, True, f"Passé à l'état « {compiled.state_label(spec.target)} »."))
    return results
