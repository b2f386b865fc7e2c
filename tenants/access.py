"""Who may open a view: deny by default.

Every view of the platform's own packages (`PPE_ACCESS_PACKAGES`) declares who may use it; a view that
declares nothing is refused (`AccessMiddleware`) and named by a system check (`ppe.E002`, core.checks).

- Function and class views of the back office and the portals: `@access(*roles)` (one of the roles),
  `@access(perm="app.codename")` (a Django permission), or `@access(PUBLIC)` (anyone, signed in or not).
  On a class, the check runs in `dispatch`, before anything else the view does.
- REST API views: `required_roles` (action or HTTP method → roles, read by `core.api.permissions.RolePermission`,
  which refuses an action the view does not name), or explicit `permission_classes` of their own.
- Wagtail's generic model views: the model's permission policy (Django permissions the roles hold: see
  `core.roles`), which Wagtail checks itself.

The layer knows role codes only as strings: who holds which role is answered by `PPE_ACCESS_ROLES_FUNCTION`
(`core.roles.user_roles`), so the lower layers (`workflows`) can declare their views too.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils.module_loading import import_string

PUBLIC = "__public__"


@dataclass(frozen=True)
class Access:
    """A view's declaration: anyone (`public`), one of `roles`, or the Django permission `perm`."""

    roles: frozenset[str] = frozenset()
    perm: str = ""
    public: bool = False

    def allows(self, user) -> bool:
        if self.public:
            return True
        if user is None or not user.is_authenticated or not user.is_active:
            return False
        if self.perm and user.has_perm(self.perm):
            return True
        return bool(self.roles and roles_of(user) & self.roles)

    def describe(self) -> str:
        if self.public:
            return "public"
        parts = sorted(self.roles)
        if self.perm:
            parts.append(f"perm:{self.perm}")
        return ", ".join(parts)


def roles_of(user) -> frozenset[str]:
    return import_string(settings.PPE_ACCESS_ROLES_FUNCTION)(user)


def _refuse(request, message: str):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    raise PermissionDenied(message)


REFUSED = "Votre rôle ne permet pas d'ouvrir cette page."


def access(*roles: Any, perm: str = "", message: str = REFUSED):
    """Declare who may use a view (a function or a class-based view) and refuse everyone else: an anonymous
    visitor goes to the login page, a signed-in person without the role gets 403. `roles` are role codes (or
    sets of them), or `PUBLIC`."""
    codes: set[str] = set()
    for role in roles:
        if isinstance(role, str):
            codes.add(str(role))
        else:
            codes.update(str(r) for r in role)
    public = PUBLIC in codes
    declared = Access(roles=frozenset(codes - {PUBLIC}), perm=perm, public=public)
    if not (declared.roles or declared.perm or declared.public):
        raise ValueError("access() needs at least one role, a permission or PUBLIC")

    def decorate(view):
        if isinstance(view, type):
            original, original_setup = view.dispatch, view.setup

            @functools.wraps(original_setup)
            def setup(self, request, *args, **kwargs):  # nothing of the view runs for someone refused
                if declared.allows(request.user):
                    return original_setup(self, request, *args, **kwargs)
                self.request, self.args, self.kwargs, self.ppe_refused = request, args, kwargs, True
                return None

            @functools.wraps(original)
            def dispatch(self, request, *args, **kwargs):
                if getattr(self, "ppe_refused", False) or not declared.allows(request.user):
                    return _refuse(request, message)
                return original(self, request, *args, **kwargs)

            view.setup, view.dispatch = setup, dispatch
            view.ppe_access = declared
            return view

        if declared.public:
            view.ppe_access = declared
            return view

        @functools.wraps(view)
        def guarded(request, *args, **kwargs):
            if not declared.allows(request.user):
                return _refuse(request, message)
            return view(request, *args, **kwargs)

        guarded.ppe_access = declared
        return guarded

    return decorate


# --- Reading the declarations (the middleware, the system check, the permission matrix test) ------------------


def _view_class(callback) -> type | None:
    return getattr(callback, "view_class", None) or getattr(callback, "cls", None)


def view_module(callback) -> str:
    cls = _view_class(callback)
    if cls is not None:
        return cls.__module__
    return getattr(callback, "__module__", "") or ""


