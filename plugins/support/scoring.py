"""The diagnostic's scoring: the questionnaire's answers become a profile.

Each question of the diagnostic form is a choice field coded `diag_<axis>_<n>` whose choice values are
"0" to "3" (0: a strong need, 3: mastered). An axis scores the mean of its answers on a 0-100 scale (100:
the structure masters it). Questions an admin adds to the form under the same convention are scored with no
code change; answers of unknown axes are ignored.

The profile (the `diagnostic_proposals` hook's contract):
`{"axes": {axis: 0-100}, "federation": str | None, "professionalisation": 1-3, "global": 0-100}`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

MAX_ANSWER = 3
QUESTION = re.compile(r"^diag_(?P<axis>[a-z]+)_\d+$")


@dataclass(frozen=True)
class Axis:
    code: str
    label: str


AXES: tuple[Axis, ...] = (
    Axis("comptabilite", "Comptabilité"),
    Axis("paie", "Paie"),
    Axis("rh", "Ressources humaines"),
    Axis("gouvernance", "Gouvernance et bureau"),
    Axis("benevolat", "Énergie des bénévoles"),
    Axis("renouvellement", "Stabilité du bureau"),
    Axis("reglementation", "Réglementation"),
    Axis("financements", "Financements et partenariats"),
    Axis("pratiques", "Partage des pratiques"),
)
AXIS_LABELS = {axis.code: axis.label for axis in AXES}

PROFESSIONALISATION_LABELS = {
    1: "Bénévole (bureau sans salarié de direction)",
    2: "Mixte (direction salariée, gestion bénévole)",
    3: "Professionnalisée (direction et gestion salariées)",
}

# Federations known to the platform, by the code of the diagnostic form's `diag_federation` choice.
FEDERATIONS = {"admr": "ADMR", "familles_rurales": "Familles Rurales", "autre": "Autre fédération"}


class ScoringError(ValueError):
    """Answers that cannot be scored (a French message, shown to the person who filled the form)."""


def level_of(score: int) -> str:
    """The French reading of a score, so that the chart never relies on colour alone."""
    if score < 40:
        return "besoin fort"
    if score < 70:
        return "à consolider"
    return "maîtrisé"


def axis_scores(answers: dict[str, Any]) -> dict[str, int]:
    """Scores 0-100 of each axis that has at least one answer, in the order of AXES."""
    by_axis: dict[str, list[int]] = {}
    for code, raw in answers.items():
        match = QUESTION.match(code)
        if match is None or match["axis"] not in AXIS_LABELS or raw in (None, ""):
            continue
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise ScoringError(f"Réponse invalide à la question « {code} » : « {raw} ».") from None
        if not 0 <= value <= MAX_ANSWER:
            raise ScoringError(f"Réponse hors échelle (0 à {MAX_ANSWER}) à la question « {code} » : {value}.")
        by_axis.setdefault(match["axis"], []).append(value)
    return {
        axis.code: round(100 * sum(by_axis[axis.code]) / (MAX_ANSWER * len(by_axis[axis.code])))
        for axis in AXES
        if axis.code in by_axis
    }


def profile_compute(
    *, answers: dict[str, Any], network_kind: str | None, network_name: str | None, professionalisation: int | None
) -> dict[str, Any]:
    """The profile of a structure from its diagnostic answers and what the directory knows of it.

    The federation is the structure's network when that network is a federation, else the one the
    questionnaire names; the professionalisation level is the questionnaire's, else the directory's.
    """
    axes = axis_scores(answers)
    missing = [AXIS_LABELS[axis.code] for axis in AXES if axis.code not in axes]
    if missing:
        raise ScoringError("Le diagnostic est incomplet : aucune réponse pour " + ", ".join(missing) + ".")
    federation = network_name if network_kind == "federation" else None
    declared = answers.get("diag_federation") or ""
    if federation is None and declared in FEDERATIONS:
        federation = FEDERATIONS[declared]
    level = answers.get("diag_professionalisation") or professionalisation or 2
    try:
        level = int(level)
    except (TypeError, ValueError):
        raise ScoringError(f"Niveau de professionnalisation invalide : « {level} ».") from None
    if level not in PROFESSIONALISATION_LABELS:
        raise ScoringError(f"Niveau de professionnalisation invalide : {level} (1 à 3).")
    return {
        "axes": axes,
        "federation": federation,
        "professionalisation": level,
        "global": round(sum(axes.values()) / len(axes)),
    }
