"""The demo criteria sets: each loads, approves a complete case and refers a weak one; for
any valid answers the decision is only ever approve or refer; the formulary sample covers
the catalog."""

import csv
from datetime import date
from decimal import Decimal
from importlib import resources

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payerdesk.priorauth.criteria.engine import Criteria, Question
from payerdesk.priorauth.criteria_sets import demo_criteria_sets

SETS = {s.slug: s for s in demo_criteria_sets()}
LOADED = {slug: Criteria.load(s.questionnaire, s.decision) for slug, s in SETS.items()}

APPROVE: dict[str, dict[str, object]] = {
    "glp1-t2dm": {
        "diagnosis": "E11",
        "weight_loss_only": False,
        "a1c": "8.4",
        "a1c_date": "2026-10-30",
        "metformin_tried": True,
        "metformin_days": 180,
    },
    "adalimumab-ra": {
        "diagnosis": "M05",
        "prescriber_rheumatologist": False,
        "rheumatologist_consulted": True,
        "methotrexate_tried": False,
        "methotrexate_contraindication": "liver_disease",
        "tb_test": "negative",
        "tb_test_date": "2026-09-01",
    },
    "evolocumab-pcsk9": {
        "indication": "hefh",
        "hefh_confirmation": "genetic",
        "ldl": 131,
        "statin_intolerant": True,
        "statins_not_tolerated": 1,
        "rhabdomyolysis": True,
        "ezetimibe_tried": True,
    },
    "lipitor-nonformulary": {
        "generic_tried": True,
        "generic_days": 60,
        "adverse_reaction": True,
        "reaction_description": "Urticaria after each dose of the generic",
        "other_statin_tried": True,
    },
    "sumatriptan-ql": {
        "diagnosis": "G43",
        "requested_quantity": 18,
        "migraine_days": 8,
        "prophylaxis_tried": True,
        "prophylaxis_months": 3,
        "overuse_assessed": True,
    },
}
REFER: dict[str, tuple[dict[str, object], int]] = {
    "glp1-t2dm": (
        {
            "diagnosis": "E66",
            "weight_loss_only": True,
            "a1c": "5.6",
            "metformin_tried": False,
            "metformin_contraindication": "none",
        },
        4,
    ),
    "adalimumab-ra": (
        {
            "diagnosis": "M06",
            "prescriber_rheumatologist": True,
            "methotrexate_tried": True,
            "methotrexate_months": 1,
            "tb_test": "not_done",
        },
        2,
    ),
    "evolocumab-pcsk9": (
        {
            "indication": "ascvd",
            "ldl": 64,
            "statin_intolerant": False,
            "max_statin_8_weeks": True,
            "ezetimibe_tried": False,
        },
        2,
    ),
    "lipitor-nonformulary": ({"generic_tried": False, "other_statin_tried": False}, 3),
    "sumatriptan-ql": (
        {
            "diagnosis": "G43",
            "requested_quantity": 27,
            "migraine_days": 12,
            "prophylaxis_tried": False,
            "prophylaxis_contraindicated": True,
            "overuse_assessed": True,
        },
        1,
    ),
}
DAYS = {
    "glp1-t2dm": 365,
    "adalimumab-ra": 180,
    "evolocumab-pcsk9": 365,
    "lipitor-nonformulary": 365,
    "sumatriptan-ql": 180,
}


def test_five_sets_ship_for_the_drugs_the_issue_names():
    assert set(SETS) == set(APPROVE)
    names = {d.name.lower() for s in SETS.values() for d in s.drugs}
    for drug in ("semaglutide", "adalimumab", "evolocumab", "lipitor", "sumatriptan"):
        assert any(drug in name for name in names), drug
    assert SETS["lipitor-nonformulary"].request_type == "non_formulary_exception"


@pytest.mark.parametrize("slug", sorted(APPROVE))
def test_a_complete_case_is_approved(slug):
    criteria = LOADED[slug]
    decision = criteria.decide(criteria.clean(APPROVE[slug]))
    assert (decision.outcome, decision.approval_days, decision.unmet) == ("approve", DAYS[slug], ())


