"""Who may do what through the API.

Two checks apply to every request: the token's scope (a read-only token never writes) and the roles the user
holds in the territory (`core.roles`). A view names the roles each of its actions requires in
`required_roles` (action or HTTP method → roles); the permission matrix tests read the same declarations.
"""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from core.api.models import ApiToken
from core.roles import CORE_ROLES, Role, user_roles

# Role sets the views use.
ANY_ROLE = frozenset(CORE_ROLES)
STAFF = frozenset({Role.PLATFORM_ADMIN, Role.POLE_COORDINATOR, Role.CASE_WORKER})
COORDINATION = frozenset({Role.PLATFORM_ADMIN, Role.POLE_COORDINATOR})
ADMINS = frozenset({Role.PLATFORM_ADMIN})


class TokenScopePermission(BasePermission):
    """An authenticated user; a read-only token only reads."""

    message = "Ce jeton ne permet que la lecture."

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        token = request.auth
        if isinstance(token, ApiToken) and request.method not in SAFE_METHODS:
            return token.allows_writes
        return True


def roles_required(view, request) -> frozenset[str] | None:
    """The roles the view requires for this request (None: no role check)."""
    required = getattr(view, "required_roles", None)
    if not required or not hasattr(view, request.method.lower()):
        return None  # no declaration, or a method the view lacks (it answers 405)
    action = getattr(view, "action", None)
    if action and action in required:
        return frozenset(required[action])
    method = request.method.lower()
    if method in required:
        return frozenset(required[method])
    if "read" in required and request.method in SAFE_METHODS:
        return frozenset(required["read"])
    if "write" in required and request.method not in SAFE_METHODS:
        return frozenset(required["write"])
    return frozenset()  # declared but not for this action: nobody


class RolePermission(TokenScopePermission):
    """The scope check, then one of the roles the view requires for this action."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        required = roles_required(view, request)
        if required is None:
            return True
        if user_roles(request.user) & required:
            return True
        self.message = "Votre rôle ne permet pas cette action."
        return False
