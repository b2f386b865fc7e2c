"""The first draft of the pages a territory starts with, drawn from the platform's founding text."""

HOME_INTRO = (
    "<p>La plateforme Petite enfance réunit les associations de l'économie sociale et solidaire qui gèrent "
    "des crèches, des multi-accueils et des haltes-garderies. Une structure sollicite la plateforme ; "
    "celle-ci réalise un diagnostic complet de ses besoins et de ses compétences, lui propose des services "
    "tenant compte de son environnement (fédération ou non, niveau de professionnalisation), les fait "
    "réaliser par des structures ESS du territoire — à défaut par la plateforme —, signe les conventions, "
    "assure le suivi, la coordination et l'évaluation.</p>"
    "<p>Trois pôles : <b>support</b> (comptabilité, gestion, ressources humaines), <b>développement</b> "
    "(réponses communes aux DSP et appels à projets, accompagnement des collectivités) et "
    "<b>remplacement</b> (professionnels remplaçants qualifiés).</p>"
)

CHARTER_INTRO = (
    "<p>Les associations de la plateforme partagent une charte de valeurs communes, fondée sur celle de "
    "l'UNIOPSS et complétée par le réseau. Elle guide chaque service rendu aux structures, aux familles et "
    "aux collectivités.</p>"
)

CHARTER_VALUES = [
    (
        "Primauté de la personne",
        "<p>L'enfant et sa famille sont au cœur de l'accueil. Chaque décision de la plateforme se mesure à "
        "ce qu'elle apporte aux enfants accueillis et aux professionnels qui les accompagnent.</p>",
    ),
    (
        "Non-lucrativité et gestion désintéressée",
        "<p>Les excédents sont réinvestis au service du projet. La plateforme mutualise les moyens pour "
        "renforcer les associations face à la montée du privé lucratif.</p>",
    ),
    (
        "Solidarité entre structures",
        "<p>Les grandes structures et les petites, fédérées ou non, s'entraident : partage des compétences, "
        "des outils et des professionnels remplaçants.</p>",
    ),
    (
        "Participation et engagement bénévole",
        "<p>Les parents et les bénévoles administrent les associations. La plateforme prévient leur "
        "épuisement et facilite le renouvellement des bureaux.</p>",
    ),
    (
        "Ancrage territorial et coopération avec les collectivités",
        "<p>Chaque structure travaille avec sa commune : subvention, convention d'objectifs, achat de "
        "places, DSP ou SIEG. La plateforme aide les collectivités, surtout les petites, à construire ces "
        "partenariats dans l'intérêt général.</p>",
    ),
    (
        "Qualité de l'accueil et professionnalisation",
        "<p>Valoriser les pratiques, échanger entre équipes, former : la qualité de l'accueil repose sur des "
        "professionnels reconnus et soutenus.</p>",
    ),
]

CHARTER_COMMITMENTS = {
    "Primauté de la personne": [
        "Placer le bien-être de l'enfant avant toute considération de gestion.",
        "Associer les familles aux projets des structures.",
    ],
    "Non-lucrativité et gestion désintéressée": [
        "Réinvestir les excédents dans la qualité de l'accueil.",
        "Confier les services d'abord aux structures ESS du territoire.",
    ],
    "Solidarité entre structures": [
        "Ouvrir les services de la plateforme aux structures fédérées comme aux indépendantes.",
    ],
    "Participation et engagement bénévole": [
        "Accompagner chaque renouvellement de bureau.",
        "Former les bénévoles aux fonctions d'employeur.",
    ],
}

# --- Structural pages: every territory starts with them (built in the template, copied by each clone) ------

APPROACH_INTRO = (
    "<p>La plateforme Petite enfance est née d'un diagnostic partagé par les associations gestionnaires : "
    "épuisement des bénévoles, renouvellement fréquent des bureaux, manque de compétences dans certains "
    "domaines, besoin de valoriser les pratiques et d'échanger — dans un contexte qui évolue très vite "
    "(réglementation, arrivée des délégations de service public, montée du privé lucratif).</p>"
)

