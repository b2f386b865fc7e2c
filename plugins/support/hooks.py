"""pluggy hook implementations of the support pole (thin: they delegate to the pole's modules)."""

from pathlib import Path
from typing import Any

from core.hookspecs import CatalogueServiceSpec
from core.plugins import hookimpl

WORKFLOWS = Path(__file__).resolve().parent / "workflows"


@hookimpl
def catalogue_services() -> list[CatalogueServiceSpec]:
    return [
        CatalogueServiceSpec(
            code="support-comptabilite",
            title="Tenue de la comptabilité",
            summary="Saisie, révision et clôture des comptes annuels de l'association.",
            description="Un opérateur comptable de l'ESS tient la comptabilité de la structure, prépare le "
            "bilan et le compte de résultat et les présente au conseil d'administration.",
        ),
        CatalogueServiceSpec(
            code="support-paie",
            title="Gestion de la paie",
            summary="Bulletins de salaire, déclarations sociales (DSN) et suivi des absences.",
            description="Établissement mensuel des bulletins, DSN, gestion des arrêts et des congés, "
            "application de la convention collective.",
        ),
        CatalogueServiceSpec(
            code="support-rh",
            title="Accompagnement en ressources humaines",
            summary="Recrutement, entretiens professionnels, plan de formation et droit du travail.",
            description="Appui à la direction et au bureau sur les recrutements, les entretiens annuels, "
            "la formation et les relations sociales.",
        ),
        CatalogueServiceSpec(
            code="support-gouvernance",
            title="Gouvernance associative",
            summary="Renouvellement du bureau, accueil des bénévoles, délégations et assemblée générale.",
            description="Aider le conseil d'administration à répartir les rôles, transmettre les dossiers "
            "lors du renouvellement du bureau et prévenir l'épuisement des bénévoles.",
        ),
        CatalogueServiceSpec(
            code="support-gestion-budgetaire",
            title="Gestion budgétaire et financements",
            summary="Budget prévisionnel, tableau de bord, dossiers CAF et subventions.",
            description="Construction du budget, suivi de trésorerie, préparation des dossiers PSU CAF, "
            "des demandes de subvention et des bilans pour la collectivité.",
        ),
        CatalogueServiceSpec(
            code="support-echange-pratiques",
            title="Échanges de pratiques",
            summary="Rencontres entre directions et équipes pour valoriser et partager les pratiques.",
        ),
    ]


@hookimpl
def pole_workflows() -> list[str]:
    return [str(path) for path in sorted(WORKFLOWS.glob("*.yaml"))]


@hookimpl
def territory_provisioned(territory: Any, source: Any, sample_data: bool) -> None:
    from plugins.support.services import support_seed

    if source is None:  # the template, built by migrations: seed the shipped rules and templates
        support_seed()


@hookimpl
def demo_seed(territory: Any) -> None:
    from plugins.support.services import support_seed

    support_seed()


@hookimpl
def api_routes() -> list[tuple[str, Any, str]]:
    from plugins.support.api import views

    return [
        ("support/proposal-rules", views.ProposalRuleViewSet, "support-proposal-rules"),
        ("support/cases", views.SupportCaseViewSet, "support-cases"),
        ("support/proposals", views.ProposalViewSet, "support-proposals"),
        ("support/conventions", views.ConventionViewSet, "support-conventions"),
        ("support/tasks", views.TaskViewSet, "support-tasks"),
        ("support/evaluation", views.EvaluationViewSet, "support-evaluation"),
    ]


@hookimpl
def guard_functions() -> dict[str, Any]:
    from plugins.support.guards import GUARDS

    return dict(GUARDS)


def _diagnostic_score(case: Any, event: Any) -> None:
    from plugins.support.tasks import support_diagnostic_score_task

    support_diagnostic_score_task.enqueue(case.pk)


def _conventions_generate(case: Any, event: Any) -> None:
    from plugins.support.tasks import support_conventions_generate_task

    support_conventions_generate_task.enqueue(case.pk)


_diagnostic_score.label = "Noter le diagnostic et calculer les propositions"
_conventions_generate.label = "Établir les conventions"


@hookimpl
def transition_actions() -> dict[str, Any]:
    return {"support_diagnostic_score": _diagnostic_score, "support_conventions_generate": _conventions_generate}


@hookimpl
def diagnostic_proposals(case: Any, profile: dict[str, Any]) -> list[dict[str, Any]]:
    from plugins.support.selectors import proposals_from_rules

    return proposals_from_rules(case=case, profile=profile)


@hookimpl
def kit_sections() -> list:
    from core.kit.coded import coded_model_section

    return [
        coded_model_section(
            code="support_proposal_rules", label="Support : règles de proposition", model="support.ProposalRule"
        ),
        coded_model_section(
            code="support_convention_templates",
            label="Support : modèles de conventions",
            model="support.ConventionTemplate",
        ),
    ]


@hookimpl
def case_event_kinds() -> list:
    from plugins.support.events import KINDS

    return list(KINDS)


# The workflows whose transitions `case_transitioned` reacts to (core.plugins.case_transitioned_listened): the
# transitions of the others (remplacement, développement, workflows built in the editor) record no
# after-transition effect for this pole. A territory's own versions of the support workflow keep its code.
CASE_TRANSITIONED_WORKFLOWS = ("support-accompagnement",)


@hookimpl
def case_transitioned(case: Any, event: Any) -> None:
    """« Revoir les propositions »: the conventions drawn up are set aside, every proposal can be decided again."""
    if (event.from_state, event.to_state) == ("conventions", "propositions") and case.support_conventions.exists():
        from plugins.support.services import proposals_revise

        proposals_revise(case=case, actor=event.actor)


@hookimpl
def role_permissions() -> dict[str, list[str]]:
    """Territory admins and coordinators edit the proposal rules and the convention templates."""
    editing = [f"support.{action}_{model}" for model in ("proposalrule", "conventiontemplate")
               for action in ("add", "change", "delete", "view")]  # fmt: skip
    return {"platform_admin": editing, "pole_coordinator": editing}


@hookimpl
def home_panels(request: Any) -> list:
    """The person's work in the pole on the home screen (tasks, proposals to decide, conventions to sign...)."""
    from core.hookspecs import HomePanel
    from plugins.support.selectors import home_items

    items = home_items(user=request.user)
    if not any(items.get(key) for key in ("tasks", "to_decide", "to_answer", "carried_out", "to_sign")):
        return []
    title = "Mes tâches de coordination" if "tasks" in items else "Pôle support : ce qui vous attend"
    return [HomePanel(title=title, template="support/home/panel.html", context=items, order=110)]


@hookimpl
def case_panels(request: Any, case: Any) -> Any:
    from plugins.support.panels import case_panel

    return case_panel(request, case)


@hookimpl
def person_personal_data(user, email) -> list:
    from plugins.support.personal_data import signatory_personal_data

    return signatory_personal_data(user)
