"""An InlinePanel that works under the platform's Content-Security-Policy (`script-src 'self'`): Wagtail's own
starts itself with an inline `<script>`, which the policy blocks (its "Ajouter" button then does nothing).
This one carries its options in a data attribute; `workflows/static/workflows/inline_panel.js` starts it."""

from __future__ import annotations

from wagtail.admin.panels import InlinePanel


class CspInlinePanel(InlinePanel):
    class BoundPanel(InlinePanel.BoundPanel):
        template_name = "workflows/admin/inline_panel.html"
