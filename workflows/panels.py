"""An InlinePanel that works under the platform's Content-Security-Policy (`script-src 'self'`): Wagtail's own
starts itself with an inline `<script>`, which the policy blocks (its "Ajouter" button then does nothing).
This one carries its options in a data attribute; `workflows/static/workflows/inline_panel.js` starts it."""

from __future__ import annotations

from wagtail.admin.panels import InlinePanel


class CspInlinePanel(InlinePanel):
    class BoundPanel(InlinePanel.BoundPanel):
        template_name = "workflows/admin/inline_panel.html"


class FormInlinePanel(CspInlinePanel):
    """A CSP-safe InlinePanel whose rows use their own form class (pickers in place of JSON and codes)."""

    def __init__(self, *args, form_class=None, **kwargs):
        self.form_class = form_class
        super().__init__(*args, **kwargs)

    def clone_kwargs(self):
        kwargs = super().clone_kwargs()
        kwargs["form_class"] = self.form_class
        return kwargs

    def get_form_options(self):
        options = super().get_form_options()
        if self.form_class is not None:
            options["formsets"][self.relation_name]["form"] = self.form_class
        return options
