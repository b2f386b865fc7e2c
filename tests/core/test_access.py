"""Deny by default (`tenants.access`), the roles' permissions (`role_permissions` hook), menus that follow the
declarations, the home screen of each role (`home_panels` hook), and what a structure member reads of the
directory. Real people, invited the product's way (`tests.people`)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.urls import path
from django.utils.html import escape

from tenants.access import PUBLIC, AccessMiddleware, access, declaration, undeclared_views
from tests.people import person_client, person_invite


def undeclared_view(request):
    return HttpResponse("ouvert")


undeclared_view.__module__ = "core.fake_views"  # as if it were one of the platform's views


@access("platform_admin")
def declared_view(request):
    return HttpResponse("réservé")


declared_view.__module__ = "core.fake_views"

urlpatterns = [path("ouvert/", undeclared_view), path("reserve/", declared_view)]


def test_the_platform_declares_every_view():
    assert undeclared_views("core.urls") == []
    assert undeclared_views("core.urls_public") == []


def test_an_undeclared_view_is_named_by_the_check_and_refused():
    assert undeclared_views(__name__) == ["/ouvert/ (core.fake_views.undeclared_view)"]
    assert declaration(declared_view) == "platform_admin"
    with pytest.raises(PermissionDenied):
        AccessMiddleware(lambda request: None).process_view(None, undeclared_view, (), {})
    assert AccessMiddleware(lambda request: None).process_view(None, declared_view, (), {}) is None


def test_the_system_check_reports_ppe_e002(settings):
    from core.checks import views_declare_access_check

    settings.ROOT_URLCONF = __name__
    errors = views_declare_access_check()
    assert [e.id for e in errors] == ["ppe.E002"]
    assert "/ouvert/" in errors[0].msg


def test_access_needs_a_declaration():
    with pytest.raises(ValueError, match="at least one role"):
        access()
    assert declaration(access(PUBLIC)(undeclared_view)) == "public"


def test_role_permissions(tenant):
    """The poles grant their configuration models to platform admins and coordinators, not to case workers."""
    from django.contrib.auth.models import Group

    from core.plugins import plugin_manager
    from core.roles import role_permissions, roles_ensure

    answers = plugin_manager().hook.role_permissions()
    assert any("support.change_proposalrule" in names for a in answers for names in a.values())
    Group.objects.get(name="pole_coordinator").permissions.clear()
    roles_ensure()
    granted = role_permissions()
    assert "developpement.add_deliberationtemplate" in granted["platform_admin"]
    assert "support.change_conventiontemplate" not in granted["case_worker"]
    coordinator = person_invite(tenant, role="pole_coordinator")
    assert coordinator.has_perm("support.change_proposalrule")
    assert coordinator.has_perm("core.change_structure")
    worker = person_invite(tenant, role="case_worker")
    assert not worker.has_perm("support.change_proposalrule")
    assert not worker.has_perm("core.change_catalogueservice")


def test_a_territory_admin_configures_the_territory_without_a_superuser(territory):
    from core.models import CatalogueService
    from plugins.support.models import ProposalRule

    admin = person_invite(territory, role="platform_admin")
    client = person_client(territory, admin)
    service = CatalogueService.objects.order_by("pk").first()
    page = client.get(f"/admin/catalogue_services/edit/{service.pk}/")
    assert page.status_code == 200
    answer = client.post(
        f"/admin/catalogue_services/edit/{service.pk}/",
        {"title": "Paie et bulletins", "summary": service.summary, "description": service.description,
         "audience": service.audience, "is_active": "on"},
    )  # fmt: skip
    assert answer.status_code == 302, answer.content.decode()[:1000]
    service.refresh_from_db()
    assert service.title == "Paie et bulletins"
    rule = ProposalRule.objects.order_by("pk").first()
    for screen in ("/admin/poles/", "/admin/support_rules/", f"/admin/support_rules/edit/{rule.pk}/",
                   "/admin/support_conventions/", "/admin/developpement_deliberations/", "/admin/structures/",
                   "/admin/operators/", "/admin/remplacement/vivier/", "/admin/ecarts-avec-le-modele/"):  # fmt: skip
        assert client.get(screen).status_code == 200, screen


def _shown(label: str, html: str) -> bool:
    """A menu label in the page (the sidebar's entries are JSON in the page, non-ASCII escaped)."""
    import json

    return label in html or json.dumps(label)[1:-1] in html


def test_menus_show_only_what_the_role_may_open(territory, tenant):
    from core.models import Structure

    admin_page = person_client(territory, person_invite(territory, role="platform_admin")).get("/admin/")
    member = person_invite(territory, role="structure_member", structure=Structure.objects.order_by("pk").first())
    member_page = person_client(territory, member).get("/admin/")
    assert admin_page.status_code == member_page.status_code == 200
    admin_html, member_html = admin_page.content.decode(), member_page.content.decode()
    for entry in ("Règles de proposition", "Personnes", "Pôles du territoire", "Catalogue de services",
                  "Opérateurs ESS", "Dossiers d'accompagnement"):  # fmt: skip
        assert _shown(entry, admin_html), entry
        assert not _shown(entry, member_html), entry
    assert _shown("Dossiers", member_html)


def test_home_panels(territory):
    """Each role lands on its own work: staff their inboxes and cases, a structure member their structure's
    cases and what waits for them; the poles add their panels (`home_panels`)."""
    from core.hookspecs import HomePanel
    from core.models import Case
    from core.plugins import hooks

    worker = person_invite(territory, role="case_worker")
    html = person_client(territory, worker).get("/admin/").content.decode()
    assert "Mon travail" in html
    assert "Assignés à moi" in html
    assert "Mes dossiers en cours" in html
    case = Case.objects.exclude(structure=None).filter(closed_at=None).order_by("pk").first()
    assert case is not None, "the demo has an open case of a structure"
    structure = case.structure
    member = person_invite(territory, role="structure_member", structure=structure)
    html = person_client(territory, member).get("/admin/").content.decode()
    assert "Ce qui vous attend" in html
    assert "Les dossiers de votre structure" in html
    assert escape(structure.name) in html
    assert case.reference in html

    class Request:
        user = worker

    answers = hooks(territory).home_panels(request=Request())
    assert all(isinstance(panel, HomePanel) for answer in answers for panel in answer)


def test_a_structure_member_reads_only_their_structure_in_the_directory(territory, tenant):
    from core.models import Structure

    mine, other = Structure.objects.order_by("pk")[:2]
    member = person_invite(territory, role="structure_member", structure=mine)
    client = person_client(territory, member)
    listed = client.get("/api/v1/structures/").json()
    assert [row["id"] for row in listed["results"]] == [mine.pk]
    assert client.get(f"/api/v1/structures/{mine.pk}/").status_code == 200
    assert client.get(f"/api/v1/structures/{other.pk}/").status_code == 404
    assert client.get("/admin/structures/").status_code in (302, 403)
    worker = person_client(territory, person_invite(territory, role="case_worker"))
    assert worker.get("/api/v1/structures/").json()["count"] == Structure.objects.count()


def test_a_director_does_not_see_the_pool(territory, tenant):
    from core.models import Structure

    member = person_invite(territory, role="structure_member", structure=Structure.objects.order_by("pk").first())
    client = person_client(territory, member)
    assert client.get("/api/v1/remplacement/pool/").status_code == 403
    assert client.get("/remplacement/tableau/").status_code == 403
    assert client.get("/admin/remplacement/vivier/").status_code in (302, 403)


def test_a_territory_admin_edits_the_public_site(territory, tenant):
    """The platform admins' group holds Wagtail's page permissions on the whole tree and the collection
    permissions of images and documents: the « Pages », « Images » and « Documents » screens open."""
    from wagtail.models import Page

    client = person_client(territory, person_invite(territory, role="platform_admin"))
    home = Page.objects.filter(depth=2).first()
    assert client.get("/admin/pages/").status_code == 200
    assert client.get(f"/admin/pages/{home.pk}/edit/").status_code == 200
    assert client.get("/admin/images/").status_code == 200
    assert client.get("/admin/documents/").status_code == 200
    worker = person_client(territory, person_invite(territory, role="case_worker"))
    assert worker.get(f"/admin/pages/{home.pk}/edit/").status_code in (302, 403)
