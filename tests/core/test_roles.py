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
