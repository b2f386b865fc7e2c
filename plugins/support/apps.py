from django.utils.translation import gettext_lazy as _

from core.poles import PoleConfig


class SupportConfig(PoleConfig):
    default = True  # the pole config, not the imported PoleConfig base
    name = "plugins.support"
    label = "support"
    verbose_name = _("Pôle support")
    pole_code = "support"
    pole_label = _("Pôle support")
    pole_description = _(
        "Comptabilité, gestion et ressources humaines : diagnostic des besoins de la structure, propositions "
        "de services réalisés par des opérateurs ESS du territoire, conventions, suivi et évaluation."
    )
    default_settings = {
        "platform_name": "Plateforme Petite Enfance",
        "reminder_days_before": 3,
        "max_proposals": 5,
    }
