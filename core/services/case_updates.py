"""Changes to a case other than its transitions: its data (by staff, validated by its opening form),
comments and attachments. Each writes its CaseEvent in the same transaction and emits the matching webhook event."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from core.api.events import CASE_COMMENTED, CASE_UPDATED
from core.api.webhooks import case_event_emit
from core.models import Case, CaseAttachment, CaseEvent, Comment
from core.roles import STAFF_ROLES, user_roles
from core.services.cases import case_data_changed_notify, case_refresh_from
from core.uploads import UploadValidator, upload_sniff
from workflows.engine import compiled_version
from workflows.exceptions import ConcurrentTransition, FormInvalid, TransitionNotAllowed
from workflows.forms import files_store, form_validate, stored_files_discarded_on_error

DATA_EDITORS = STAFF_ROLES
COMMENT_MAX_LENGTH = 10_000


def case_data_update(
    *, case: Case, data: dict[str, Any], actor, files: dict | None = None, expected_revision: int | None = None
) -> CaseEvent:
    """Change some of a case's data. Staff only; the merged data must pass the workflow's opening form.

    The row is locked and re-read inside the transaction: only the keys of `data` change, on top of what the
    row holds then (a transition or an edit committed meanwhile is kept), and its `revision` is bumped.
    `expected_revision` (the revision the editing page displayed) refuses the edit with ConcurrentTransition
    (409) when the case changed since. Raises TransitionNotAllowed (403) or FormInvalid (422, `.errors`).
    Nothing is written on error; on success `case` is brought up to date with the row.
    """
    roles = user_roles(actor)
    if not roles & DATA_EDITORS:
        raise TransitionNotAllowed("Votre rôle ne permet pas de modifier les données d'un dossier.")
    if case.closed_at is not None:
        raise TransitionNotAllowed("Ce dossier est clôturé : ses données ne peuvent plus être modifiées.")
    compiled = compiled_version(case.workflow_version_id)
    if not compiled.open_form:
        raise FormInvalid({"__all__": ["Ce type de dossier n'a pas de données modifiables."]})
    form = compiled.forms[compiled.open_form]
    known = {f.code for f in form.input_fields()}
    unknown = sorted(set(data) - known)
    if unknown:
        raise FormInvalid({code: ["Champ inconnu pour ce type de dossier."] for code in unknown})
    with stored_files_discarded_on_error(), transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if expected_revision is not None and locked.revision != expected_revision:
            raise ConcurrentTransition(
                "Le dossier a été modifié par quelqu'un d'autre depuis l'ouverture de la page : "
                "vérifiez ses données puis enregistrez de nouveau."
            )
        if locked.closed_at is not None:
            raise TransitionNotAllowed("Ce dossier vient d'être clôturé : ses données ne peuvent plus être modifiées.")
        if locked.workflow_version_id != case.workflow_version_id:
            raise ConcurrentTransition()
        before = dict(locked.data or {})
        merged = {**before, **data}
        cleaned = form_validate(
            form,
            data={code: value for code, value in merged.items() if code in known},
            files=files,
            context={"actor": {"roles": sorted(roles), "id": actor.pk}},
            functions=compiled.functions,
            field_types=compiled.field_types,
            existing_data=before,  # a group's rows keep their stored files by naming them
        )
        cleaned = files_store(cleaned, folder=f"cases/{locked.reference}")
        changed = set(data) | {key.split(".", 1)[0] for key in files or {}}  # a file sent alone changes its field
        after = {**before, **{code: cleaned.get(code) for code in changed}}
        diff = {key: [before.get(key), after.get(key)] for key in after if before.get(key) != after.get(key)}
        locked.data = after
        locked.save(update_fields=["data", "updated_at"])
        event = CaseEvent.objects.create(case=locked, kind=CaseEvent.Kind.DATA_UPDATED, actor=actor, data_diff=diff)
        if diff:
            case_data_changed_notify(case=locked, event=event)  # the poles follow, and may refuse
            case_event_emit(event=CASE_UPDATED, case=locked, case_event=event)
    case_refresh_from(case, locked)
    return event


def _visibility_check(visibility: str, actor, what: str) -> None:
    if visibility not in Comment.Visibility.values:
        raise FormInvalid({"visibility": ["Visibilité inconnue : « internal » ou « structure »."]})
    if visibility == Comment.Visibility.INTERNAL and not user_roles(actor) & DATA_EDITORS:
        raise TransitionNotAllowed(f"Seule l'équipe de la plateforme {what}.")


@transaction.atomic
def case_comment_add(*, case: Case, text: str, actor, visibility: str = Comment.Visibility.STRUCTURE) -> CaseEvent:
    """Add a comment to a case (anyone who may see it): `structure` (visible to the case's structure and
    operators, the default) or `internal` (the platform's staff only; TransitionNotAllowed otherwise).
    Writes a `Comment` row and its `comment` CaseEvent (`detail`: comment id and visibility)."""
    text = (text or "").strip()
    if not text:
        raise FormInvalid({"text": ["Le commentaire est vide."]})
    if len(text) > COMMENT_MAX_LENGTH:
        raise FormInvalid({"text": [f"Le commentaire dépasse {COMMENT_MAX_LENGTH} caractères."]})
    _visibility_check(visibility, actor, "écrit des commentaires internes")
    now = timezone.now()
    comment = Comment.objects.create(case=case, author=actor, body=text, visibility=visibility, created_at=now)
    event = CaseEvent.objects.create(
        case=case, kind=CaseEvent.Kind.COMMENT, actor=actor, comment=text, created_at=now,
        detail={"comment": comment.pk, "visibility": visibility},
    )  # fmt: skip
    if visibility == Comment.Visibility.STRUCTURE:
        case_event_emit(event=CASE_COMMENTED, case=case, case_event=event)
    return event


def case_attachment_add(*, case: Case, file, actor, visibility: str = Comment.Visibility.STRUCTURE) -> CaseAttachment:
    """Join a file to a case (anyone who may see it). The file is judged by its bytes and its size
    (`core.uploads.UploadValidator`): FormInvalid (422) otherwise. A history row records it. `visibility`:
    `structure` (default) or `internal` (the platform's staff only)."""
    import hashlib
    from pathlib import PurePath

    from django.core.exceptions import ValidationError

    _visibility_check(visibility, actor, "dépose des pièces internes")
    try:
        UploadValidator()(file)
    except ValidationError as exc:
        raise FormInvalid({"file": exc.messages}) from None
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    name = PurePath(getattr(file, "name", "") or "fichier").name[:200]
    with transaction.atomic():
        attachment = CaseAttachment(
            case=case,
            name=name,
            content_type=upload_sniff(file),
            size=file.size,
            sha256=digest.hexdigest(),
            uploaded_by=actor,
            visibility=visibility,
        )
        attachment.file.save(name, file, save=False)
        attachment.save()
        CaseEvent.objects.create(
            case=case,
            kind=CaseEvent.Kind.COMMENT,
            actor=actor,
            comment=f"Pièce jointe ajoutée : {name}",
            detail={"attachment": attachment.pk, "visibility": visibility},
        )
    return attachment


def pole_event_record(*, case: Case, pole: str, event: str, actor: Any = None, **detail: Any) -> CaseEvent:
    """Write one event of a pole's work in a case's history (`kind` « pole »): `event` is one of the
    `CaseEventKind` codes the pole declares (`case_event_kinds` hook), `detail` what its title reads (plain
    JSON values: names and dates, not only primary keys, so that the line stays true when rows change).
    A kind declared `staff_only` is recorded internal: the structure's members and operators never read it."""
    from core.selectors.case_work import pole_event_kinds

    kind = pole_event_kinds().get((pole, event))
    if kind is None:
        raise ValueError(f"unknown event kind {event!r} of pole {pole!r} (declare it in case_event_kinds)")
    if kind.staff_only:
        detail["visibility"] = Comment.Visibility.INTERNAL
    return CaseEvent.objects.create(
        case=case,
        kind=CaseEvent.Kind.POLE,
        actor=actor if getattr(actor, "pk", None) else None,
        detail={"pole": pole, "event": event, **detail},
    )
