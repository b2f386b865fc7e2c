"""Workflow definitions (the low-code engine)."""
