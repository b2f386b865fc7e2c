from django.utils.translation import gettext_lazy as _

from core.poles import PoleConfig


class DeveloppementConfig(PoleConfig):
    default = True  # the pole config, not the imported PoleConfig base
    name = "plugins.developpement"
    label = "developpement"
    verbose_name = _("Pôle développement")
    pole_code = "developpement"
    pole_label = _("Pôle développement")
    pole_description = _(
        "Réponses communes aux délégations de service public et aux appels à projets ; accompagnement des "
        "petites collectivités dans la mise en place d'un SIEG."
    )
    default_settings = {"reminder_days_before": 3}
