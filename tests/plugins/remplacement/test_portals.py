"""The portals, as a substitute, a structure and a coordinator see them (server-rendered, French), and what
each may see of the others."""

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile

from plugins.remplacement import services
from plugins.remplacement.models import Offer, ReplacementRequest, RequestState, SubstituteDocument
from tenants.models import TerritoryPole

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _need(structure, monday, **extra):
    return {
        "structure": structure.pk,
        "qualification": "auxiliaire_puericulture",
        "headcount": 1,
        "allow_split": "on",
        "urgency": "normal",
        "reason": "maladie",
        "age_group": "mixte",
        "ratio_mode": "marche",
        "children_not_walking": 4,
        "children_walking": 8,
        "staff_auxiliaire_puericulture": 1,
        "slot0_date": monday.isoformat(),
        "slot0_start": "08:00",
        "slot0_end": "12:00",
        "action": "publish",
        **extra,
    }


def test_login_page_and_anonymous_redirect(client_35):
    response = client_35.get("/remplacement/offres/")
    assert response.status_code == 302
    assert response["Location"].startswith("/remplacement/connexion/")
    page = client_35.get("/remplacement/connexion/").content.decode()
    assert "Connexion au pôle remplacement" in page
    assert "/demande/?service=remplacement-vivier" in page  # how to join the pool


def test_a_substitute_sees_an_offer_and_accepts_it(client_35, make_request, make_substitute, set_pole_settings):
    set_pole_settings(dispatch_policy="first_accept")
    anna = make_substitute("Anna")
    request = make_request()
    offer = services.offer_wave_send(request_id=request.pk, wave=1)[0]
    client_35.force_login(anna.user)
    page = client_35.get("/remplacement/", follow=True).content.decode()
    assert "Les Petits Loups" in page
    assert "Voir et répondre" in page
    detail = client_35.get(f"/remplacement/offres/{offer.pk}/").content.decode()
    assert "Accepter cette mission" in detail
    response = client_35.post(f"/remplacement/offres/{offer.pk}/reponse/", {"answer": "accept"}, follow=True)
    assert "la mission est à vous" in response.content.decode()
    request.refresh_from_db()
    assert request.state == RequestState.FILLED


def test_a_substitute_takes_only_the_days_she_can_of_a_split_request(
    client_35, make_request, make_substitute, set_pole_settings, monday
):
    set_pole_settings(dispatch_policy="first_accept")
    anna = make_substitute("Anna")
    request = make_request(
        slots=[
            {"date": monday, "start": "08:00", "end": "17:00"},
            {"date": monday + dt.timedelta(days=1), "start": "08:00", "end": "17:00"},
        ]
    )
    (offer,) = services.offer_wave_send(request_id=request.pk, wave=1)
    first, _second = request.slots.order_by("starts_at")
    client_35.force_login(anna.user)
    assert 'name="slot"' in client_35.get(f"/remplacement/offres/{offer.pk}/").content.decode()
    client_35.post(f"/remplacement/offres/{offer.pk}/reponse/", {"answer": "accept", "slot": [first.pk]})
    assert list(request.assignments.values_list("slot_id", flat=True)) == [first.pk]
    request.refresh_from_db()
    assert request.state == RequestState.OFFERED  # the Tuesday goes to someone else


def test_split_shifts_several_ranges_a_day_are_kept(client_35, make_substitute):
    anna = make_substitute("Anna")
    client_35.force_login(anna.user)
    page = client_35.get("/remplacement/disponibilites/").content.decode()
    assert "Lundi (plage 2) : de" in page
    bad = client_35.post(
        "/remplacement/disponibilites/",
        {"form": "weekly", "d0_0_start": "07:00", "d0_0_end": "12:00", "d0_1_start": "11:00", "d0_1_end": "19:00"},
    )
    assert bad.status_code == 422
    assert "Deux plages du lundi se chevauchent" in bad.content.decode()
    assert anna.availability_rules.count() == 5  # unchanged
    client_35.post(
        "/remplacement/disponibilites/",
        {"form": "weekly", "d0_0_start": "07:00", "d0_0_end": "11:30", "d0_1_start": "15:30", "d0_1_end": "19:30",
         "d2_0_start": "08:00", "d2_0_end": "18:00"},
    )  # fmt: skip
    rules = [(r.weekday, f"{r.start_time:%H:%M}", f"{r.end_time:%H:%M}") for r in anna.availability_rules.all()]
    assert rules == [(0, "07:00", "11:30"), (0, "15:30", "19:30"), (2, "08:00", "18:00")]
    again = client_35.get("/remplacement/disponibilites/").content.decode()
    assert 'value="15:30"' in again  # the second range is shown again, not lost on the next save


