"""The portals, as a substitute, a structure and a coordinator see them (server-rendered, French)."""

import datetime as dt

from django.core import mail

from plugins.remplacement import services
from plugins.remplacement.models import Offer, ReplacementRequest, RequestState
from tenants.models import TerritoryPole


def test_login_page_and_anonymous_redirect(client_35):
    response = client_35.get("/remplacement/offres/")
    assert response.status_code == 302
    assert response["Location"].startswith("/remplacement/connexion/")
    page = client_35.get("/remplacement/connexion/")
    assert page.status_code == 200
    assert "Connexion au pôle remplacement" in page.content.decode()


def test_a_substitute_sees_an_offer_and_accepts_it(client_35, make_request, make_substitute, set_pole_settings):
    set_pole_settings(dispatch_policy="first_accept")
    anna = make_substitute("Anna")
    request = make_request()
    offer = services.offer_wave_send(request_id=request.pk, wave=1)[0]
    client_35.force_login(anna.user)
    page = client_35.get("/remplacement/", follow=True).content.decode()
    assert "Les Petits Loups" in page
    assert "Accepter la mission du" in page
    response = client_35.post(f"/remplacement/offres/{offer.pk}/reponse/", {"answer": "accept"}, follow=True)
    assert "la mission est à vous" in response.content.decode()
    request.refresh_from_db()
    assert request.state == RequestState.FILLED
    assert request.substitute == anna


def test_a_substitute_updates_the_weekly_pattern_with_clear_errors(client_35, make_substitute):
    anna = make_substitute("Anna")
    client_35.force_login(anna.user)
    bad = client_35.post("/remplacement/disponibilites/", {"form": "weekly", "d0_start": "18:00", "d0_end": "08:00"})
    assert "la fin (08:00) doit suivre le début (18:00)" in bad.content.decode()
    assert anna.availability_rules.count() == 5  # unchanged
    client_35.post("/remplacement/disponibilites/", {"form": "weekly", "d2_start": "08:00", "d2_end": "18:00"})
    assert list(anna.availability_rules.values_list("weekday", flat=True)) == [2]


def test_a_structure_posts_a_need_and_picks_a_volunteer(client_35, structure, structure_user, make_substitute, monday):
    anna = make_substitute("Anna")
    client_35.force_login(structure_user)
    form = client_35.get("/remplacement/structure/nouveau/")
    assert form.status_code == 200
    bad = client_35.post(
        "/remplacement/structure/nouveau/",
        {
            "structure": structure.pk,
            "qualification": "auxiliaire_puericulture",
            "urgency": "normal",
            "reason": "maladie",
            "age_group": "mixte",
            "children_present": 12,
            "staff_present": 1,
            "children_per_staff": 6,
            "slot0_date": monday.isoformat(),
            "slot0_start": "12:00",
            "slot0_end": "08:00",
        },
    )
    assert "la fin (08:00) doit être après le début (12:00)" in bad.content.decode()
    assert not ReplacementRequest.objects.exists()
    response = client_35.post(
        "/remplacement/structure/nouveau/",
        {
            "structure": structure.pk,
            "qualification": "auxiliaire_puericulture",
            "urgency": "normal",
            "reason": "maladie",
            "age_group": "mixte",
            "children_present": 12,
            "staff_present": 1,
            "children_per_staff": 6,
            "slot0_date": monday.isoformat(),
            "slot0_start": "08:00",
            "slot0_end": "12:00",
        },
    )
    request = ReplacementRequest.objects.get()
    assert response["Location"] == f"/remplacement/structure/demandes/{request.pk}/"
    detail = client_35.get(response["Location"]).content.decode()
    assert "il manque 1 professionnel·le" in detail
    assert "Anna" in detail
    offer = services.offer_wave_send(request_id=request.pk, wave=1)[0]
    services.offer_accept(offer=offer, actor=anna.user)  # structure_picks: a volunteer
    detail = client_35.get(f"/remplacement/structure/demandes/{request.pk}/").content.decode()
    assert "Retenir" in detail
    client_35.post(f"/remplacement/structure/demandes/{request.pk}/", {"action": "confirm", "offer": offer.pk})
    offer.refresh_from_db()
    assert offer.status == Offer.Status.ACCEPTED


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
    assert "Proposées (1)" in page
    assert "Pourvues (0)" in page
    assert f"/remplacement/structure/demandes/{open_one.pk}/" in page
    assert [m.subject for m in mail.outbox] == ["Mission proposée : Les Petits Loups (Rennes)"]


def test_others_are_kept_out(client_35, make_user, make_substitute, structure_user, territory):
    stranger = make_user("Inconnu")
    client_35.force_login(stranger)
    assert client_35.get("/remplacement/").status_code == 403
    client_35.force_login(structure_user)
    assert client_35.get("/remplacement/tableau/").status_code == 403
    TerritoryPole.objects.create(territory=territory, pole="remplacement", enabled=False)
    assert client_35.get("/remplacement/structure/").status_code == 404
