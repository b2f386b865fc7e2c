from django.utils.translation import gettext_lazy as _

from core.poles import PoleConfig


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
    default_settings = {"dispatch_policy": "structure_picks", "wave_size": 10, "wave_delay_minutes": 15}
