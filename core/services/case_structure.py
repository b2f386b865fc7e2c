"""The structure of a case sent from the public request form.

`case_structure_from_request` runs when the public form opens a case: it finds the structure the request
names in the directory (by SIRET, else by name and commune, both compared without case, accents or
punctuation) or creates one that waits for a coordinator (`Structure.Status.PENDING`), links the case to it
and marks the link « à confirmer ». A coordinator then confirms it from the case page, correcting the new
structure's details if needed, or links the case to another structure of the directory
(`case_structure_confirm`); only then is the person who filled the form invited as a member of that
structure — typing a SIRET on a public form never opens a structure's cases to anyone.

The request's fields are read by code (`structure_name`, `siret`, `commune`, `postcode`, `kind`, `places`,
`federation`, `contact_name`, `phone`) and its first e-mail field: a workflow whose opening form has no
`structure_name` field (a substitute's application) is left alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.text import slugify

from core.models import Case, CaseEvent, Network, Structure
from core.roles import Role, user_roles
from core.selectors.cases import STAFF_ROLES
from core.services.directory import structure_create, structure_update
from workflows.engine import compiled_version

logger = logging.getLogger("ppe.cases")

NAME_FIELD = "structure_name"
COMMUNE_UNKNOWN = "Commune à préciser"  # a request form without a commune field
# Fields of a pending structure the coordinator may correct from the case page.
CORRECTABLE_FIELDS = ("name", "kind", "siret", "address", "postcode", "commune", "places", "network", "email", "phone")


@dataclass(frozen=True)
class Contact:
    email: str
    first_name: str
    last_name: str


@dataclass(frozen=True)
class ConfirmOutcome:
    structure: Structure
    message: str  # French, for the person who confirmed


def _key(text: Any) -> str:
    return slugify(str(text or "")).replace("-", "")


def _digits(text: Any) -> str:
    return "".join(ch for ch in str(text or "") if ch.isdigit())


def _open_form(case: Case):
    compiled = compiled_version(case.workflow_version_id)
    return compiled.forms.get(compiled.open_form) if compiled.open_form else None


def case_contact(case: Case) -> Contact | None:
    """Who sent the request: the first e-mail field of the opening form that holds an address, and the
    `contact_name` field split into first and last name."""
    spec = _open_form(case)
    data = case.data or {}
    email = next(
        (str(data[f.code]) for f in (spec.input_fields() if spec else []) if f.type == "email" and data.get(f.code)),
        None,
    )
    if email is None:
        return None
    first, _sep, last = str(data.get("contact_name") or "").strip().partition(" ")
    return Contact(email=email.strip().lower(), first_name=first[:150], last_name=last.strip()[:150])


def structure_match(*, siret: str = "", name: str = "", commune: str = "") -> tuple[Structure | None, str]:
    """The directory's structure a request names, and how it was found (`siret` or `name`); (None, "") when
    none matches. Structures set aside as duplicates are never matched."""
    candidates = Structure.objects.exclude(status=Structure.Status.DISCARDED)
    siret = _digits(siret)
    if len(siret) == 14:
        found = candidates.filter(siret=siret).order_by("-is_active", "pk").first()
        if found is not None:
            return found, "siret"
    name_key, commune_key = _key(name), _key(commune)
    if name_key and commune_key:
        for pk, other_name, other_commune in candidates.order_by("-is_active", "pk").values_list(
            "pk", "name", "commune"
        ):
            if _key(other_name) == name_key and _key(other_commune) == commune_key:
                return Structure.objects.get(pk=pk), "name"
    return None, ""


def _choice_label(spec, code: str, value: Any) -> str:
    for field in spec.input_fields() if spec else []:
        if field.code == code:
            for choice in field.options.get("choices") or []:
                if str(choice.get("value")) == str(value):
                    return str(choice.get("label") or value)
    return str(value or "")


def _network_of(spec, value: Any) -> Network | None:
    if not value:
        return None
    label = _choice_label(spec, "federation", value)
    return (
        Network.objects.filter(acronym__iexact=label).first()
        or Network.objects.filter(name__iexact=label).first()
        or Network.objects.filter(name__icontains=label).first()
    )


def _pending_fields(case: Case) -> dict[str, Any]:
    """A new structure's details, from the request (only what the directory's rules accept)."""
    spec = _open_form(case)
    data = case.data or {}
    kind = str(data.get("kind") or "")
    places = data.get("places")
    siret = _digits(data.get("siret"))
    postcode = _digits(data.get("postcode"))
    fields: dict[str, Any] = {
        "name": str(data.get(NAME_FIELD) or "").strip()[:200],
        "kind": kind if kind in Structure.Kind.values else Structure.Kind.CRECHE,
        "commune": str(data.get("commune") or "").strip()[:100] or COMMUNE_UNKNOWN,
        "postcode": postcode if len(postcode) == 5 else "",
        "siret": siret if len(siret) == 14 else "",
        "places": int(places) if isinstance(places, int | float) and places >= 0 else 0,
        "phone": str(data.get("phone") or "")[:20],
        "network": _network_of(spec, data.get("federation")) if data.get("member") is not False else None,
        "status": Structure.Status.PENDING,
    }
    contact = case_contact(case)
    if contact is not None:
        fields["email"] = contact.email
    return fields


def _event(case: Case, *, actor, detail: dict[str, Any]) -> CaseEvent:
    return CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.STRUCTURE, actor=actor, detail=detail)


def _case_save(case: Case, *, structure: Structure | None, to_confirm: bool) -> None:
    case.structure = structure
    case.structure_to_confirm = to_confirm
    case.save(update_fields=["structure", "structure_to_confirm", "updated_at"])


def _pending_create(case: Case, fields: dict[str, Any]) -> Structure | None:
    for attempt in (fields, {k: fields[k] for k in ("name", "kind", "commune", "status")}):
        try:
            with transaction.atomic():
                return structure_create(actor=None, **attempt)
        except ValidationError:  # a detail the directory refuses: try with the name and the commune only
            logger.warning("case %s: the request's structure details were refused (%s)", case.pk, sorted(attempt))
    return None


@transaction.atomic
def case_structure_from_request(*, case: Case) -> Structure | None:
    """Link a case the public form just opened to the structure it names (matched or created pending);
    None when the form names no structure."""
    data = case.data or {}
    if not str(data.get(NAME_FIELD) or "").strip() or case.structure_id:
        return None
    fields = _pending_fields(case)
    structure, how = structure_match(siret=data.get("siret", ""), name=fields["name"], commune=fields["commune"])
    if structure is None:
        structure = _pending_create(case, fields)
        if structure is None:
            return None
        how = "created"
    case = Case.objects.select_for_update().get(pk=case.pk)
    _case_save(case, structure=structure, to_confirm=True)
    _event(case, actor=None, detail={"action": "matched", "how": how, "structure": structure.pk,
                                     "structure_label": str(structure)})  # fmt: skip
    return structure


def _invite_contact(case: Case, structure: Structure, actor, request=None) -> str:
    """Invite the request's contact person as a member of `structure`; the French sentence saying what was
    done."""
    from core.services.accounts import _account_of, invitation_create, structure_membership_add

    contact = case_contact(case)
    if contact is None:
        return "La demande ne comporte pas de courriel : personne n'a été invité."
    account = _account_of(contact.email)
    if account is not None and account.has_usable_password():
        if account.is_active and Role.STRUCTURE_MEMBER in user_roles(account):
            structure_membership_add(user=account, structure=structure, actor=actor, request=request)
            return f"{contact.email} a déjà un compte : il est désormais rattaché à cette structure."
        return (
            f"{contact.email} a déjà un compte sans le rôle « Membre d'une structure » : rattachez-le depuis "
            "la liste des personnes si besoin."
        )
    invitation_create(
        email=contact.email,
        roles=[Role.STRUCTURE_MEMBER],
        first_name=contact.first_name,
        last_name=contact.last_name,
        structure=structure,
        actor=actor,
        request=request,
    )
    return f"Une invitation à rejoindre la plateforme a été envoyée à {contact.email}."


def _require_staff(actor) -> None:
    if not user_roles(actor) & STAFF_ROLES:
        raise PermissionDenied("Seule l'équipe de la plateforme peut rattacher un dossier à une structure.")


def _discard_if_orphan(structure: Structure, *, keep: Structure, actor) -> None:
    """A pending structure the coordinator replaced by another is set aside when nothing else uses it."""
    if (
        structure.pk != keep.pk
        and structure.status == Structure.Status.PENDING
        and not structure.cases.exists()
        and not structure.memberships.exists()
    ):
        structure_update(structure=structure, actor=actor, status=Structure.Status.DISCARDED, is_active=False)


@transaction.atomic
def case_structure_confirm(
    *,
    case: Case,
    actor,
    structure: Structure | None = None,
    corrections: dict[str, Any] | None = None,
    invite: bool = True,
    request=None,
) -> ConfirmOutcome:
    """Confirm the structure of a case: `structure` links the case to another structure of the directory,
    otherwise the case's own structure is confirmed, with `corrections` (fields of `CORRECTABLE_FIELDS`)
    applied when it was created from the request. The structure becomes a confirmed entry of the directory
    and, with `invite`, the request's contact person is invited as its member. Staff only (PermissionDenied);
    a correction the directory refuses raises its French ValidationError and nothing is written."""
    _require_staff(actor)
    case = Case.objects.select_for_update(of=("self",)).select_related("structure").get(pk=case.pk)
    previous = case.structure
    target = structure or previous
    if target is None:
        raise ValidationError({"structure": "Choisissez la structure à laquelle rattacher ce dossier."})
    if target.status == Structure.Status.DISCARDED:
        raise ValidationError({"structure": "Cette structure a été écartée de l'annuaire : choisissez-en une autre."})
    changes: dict[str, Any] = {}
    if corrections and structure is None:
        unknown = set(corrections) - set(CORRECTABLE_FIELDS)
        if unknown:
            raise ValueError(f"uncorrectable fields: {sorted(unknown)}")
        if target.status != Structure.Status.PENDING:
            raise ValidationError(
                {"__all__": "Cette structure est déjà dans l'annuaire : modifiez-la depuis sa fiche."}
            )
        changes = {k: v for k, v in corrections.items() if getattr(target, k) != v}
    if target.status == Structure.Status.PENDING or changes:
        target = structure_update(structure=target, actor=actor, **changes, status=Structure.Status.CONFIRMED)
    _case_save(case, structure=target, to_confirm=False)
    if previous is not None:
        _discard_if_orphan(previous, keep=target, actor=actor)
    message = "Rattachement confirmé."
    if invite and case.channel == Case.Channel.PUBLIC:
        message = f"{message} {_invite_contact(case, target, actor, request)}"
    _event(case, actor=actor, detail={
        "action": "confirmed" if previous is not None and previous.pk == target.pk else "linked",
        "structure": target.pk, "structure_label": str(target),
        "previous_label": str(previous) if previous is not None and previous.pk != target.pk else "",
        "corrected": sorted(changes),
    })  # fmt: skip
    return ConfirmOutcome(structure=target, message=message)


def structure_link_label(detail: dict[str, Any]) -> str:
    """The French line of a structure event on the case's timeline."""
    label = detail.get("structure_label") or "une structure"
    action = detail.get("action")
    if action == "matched":
        how = {
            "siret": "reconnue par son SIRET",
            "name": "reconnue par son nom et sa commune",
            "created": "nouvelle structure créée, à confirmer",
        }.get(detail.get("how"), "")
        return f"Demande rattachée à « {label} » ({how})" if how else f"Demande rattachée à « {label} »"
    if action == "linked" and detail.get("previous_label"):
        return f"Dossier rattaché à « {label} » (au lieu de « {detail['previous_label']} »)"
    if action == "linked":
        return f"Dossier rattaché à « {label} »"
    corrected = detail.get("corrected") or []
    suffix = " après correction de sa fiche" if corrected else ""
    return f"Rattachement à « {label} » confirmé{suffix}"


def pending_structures_count() -> int:
    return Structure.objects.filter(status=Structure.Status.PENDING).count()