APPROACH_STEPS = [
    "Une structure d'accueil du jeune enfant sollicite la plateforme.",
    "La plateforme réalise un diagnostic complet de ses besoins et de ses compétences.",
    "Elle propose des services qui tiennent compte de ses besoins et de son environnement (fédération ou non, "
    "niveau de professionnalisation…).",
    "Les services sont réalisés par des structures de l'ESS du territoire, à défaut par la plateforme.",
    "Des conventions sont signées entre la plateforme et la structure, et entre la plateforme et l'opérateur.",
    "Les services sont mis en place.",
    "La plateforme assure le suivi et la coordination.",
    "Chaque accompagnement fait l'objet d'une évaluation.",
]

POLES_TEXT = [
    (
        "Le pôle support",
        "Comptabilité, gestion, ressources humaines : le premier pôle lancé, parce qu'il faisait l'unanimité "
        "et n'était pas trop compliqué techniquement.",
    ),
    (
        "Le pôle développement",
        "Réponses communes aux délégations de service public et aux appels à projets, accompagnement des "
        "collectivités : très attendu, mais délicat politiquement.",
    ),
    (
        "Le pôle remplacement",
        "Des professionnels remplaçants qualifiés pour les absences des équipes : très attendu, mais "
        "complexe techniquement.",
    ),
]

PARTNERSHIP_KINDS = [
    "Pas d'aide de la collectivité d'implantation (fonctionnement parental, PSU CAF, conseil départemental)",
    "Subvention annuelle",
    "Conventionnement avec objectifs",
    "Achat de places",
    "Délégation de service public (DSP)",
    "Service d'intérêt économique général (SIEG)",
]


def approach_body() -> list[tuple[str, object]]:
    body: list[tuple[str, object]] = [
        ("heading", "Le principe de la plateforme"),
        ("list", {"ordered": True, "items": APPROACH_STEPS}),
        ("heading", "Trois pôles"),
    ]
    for title, text in POLES_TEXT:
        body.append(("paragraph", f"<p><b>{title}.</b> {text}</p>"))
    body += [
        ("heading", "Des partenariats très divers avec les collectivités"),
        (
            "paragraph",
            "<p>Selon les territoires, les structures travaillent avec leur collectivité de bien des façons. "
            "L'origine des projets, qui fonde la subvention, se perd parfois au fil des années : la plateforme "
            "aide à la retrouver et à la formaliser.</p>",
        ),
        ("list", {"ordered": False, "items": PARTNERSHIP_KINDS}),
    ]
    return body


CATALOGUE_INTRO = (
    "<p>Les services que la plateforme propose aux structures d'accueil, aux collectivités et aux "
    "professionnels. Chaque service est réalisé par un opérateur de l'économie sociale et solidaire du "
    "territoire ou, à défaut, par la plateforme.</p>"
)

OPERATORS_INTRO = (
    "<p>Les opérateurs de l'économie sociale et solidaire (coopératives, groupements d'employeurs, "
    "associations) qui réalisent les services de la plateforme, avec la zone qu'ils couvrent.</p>"
)

FIGURES_INTRO = (
    "<p>L'économie sociale et solidaire (ESS) tient une place majeure dans l'accueil du jeune enfant, mais "
    "sa présence varie selon les territoires.</p>"
)

SOURCE = "Constats de la plateforme Petite Enfance"


def key_figures_body() -> list[tuple[str, object]]:
    return [
        (
            "figures",
            {
                "title": "L'ESS dans l'accueil du jeune enfant en France",
                "figures": [
                    {"value": 3660, "unit": "", "label": "établissements d'accueil de jeunes enfants"},
                    {"value": 32860, "unit": "", "label": "salariés"},
                    {"value": 560, "unit": "M€", "label": "de masse salariale"},
                    {"value": 87, "unit": "%", "label": "des établissements privés du secteur"},
                ],
                "source": SOURCE,
            },
        ),
        (
            "share_chart",
            {
                "title": "Part de l'ESS parmi les établissements privés en France",
                "summary": "L'ESS gère près de neuf établissements privés d'accueil du jeune enfant sur dix.",
                "unit": "",
                "items": [
                    {"label": "ESS", "value": 87, "note": ""},
                    {"label": "Privé hors ESS", "value": 13, "note": ""},
                ],
                "source": SOURCE,
            },
        ),
        (
            "share_chart",
            {
                "title": "Qui gère les établissements en Bretagne ?",
                "summary": "En Bretagne, le secteur public gère plus de la moitié des établissements et l'ESS "
                "40 % ; la place du privé hors ESS reste marginale.",
                "unit": "",
                "items": [
                    {"label": "Public", "value": 56, "note": ""},
                    {"label": "ESS", "value": 40, "note": "156 établissements"},
                    {"label": "Privé hors ESS", "value": 4, "note": ""},
                ],
                "source": SOURCE,
            },
        ),
        (
            "bar_chart",
            {
                "title": "Taille moyenne des établissements",
                "summary": "Les établissements de l'ESS sont deux fois plus petits que ceux du secteur public : "
                "6 salariés en moyenne contre 11,9.",
                "unit": "salariés",
                "items": [
                    {"label": "ESS", "value": 6, "note": "4,7 ETP"},
                    {"label": "Secteur public", "value": "11.9", "note": ""},
                ],
                "source": SOURCE,
            },
        ),
        (
            "paragraph",
            "<p>Des structures petites, souvent gérées par des bénévoles : c'est pour elles que la plateforme "
            "mutualise la comptabilité, la gestion, les ressources humaines et le remplacement des "
            "professionnels.</p>",
        ),
    ]


