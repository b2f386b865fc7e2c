"""The core as an always-on internal plugin: the generic transition actions every workflow may use (the
`notify_<code>` e-mails of `core.services.notifications`)."""

from __future__ import annotations

from typing import Any

from core.plugins import hookimpl


@hookimpl
def transition_actions() -> dict[str, Any]:
    from core.services.notifications import notification_actions

    return notification_actions()
