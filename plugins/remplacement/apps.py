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
        "require_criminal_record": True,  # no offer without an extract valid on the mission's last day
        "require_vaccinations": True,  # no offer without vaccinations up to date on the mission's last day
        "require_verified_documents": True,  # only the documents a coordinator verified count
        **STAFFING_DEFAULTS,
    }

    settings_spec = {
        "dispatch_policy": {
            "label": "Qui retient la ou le remplaçant·e",
            "choices": [
                ("structure_picks", "La structure choisit parmi les volontaires"),
                ("first_accept", "La première personne qui accepte est retenue"),
            ],
        },
        "wave_size": {
            "label": "Propositions de la première vague",
            "help": "Chaque vague suivante est deux fois plus large.",
            "min": 1,
            "max": 500,
        },
        "wave_delay_minutes": {
            "label": "Minutes entre deux vagues",
            "help": "Le tiers pour une demande urgente.",
            "min": 1,
            "max": 1440,
        },
        "max_waves": {"label": "Nombre de vagues au plus", "min": 1, "max": 20},
        "min_rest_hours": {
            "label": "Repos minimal entre deux missions (heures)",
            "help": "Entre une mission et un créneau d'un autre jour.",
            "min": 0,
            "max": 48,
        },
        "proximity_scale_km": {
            "label": "Distance à laquelle la proximité ne compte plus (km)",
            "min": 1,
            "max": 500,
        },
        "weights": {
            "label": "Poids du classement",
            "help": "Proximité, équité (heures déjà données ce mois-ci), préférences : chacun entre 0 et 1.",
            "keys": ["proximity", "fairness", "preference"],
            "parts": {  # one number field each on the pole settings screen
                "proximity": "proximité",
                "fairness": "équité (heures déjà données ce mois-ci)",
                "preference": "préférences",
            },
            "min": 0,
            "max": 1,
        },
        "contact_email": {
            "label": "Adresse du pôle",
            "help": "Organisateur des invitations d'agenda et adresse de réponse ; à défaut, celle de la plateforme.",
            "email": True,
        },
        "require_criminal_record": {
            "label": "Extrait de casier judiciaire exigé",
            "help": "Aucune mission n'est proposée à une personne sans extrait (bulletin n° 3) valable jusqu'au "
            "dernier jour de la mission.",
        },
        "require_vaccinations": {
            "label": "Vaccinations à jour exigées",
            "help": "Aucune mission n'est proposée à une personne sans justificatif de vaccinations valable "
            "jusqu'au dernier jour de la mission (sans date de fin, il reste valable).",
        },
        "require_verified_documents": {
            "label": "Seuls les documents vérifiés par un·e coordinateur·rice comptent",
            "help": "L'extrait de casier judiciaire et le justificatif de vaccinations déposés par la personne "
            "ne comptent qu'une fois vérifiés par la coordination.",
        },
        "staffing_ratio_not_walking": {
            "label": "Enfants qui ne marchent pas par professionnel·le",
            "help": "Article R2324-46-4, 1° du code de la santé publique.",
            "min": 1,
            "max": 20,
        },
        "staffing_ratio_walking": {
            "label": "Enfants qui marchent par professionnel·le",
            "help": "Article R2324-46-4, 1°.",
            "min": 1,
            "max": 20,
        },
        "staffing_ratio_uniform": {
            "label": "Enfants par professionnel·le (taux unique, si la structure l'a choisi)",
            "help": "Article R2324-46-4, 2°.",
            "min": 1,
            "max": 20,
        },
        "staffing_min_present": {
            "label": "Professionnel·les présent·es au moins",
            "help": "Article R2324-43-1.",
            "min": 1,
            "max": 10,
        },
        "staffing_micro_max_places": {
            "label": "Places d'une micro-crèche au plus",
            "help": "Article R2324-46, 1°.",
            "min": 1,
            "max": 60,
        },
        "staffing_micro_min_children": {
            "label": "En micro-crèche, enfants à partir desquels le minimum de présence s'applique",
            "min": 0,
            "max": 60,
        },
        "staffing_qualified_above_places": {
            "label": "Au-delà de ces places, une personne parmi les plus qualifiées est présente",
            "help": "Article R2324-43-1.",
            "min": 0,
            "max": 500,
        },
        "staffing_qualified_share": {
            "label": "Part des plus qualifié·es dans l'équipe requise (%)",
            "help": "Article R2324-42.",
            "min": 0,
            "max": 100,
        },
    }

    def ready(self) -> None:
        super().ready()
        from workflows.registry import reference_source_register

        reference_source_register("remplacement_qualifications", "Qualifications (pôle remplacement)",
                                  _qualification_choices)  # fmt: skip
