"""Criteria decisions: a JDM graph run by zen-engine, every load check with its JSON path,
and the run-time check on what the engine returns."""

import copy
import itertools
import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from payerdesk.priorauth.criteria.engine import Criteria, CriteriaError, Decision, DecisionError
from payerdesk.priorauth.criteria.engine import decision_from_result as from_result
from payerdesk.priorauth.criteria.jdm import names_read

QUESTIONNAIRE: dict[str, Any] = {
    "resourceType": "Questionnaire",
    "status": "active",
    "item": [
        {
            "linkId": "diagnosis",
            "text": "Diagnosis",
            "type": "choice",
            "required": True,
            "answerOption": [
                {"valueCoding": {"code": "E11", "display": "Type 2 diabetes"}},
                {"valueCoding": {"code": "E66", "display": "Obesity"}},
            ],
        },
        {"linkId": "a1c", "text": "Latest A1c (%)", "type": "decimal", "required": True},
        {"linkId": "metformin_days", "text": "Days on metformin", "type": "integer"},
        {"linkId": "a1c_date", "text": "A1c date", "type": "date"},
    ],
}


def node(id_: str, type_: str, content: dict[str, Any] | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"id": id_, "type": type_, "name": id_}
    if content is not None:
        found["content"] = content
    return found


def edge(source: str, target: str, handle: str | None = None) -> dict[str, Any]:
    found = {"id": f"{source}-{target}", "sourceId": source, "targetId": target}
    if handle:
        found["sourceHandle"] = handle
    return found


def unmet_node() -> dict[str, Any]:
    return node(
        "unmet",
        "expressionNode",
        {
            "expressions": [
                {
                    "id": "u",
                    "key": "unmet",
                    "value": "filter(["
                    "diagnosis == 'E11' ? null : 'Diagnosis is not type 2 diabetes', "
                    "a1c != null and a1c >= 7 ? null : 'A1c below 7%', "
                    "metformin_days != null and metformin_days >= 90 ? null : "
                    "'Metformin tried for fewer than 90 days'], # != null)",
                }
            ]
        },
    )


def table(rules: list[dict[str, Any]] | None = None, **content: Any) -> dict[str, Any]:
    return node(
        "table",
        "decisionTableNode",
        {
            "hitPolicy": "first",
            "inputs": [{"id": "n", "name": "Unmet count", "field": "len(unmet)"}],
            "outputs": [
                {"id": "o", "name": "Outcome", "field": "outcome"},
                {"id": "d", "name": "Days", "field": "approvalDays"},
                {"id": "u", "name": "Unmet", "field": "unmet"},
            ],
            "rules": rules
            if rules is not None
            else [
                {"_id": "r1", "n": "0", "o": '"approve"', "d": "365"},
                {"_id": "r2", "n": "", "o": "'refer'", "u": "unmet"},
            ],
            **content,
        },
    )


