from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Group

from core.roles import CORE_ROLES, Role, user_roles


def test_roles_are_groups_of_the_territory(tenant):
    assert set(Group.objects.filter(name__in=CORE_ROLES).values_list("name", flat=True)) == CORE_ROLES
    user = get_user_model().objects.create_user("cw", "cw@example.org", "x")
    user.groups.add(Group.objects.get(name=Role.CASE_WORKER))
    assert user_roles(user) == {"case_worker"}


def test_superuser_holds_every_core_role_and_anonymous_none(territory_admin):
    assert user_roles(territory_admin) >= CORE_ROLES
    assert user_roles(AnonymousUser()) == frozenset()


def test_roles_ensure_gives_each_role_the_admin_and_platform_admins_the_definitions(tenant):
    from core.roles import roles_ensure

    admin_group = Group.objects.get(name=Role.PLATFORM_ADMIN)
    admin_group.permissions.clear()
    roles_ensure()
    user = get_user_model().objects.create_user("pa", "pa@example.org", "x")
    user.groups.add(admin_group)
    assert user.has_perm("wagtailadmin.access_admin")
    assert user.has_perm("workflows.change_workflowversion")
    assert user.has_perm("workflows.add_transition")
    worker = get_user_model().objects.create_user("cw2", "cw2@example.org", "x")
    worker.groups.add(Group.objects.get(name=Role.CASE_WORKER))
    assert worker.has_perm("wagtailadmin.access_admin")
    assert not worker.has_perm("workflows.change_workflowversion")
