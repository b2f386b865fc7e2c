"""Rules across the fields of the SIEG workflow's forms (the `transition_data_check` hook): the evaluation
criteria's weights total 100 %, the dates follow each other, the project retained is one of the candidates."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.formats import date_format

SIEG = "dev-sieg"


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _day(value: dt.date) -> str:
    return date_format(value, "j F Y")


def _name(value: Any) -> str:
    return " ".join(str(value or "").split()).casefold()


def _adoption_check(data: dict[str, Any]) -> dict[str, list[str]]:
    """The mandate follows the general-interest deliberation; each was carried (more votes for than against)."""
    errors: dict[str, list[str]] = {}
    general, mandate = (
        _date(data.get("date_deliberation_interet_general")),
        _date(data.get("date_deliberation_mandatement")),
    )
    if general and mandate and mandate < general:
        errors["date_deliberation_mandatement"] = [
            f"Le mandatement ({_day(mandate)}) ne peut précéder la délibération sur l'intérêt général "
            f"({_day(general)})."
        ]
    for prefix, what in (("ig", "La délibération sur l'intérêt général"), ("mandat", "Le mandatement")):
        votes_for, against = data.get(f"vote_{prefix}_pour"), data.get(f"vote_{prefix}_contre")
        if votes_for is not None and against is not None and int(votes_for) <= int(against):
            errors[f"vote_{prefix}_pour"] = [
                f"{what} n'est pas adopté{'e' if prefix == 'ig' else ''} avec {votes_for} voix pour et "
                f"{against} contre : il faut plus de voix pour que contre."
            ]
    return errors


def sieg_data_check(*, case: Any, transition: str, data: dict[str, Any]) -> dict[str, list[str]]:
    from workflows.engine import compiled_version

    # The compiled version is cached per process: no query per transition (case.workflow would cost one).
    if compiled_version(case.workflow_version_id).code != SIEG:
        return {}
    errors: dict[str, list[str]] = {}
    if transition == "deliberations_adoptees":
        errors.update(_adoption_check(data))
    if transition == "arreter_criteres":
        criteria = data.get("criteres_evaluation") or []
        total = sum(int(item.get("ponderation") or 0) for item in criteria)
        if total != 100:
            errors["criteres_evaluation"] = [f"Les pondérations totalisent {total} % : elles doivent totaliser 100 %."]
        names = [_name(item.get("critere")) for item in criteria]
        if len(set(names)) != len(names):
            errors.setdefault("criteres_evaluation", []).append("Deux critères portent le même intitulé.")
    if transition == "publier_appel":
        published, deadline = _date(data.get("date_publication")), _date(data.get("date_limite_candidatures"))
        mandate = _date(data.get("date_deliberation_mandatement"))
        if published and deadline and deadline <= published:
            errors["date_limite_candidatures"] = [
                f"La date limite des candidatures doit suivre la publication ({_day(published)})."
            ]
        if published and mandate and published < mandate:
            errors["date_publication"] = [
                f"L'appel à projets ne peut être publié avant la délibération de mandatement ({_day(mandate)})."
            ]
    if transition == "conclure":
        scored = {_name(name) for name in case.developpement_candidates.values_list("name", flat=True)}
        if not scored:
            errors["laureat"] = ["Aucune candidature n'est notée : notez-les sur l'écran de travail du pôle."]
        elif data.get("laureat") and _name(data["laureat"]) not in scored:
            errors["laureat"] = ["Le projet retenu doit être l'une des candidatures évaluées."]
    return errors