def test_a_substitute_keeps_a_profile_with_documents_and_may_pause(client_35, make_substitute):
    anna = make_substitute("Anna", criminal_record=False, vaccinations=False)
    client_35.force_login(anna.user)
    page = client_35.get("/remplacement/profil/").content.decode()
    assert "Extrait de casier judiciaire (bulletin n° 3)" in page
    assert "Manquant" in page
    bad = client_35.post(
        "/remplacement/profil/",
        {"form": "profile", "home_commune_insee": "99999", "max_distance_km": 20, "max_hours_week": 30,
         "max_hours_month": 120},
    )  # fmt: skip
    assert bad.status_code == 422
    assert "Commune inconnue" in bad.content.decode()
    client_35.post(
        "/remplacement/profil/",
        {"form": "profile", "home_commune_insee": "35047", "max_distance_km": 20, "max_hours_week": 30,
         "max_hours_month": 120, "phone": "06 11 22 33 44", "preferred_age_groups": ["bebes"]},
    )  # fmt: skip
    anna.refresh_from_db()
    assert (anna.home_commune_name, anna.max_distance_km, anna.preferred_age_groups) == ("Bruz", 20, ["bebes"])
    upload = SimpleUploadedFile("casier.pdf", PDF, content_type="application/pdf")
    client_35.post(
        "/remplacement/profil/",
        {"form": "document", "kind": "casier", "file": upload, "issued_on": dt.date.today().isoformat(),  # noqa: DTZ011
         "expires_on": (dt.date.today() + dt.timedelta(days=90)).isoformat()},  # noqa: DTZ011
    )  # fmt: skip
    document = SubstituteDocument.objects.get(substitute=anna)
    assert document.verified_at is None  # the coordination checks it
    assert client_35.get(f"/remplacement/documents/{document.pk}/").status_code == 200
    client_35.post("/remplacement/profil/", {"form": "pause"})
    anna.refresh_from_db()
    assert not anna.is_active


def test_a_structure_posts_a_need_and_picks_a_volunteer(client_35, structure, structure_user, make_substitute, monday):
    anna = make_substitute("Anna")
    other = make_substitute("Zoé")
    client_35.force_login(structure_user)
    form = client_35.get("/remplacement/structure/nouveau/").content.decode()
    assert "Enfants présents qui ne marchent pas" in form
    assert "Auxiliaire de puériculture" in form
    bad = client_35.post("/remplacement/structure/nouveau/", _need(structure, monday, slot0_start="12:00",
                                                                       slot0_end="08:00"))  # fmt: skip
    assert bad.status_code == 422
    assert "la fin (08:00) doit être après le début (12:00)" in bad.content.decode()
    assert not ReplacementRequest.objects.exists()
    response = client_35.post("/remplacement/structure/nouveau/", _need(structure, monday))
    request = ReplacementRequest.objects.get()
    assert response["Location"] == f"/remplacement/structure/demandes/{request.pk}/"
    detail = client_35.get(response["Location"]).content.decode()
    assert "Il manque 1 professionnel" in detail  # 4 ÷ 5 + 8 ÷ 8 → 2, one present
    assert "Anna" not in detail  # the pool stays private: no names before anyone volunteers
    offers = {o.substitute_id: o for o in services.offer_wave_send(request_id=request.pk, wave=1)}
    services.offer_accept(offer=offers[anna.pk], actor=anna.user)  # structure_picks: a volunteer
    detail = client_35.get(f"/remplacement/structure/demandes/{request.pk}/").content.decode()
    assert "Retenir Anna" in detail
    assert "Zoé" not in detail  # offered, but not a volunteer
    assert "Pourquoi les autres" not in detail  # exclusion reasons are the coordinators'
    client_35.post(
        f"/remplacement/structure/demandes/{request.pk}/", {"action": "confirm", "offer": offers[anna.pk].pk}
    )
    offers[anna.pk].refresh_from_db()
    assert offers[anna.pk].status == Offer.Status.ACCEPTED
    assert other.pk != anna.pk


def test_a_coordinator_sees_the_ranking_and_the_reasons_and_assigns_directly(
    client_35, coordinator, make_request, make_substitute
):
    anna = make_substitute("Anna")
    far = make_substitute("Loïc", commune="22278")
    request = make_request()
    services.offer_wave_send(request_id=request.pk, wave=1)
    client_35.force_login(coordinator)
    page = client_35.get(f"/remplacement/structure/demandes/{request.pk}/").content.decode()
    assert "Remplaçant·es possibles" in page
    assert "Loïc" in page and "Trop loin" in page  # noqa: PT018
    response = client_35.post(
        f"/remplacement/structure/demandes/{request.pk}/", {"action": "assign", "substitute": anna.pk}, follow=True
    )
    assert "est affecté·e directement" in response.content.decode()
    request.refresh_from_db()
    assert request.state == RequestState.FILLED
    assert far.pk != anna.pk


def test_the_coordinators_board_shows_the_coming_days(  # noqa: PLR0917  (pytest fixtures)
    client_35, coordinator, make_request, make_substitute, monday, django_capture_on_commit_callbacks
):
    make_substitute("Anna")
    open_one = make_request()
    offered = make_request(slots=[{"date": monday + dt.timedelta(days=1), "start": "08:00", "end": "12:00"}])
    with django_capture_on_commit_callbacks(execute=True):
        services.offer_wave_send(request_id=offered.pk, wave=1)
    client_35.force_login(coordinator)
    page = client_35.get("/remplacement/tableau/?jours=31").content.decode()
    assert "Ouvertes (1)" in page
    assert "En recherche (1)" in page
    assert "Pourvues (0)" in page
    assert f"/remplacement/structure/demandes/{open_one.pk}/" in page
    assert "lines.csv" in page  # the export per mission and per shift


def test_others_are_kept_out(client_35, make_user, make_request, make_substitute, structure_user, territory):  # noqa: PLR0917
    stranger = make_user("Inconnu")
    anna = make_substitute("Anna")
    request = make_request()
    client_35.force_login(stranger)
    assert client_35.get("/remplacement/").status_code == 403
    assert client_35.get(f"/remplacement/structure/demandes/{request.pk}/").status_code == 403
    client_35.force_login(anna.user)
    assert client_35.get(f"/remplacement/structure/demandes/{request.pk}/").status_code == 403
    client_35.force_login(structure_user)
    assert client_35.get("/remplacement/tableau/").status_code == 403
    TerritoryPole.objects.create(territory=territory, pole="remplacement", enabled=False)
    assert client_35.get("/remplacement/structure/").status_code == 404