def graph(*middle: dict[str, Any], edges: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    nodes = [node("in", "inputNode"), *middle, node("out", "outputNode")]
    if edges is None:
        ids = [n["id"] for n in nodes]
        edges = [edge(a, b) for a, b in itertools.pairwise(ids)]
    return {"contentType": "application/vnd.gorules.decision", "nodes": nodes, "edges": edges}


GOOD = graph(unmet_node(), table())


def test_approves_when_every_criterion_is_met():
    criteria = Criteria.load(QUESTIONNAIRE, GOOD)
    cleaned = criteria.clean({"diagnosis": "E11", "a1c": "8.2", "metformin_days": 120})
    assert criteria.decide(cleaned) == Decision(outcome="approve", approval_days=365, unmet=())


def test_refers_with_every_unmet_criterion():
    criteria = Criteria.load(QUESTIONNAIRE, GOOD)
    decision = criteria.decide(criteria.clean({"diagnosis": "E66", "a1c": 6.4}))
    assert decision == Decision(
        outcome="refer",
        approval_days=None,
        unmet=(
            "Diagnosis is not type 2 diabetes",
            "A1c below 7%",
            "Metformin tried for fewer than 90 days",
        ),
    )


def test_decimals_and_dates_reach_the_graph_as_numbers_and_iso_strings():
    check = node(
        "check",
        "expressionNode",
        {
            "expressions": [
                {"id": "1", "key": "outcome", "value": "'refer'"},
                {
                    "id": "2",
                    "key": "unmet",
                    "value": "[string(a1c + 1), a1c_date, string(metformin_days == null)]",
                },
            ]
        },
    )
    criteria = Criteria.load(QUESTIONNAIRE, graph(check))
    decision = criteria.decide(
        {"diagnosis": "E11", "a1c": Decimal("7.5"), "a1c_date": date(2026, 3, 1)}
    )
    assert decision.unmet == ("8.5", "2026-03-01", "true")


def test_switch_branches_to_different_outcomes():
    switch = node(
        "sw",
        "switchNode",
        {
            "hitPolicy": "first",
            "statements": [
                {"id": "t2d", "condition": "diagnosis == 'E11'"},
                {"id": "other", "condition": ""},
            ],
        },
    )
    approve = node(
        "ok",
        "expressionNode",
        {
            "expressions": [
                {"id": "1", "key": "outcome", "value": "'approve'"},
                {"id": "2", "key": "approvalDays", "value": "180"},
            ]
        },
    )
    refer = node(
        "no",
        "expressionNode",
        {
            "expressions": [
                {"id": "1", "key": "outcome", "value": "'refer'"},
                {"id": "2", "key": "unmet", "value": "['Not for ' + diagnosis]"},
            ]
        },
    )
    criteria = Criteria.load(
        QUESTIONNAIRE,
        graph(
            switch,
            approve,
            refer,
            edges=[
                edge("in", "sw"),
                edge("sw", "ok", "t2d"),
                edge("sw", "no", "other"),
                edge("ok", "out"),
                edge("no", "out"),
            ],
        ),
    )
    assert criteria.decide({"diagnosis": "E11", "a1c": Decimal(7)}).approval_days == 180
    assert criteria.decide({"diagnosis": "E66", "a1c": Decimal(7)}).unmet == ("Not for E66",)


def test_decision_as_text_or_bytes_loads_the_same():
    for source in (json.dumps(GOOD), json.dumps(GOOD).encode()):
        criteria = Criteria.load(json.dumps(QUESTIONNAIRE), source)
        assert criteria.decide({"diagnosis": "E66", "a1c": Decimal(1)}).outcome == "refer"


def test_names_read_skips_strings_functions_properties_and_closures():
    assert names_read("filter(items, #.days > limit) and 'a1c' == x.y and $.z") == [
        "items",
        "limit",
        "x",
    ]
    assert names_read("d(start) < d('2026-01-01') or true and null") == ["start"]


def broken(mutate) -> dict[str, Any]:
    copied = copy.deepcopy(GOOD)
    mutate(copied)
    return copied


def set_rule(k: int, column: str, value: str):
    return lambda g: g["nodes"][2]["content"]["rules"][k].__setitem__(column, value)


def table_content(g: dict[str, Any]) -> dict[str, Any]:
    content: dict[str, Any] = g["nodes"][2]["content"]
    return content


FUNCTION = node("fn", "functionNode", {"source": "export const handler = async () => ({})"})


@pytest.mark.parametrize(
    ("decision", "where", "says"),
    [
        ('{"nodes": [', "decision", "malformed JSON at line 1"),
        ('"approve"', "decision", "expected a JSON object"),
        ({"rules": []}, "decision.nodes", "not a JDM decision graph"),
        ({"nodes": [], "edges": {}}, "decision.edges", "not a JDM decision graph"),
        (graph(), "decision", None),  # valid shape but no outcome: caught below
        (
            {"nodes": [node("out", "outputNode")], "edges": []},
            "decision",
            "exactly one inputNode, this has 0",
        ),
        (
            {
                "nodes": [
                    node("in", "inputNode"),
                    node("o1", "outputNode"),
                    node("o2", "outputNode"),
                ],
                "edges": [],
            },
            "decision",
            "exactly one outputNode, this has 2",
        ),
        (graph(FUNCTION), "decision.nodes[1].type", "'functionNode' is not allowed"),
        (
            graph(node("sub", "decisionNode", {"key": "other.json"})),
            "decision.nodes[1].type",
            "'decisionNode' is not allowed",
        ),
        (broken(lambda g: g["nodes"][1].pop("id")), "decision.nodes[1]", "needs an id"),
        (
            broken(lambda g: g["nodes"][1].__setitem__("id", "table")),
            "decision.nodes[2].id",
            "used twice",
        ),
        (broken(lambda g: g["nodes"][1].pop("name")), "decision.nodes[1].name", "needs a name"),
        (
            broken(lambda g: g["edges"][0].__setitem__("targetId", "nowhere")),
            "decision.edges[0].targetId",
            "'nowhere' is not a node",
        ),
        (
            broken(lambda g: g["edges"].append(edge("out", "table"))),
            "decision.edges[3]",
            "from the input towards the output",
        ),
        (broken(lambda g: g["edges"].append(edge("table", "unmet"))), "decision.edges", "cycle"),
        (broken(lambda g: g["edges"].pop(1)), "decision.nodes[2]", "no edge leads"),
        (
            broken(set_rule(0, "o", "a1c > 9 ? 'approve' : 'refer'")),
            "decision.nodes[2].content.rules[0].o",
            "string literal 'approve' or 'refer'",
        ),
        (
            broken(set_rule(1, "o", "'deny'")),
            "decision.nodes[2].content.rules[1].o",
            "not \"'deny'\"",
        ),
        (
            broken(set_rule(1, "o", "")),
            "decision.nodes[2].content.rules[1]",
            "outcome cell is empty",
        ),
        (
            broken(set_rule(0, "d", "")),
            "decision.nodes[2].content.rules[0]",
            "approve needs approvalDays",
        ),
        (
            broken(set_rule(0, "d", "a1c * 10")),
            "decision.nodes[2].content.rules[0]",
            "approve needs approvalDays",
        ),
        (
            broken(set_rule(0, "d", "0")),
            "decision.nodes[2].content.rules[0]",
            "approve needs approvalDays",
        ),
        (broken(set_rule(1, "u", "")), "decision.nodes[2].content.rules[1]", "refer needs unmet"),
        (broken(set_rule(1, "n", "> 0")), "decision.nodes[2].content.rules[1]", "no catch-all"),
        (
            broken(lambda g: table_content(g).__setitem__("hitPolicy", "collect")),
            "decision.nodes[2].content.hitPolicy",
            "hit policy first",
        ),
        (
            broken(lambda g: table_content(g).__setitem__("rules", [])),
            "decision.nodes[2].content.rules",
            "needs rules",
        ),
        (
            broken(lambda g: table_content(g)["outputs"][0].__setitem__("field", "outcome.code")),
            "decision.nodes[2].content.rules[0]",
            "written whole",
        ),
        (
            broken(lambda g: table_content(g)["outputs"][0].__setitem__("field", "")),
            "decision.nodes[2].content.outputs[0].field",
            "needs a field",
        ),
        (
            broken(lambda g: table_content(g).__setitem__("outputPath", "result")),
            "decision.nodes[2].content.outputPath",
            "not supported",
        ),
        (
            broken(lambda g: table_content(g).__setitem__("executionMode", "loop")),
            "decision.nodes[2].content.executionMode",
            "single",
        ),
        (
            broken(lambda g: table_content(g).pop("inputs")),
            "decision.nodes[2].content.inputs",
            "list of columns",
        ),
        (broken(lambda g: g["nodes"][2].pop("content")), "decision.nodes[2].content", "no content"),
        (
            broken(lambda g: table_content(g)["inputs"][0].__setitem__("field", "len(unmett)")),
            "decision.nodes[2].content.inputs[0].field",
            "reads 'unmett'",
        ),
        (
            broken(set_rule(0, "n", "> min_count")),
            "decision.nodes[2].content.rules[0].n",
            "reads 'min_count'",
        ),
        (
            broken(set_rule(1, "u", "unmet + extra_reasons")),
            "decision.nodes[2].content.rules[1].u",
            "reads 'extra_reasons'",
        ),
        (
            broken(
                lambda g: g["nodes"][1]["content"]["expressions"][0].__setitem__(
                    "value", "[hba1c > 7 ? null : 'low']"
                )
            ),
            "decision.nodes[1].content.expressions[0].value",
            "reads 'hba1c'",
        ),
        (
            broken(set_rule(0, "n", ">>> 0")),
            "decision.nodes[2].content.rules[0].n",
            "invalid expression '>>> 0'",
        ),
        (
            broken(
                lambda g: g["nodes"][1]["content"]["expressions"][0].__setitem__(
                    "value", "filter([a1c >"
                )
            ),
            "decision.nodes[1].content.expressions[0].value",
            "invalid expression",
        ),
        (
            broken(lambda g: g["nodes"][1]["content"]["expressions"][0].pop("key")),
            "decision.nodes[1].content.expressions[0].key",
            "needs a key",
        ),
        (
            broken(lambda g: g["nodes"][1]["content"].__setitem__("expressions", [])),
            "decision.nodes[1].content.expressions",
            "needs expressions",
        ),
        (
            broken(
                lambda g: g["nodes"][1]["content"]["expressions"].append(
                    {"id": "x", "key": "outcome", "value": "'approve'"}
                )
            ),
            "decision.nodes[1].content",
            "approve needs approvalDays",
        ),
        (
            broken(lambda g: g["nodes"][1]["content"]["expressions"][0].__setitem__("value", 5)),
            "decision.nodes[1].content.expressions[0].value",
            "expression as a string",
        ),
    ],
)
def test_decision_load_errors_name_where(decision, where, says):
    with pytest.raises(CriteriaError) as caught:
        Criteria.load(QUESTIONNAIRE, decision)
    assert caught.value.where == where or says is None
    assert says is None or says in caught.value.message


def test_a_path_without_outcome_is_refused():
    # An expression node after the table replaces its result (no passThrough).
    after = node(
        "after",
        "expressionNode",
        {"expressions": [{"id": "1", "key": "note", "value": "'checked'"}]},
    )
    with pytest.raises(CriteriaError) as caught:
        Criteria.load(QUESTIONNAIRE, graph(unmet_node(), table(), after))
    assert caught.value.where == "decision.nodes[3]"
    assert "without an outcome" in caught.value.message
    # With passThrough the table's outcome survives, and the extra key is ignored.
    after["content"]["passThrough"] = True
    criteria = Criteria.load(QUESTIONNAIRE, graph(unmet_node(), table(), after))
    assert criteria.decide({"diagnosis": "E66", "a1c": Decimal(9)}).outcome == "refer"
    # Straight from input to output: no outcome at all.
    with pytest.raises(CriteriaError, match="without an outcome"):
        Criteria.load(QUESTIONNAIRE, graph())


def test_a_switch_without_default_or_handles_is_refused():
    statements = [{"id": "t2d", "condition": "diagnosis == 'E11'"}]
    switch = node("sw", "switchNode", {"hitPolicy": "first", "statements": statements})
    approve = node(
        "ok",
        "expressionNode",
        {
            "expressions": [
                {"id": "1", "key": "outcome", "value": "'refer'"},
                {"id": "2", "key": "unmet", "value": "['x']"},
            ]
        },
    )
    edges = [edge("in", "sw"), edge("sw", "ok", "t2d"), edge("ok", "out")]
    with pytest.raises(CriteriaError) as caught:
        Criteria.load(QUESTIONNAIRE, graph(switch, approve, edges=edges))
    assert caught.value.where == "decision.nodes[1].content.statements[0]"
    assert "no catch-all" in caught.value.message
    statements.append({"id": "else", "condition": ""})
    edges[1] = edge("sw", "ok", "missing")
    with pytest.raises(CriteriaError) as caught:
        Criteria.load(QUESTIONNAIRE, graph(switch, approve, edges=edges))
    assert caught.value.where == "decision.edges[1]"
    edges[1] = edge("sw", "ok", "t2d")
    with pytest.raises(CriteriaError) as caught:
        Criteria.load(QUESTIONNAIRE, graph(switch, approve, edges=edges))
    assert caught.value.where == "decision.nodes[1].content.statements[1]"
    assert "leads nowhere" in caught.value.message
    edges.append(edge("sw", "ok", "else"))
    edges[-1]["id"] = "else-edge"
    statements[0]["condition"] = "diagnosis === 'E11'"
    with pytest.raises(CriteriaError) as caught:
        Criteria.load(QUESTIONNAIRE, graph(switch, approve, edges=edges))
    assert caught.value.where == "decision.nodes[1].content.statements[0].condition"
    statements[0]["condition"] = "dx == 'E11'"
    with pytest.raises(CriteriaError, match="reads 'dx'"):
        Criteria.load(QUESTIONNAIRE, graph(switch, approve, edges=edges))
    statements[0]["condition"] = "diagnosis == 'E11'"
    criteria = Criteria.load(QUESTIONNAIRE, graph(switch, approve, edges=edges))
    assert criteria.decide({}).unmet == ("x",)


def test_an_engine_failure_at_run_time_is_a_decision_error():
    # Comparing a missing answer fails inside zen: the request must go to a person.
    fragile = node(
        "f",
        "expressionNode",
        {
            "expressions": [
                {"id": "1", "key": "outcome", "value": "'refer'"},
                {"id": "2", "key": "unmet", "value": "metformin_days > 3 ? ['a'] : ['b']"},
            ]
        },
    )
    criteria = Criteria.load(QUESTIONNAIRE, graph(fragile))
    assert criteria.decide({"metformin_days": 5}).unmet == ("a",)
    with pytest.raises(DecisionError) as caught:
        criteria.decide({})
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("result", "says"),
    [
        ([], "not an object"),
        ({}, "outcome must be approve or refer, got None"),
        ({"outcome": "deny"}, "got 'deny'"),
        ({"outcome": "approve"}, "approvalDays >= 1"),
        ({"outcome": "approve", "approvalDays": 0}, "approvalDays >= 1"),
        ({"outcome": "approve", "approvalDays": 2.5}, "approvalDays >= 1"),
        ({"outcome": "approve", "approvalDays": True}, "approvalDays >= 1"),
        ({"outcome": "refer"}, "non-empty list"),
        ({"outcome": "refer", "unmet": []}, "non-empty list"),
        ({"outcome": "refer", "unmet": ["ok", 3]}, "non-empty list"),
        ({"outcome": "refer", "unmet": "A1c"}, "non-empty list"),
    ],
)
def test_results_outside_the_contract_are_refused(result, says):
    with pytest.raises(DecisionError, match=says):
        from_result(result)


def test_results_inside_the_contract_are_read():
    assert from_result({"outcome": "approve", "approvalDays": 90.0, "a1c": 8}) == Decision(
        "approve", 90, ()
    )
    assert from_result({"outcome": "refer", "unmet": ["A1c"]}) == Decision("refer", None, ("A1c",))
