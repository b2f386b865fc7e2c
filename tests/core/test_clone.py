"""A clone carries the source's configuration and nothing of its people, cases or directory."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django_tenants.utils import schema_context

from core.models import CatalogueService, KitSnapshot, Network, Operator, Structure
from core.services.clone import _tenant_models, configuration_models
from core.services.users import user_create
from tenants.models import TerritoryPole
from tenants.services import territory_clone


def _fill_source(territory):
    with schema_context(territory.schema_name):
        user_create(email="directrice@example.org", first_name="Anne", groups=["case_worker"], send_welcome=False)
        network = Network.objects.create(name="Réseau test")
        Structure.objects.create(name="Les Lutins", kind="creche", commune="Rennes", network=network)
        operator = Operator.objects.create(name="Compta ESS")
        operator.services.add(CatalogueService.objects.get(code="support-paie"))
        service = CatalogueService.objects.get(code="support-paie")
        service.title = "Paie (version bretonne)"
        service.save()
        Group.objects.create(name="comite_de_pilotage")
    TerritoryPole.objects.create(territory=territory, pole="remplacement", enabled=False, settings={"delai": 3})


def test_territory_clone_keeps_configuration_and_no_personal_data(territory):
    _fill_source(territory)
    steps = []
    clone = territory_clone(
        source=territory, code="29", name="Finistère", progress=lambda step, total, label: steps.append(step)
    )
    assert steps == [1, 2, 3, 4]
    assert clone.cloned_from == territory
    with schema_context(clone.schema_name):
        assert get_user_model().objects.count() == 0
        assert Structure.objects.count() == 0
        assert Network.objects.count() == 0
        assert Operator.objects.count() == 0
        assert CatalogueService.objects.get(code="support-paie").title == "Paie (version bretonne)"
        assert Group.objects.filter(name="comite_de_pilotage").exists()
        assert Group.objects.filter(name="case_worker").exists()
        from wagtail.models import Page

        assert Page.objects.filter(slug="charte").exists()
        home = Page.objects.get(depth=2).specific
        assert home.title == home.get_latest_revision_as_object().title == "Plateforme Petite Enfance — Finistère"
        snapshot = KitSnapshot.objects.get()
        assert snapshot.source_schema == territory.schema_name
        assert snapshot.sections["catalogue"]["support-paie"]["title"] == "Paie (version bretonne)"
        from cms.models import SiteDraft

        draft = SiteDraft.objects.get()  # the clone's own draft, naming its source
        assert territory.name in draft.source_names
        for model in _tenant_models():
            if model not in configuration_models() and model not in (KitSnapshot, SiteDraft):  # its own, new
                assert not model._default_manager.exists(), f"{model._meta.label} crossed to the clone"
    pole = TerritoryPole.objects.get(territory=clone, pole="remplacement")
    assert (pole.enabled, pole.settings) == (False, {"delai": 3})
    connection.set_schema_to_public()


def test_territory_clone_with_sample_data_seeds_the_demo_directory(territory):
    clone = territory_clone(code="29", name="Finistère", sample_data=True)
    with schema_context(clone.schema_name):
        assert Structure.objects.count() > 0
        assert Operator.objects.count() > 0
        # fictitious accounts of the poles' sample data (substitutes), none from the source
        assert not get_user_model().objects.filter(is_superuser=True).exists()


def test_people_and_directory_are_not_configuration():
    labels = {model._meta.label for model in configuration_models()}
    assert {"core.CatalogueService", "auth.Group", "wagtailcore.Page", "cms.CharterPage"} <= labels
    assert not labels & {"auth.User", "core.Structure", "core.Operator", "core.Network", "authtoken.Token"}
    assert "core.Operator_services" not in labels
