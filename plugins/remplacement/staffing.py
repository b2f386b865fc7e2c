"""The French staffing rules of collective crèches, as configuration (pole settings), and what a gap calls for.

Code de la santé publique, as modified by décret n° 2021-1131 du 30 août 2021 (see the pole's README for the
text of each article):

- R2324-46-4 (to which R2324-43 refers for collective crèches): the manager chooses between one professional
  for five children who do not walk and one for eight who walk, or one professional for six children;
- R2324-43-1: never fewer than two professionals present with the children, one of them among the most
  qualified (1° of R2324-42) above 24 places; in micro-crèches (12 places or fewer, R2324-46) from four
  children present;
- R2324-42: the most qualified (auxiliaires de puériculture, EJE, infirmiers, psychomotriciens, puériculteurs)
  make at least 40 % of the staff (a monthly average: the platform applies it to the shift, which is
  stricter and what a director can act on at seven in the morning).

Every number is a pole setting (`staffing_*`), so that a later decree is a settings change; which diplomas
count among the most qualified is `Qualification.is_qualified_staff` (in the territory kit).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

EPSILON = 1e-9

DEFAULTS: dict[str, Any] = {
    "staffing_ratio_not_walking": 5,  # children who do not walk per professional (R2324-46-4, 1°)
    "staffing_ratio_walking": 8,  # children who walk per professional (R2324-46-4, 1°)
    "staffing_ratio_uniform": 6,  # children per professional, the other choice (R2324-46-4, 2°)
    "staffing_min_present": 2,  # professionals present at least (R2324-43-1)
    "staffing_micro_max_places": 12,  # micro-crèches (R2324-46, 1°)
    "staffing_micro_min_children": 4,  # in micro-crèches, the minimum of two applies from this many children
    "staffing_qualified_above_places": 24,  # above this capacity, one of the most qualified present (R2324-43-1)
    "staffing_qualified_share": 40,  # per cent of the most qualified among the required staff (R2324-42)
}


@dataclass(frozen=True)
class StaffingRules:
    ratio_not_walking: float = 5
    ratio_walking: float = 8
    ratio_uniform: float = 6
    min_present: int = 2
    micro_max_places: int = 12
    micro_min_children: int = 4
    qualified_above_places: int = 24
    qualified_share: float = 40

    @classmethod
    def from_settings(cls, values: dict[str, Any]) -> StaffingRules:
        merged = {**DEFAULTS, **{k: v for k, v in values.items() if k in DEFAULTS}}
        return cls(**{key.removeprefix("staffing_"): merged[key] for key in DEFAULTS})


@dataclass
class Staffing:
    """What the rules require for the children present, what the team present gives, and the gap."""

    children: int
    required: int  # adults required with the children
    qualified_required: int  # of whom among the most qualified
    present: int
    qualified_present: int
    missing: int  # adults missing
    missing_qualified: int  # of whom among the most qualified
    explanation: list[str] = field(default_factory=list)  # French, one line per rule applied

    @property
    def people_needed(self) -> int:
        return max(self.missing, self.missing_qualified)

    @property
    def holds(self) -> bool:
        return self.people_needed == 0

    def summary(self) -> str:
        if self.holds:
            return "Le taux d'encadrement est respecté sans remplaçant·e."
        people = self.people_needed
        text = f"Il manque {people} professionnel{'s' if people > 1 else ''}"
        if self.missing_qualified >= people:
            text += " parmi les plus qualifiés" if people > 1 else ", parmi les plus qualifiés"
        elif self.missing_qualified:
            text += f", dont au moins {self.missing_qualified} parmi les plus qualifiés"
        return text + "."


def _fmt(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".").replace(".", ",")


def staffing_compute(
    *,
    rules: StaffingRules,
    places: int,
    ratio_mode: str,
    children_not_walking: int,
    children_walking: int,
    staff_present: dict[str, int],
    qualified_codes: set[str],
) -> Staffing:
    """Apply the rules to a shift: `staff_present` counts the professionals present (without a substitute) by
    qualification code; `qualified_codes` are the most qualified diplomas; `places` is the structure's
    capacity (0 when unknown: the capacity rules are then not applied)."""
    lines: list[str] = []
    children = children_not_walking + children_walking
    if children <= 0:
        required = 0
        lines.append("Aucun enfant présent : aucun professionnel n'est requis.")
    else:
        if ratio_mode == "uniforme":
            need = children / rules.ratio_uniform
            lines.append(
                f"{children} enfants à 1 professionnel pour {_fmt(rules.ratio_uniform)} : {_fmt(need)}, "
                f"soit {math.ceil(need - EPSILON)} (article R2324-46-4, 2°)."
            )
        else:
            need = children_not_walking / rules.ratio_not_walking + children_walking / rules.ratio_walking
            lines.append(
                f"{children_not_walking} enfant{'s' if children_not_walking > 1 else ''} qui ne marche"
                f"{'nt' if children_not_walking > 1 else ''} pas (1 pour {_fmt(rules.ratio_not_walking)}) et "
                f"{children_walking} qui marche{'nt' if children_walking > 1 else ''} "
                f"(1 pour {_fmt(rules.ratio_walking)}) : {_fmt(need)}, soit {math.ceil(need - EPSILON)} "
                "(article R2324-46-4, 1°)."
            )
        required = math.ceil(need - EPSILON)
        micro = 0 < places <= rules.micro_max_places
        if micro and children < rules.micro_min_children:
            lines.append(
                f"Micro-crèche : le minimum de {rules.min_present} professionnels présents s'applique à partir de "
                f"{rules.micro_min_children} enfants (article R2324-43-1)."
            )
        elif required < rules.min_present:
            required = rules.min_present
            lines.append(
                f"Jamais moins de {rules.min_present} professionnels présents auprès des enfants (article R2324-43-1)."
            )
    qualified_required = math.ceil(required * rules.qualified_share / 100 - EPSILON) if required else 0
    if required:
        lines.append(
            f"Au moins {_fmt(rules.qualified_share)} % parmi les plus qualifiés : {qualified_required} sur "
            f"{required} (article R2324-42)."
        )
    if required and places > rules.qualified_above_places and qualified_required < 1:
        qualified_required = 1
    if required and places > rules.qualified_above_places:
        lines.append(
            f"Plus de {rules.qualified_above_places} places : l'un des présents au moins parmi les plus qualifiés "
            "(article R2324-43-1)."
        )
    present = sum(max(int(n), 0) for n in staff_present.values())
    qualified_present = sum(max(int(n), 0) for code, n in staff_present.items() if code in qualified_codes)
    missing = max(0, required - present)
    missing_qualified = max(0, qualified_required - qualified_present)
    lines.append(
        f"Présents sans remplaçant·e : {present} professionnel{'s' if present > 1 else ''}, dont "
        f"{qualified_present} parmi les plus qualifiés."
    )
    return Staffing(
        children=children,
        required=required,
        qualified_required=qualified_required,
        present=present,
        qualified_present=qualified_present,
        missing=missing,
        missing_qualified=missing_qualified,
        explanation=lines,
    )
