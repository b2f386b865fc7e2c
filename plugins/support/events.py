"""The support pole's history events (`case_event_kinds` hook): what each reads on the case's timeline."""

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


def _services(detail: dict[str, Any]) -> str:
    return ", ".join(detail.get("services") or []) or "aucune"


KINDS = [
    CaseEventKind("diagnostic_scored", "Diagnostic noté",
                  lambda d: f"Diagnostic noté : score global {d['global']} sur 100"),
    CaseEventKind("proposals_computed", "Propositions calculées",
                  lambda d: f"Propositions calculées : {_services(d)}"),
    CaseEventKind("proposal_added", "Service ajouté",
                  lambda d: f"Service ajouté à la main : {d['service']} ({d['by']})"),
    CaseEventKind("proposal_accepted", "Proposition acceptée",
                  lambda d: f"Proposition acceptée : {d['service']} ({d['by']})"),
    CaseEventKind("proposal_declined", "Proposition déclinée",
                  lambda d: f"Proposition déclinée : {d['service']}"),
    CaseEventKind("proposal_reassigned", "Service réattribué",
                  lambda d: f"{d['service']} : confié à {d['after']} (auparavant {d['before']})"),
    CaseEventKind("referral_accepted", "Service accepté par l'opérateur",
                  lambda d: f"{d['operator']} accepte de réaliser « {d['service']} »"),
    CaseEventKind("referral_declined", "Service décliné par l'opérateur",
                  lambda d: f"{d['operator']} décline « {d['service']} »"
                  + (f" : {d['note']}" if d.get("note") else "")),
    CaseEventKind("conventions_generated", "Conventions établies",
                  lambda d: "Conventions établies : " + ", ".join(d.get("conventions") or [])),
    CaseEventKind("conventions_superseded", "Conventions remplacées",
                  lambda d: f"Propositions revues : {d['count']} convention(s) mise(s) de côté, à établir de nouveau"),
    CaseEventKind("convention_signed", "Convention signée",
                  lambda d: f"Convention signée par {d['signatory']} pour {d['party']} le {_day(d['signed_on'])} : "
                  f"{d['convention']}"),
    CaseEventKind("convention_copy_attached", "Exemplaire signé déposé",
                  lambda d: f"Exemplaire signé déposé pour {d['party']} : {d['convention']}"),
    CaseEventKind("followup_added", "Suivi ajouté",
                  lambda d: f"Suivi ajouté : {d['kind']} du {_day(d['happened_on'])}", staff_only=True),
    CaseEventKind("task_created", "Tâche créée",
                  lambda d: f"Tâche créée : {d['title']}, échéance le {_day(d['due_date'])}"
                  + (f", confiée à {d['assignee']}" if d.get("assignee") else ""), staff_only=True),
    CaseEventKind("task_updated", "Tâche modifiée",
                  lambda d: f"Tâche modifiée : {d['title']}, échéance le {_day(d['due_date'])}"
                  + (f", confiée à {d['assignee']}" if d.get("assignee") else ""), staff_only=True),
    CaseEventKind("task_done", "Tâche faite", lambda d: f"Tâche faite : {d['title']}", staff_only=True),
]  # fmt: skip
