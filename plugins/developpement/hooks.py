"""pluggy hook implementations of the développement pole."""

from pathlib import Path
from typing import Any

from core.hookspecs import CatalogueServiceSpec
from core.plugins import hookimpl

WORKFLOWS = Path(__file__).resolve().parent / "workflows"


@hookimpl
def catalogue_services() -> list[CatalogueServiceSpec]:
    return [
        CatalogueServiceSpec(
            code="dev-reponse-dsp",
            title="Réponse commune à une DSP ou un appel à projets",
            summary="Veille, décision go/no-go, consortium de partenaires et rédaction de la réponse.",
            description="La plateforme coordonne une réponse commune des associations du réseau à une "
            "délégation de service public ou un appel à projets : veille, qualification, choix des "
            "partenaires, répartition de la rédaction et dépôt.",
        ),
        CatalogueServiceSpec(
            code="dev-sieg",
            title="Accompagnement à la mise en place d'un SIEG",
            summary="Concertation sur l'intérêt général, délibérations, résultats attendus et appel à projets.",
            audience="collectivite",
            description="Pour une petite collectivité : animation de la concertation qui définit l'intérêt "
            "général, aide à la rédaction des délibérations (intérêt général et mandatement), définition des "
            "résultats attendus (grille d'analyse puis critères d'évaluation).",
        ),
        CatalogueServiceSpec(
            code="dev-strategie",
            title="Stratégie et projet de la structure",
            summary="Articuler le projet de la structure avec l'évolution de son environnement.",
        ),
    ]


@hookimpl
def pole_workflows() -> list[str]:
    return [str(path) for path in sorted(WORKFLOWS.glob("*.yaml"))]


@hookimpl
def territory_provisioned(territory: Any, source: Any, sample_data: bool) -> None:
    from plugins.developpement.services import developpement_seed

    if source is None:  # the template, built by migrations: seed the shipped deliberation templates
        developpement_seed()


@hookimpl
def demo_seed(territory: Any) -> None:
    from plugins.developpement.services import developpement_seed

    developpement_seed()


@hookimpl
def guard_functions() -> dict[str, Any]:
    from plugins.developpement.guards import GUARDS

    return dict(GUARDS)


def _sections_plan(case: Any, event: Any) -> None:
    from plugins.developpement.tasks import developpement_sections_plan_task

    developpement_sections_plan_task.enqueue(case.pk, event.actor_id)


def _deliberations_draft(case: Any, event: Any) -> None:
    from plugins.developpement.tasks import developpement_deliberations_draft_task

    developpement_deliberations_draft_task.enqueue(case.pk, event.actor_id)


def _deliberations_adopted(case: Any, event: Any) -> None:
    from plugins.developpement.tasks import developpement_deliberations_adopt_task

    developpement_deliberations_adopt_task.enqueue(case.pk, event.actor_id)


_sections_plan.label = "Planifier les sections de la réponse"
_deliberations_draft.label = "Rédiger les projets de délibération"
_deliberations_adopted.label = "Enregistrer l'adoption des délibérations (séance et vote)"


@hookimpl
def transition_actions() -> dict[str, Any]:
    return {
        "developpement_sections_plan": _sections_plan,
        "developpement_deliberations_draft": _deliberations_draft,
        "developpement_deliberations_adopted": _deliberations_adopted,
    }


@hookimpl
def diagnostic_proposals(case: Any, profile: dict[str, Any]) -> list[dict[str, Any]]:
    """A structure whose funding and partnerships are fragile is offered the strategy service."""
    if profile.get("axes", {}).get("financements", 100) >= 40:
        return []
    return [
        {
            "service": "dev-strategie",
            "reason": "Les financements et partenariats sont fragiles : articuler le projet de la structure avec "
            "son environnement (collectivité, DSP, appels à projets).",
            "operator": None,
            "priority": 40,
        }
    ]


@hookimpl
def api_routes() -> list[tuple[str, Any, str]]:
    from plugins.developpement.api.views import DevelopmentCaseViewSet, DraftSectionViewSet

    return [
        ("developpement/sections", DraftSectionViewSet, "developpement-sections"),
        ("developpement/cases", DevelopmentCaseViewSet, "developpement-cases"),
    ]


@hookimpl
def kit_sections() -> list:
    from core.kit.coded import coded_model_section

    return [
        coded_model_section(
            code="developpement_deliberation_templates",
            label="Développement : modèles de délibérations",
            model="developpement.DeliberationTemplate",
        )
    ]


@hookimpl
def case_event_kinds() -> list:
    from plugins.developpement.events import KINDS

    return list(KINDS)


@hookimpl
def role_permissions() -> dict[str, list[str]]:
    """Territory admins and coordinators edit the model deliberations."""
    editing = [f"developpement.{action}_deliberationtemplate" for action in ("add", "change", "delete", "view")]
    return {"platform_admin": editing, "pole_coordinator": editing}


@hookimpl
def case_panels(request: Any, case: Any) -> Any:
    from plugins.developpement.views import case_panel

    return case_panel(request, case)


@hookimpl
def transition_data_check(case: Any, transition: str, data: dict[str, Any]) -> dict[str, list[str]]:
    from plugins.developpement.checks import sieg_data_check

    return sieg_data_check(case=case, transition=transition, data=data)


@hookimpl
def case_personal_data_anonymise(case, marker) -> dict:
    from plugins.developpement.personal_data import case_partners_anonymise

    return case_partners_anonymise(case, marker)
