"""The French staffing rules (CSP R2324-42, R2324-43, R2324-43-1, R2324-46-4, décret n° 2021-1131), each one,
as configuration; what a gap calls for; and matching that uses it."""

import pytest

from plugins.remplacement import selectors, services
from plugins.remplacement.staffing import StaffingRules, staffing_compute

QUALIFIED = {"eje", "auxiliaire_puericulture", "infirmier", "infirmier_puericulteur", "psychomotricien"}
RULES = StaffingRules()


def compute(*, not_walking=0, walking=0, staff=None, places=30, mode="marche", rules=RULES):
    return staffing_compute(
        rules=rules,
        places=places,
        ratio_mode=mode,
        children_not_walking=not_walking,
        children_walking=walking,
        staff_present=staff or {},
        qualified_codes=QUALIFIED,
    )


@pytest.mark.parametrize(
    ("not_walking", "walking", "required"),
    [
        (5, 0, 2),  # 1 for 5 who do not walk, but never fewer than two
        (10, 0, 2),
        (11, 0, 3),  # 2.2 rounds up
        (0, 16, 2),  # 1 for 8 who walk
        (0, 17, 3),
        (10, 16, 4),  # 2 + 2
        (3, 4, 2),  # 0.6 + 0.5 = 1.1 -> 2
        (15, 24, 6),  # 3 + 3
    ],
)
def test_one_adult_for_five_children_who_do_not_walk_and_one_for_eight_who_walk(not_walking, walking, required):
    assert compute(not_walking=not_walking, walking=walking).required == required


