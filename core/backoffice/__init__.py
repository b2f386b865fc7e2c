"""The case work screens of the Wagtail admin ("Dossiers"): inboxes, filters, the case page, exports."""
