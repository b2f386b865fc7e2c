from django.utils.translation import gettext_lazy as _

from core.poles import PoleConfig
from plugins.remplacement.staffing import DEFAULTS as STAFFING_DEFAULTS


def _qualification_choices() -> list[tuple[str, str]]:
    from plugins.remplacement.models import Qualification

    return list(Qualification.objects.order_by("order", "label").values_list("code", "label"))


class RemplacementConfig(PoleConfig):
    default = True  # the pole config, not the imported PoleConfig base
    name = "plugins.remplacement"
    label = "remplacement"
    verbose_name = _("Pôle remplacement")
    pole_code = "remplacement"
    pole_label = _("Pôle remplacement")
    pole_description = _(
        "Un vivier de professionnels qualifiés pour remplacer au pied levé un membre de l'équipe absent et "
        "maintenir le taux d'encadrement."
    )
    # Per-territory overrides live in tenants.TerritoryPole.settings (see the pole's README).
    default_settings = {
        "dispatch_policy": "structure_picks",  # or "first_accept"
        "wave_size": 10,  # offers of the first wave; each next wave is twice as wide
        "wave_delay_minutes": 15,  # between waves (a third of it for an urgent request)
        "max_waves": 5,  # waves stop widening after this one
        "min_rest_hours": 11,  # between a mission and a slot on another day
        "proximity_scale_km": 40,  # proximity score falls to 0 at this distance
        "weights": {"proximity": 0.5, "fairness": 0.35, "preference": 0.15},
        "contact_email": "",  # the pole's address (calendar organiser, replies); the platform's sender if empty
        **STAFFING_DEFAULTS,
    }

    def ready(self) -> None:
        super().ready()
        from workflows.registry import reference_source_register

        reference_source_register("remplacement_qualifications", "Qualifications (pôle remplacement)",
                                  _qualification_choices)  # fmt: skip