NEWS_INTRO = "<p>Les nouvelles de la plateforme et de ses pôles.</p>"

CONTACT_INTRO = (
    "<p>Une question sur la plateforme, ses services ou la charte ? L'équipe de la plateforme vous répond.</p>"
)

LEGAL_NOTICE = [
    ("heading", "Éditeur du site"),
    (
        "paragraph",
        "<p>Ce site est édité par l'association de gestion de la Plateforme Petite Enfance du territoire, "
        "association régie par la loi du 1er juillet 1901. Ses coordonnées figurent sur la page Contact.</p>",
    ),
    ("heading", "Hébergement"),
    (
        "paragraph",
        "<p>Le site est hébergé sur les serveurs de la Plateforme Petite Enfance, en France. Aucune police de "
        "caractères ni aucun script n'est chargé depuis un service tiers.</p>",
    ),
    ("heading", "Accessibilité"),
    (
        "paragraph",
        "<p>Le site vise la conformité au référentiel général d'amélioration de l'accessibilité (RGAA) et aux "
        "règles WCAG 2.1 de niveau AA. Si vous rencontrez une difficulté, signalez-la via la page Contact : "
        "nous vous apporterons l'information sous une autre forme.</p>",
    ),
    ("heading", "Propriété intellectuelle"),
    (
        "paragraph",
        "<p>Les textes de ce site peuvent être repris en citant la Plateforme Petite Enfance. La charte des "
        "valeurs s'inspire de celle de l'UNIOPSS.</p>",
    ),
]

PRIVACY_NOTICE = [
    ("heading", "Les données que nous recueillons"),
    (
        "paragraph",
        "<p>Lorsque vous déposez une demande d'accompagnement, nous recueillons les informations du formulaire : "
        "la structure, la personne à contacter (nom, courriel, téléphone) et la description de votre "
        "besoin.</p>",
    ),
    ("heading", "Pourquoi"),
    (
        "paragraph",
        "<p>Ces données servent uniquement à traiter votre demande : diagnostic, propositions de services, "
        "conventions, suivi et évaluation. Elles sont traitées sur la base de votre consentement, donné en "
        "cochant la case prévue dans le formulaire, puis de la convention qui nous lie le cas échéant.</p>",
    ),
    ("heading", "Qui y a accès"),
    (
        "paragraph",
        "<p>L'équipe de la plateforme du territoire et, pour la réalisation d'un service, l'opérateur de "
        "l'économie sociale et solidaire qui en est chargé. Elles ne sont jamais vendues ni cédées.</p>",
    ),
    ("heading", "Combien de temps"),
    (
        "paragraph",
        "<p>Trois ans après notre dernier échange, sauf convention en cours ou obligation légale de "
        "conservation plus longue (pièces comptables).</p>",
    ),
    ("heading", "Vos droits"),
    (
        "paragraph",
        "<p>Vous pouvez accéder à vos données, les faire rectifier ou effacer, vous opposer à leur traitement "
        "ou retirer votre consentement en écrivant à l'adresse de la page Contact. Vous pouvez aussi adresser "
        "une réclamation à la CNIL.</p>",
    ),
    ("heading", "Cookies"),
    (
        "paragraph",
        "<p>Ce site ne dépose aucun cookie de mesure d'audience ni de publicité. Seul un cookie technique de "
        "sécurité est déposé lorsque vous remplissez le formulaire de demande.</p>",
    ),
]

