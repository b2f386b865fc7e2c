"""Clone, export and import on the real demo content (news with dates, a page per catalogue service, links
between pages): every reference inside a kit is by natural key, so pages keep their services."""

from __future__ import annotations

import io
import tarfile

import yaml
from django.core.management import call_command
from django_tenants.utils import schema_context

from core.models import CatalogueService, KitSnapshot
from core.services.kit import configuration_export, kit_export, kit_import
from tenants.models import Territory
from tenants.services import territory_clone


def _service_pages(territory) -> dict[str, str]:
    from cms.models import ServicePage

    with schema_context(territory.schema_name):
        return {page.slug: page.service.code for page in ServicePage.objects.select_related("service")}


def _sections(archive: bytes) -> dict[str, object]:
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        return {
            info.name: yaml.safe_load(tar.extractfile(info).read()) for info in tar if info.name.startswith("sections/")
        }


def test_territory_clone_of_the_demo_keeps_its_news_and_service_pages(territory):
    from cms.models import NewsArticlePage

    clone = territory_clone(source=territory, code="56", name="Morbihan")
    with schema_context(territory.schema_name):
        dates = sorted(NewsArticlePage.objects.values_list("slug", "date"))
    with schema_context(clone.schema_name):
        assert sorted(NewsArticlePage.objects.values_list("slug", "date")) == dates
        snapshot = KitSnapshot.objects.get()
        news = snapshot.sections["pages"]["/actualites/le-pole-support-demarre/"]
        assert news["date"] == "2026-10-06"  # a plain value in the snapshot's JSON
        assert news["parent"] == "/actualites/"
    pages = _service_pages(clone)
    assert pages
    assert all(slug == code for slug, code in pages.items())


def test_demo_kit_refers_by_natural_key(territory):
    sections = _sections(kit_export(territory=territory))
    pages = sections["sections/pages.yaml"]
    service_pages = {key: item for key, item in pages.items() if item["type"] == "cms.servicepage"}
    assert service_pages
    for key, item in service_pages.items():
        assert item["service"] == key.strip("/").split("/")[-1]  # the code, never a primary key
    body = pages["/"]["body"]
    assert all("id" not in block for block in body)  # StreamField block ids stay out of the kit


def test_demo_kit_round_trip_into_a_new_territory_gives_the_same_kit(territory):
    archive = kit_export(territory=territory)
    target = territory_clone(code="29", name="Finistère")  # from the template: other primary keys
    kit_import(territory=target, archive=archive)
    assert _sections(kit_export(territory=target)) == _sections(archive)
    pages = _service_pages(target)
    assert pages == _service_pages(territory)


def test_kit_keeps_each_page_on_its_service_when_services_were_created_in_another_order(territory):
    archive = kit_export(territory=territory)
    target = territory_clone(code="29", name="Finistère")
    with schema_context(target.schema_name):
        # The same services, created in the reverse order: each code gets another primary key.
        rows = list(CatalogueService.objects.order_by("code").values())
        CatalogueService.objects.all().delete()
        for row in reversed(rows):
            row.pop("id")
            CatalogueService.objects.create(**row)
        CatalogueService.objects.create(pole="support", code="support-aaa-premier", title="Premier", summary="x")
    kit_import(territory=target, archive=archive)
    assert _service_pages(target) == _service_pages(territory)
    with schema_context(target.schema_name):
        assert not CatalogueService.objects.filter(code="support-aaa-premier").exists()


def test_rich_text_links_to_pages_and_documents_travel_by_path_and_hash(territory, other_territory):
    from django.core.files.base import ContentFile
    from wagtail.documents import get_document_model
    from wagtail.models import Page

    from cms.models import CharterPage, ContactPage

    with schema_context(territory.schema_name):
        document = get_document_model()(title="Charte imprimable")
        document.file.save("charte.pdf", ContentFile(b"%PDF-1.4 charte"), save=False)
        document.save()
        contact = ContactPage.objects.get()
        charter = CharterPage.objects.get()
        charter.intro = (
            f'<p>Écrivez-nous (<a linktype="page" id="{contact.pk}">contact</a>) ; '
            f'<a linktype="document" id="{document.pk}">version imprimable</a>.</p>'
        )
        charter.save_revision().publish()
    archive = kit_export(territory=territory)
    intro = _sections(archive)["sections/pages.yaml"]["/charte/"]["intro"]
    assert 'linktype="page" id="/contact/"' in intro
    assert 'linktype="document" id="document:' in intro
    with schema_context(other_territory.schema_name):
        # Other primary keys in the target: pages and documents created before the import.
        get_document_model().objects.create(title="Autre", file=ContentFile(b"autre", name="autre.pdf"))
    kit_import(territory=other_territory, archive=archive)
    with schema_context(other_territory.schema_name):
        charter = CharterPage.objects.get()
        contact = ContactPage.objects.get()
        document = get_document_model().objects.get(title="Charte imprimable")
        assert f'linktype="page" id="{contact.pk}"' in charter.intro
        assert f'linktype="document" id="{document.pk}"' in charter.intro
        assert Page.objects.get(pk=contact.pk).specific.slug == "contact"
        assert document.file.read() == b"%PDF-1.4 charte"


def test_kit_import_command_creates_a_territory_from_the_demo_kit(territory, tmp_path, capsys):
    path = tmp_path / "kit-35.tar.gz"
    call_command("kit_export", "35", "-o", str(path))
    call_command("kit_import", str(path), "--code", "29", "--name", "Finistère")
    assert "Kit importé dans « Finistère »" in capsys.readouterr().out
    created = Territory.objects.get(code="29")
    with schema_context(created.schema_name):
        configuration = configuration_export(with_files=False)[0]
    with schema_context(territory.schema_name):
        source = configuration_export(with_files=False)[0]
    assert configuration["pages"] == source["pages"]
    assert _service_pages(created) == _service_pages(territory)


def _platform_staff():
    """A staff account of the public host with the territory permissions only (not a superuser)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission
    from django.db import connection

    connection.set_schema_to_public()
    user = get_user_model().objects.create_user(
        "plateforme-56", "plateforme@morbihan.example.org", "motdepasse-plateforme-1", is_staff=True
    )
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="tenants"))
    return user


def test_platform_admin_clone_form_clones_the_demo(territory, public_client):
    public_client.force_login(_platform_staff())
    response = public_client.post(
        "/plateforme/admin/tenants/territory/cloner/", {"source": territory.pk, "code": "56", "name": "Morbihan"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert _service_pages(Territory.objects.get(code="56")) == _service_pages(territory)
