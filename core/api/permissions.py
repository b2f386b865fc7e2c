"""Who may do what through the API.

Two checks apply to every request: the token's scope (a read-only token never writes) and the roles the user
holds in the territory (`core.roles`). A view names the roles each of its actions requires in
`required_roles` (action or HTTP method → roles, or "read"/"write"); an action it does not name, and every
action of a view that declares nothing, is refused (deny by default; the system check ppe.E002 names such
views). The permission matrix test (tests/core/test_permission_matrix.py) checks the result for every role.
"""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from core.api.models import ApiToken
from core.roles import ADMIN_ROLES, ANY_ROLE, COORDINATION_ROLES, STAFF_ROLES, user_roles  # noqa: F401 (ANY_ROLE re-exported)

# The role sets of `core.roles`, under the names the API views use.
STAFF = STAFF_ROLES
COORDINATION = COORDINATION_ROLES
ADMINS = ADMIN_ROLES


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


def roles_required(view, request) -> frozenset[str] | None:  # noqa: PLR0911 (one return a declaration form)
    """The roles the view requires for this request; None for a method the view lacks (it answers 405).
    Deny by default: a view that declares nothing, or not this action, requires a role nobody holds."""
    if not hasattr(view, request.method.lower()):
        return None
    required = getattr(view, "required_roles", None)
    if not required:
        return frozenset()
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
