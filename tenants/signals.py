"""Signals the provisioning layer sends upwards (tenants/ imports nothing above it; core/ listens)."""

from django.dispatch import Signal

# Sent inside the new territory's schema, in the provisioning transaction, after its schema exists.
# Arguments: territory, source (the Territory it was cloned from, or None), sample_data (bool).
territory_provisioned = Signal()

# A draft territory's site goes online (sent in its schema, inside the publishing transaction).
territory_published = Signal()
