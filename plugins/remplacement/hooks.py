"""pluggy hook implementations of the remplacement pole (thin: the work is in services and actions)."""

from pathlib import Path
from typing import Any

from core.hookspecs import CatalogueServiceSpec
from core.plugins import hookimpl

WORKFLOWS = Path(__file__).resolve().parent / "workflows"
# The workflows whose transitions `case_transitioned` reacts to (core.plugins.case_transitioned_listened): the
# transitions of the others record no after-transition effect.
CASE_TRANSITIONED_WORKFLOWS = ("remplacement-demande", "remplacement-candidature")


@hookimpl
def catalogue_services() -> list[CatalogueServiceSpec]:
    return [
        CatalogueServiceSpec(
            code="remplacement-mission",
            title="Remplacement d'un professionnel absent",
            summary="Un remplaçant qualifié trouvé et confirmé en quelques minutes pour tenir le taux d'encadrement.",
            description="La structure publie son besoin (jours, horaires, enfants présents, équipe présente) ; "
            "la plateforme calcule ce que demande le taux d'encadrement, propose la mission aux remplaçants "
            "qualifiés, disponibles et proches, par vagues, et confirme le premier ou celui que la structure "
            "choisit. Les structures adhérentes publient leurs besoins depuis leur espace.",
            request_path="/remplacement/structure/nouveau/",
            request_label="Publier un besoin de remplacement",
        ),
        CatalogueServiceSpec(
            code="remplacement-vivier",
            title="Rejoindre le vivier de remplaçants",
            summary="Professionnels diplômés de la petite enfance : proposez vos disponibilités.",
            audience="remplacant",
            description="Auxiliaire de puériculture, EJE, infirmier·e, puériculteur·rice, psychomotricien·ne ou "
            "titulaire du CAP AEPE : envoyez votre candidature avec vos diplômes ; une fois acceptée, vous "
            "recevez les missions proches de chez vous, aux heures où vous êtes disponible.",
            request_workflow="remplacement-candidature",
            request_label="Rejoindre le vivier",
        ),
    ]


@hookimpl
def pole_workflows() -> list[str]:
    return [str(WORKFLOWS / "remplacement-demande.yaml"), str(WORKFLOWS / "remplacement-candidature.yaml")]


@hookimpl
def guard_functions() -> dict[str, Any]:
    from plugins.remplacement.cases import GUARD_FUNCTIONS

    return GUARD_FUNCTIONS


@hookimpl
def case_data_changed(case, event) -> None:
    from plugins.remplacement import cases

    cases.case_data_changed(case=case, event=event)


@hookimpl
def case_transitioned(case, event) -> None:
    from plugins.remplacement import cases

    cases.after_transition(case=case, event=event)


@hookimpl
def site_urls() -> list[tuple[str, str]]:
    return [("remplacement/", "plugins.remplacement.urls")]


@hookimpl
def api_routes() -> list[tuple[str, Any, str]]:
    from plugins.remplacement.api.views import ROUTES

    return ROUTES


@hookimpl
def demo_seed(territory) -> None:
    from plugins.remplacement.demo import demo_seed as seed

    seed()


@hookimpl
def kit_sections() -> list:
    from plugins.remplacement.kit import SECTIONS

    return SECTIONS


@hookimpl
def person_personal_data(user, email) -> list:
    from plugins.remplacement.personal_data import substitute_personal_data

    return substitute_personal_data(user)
