"""Who may open Wagtail's own screens: deny by default, as for the platform's own views (`tenants.access`).

Wagtail checks its admin access permission everywhere and object permissions in most places, but leaves many
screens open to anyone in the admin: the page choosers (every page's title, drafts included), the site's
history report, the moderation workflows' task chooser, tag autocompletion, the « move » confirmation... Every
role of a territory is in the admin (« Mon travail »), so `WagtailAccessMiddleware` names, by URL name, who may
pass each door of Wagtail's before Wagtail's own checks run; a Wagtail URL no rule names is refused.

- `EVERYONE`: the sign-in and password pages, the public site, its documents, static assets;
- `ADMIN_USERS`: anyone Wagtail lets into the admin (the dashboard, one's account), or screens Wagtail checks
  object by object (our models' snippets, editing sessions);
- `SITE_EDITORS`: those who edit the public site (`core.roles.edits_site`): pages, images, documents, reports;
- `TEXT_EDITORS`: site editors and the coordinators, who write the poles' templates in rich text (its link and
  embed choosers; images and documents are the site editors' collections);
- `SUPERUSERS`: Wagtail's tools no role is given (accounts and groups: « Personnes » replaces them, audited;
  sites, collections, redirects, moderation workflows, settings).
"""

from __future__ import annotations

import fnmatch
import functools

from django.core.exceptions import PermissionDenied

from tenants.access import REFUSED, is_ours

EVERYONE, ADMIN_USERS, SITE_EDITORS, TEXT_EDITORS, SUPERUSERS = (
    "everyone", "admin_users", "site_editors", "text_editors", "superusers",
)  # fmt: skip

# URL name (fnmatch pattern; the first that matches wins) → who may pass.
RULES: list[tuple[str, str]] = [
    ("wagtailadmin_login", EVERYONE), ("wagtailadmin_logout", EVERYONE),
    ("wagtailadmin_password_reset*", EVERYONE), ("wagtailadmin_sprite", EVERYONE),
    ("wagtailadmin_javascript_catalog", EVERYONE), ("wagtailcore_*", EVERYONE), ("wagtaildocs_serve", EVERYONE),
    ("wagtaildocs_authenticate_with_password", EVERYONE), ("wagtail_serve", EVERYONE),
    ("wagtailadmin_home", ADMIN_USERS), ("wagtailadmin_account", ADMIN_USERS),
    ("wagtailadmin_dismissibles", ADMIN_USERS), ("wagtailadmin_editing_sessions:*", ADMIN_USERS),
    ("wagtailsnippets_*", ADMIN_USERS), ("wagtailsnippetchoosers_*", ADMIN_USERS), ("wagtailsnippets:*", ADMIN_USERS),
    ("wagtailadmin_choose_page*", TEXT_EDITORS), ("wagtailembeds:*", TEXT_EDITORS),
    ("wagtailimages_chooser:*", SITE_EDITORS), ("wagtaildocs_chooser:*", SITE_EDITORS),
    ("wagtailadmin_api:*", SITE_EDITORS), ("wagtailadmin_explore*", SITE_EDITORS),
    ("wagtailadmin_pages:*", SITE_EDITORS), ("wagtail_bulk_action", SITE_EDITORS),
    ("wagtailadmin_tag*", SITE_EDITORS), ("wagtailadmin_block_preview", SITE_EDITORS),
    ("wagtailadmin_reports:*", SITE_EDITORS), ("wagtailforms:*", SITE_EDITORS), ("wagtailimages:*", SITE_EDITORS),
    ("wagtaildocs:*", SITE_EDITORS),
    ("wagtailusers_*", SUPERUSERS), ("wagtailsites:*", SUPERUSERS), ("wagtailadmin_collections:*", SUPERUSERS),
    ("wagtailredirects:*", SUPERUSERS), ("wagtailadmin_workflows:*", SUPERUSERS), ("wagtailsettings:*", SUPERUSERS),
    ("wagtailadmin_error_test", SUPERUSERS),
]  # fmt: skip


@functools.lru_cache(maxsize=1024)
def rule_for(name: str) -> str | None:
    for pattern, rule in RULES:
        if fnmatch.fnmatchcase(name, pattern):
            return rule
    return None


def passes(user, rule: str | None) -> bool:
    """Whether `user` may pass a door of `rule` (None: a Wagtail screen no rule names, refused)."""
    from core.roles import COORDINATION_ROLES, edits_site, user_roles

    if rule in (EVERYONE, ADMIN_USERS):  # Wagtail checks its admin access itself
        return True
    if rule is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    if rule == SITE_EDITORS:
        return edits_site(user)
    if rule == TEXT_EDITORS:
        return edits_site(user) or bool(user_roles(user) & COORDINATION_ROLES)
    return False


class WagtailAccessMiddleware:
    """Refuse (403) a Wagtail screen the rules above do not open to the person; visitors who are not signed in
    go on to Wagtail, which sends them to the login page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = getattr(request, "resolver_match", None)
        name = getattr(match, "view_name", "") or ""
        if not name.startswith("wagtail") or is_ours(view_func):
            return
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return
        if not passes(user, rule_for(name)):
            raise PermissionDenied(REFUSED)
        return
