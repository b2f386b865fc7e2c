"""pluggy hook implementations of the remplacement pole."""

from core.hookspecs import CatalogueServiceSpec
from core.plugins import hookimpl


@hookimpl
def catalogue_services() -> list[CatalogueServiceSpec]:
    return [
        CatalogueServiceSpec(
            code="remplacement-mission",
            title="Remplacement d'un professionnel absent",
            summary="Un remplaçant qualifié trouvé et confirmé en quelques minutes pour tenir le taux d'encadrement.",
            description="La structure publie son besoin (jours, horaires, qualification) ; la plateforme "
            "propose la mission aux remplaçants disponibles et proches, par vagues, et confirme le premier "
            "ou celui que la structure choisit.",
        ),
        CatalogueServiceSpec(
            code="remplacement-vivier",
            title="Rejoindre le vivier de remplaçants",
            summary="Professionnels diplômés de la petite enfance : proposez vos disponibilités.",
            audience="remplacant",
        ),
    ]