@pytest.mark.parametrize(("children", "required"), [(6, 2), (12, 2), (13, 3), (18, 3), (19, 4), (36, 6)])
def test_one_adult_for_six_children_when_the_structure_chose_it(children, required):
    assert compute(not_walking=children // 2, walking=children - children // 2, mode="uniforme").required == required


def test_never_fewer_than_two_adults_present():
    staffing = compute(walking=3)
    assert staffing.required == 2
    assert any("Jamais moins de 2 professionnels" in line and "R2324-43-1" in line for line in staffing.explanation)


def test_no_child_no_adult_required():
    assert compute().required == 0
    assert compute().holds


def test_in_a_micro_creche_the_minimum_of_two_applies_from_four_children():
    assert compute(walking=3, places=10).required == 1
    assert compute(walking=4, places=10).required == 2
    assert compute(walking=3, places=13).required == 2  # a small crèche (13 places) is not a micro-crèche


def test_at_least_forty_per_cent_of_the_most_qualified():
    staffing = compute(not_walking=10, walking=16, staff={"cap_aepe": 4})  # 4 required, 40 % -> 2
    assert staffing.required == 4
    assert staffing.qualified_required == 2
    assert staffing.missing == 0
    assert staffing.missing_qualified == 2
    assert staffing.people_needed == 2
    assert staffing.summary() == "Il manque 2 professionnels parmi les plus qualifiés."


def test_above_24_places_one_of_those_present_is_among_the_most_qualified():
    small = compute(walking=8, staff={"cap_aepe": 2}, places=20)  # 2 required, 40 % of 2 -> 1 anyway
    assert small.missing_qualified == 1
    rules = StaffingRules(qualified_share=0)  # without the share, only the capacity rule is left
    assert compute(walking=8, staff={"cap_aepe": 2}, places=20, rules=rules).missing_qualified == 0
    big = compute(walking=8, staff={"cap_aepe": 2}, places=25, rules=rules)
    assert big.missing_qualified == 1
    assert any("Plus de 24 places" in line for line in big.explanation)


def test_the_gap_counts_the_adults_and_the_qualified_ones():
    staffing = compute(not_walking=5, walking=10, staff={"auxiliaire_puericulture": 1, "cap_aepe": 1})
    assert (staffing.required, staffing.present, staffing.qualified_present) == (3, 2, 1)
    assert staffing.missing == 1
    assert staffing.missing_qualified == 1  # 40 % of 3 -> 2 qualified, one there
    assert staffing.summary() == "Il manque 1 professionnel, parmi les plus qualifiés."
    mixed = compute(not_walking=10, walking=16, staff={"eje": 1})
    assert (mixed.missing, mixed.missing_qualified) == (3, 1)
    assert mixed.summary() == "Il manque 3 professionnels, dont au moins 1 parmi les plus qualifiés."


def test_the_rules_are_settings_a_later_decree_changes_them(set_pole_settings, structure):
    set_pole_settings(staffing_ratio_walking=10, staffing_min_present=3, staffing_qualified_share=50)
    staffing = selectors.staffing_of(
        structure=structure, ratio_mode="marche", children_not_walking=0, children_walking=20,
        staff_present=[{"qualification": "cap_aepe", "count": 1}],
    )  # fmt: skip
    assert staffing.required == 3  # 20 / 10 = 2, at least 3 present
    assert staffing.qualified_required == 2  # 50 % of 3, rounded up
    assert staffing.missing == 2


def test_which_diplomas_count_among_the_most_qualified_is_the_qualification_list(structure):
    from plugins.remplacement.models import Qualification

    Qualification.objects.filter(code="cap_aepe").update(is_qualified_staff=True)
    staffing = selectors.staffing_of(
        structure=structure, ratio_mode="marche", children_not_walking=0, children_walking=8,
        staff_present=[{"qualification": "cap_aepe", "count": 2}],
    )  # fmt: skip
    assert staffing.holds


def test_the_gap_calls_for_the_lowest_diploma_among_the_most_qualified(tenant):
    assert selectors.qualification_suggested(qualified=True).code == "auxiliaire_puericulture"
    assert selectors.qualification_suggested(qualified=False).code == "cap_aepe"


def test_matching_asks_only_the_most_qualified_when_the_gap_calls_for_them(make_request, make_substitute):
    cap = make_substitute("Chloé", qualifications=("cap_aepe",))
    ap = make_substitute("Anaïs", qualifications=("auxiliaire_puericulture",))
    enough = make_request(qualification="cap_aepe", children_walking=8,
                          staff_present=[{"qualification": "eje", "count": 1}])  # fmt: skip
    assert {c.substitute_id for c in selectors.request_ranking(enough).ranking.candidates} == {cap.pk, ap.pk}
    short = make_request(qualification="cap_aepe", children_walking=8,
                         staff_present=[{"qualification": "cap_aepe", "count": 1}])  # fmt: skip
    ranked = selectors.request_ranking(short)
    assert [c.substitute_id for c in ranked.ranking.candidates] == [ap.pk]
    assert ranked.ranking.excluded[cap.pk] == [
        "Le taux d'encadrement demande un professionnel parmi les plus qualifiés (article R2324-42 du code de la "
        "santé publique)."
    ]


def test_the_request_states_its_staffing_and_the_structure_sees_what_the_gap_calls_for(
    client_35, structure_user, structure
):
    structure.places = 30
    structure.save()
    client_35.force_login(structure_user)
    response = client_35.post(
        "/remplacement/structure/encadrement/",
        {"structure": structure.pk, "ratio_mode": "marche", "age_group": "bebes", "children_not_walking": 10,
         "children_walking": 0, "staff_cap_aepe": 1, "urgency": "normal", "reason": "maladie"},
    )  # fmt: skip
    html = response.content.decode()
    assert response.status_code == 200
    assert "Il manque 1 professionnel, parmi les plus qualifiés." in html
    assert "« Auxiliaire de puériculture »" in html
    assert "article R2324-46-4" in html


def test_a_request_without_qualification_or_headcount_asks_what_the_gap_calls_for(
    client_35, structure_user, structure, monday
):
    client_35.force_login(structure_user)
    response = client_35.post(
        "/remplacement/structure/nouveau/",
        {"structure": structure.pk, "ratio_mode": "marche", "age_group": "grands", "children_not_walking": 0,
         "children_walking": 24, "staff_cap_aepe": 1, "urgency": "normal", "reason": "maladie", "allow_split": "on",
         "slot0_date": monday.isoformat(), "slot0_start": "08:00", "slot0_end": "17:00", "action": "publish"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    request = services.ReplacementRequest.objects.latest("pk")
    assert request.qualification.code == "auxiliaire_puericulture"  # the gap calls for the most qualified
    assert request.headcount == 2  # 3 required, 1 present