# --- Demo territory (Ille-et-Vilaine): content drawn from the platform's founding text --------------------

DEMO_HISTORY = [
    ("heading", "En Ille-et-Vilaine"),
    (
        "paragraph",
        "<p>La démarche a été initiée en 2010 par Réso-solidaire auprès des associations (crèches, "
        "multi-accueils, haltes-garderies) et des réseaux : ADMR, Familles Rurales, ACCEP35, Enfance Val d'Ille, "
        "GEDES et d'autres acteurs de l'économie sociale et solidaire.</p>"
        "<p>Aujourd'hui, l'association de gestion est créée ; le pôle support est quasiment monté et démarre "
        "une expérimentation.</p>",
    ),
]

DEMO_NEWS = [
    (
        "lassociation-de-gestion-est-creee",
        "L'association de gestion de la plateforme est créée",
        "2026-09-15",
        "Les associations et les réseaux qui portent la démarche depuis 2010 se dotent d'une association de gestion.",
        [
            (
                "paragraph",
                "<p>Initiée par Réso-solidaire en 2010 avec les associations gestionnaires et les réseaux "
                "(ADMR, Familles Rurales, ACCEP35, Enfance Val d'Ille, GEDES), la démarche franchit une étape : "
                "l'association de gestion de la plateforme est créée. Elle porte la charte de valeurs communes, "
                "fondée sur celle de l'UNIOPSS, et les trois pôles de la plateforme.</p>",
            ),
        ],
    ),
    (
        "le-pole-support-demarre",
        "Le pôle support démarre son expérimentation",
        "2026-10-06",
        "Comptabilité, paie, ressources humaines, gouvernance : les premières structures sont accompagnées.",
        [
            (
                "paragraph",
                "<p>Premier pôle lancé, parce qu'il faisait l'unanimité, le pôle support a finalisé ses outils. "
                "Les structures qui le sollicitent bénéficient d'un diagnostic complet de leurs besoins et de "
                "leurs compétences, puis de propositions de services réalisés par des opérateurs de l'ESS du "
                "territoire.</p>",
            ),
            ("list", {"ordered": False, "items": ["Tenue de la comptabilité", "Paie", "Ressources humaines"]}),
        ],
    ),
    (
        "un-sieg-pour-deux-multi-accueils",
        "Une petite collectivité accompagnée vers un SIEG",
        "2026-11-03",
        "Le pôle développement accompagne une commune qui confie la gestion de deux multi-accueils dans le "
        "cadre d'un service d'intérêt économique général.",
        [
            (
                "paragraph",
                "<p>Après une expérimentation de réponse commune à une délégation de service public, le pôle "
                "développement accompagne une petite collectivité dans la mise en place d'un SIEG pour la "
                "gestion de deux multi-accueils :</p>",
            ),
            (
                "list",
                {
                    "ordered": False,
                    "items": [
                        "animation de la concertation pour définir l'intérêt général ;",
                        "aide à la rédaction des délibérations (intérêt général et mandatement) ;",
                        "définition des résultats attendus par la collectivité pour l'appel à projets "
                        "(grille d'analyse, puis critères d'évaluation).",
                    ],
                },
            ),
        ],
    ),
]

REQUEST_INTRO = (
    "<p>Votre structure (crèche, multi-accueil, halte-garderie) a besoin d'aide en comptabilité, paie, "
    "ressources humaines, gouvernance ou financements ? Décrivez votre situation : la plateforme vous "
    "recontacte pour un diagnostic complet de vos besoins et de vos compétences, puis vous propose des "
    "services réalisés par des opérateurs de l'économie sociale et solidaire du territoire.</p>"
)

REQUEST_PRIVACY_NOTICE = (
    "<p>Les informations de ce formulaire sont destinées à l'équipe de la plateforme du territoire et, pour la "
    "réalisation d'un service, à l'opérateur qui en sera chargé. Elles servent uniquement à traiter votre "
    "demande et sont conservées trois ans après notre dernier échange. Vous pouvez y accéder, les rectifier, "
    "les faire effacer ou retirer votre consentement à tout moment.</p>"
)

REQUEST_THANKS = (
    "<p>Un courriel de confirmation vous a été envoyé. L'équipe de la plateforme étudie votre demande et vous "
    "recontacte dans les prochains jours ouvrés.</p>"
)
