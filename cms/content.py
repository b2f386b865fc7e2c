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
