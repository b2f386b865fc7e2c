"""The développement pole's history events (`case_event_kinds` hook): what each reads on the case's timeline."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.formats import date_format

from core.hookspecs import CaseEventKind


def _day(value: Any) -> str:
    try:
        return date_format(dt.date.fromisoformat(str(value)), "j F Y")
    except ValueError:
        return ""


def _mark(value: Any) -> str:
    return f"{float(value):.1f}".replace(".", ",")


def _abstentions(count: Any) -> str:
    return f"{count} abstention{'s' if int(count) > 1 else ''}"


KINDS = [
    CaseEventKind("sections_planned", "Plan de rédaction",
                  lambda d: "Plan de rédaction : " + (", ".join(d.get("sections") or []) or "aucune section")),
    CaseEventKind("section_delivered", "Section remise", lambda d: f"Section remise : {d['section']}"),
    CaseEventKind("meeting_recorded", "Réunion de concertation",
                  lambda d: f"Réunion de concertation du {_day(d['held_on'])} ({d['participants']} participants)"),
    CaseEventKind("deliberations_drafted", "Délibérations rédigées",
                  lambda d: "Délibérations rédigées : " + ", ".join(d.get("drafts") or [])),
    CaseEventKind("candidate_added", "Candidat enregistré", lambda d: f"Candidat enregistré : {d['name']}"),
    CaseEventKind("candidate_scored", "Candidat noté",
                  lambda d: f"Candidat noté : {d['name']} ({_mark(d['total'])} sur 100)"),
    CaseEventKind("deliberation_adopted", "Délibération adoptée",
                  lambda d: f"Délibération adoptée en séance du {_day(d['session_on'])} : {d['title']} "
                            f"({d['pour']} pour, {d['contre']} contre, {_abstentions(d['abstentions'])})"),
]  # fmt: skip
