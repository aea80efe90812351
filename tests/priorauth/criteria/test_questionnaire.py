"""Criteria questions: every item type and enableWhen operator, every answer error, every
questionnaire load error with its JSON path."""

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from payerdesk.priorauth.criteria.engine import AnswerError, Criteria, CriteriaError

# A decision that only reads nothing: approve whatever the answers.
APPROVE_ALL: dict[str, Any] = {
    "nodes": [
        {"id": "in", "type": "inputNode", "name": "Request"},
        {
            "id": "e",
            "type": "expressionNode",
            "name": "Approve",
            "content": {
                "expressions": [
                    {"id": "1", "key": "outcome", "value": "'approve'"},
                    {"id": "2", "key": "approvalDays", "value": "30"},
                ]
            },
        },
        {"id": "out", "type": "outputNode", "name": "Response"},
    ],
    "edges": [
        {"id": "a", "sourceId": "in", "targetId": "e"},
        {"id": "b", "sourceId": "e", "targetId": "out"},
    ],
}


def questionnaire(*items: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Questionnaire", "status": "active", "item": list(items)}


def item(link_id: str, type_: str, **extra: Any) -> dict[str, Any]:
    return {"linkId": link_id, "text": link_id.replace("_", " "), "type": type_, **extra}


def when(question: str, operator: str, **answer: Any) -> dict[str, Any]:
    return {"question": question, "operator": operator, **answer}


ALL_TYPES = questionnaire(
    item("diagnosed", "boolean", required=True),
    item(
        "diagnosis",
        "choice",
        required=True,
        answerOption=[
            {
                "valueCoding": {
                    "system": "http://hl7.org/fhir/sid/icd-10-cm",
                    "code": "E11.9",
                    "display": "Type 2 diabetes",
                }
            },
            {"valueCoding": {"code": "E66.9", "display": "Obesity"}},
        ],
    ),
    item("route", "choice", answerOption=[{"valueString": "oral"}, {"valueString": "injection"}]),
    item("trial_days", "integer"),
    item("a1c", "decimal"),
    item("started", "date"),
    item("note", "string"),
)


def load(q: dict[str, Any]) -> Criteria:
    return Criteria.load(q, APPROVE_ALL)


def test_every_item_type_is_read_with_its_options():
    criteria = load(ALL_TYPES)
    by_id = {q.link_id: q for q in criteria.questions}
    assert [q.type for q in criteria.questions] == [
        "boolean",
        "choice",
        "choice",
        "integer",
        "decimal",
        "date",
        "string",
    ]
    assert by_id["diagnosis"].options == (("E11.9", "Type 2 diabetes"), ("E66.9", "Obesity"))
    assert by_id["route"].options == (("oral", "oral"), ("injection", "injection"))
    assert by_id["diagnosed"].required and not by_id["note"].required
    assert by_id["trial_days"].text == "trial days"


def test_clean_types_every_kind_of_answer():
    cleaned = load(ALL_TYPES).clean(
        {
            "diagnosed": "true",
            "diagnosis": "E11.9",
            "route": "oral",
            "trial_days": "120",
            "a1c": 8.1,
            "started": "2026-01-15",
            "note": "  tolerated poorly ",
        }
    )
    assert cleaned == {
        "diagnosed": True,
        "diagnosis": "E11.9",
        "route": "oral",
        "trial_days": 120,
        "a1c": Decimal("8.1"),
        "started": date(2026, 1, 15),
        "note": "tolerated poorly",
    }
    assert type(cleaned["trial_days"]) is int


def test_blank_optional_answers_are_left_out():
    cleaned = load(ALL_TYPES).clean(
        {"diagnosed": False, "diagnosis": "E66.9", "a1c": "", "note": None, "trial_days": 5}
    )
    assert cleaned == {"diagnosed": False, "diagnosis": "E66.9", "trial_days": 5}


@pytest.mark.parametrize(
    ("link_id", "value", "says"),
    [
        ("diagnosed", "yes please", "expected true or false"),
        ("diagnosed", 1, "expected true or false"),
        ("trial_days", "12.5", "expected a whole number"),
        ("trial_days", True, "expected a whole number"),
        ("trial_days", 3.0, "expected a whole number"),
        ("a1c", "high", "expected a number"),
        ("a1c", False, "expected a number"),
        ("a1c", "NaN", "expected a finite number"),
        ("started", "15/01/2026", "expected a date as YYYY-MM-DD"),
        ("started", 20260115, "expected a date as YYYY-MM-DD"),
        ("note", 42, "expected text"),
    ],
)
def test_wrong_type_says_what_was_expected(link_id, value, says):
    answers: dict[str, object] = {"diagnosed": True, "diagnosis": "E11.9", link_id: value}
    with pytest.raises(AnswerError) as caught:
        load(ALL_TYPES).clean(answers)
    assert len(caught.value.errors) == 1
    assert caught.value.errors[0][0] == link_id
    assert says in caught.value.errors[0][1]


def test_choice_outside_the_options_lists_them():
    with pytest.raises(AnswerError) as caught:
        load(ALL_TYPES).clean({"diagnosed": True, "diagnosis": "I10"})
    assert caught.value.errors == [
        ("diagnosis", "'I10' is not one of the options: E11.9 (Type 2 diabetes), E66.9 (Obesity)")
    ]


BRANCHING = questionnaire(
    item("tried_metformin", "boolean", required=True),
    item(
        "metformin_days",
        "integer",
        required=True,
        enableWhen=[when("tried_metformin", "=", answerBoolean=True)],
    ),
    item(
        "contraindication",
        "string",
        required=True,
        enableWhen=[when("tried_metformin", "=", answerBoolean=False)],
    ),
    item(
        "short_trial_reason",
        "string",
        enableWhen=[when("metformin_days", "<", answerInteger=90)],
    ),
)


def test_enabled_shows_and_hides_follow_ups():
    criteria = load(BRANCHING)
    ids = lambda answers: [q.link_id for q in criteria.enabled(answers)]  # noqa: E731
    assert ids({}) == ["tried_metformin"]
    assert ids({"tried_metformin": "true"}) == ["tried_metformin", "metformin_days"]
    assert ids({"tried_metformin": True, "metformin_days": "30"}) == [
        "tried_metformin",
        "metformin_days",
        "short_trial_reason",
    ]
    assert ids({"tried_metformin": False}) == ["tried_metformin", "contraindication"]
    # A bad answer counts as none yet, and answers to hidden questions change nothing.
    assert ids({"tried_metformin": True, "metformin_days": "abc"}) == [
        "tried_metformin",
        "metformin_days",
    ]
    assert ids({"tried_metformin": False, "metformin_days": 30}) == [
        "tried_metformin",
        "contraindication",
    ]


def test_every_answer_error_is_reported_at_once():
    with pytest.raises(AnswerError) as caught:
        load(BRANCHING).clean(
            {
                "tried_metformin": True,
                "contraindication": "renal impairment",
                "short_trial_reason": 7,
                "pharmacy": "CVS",
            }
        )
    assert sorted(caught.value.errors) == [
        ("contraindication", "this question does not apply to these answers"),
        ("metformin_days", "an answer is required"),
        ("pharmacy", "no such question"),
        ("short_trial_reason", "this question does not apply to these answers"),
    ]
    assert "metformin_days: an answer is required" in str(caught.value)


def test_required_follow_up_only_when_enabled():
    criteria = load(BRANCHING)
    assert criteria.clean({"tried_metformin": False, "contraindication": "eGFR 25"}) == {
        "tried_metformin": False,
        "contraindication": "eGFR 25",
    }
    with pytest.raises(AnswerError) as caught:
        criteria.clean({})
    assert caught.value.errors == [("tried_metformin", "an answer is required")]


def _gated(operator: str, answer: dict[str, Any], type_: str = "integer") -> Criteria:
    return load(
        questionnaire(
            item("value", type_),
            item("follow_up", "boolean", enableWhen=[when("value", operator, **answer)]),
        )
    )


@pytest.mark.parametrize(
    ("operator", "answer", "type_", "shown_for", "hidden_for"),
    [
        ("exists", {"answerBoolean": True}, "integer", [1, 0], [None]),
        ("exists", {"answerBoolean": False}, "integer", [None], [1]),
        ("=", {"answerInteger": 5}, "integer", [5], [4, None]),
        ("!=", {"answerInteger": 5}, "integer", [4, None], [5]),
        (">", {"answerInteger": 5}, "integer", [6], [5, None]),
        ("<", {"answerInteger": 5}, "integer", [4], [5, None]),
        (">=", {"answerInteger": 5}, "integer", [5, 6], [4, None]),
        ("<=", {"answerInteger": 5}, "integer", [5, 4], [6, None]),
        (">=", {"answerDecimal": 7.5}, "decimal", ["7.5", 8], ["7.4", None]),
        (">=", {"answerInteger": 7}, "decimal", ["7.0"], ["6.9"]),
        ("<", {"answerDate": "2026-01-01"}, "date", ["2025-12-31"], ["2026-01-01", None]),
        ("=", {"answerString": "x"}, "string", ["x"], ["y", None]),
    ],
)
def test_enable_when_operators(operator, answer, type_, shown_for, hidden_for):
    criteria = _gated(operator, answer, type_)
    for value in shown_for:
        answers = {} if value is None else {"value": value}
        assert [q.link_id for q in criteria.enabled(answers)] == ["value", "follow_up"], value
        assert criteria.clean({**answers, "follow_up": True})["follow_up"] is True
    for value in hidden_for:
        answers = {} if value is None else {"value": value}
        assert [q.link_id for q in criteria.enabled(answers)] == ["value"], value
        with pytest.raises(AnswerError):
            criteria.clean({**answers, "follow_up": True})


def test_enable_when_on_choice_coding_and_boolean():
    criteria = load(
        questionnaire(
            item(
                "dx",
                "choice",
                answerOption=[{"valueCoding": {"code": "RA"}}, {"valueCoding": {"code": "PsA"}}],
            ),
            item("on_mtx", "boolean"),
            item(
                "why",
                "string",
                enableWhen=[
                    when("dx", "=", answerCoding={"code": "RA"}),
                    when("on_mtx", "=", answerBoolean=False),
                ],
            ),
            item(
                "either",
                "string",
                enableBehavior="any",
                enableWhen=[
                    when("dx", "=", answerCoding={"code": "PsA"}),
                    when("on_mtx", "!=", answerBoolean=True),
                ],
            ),
        )
    )
    shown = lambda answers: [q.link_id for q in criteria.enabled(answers)]  # noqa: E731
    assert shown({"dx": "RA", "on_mtx": False}) == ["dx", "on_mtx", "why", "either"]
    assert shown({"dx": "RA", "on_mtx": True}) == ["dx", "on_mtx"]
    assert shown({"dx": "PsA", "on_mtx": True}) == ["dx", "on_mtx", "either"]


def test_questions_inside_groups_are_flattened():
    criteria = load(
        questionnaire(
            {
                "linkId": "g1",
                "type": "group",
                "text": "History",
                "item": [item("a", "boolean"), item("b", "integer")],
            },
            item("c", "string", enableWhen=[when("a", "=", answerBoolean=True)]),
        )
    )
    assert [q.link_id for q in criteria.questions] == ["a", "b", "c"]


def load_error(q: Any) -> CriteriaError:
    with pytest.raises(CriteriaError) as caught:
        Criteria.load(q, APPROVE_ALL)
    return caught.value


@pytest.mark.parametrize(
    ("upload", "where", "says"),
    [
        ('{"resourceType": "Questionnaire", ', "questionnaire", "malformed JSON at line 1"),
        (b"\xff\xfe", "questionnaire", "not UTF-8"),
        ("[1, 2]", "questionnaire", "expected a JSON object"),
        ({"resourceType": "Patient"}, "questionnaire.resourceType", "expected resourceType"),
        ({"resourceType": "Questionnaire"}, "questionnaire.status", "required"),
        (
            questionnaire(item("a", "boolean", required="maybe")),
            "questionnaire.item[0].required",
            "boolean",
        ),
        (questionnaire(), "questionnaire.item", "no questions"),
        (
            questionnaire(item("a", "boolean"), item("pic", "attachment")),
            "questionnaire.item[1].type",
            "item 'pic' has type 'attachment'",
        ),
        (questionnaire(item("note", "display")), "questionnaire.item[0].type", "'display'"),
        (
            questionnaire(item("a", "boolean", item=[item("b", "string")])),
            "questionnaire.item[0].item",
            "nested items",
        ),
        (
            questionnaire(
                {
                    "linkId": "g",
                    "type": "group",
                    "enableWhen": [when("x", "exists", answerBoolean=True)],
                    "item": [item("a", "boolean")],
                }
            ),
            "questionnaire.item[0].enableWhen",
            "group 'g' has enableWhen",
        ),
        (
            questionnaire(
                {
                    "linkId": "g",
                    "type": "group",
                    "item": [
                        item("a", "boolean"),
                        item("b", "date", answerOption=[{"valueString": "x"}]),
                    ],
                }
            ),
            "questionnaire.item[0].item[1]",
            "only supported on choice",
        ),
        (
            questionnaire(item("a", "boolean"), item("a", "string")),
            "questionnaire.item[1].linkId",
            "used twice",
        ),
        (questionnaire(item("a", "choice")), "questionnaire.item[0]", "no answerOption"),
        (
            questionnaire(item("a", "choice", answerOption=[{"valueInteger": 1}])),
            "questionnaire.item[0].answerOption[0]",
            "valueCoding",
        ),
        (
            questionnaire(
                item("a", "choice", answerOption=[{"valueString": "x"}, {"valueString": "x"}])
            ),
            "questionnaire.item[0].answerOption",
            "repeat",
        ),
        (
            questionnaire(
                item("a", "boolean", enableWhen=[when("b", "exists", answerBoolean=True)]),
                item("b", "boolean"),
            ),
            "questionnaire.item[0].enableWhen[0].question",
            "not an earlier question",
        ),
        (
            questionnaire(
                item("a", "boolean"),
                item("b", "string", enableWhen=[when("a", "~", answerBoolean=True)]),
            ),
            "questionnaire.item[1].enableWhen[0].operator",
            "operator '~'",
        ),
        (
            questionnaire(
                item("a", "boolean"),
                item("b", "string", enableWhen=[when("a", ">", answerBoolean=True)]),
            ),
            "questionnaire.item[1].enableWhen[0].operator",
            "cannot compare a boolean",
        ),
        (
            questionnaire(
                item("a", "integer"),
                item("b", "string", enableWhen=[when("a", "=", answerString="5")]),
            ),
            "questionnaire.item[1].enableWhen[0]",
            "'a' is integer: use answerInteger",
        ),
        (
            questionnaire(
                item("a", "integer"),
                item("b", "string", enableWhen=[when("a", "exists", answerInteger=1)]),
            ),
            "questionnaire.item[1].enableWhen[0]",
            "exists needs answerBoolean",
        ),
        (
            questionnaire(
                item("a", "choice", answerOption=[{"valueString": "x"}]),
                item("b", "string", enableWhen=[when("a", "=", answerString="y")]),
            ),
            "questionnaire.item[1].enableWhen[0].answerString",
            "not one of the options",
        ),
    ],
)
def test_questionnaire_load_errors_name_where(upload, where, says):
    error = load_error(upload)
    assert error.where == where
    assert says in error.message
    assert str(error).startswith(where)


def test_questionnaire_as_text_or_bytes_loads_the_same():
    text = json.dumps(ALL_TYPES)
    assert load(json.loads(text)).questions == Criteria.load(text, APPROVE_ALL).questions
    assert (
        Criteria.load(text.encode(), json.dumps(APPROVE_ALL)).questions == load(ALL_TYPES).questions
    )
