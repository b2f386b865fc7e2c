"""Reads of the « Données personnelles » screens: retention by case type, the journal."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from core.models import PersonalDataAction
from core.services.personal_data import retention_default_years, retention_years
from workflows.models import WorkflowDefinition


@dataclass
class RetentionRow:
    definition: WorkflowDefinition
    pole_label: str
    years: int
    default_years: int
    is_default: bool
    closed: int
    anonymised: int


def retention_rows() -> list[RetentionRow]:
    """Every case type with its retention after closure (its own, else its default) and its closed cases."""
    from core.plugins import poles

    labels = {code: str(config.pole_label or code) for code, config in poles().items()}
    definitions = WorkflowDefinition.objects.annotate(
        closed=Count("cases", filter=Q(cases__closed_at__isnull=False)),
        anonymised=Count("cases", filter=Q(cases__anonymised_at__isnull=False)),
    ).order_by("name")
    return [
        RetentionRow(
            definition=definition,
            pole_label=labels.get(definition.pole, definition.pole) or "Créé dans ce territoire",
            years=retention_years(definition),
            default_years=retention_default_years(definition),
            is_default=definition.retention_years is None,
            closed=definition.closed,
            anonymised=definition.anonymised,
        )
        for definition in definitions
    ]


def personal_data_journal(limit: int = 50):
    return PersonalDataAction.objects.select_related("case")[:limit]
