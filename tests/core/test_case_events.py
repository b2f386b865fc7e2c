"""A pole's own history events: written with `pole_event_record`, read by label on the timeline and in the API."""

import pytest

from core.selectors.case_work import case_timeline, pole_event_kinds
from core.services.case_updates import pole_event_record
from core.services.cases import case_open
from tests.workflows.helpers import person


def test_case_event_kinds(tenant):
    """Every pole declares the kinds of events it writes; the timeline shows their French label and title."""
    kinds = pole_event_kinds()
    assert kinds[("support", "proposal_accepted")].label == "Proposition acceptée"
    assert kinds[("developpement", "meeting_recorded")].label


@pytest.fixture
def opened(tenant):
    from tests.plugins.support.helpers import DEMANDE

    return case_open(workflow="support-accompagnement", data=dict(DEMANDE), actor=None, channel="public")


def test_pole_events_read_by_label_and_internal_ones_stay_internal(opened):
    coordinator = person("pole_coordinator", email="coord-events@example.org")
    member = person("structure_member", email="member-events@example.org")
    pole_event_record(case=opened, pole="support", event="proposal_accepted", actor=coordinator,
                      service="Gestion de la paie", by="Coopérative Paie ESS", who="A. Martin")  # fmt: skip
    pole_event_record(case=opened, pole="support", event="task_done", actor=coordinator, title="Relancer")
    staff_view = {e.title for e in case_timeline(case=opened, user=coordinator)}
    assert "Proposition acceptée : Gestion de la paie (Coopérative Paie ESS)" in staff_view
    assert "Tâche faite : Relancer" in staff_view
    member_view = {e.title for e in case_timeline(case=opened, user=member)}
    assert "Tâche faite : Relancer" not in member_view
    with pytest.raises(ValueError, match="unknown event kind"):
        pole_event_record(case=opened, pole="support", event="nothing_of_the_kind")
