"""pluggy hook implementations of the support pole (thin: they delegate to the pole's modules)."""

from core.hookspecs import CatalogueServiceSpec
from core.plugins import hookimpl


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