def _ours(module: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in settings.PPE_ACCESS_PACKAGES)


def is_ours(callback) -> bool:
    """A view of the platform's own packages (Wagtail's and Django's generic views check their own
    permission policies and staff flags)."""
    return _ours(view_module(callback))


def _django_admin(callback) -> bool:
    """A view wrapped by a Django `AdminSite.admin_view` (staff accounts, then the ModelAdmin's permissions)."""
    from django.contrib.admin import AdminSite, ModelAdmin

    seen = 0
    fn = callback
    while fn is not None and seen < 10:
        if getattr(fn, "model_admin", None) is not None or getattr(fn, "admin_site", None) is not None:
            return True
        if isinstance(getattr(fn, "__self__", None), (AdminSite, ModelAdmin)):
            return True
        fn = getattr(fn, "__wrapped__", None)
        seen += 1
    return False


def declaration(callback) -> str | None:  # noqa: PLR0911 (one return a kind of declaration)
    """How a view declares who may use it (a short description), or None when it declares nothing."""
    found = getattr(callback, "ppe_access", None)
    cls = _view_class(callback)
    if found is None and cls is not None:
        found = getattr(cls, "ppe_access", None)
    if isinstance(found, Access):
        return found.describe()
    if cls is not None and hasattr(cls, "permission_classes") and hasattr(cls, "initial"):  # a DRF view
        required = getattr(cls, "required_roles", None)
        if required:
            return "roles: " + "; ".join(f"{k}={','.join(sorted(v))}" for k, v in required.items())
        defaults = settings.REST_FRAMEWORK.get("DEFAULT_PERMISSION_CLASSES", [])
        classes = [f"{c.__module__}.{c.__qualname__}" for c in cls.permission_classes]
        if classes and classes != list(defaults):
            return "permission classes: " + ", ".join(c.rsplit(".", 1)[-1] for c in classes)
        return None
    if _django_admin(callback):
        return "Django admin (staff, model permissions)"
    initkwargs = getattr(callback, "view_initkwargs", None) or {}
    policy = initkwargs.get("permission_policy") or (getattr(cls, "permission_policy", None) if cls else None)
    if policy is not None:
        return f"permission policy: {type(policy).__name__}"
    return None


def url_views(urlconf: str | None = None):
    """Every routed view of `urlconf` as `(route, name, callback)`, includes flattened; `name` carries its
    namespaces (`cases_admin:detail`), empty for an unnamed pattern."""
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(resolver, prefix: str, namespace: str):
        for entry in resolver.url_patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                yield from walk(entry, route, inner)
            elif isinstance(entry, URLPattern):
                yield route, f"{namespace}{entry.name}" if entry.name else "", entry.callback

    yield from walk(get_resolver(urlconf), "/", "")


def undeclared_views(urlconf: str | None = None) -> list[str]:
    """Routes of the platform's own views that declare nothing (the system check's answer)."""
    return sorted(
        {
            f"{route} ({view_module(cb)}.{getattr(_view_class(cb) or cb, '__qualname__', '?')})"
            for route, _name, cb in url_views(urlconf)
            if is_ours(cb) and declaration(cb) is None
        }
    )


@functools.lru_cache(maxsize=4096)
def _undeclared(callback) -> bool:
    return is_ours(callback) and declaration(callback) is None


class AccessMiddleware:
    """Refuse (403) a view of the platform's own packages that declares nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if _undeclared(view_func):
            raise PermissionDenied("Cette page ne déclare pas qui peut l'ouvrir.")


def may_open(user, path: str) -> bool:
    """Whether `user` may open the view routed at `path` (of the current urlconf), by its declaration: what
    menus ask before showing an entry. A view that declares through Wagtail's permission policies answers
    True here (its menu item checks the policy itself); an unknown path or an undeclared view of ours, False."""
    from django.urls import Resolver404, resolve

    try:
        callback = resolve(path.split("?", 1)[0]).func
    except Resolver404:
        return False
    found = getattr(callback, "ppe_access", None)
    cls = _view_class(callback)
    if found is None and cls is not None:
        found = getattr(cls, "ppe_access", None)
    if isinstance(found, Access):
        return found.allows(user)
    return not _undeclared(callback)