@pytest.mark.parametrize("slug", sorted(REFER))
def test_a_weak_case_is_referred_with_its_unmet_criteria(slug):
    answers, count = REFER[slug]
    criteria = LOADED[slug]
    decision = criteria.decide(criteria.clean(answers))
    assert decision.outcome == "refer" and decision.approval_days is None
    assert len(decision.unmet) == count, decision.unmet


def test_quantity_limit_refers_above_the_limit_only():
    criteria = LOADED["sumatriptan-ql"]
    answers = dict(APPROVE["sumatriptan-ql"], requested_quantity=19)
    assert criteria.decide(criteria.clean(answers)).unmet == (
        "At most 18 tablets per 30 days can be approved without clinical review",
    )


def value_for(question: Question) -> st.SearchStrategy[object]:
    if question.type == "boolean":
        return st.booleans()
    if question.type == "choice":
        return st.sampled_from([code for code, _ in question.options])
    if question.type == "integer":
        return st.integers(min_value=-5, max_value=400)
    if question.type == "decimal":
        return st.decimals(min_value=Decimal(-10), max_value=Decimal(500), places=1)
    if question.type == "date":
        return st.dates(min_value=date(2020, 1, 1), max_value=date(2027, 12, 31))
    return st.text(min_size=1, max_size=20).filter(lambda text: bool(text.strip()))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), slug=st.sampled_from(sorted(SETS)))
def test_any_valid_answers_are_only_ever_approved_or_referred(data, slug):
    criteria = LOADED[slug]
    answers: dict[str, object] = {}
    typed: dict[str, object] = {}
    for question in criteria.questions:
        if not question.is_enabled(typed):
            continue
        if question.required or data.draw(st.booleans()):
            answers[question.link_id] = data.draw(value_for(question))
            typed[question.link_id] = question.convert(answers[question.link_id])
    decision = criteria.decide(criteria.clean(answers))
    assert decision.outcome in ("approve", "refer")
    if decision.outcome == "approve":
        assert decision.approval_days == DAYS[slug] and decision.unmet == ()
    else:
        assert decision.approval_days is None and decision.unmet
        assert all(isinstance(reason, str) and reason for reason in decision.unmet)


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("payerdesk.priorauth").joinpath("demo_data", name).read_text()
    return list(csv.DictReader(text.splitlines(), delimiter="|"))


def test_formulary_sample_is_cms_shaped_and_covers_the_catalog():
    rows = _rows("formulary_2026.txt")
    assert list(rows[0]) == [
        "FORMULARY_ID",
        "FORMULARY_VERSION",
        "CONTRACT_YEAR",
        "RXCUI",
        "NDC",
        "TIER_LEVEL_VALUE",
        "QUANTITY_LIMIT_YN",
        "QUANTITY_LIMIT_AMOUNT",
        "QUANTITY_LIMIT_DAYS",
        "PRIOR_AUTHORIZATION_YN",
        "STEP_THERAPY_YN",
    ]
    for row in rows:
        assert len(row["NDC"]) == 11 and row["NDC"].isdigit()
        assert row["PRIOR_AUTHORIZATION_YN"] in "YN" and row["QUANTITY_LIMIT_YN"] in "YN"
    names = {row["RXCUI"]: row["DRUG_NAME"] for row in _rows("drug_names.txt")}
    on_formulary = {row["RXCUI"] for row in rows}
    assert on_formulary <= set(names)
    for demo in SETS.values():
        for drug in demo.drugs:
            assert drug.rxcui in names
            # A non-formulary exception is for a drug that is not on the formulary.
            assert (drug.rxcui in on_formulary) is (demo.request_type != "non_formulary_exception")
    sumatriptan = next(row for row in rows if row["RXCUI"] == "37418")
    assert (sumatriptan["QUANTITY_LIMIT_AMOUNT"], sumatriptan["QUANTITY_LIMIT_DAYS"]) == ("9", "30")
