"""Static checks on a GoRules JDM decision graph before zen-engine may run it.

What a criteria decision may contain, and why:

* nodes ``inputNode`` (exactly one), ``outputNode`` (exactly one), ``decisionTableNode``,
  ``expressionNode`` and ``switchNode``. Function and sub-decision nodes are refused:
  their JavaScript or external graph cannot be checked here.
* decision tables and switches use hit policy ``first`` and end in a catch-all (a last
  rule whose input cells are all empty; a last switch statement with an empty
  condition), so no answers can fall through without a result.
* ``outcome`` is only ever written as the string literal ``"approve"`` or ``"refer"``;
  the row (or expression node) writing ``approve`` also writes ``approvalDays`` as a
  positive whole-number literal, and the one writing ``refer`` also writes ``unmet``.
* every path from the input to the output ends in a node that writes ``outcome`` (or
  passes through, with ``passThrough``, a result that has one): a node that does not
  pass through replaces what came before it.
* every name an expression reads is an answer linkId or a name an earlier node of the
  graph writes. ``inputField``/``outputPath`` and loop execution are refused: they move
  values under other names than the ones checked here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import zen

from payerdesk.priorauth.criteria.questionnaire import CriteriaError

ALLOWED_NODES = ("inputNode", "outputNode", "decisionTableNode", "expressionNode", "switchNode")
OUTCOMES = ("approve", "refer")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`(?:[^`\\]|\\.)*`')
# A name not after "." (a property) nor before "(" (a function call).
_NAME = re.compile(r"(?<![\w.$#])([A-Za-z_$][\w$]*+)(?!\s*\()")
_KEYWORDS = frozenset({"true", "false", "null", "and", "or", "not", "in", "$", "$root"})
_OUTCOME_LITERAL = re.compile(r"""\s*(["'])(approve|refer)\1\s*""")
_DAYS_LITERAL = re.compile(r"\s*([1-9]\d{0,4})\s*")


def names_read(expression: str) -> list[str]:
    """Root names an expression reads (string literals removed first)."""
    text = _STRING.sub('""', expression)
    return [name for name in _NAME.findall(text) if name not in _KEYWORDS]


@dataclass
class NodeFacts:
    """What one node reads, writes and guarantees."""

    reads: list[tuple[str, str]] = field(default_factory=list)  # (name, where)
    writes: set[str] = field(default_factory=set)
    sets_outcome: bool = False
    pass_through: bool = False


def graph_check(data: dict[str, Any], answers: frozenset[str]) -> None:
    """Raise CriteriaError naming where the graph breaks a rule in the module docstring."""
    nodes = _list(data, "nodes", "decision")
    edges = _list(data, "edges", "decision")
    index_of = _check_nodes(nodes)
    preds = _check_edges(edges, nodes, index_of)
    order = _topological(nodes, preds)
    facts = {node["id"]: _node_facts(node, f"decision.nodes[{i}]") for i, node in enumerate(nodes)}
    _check_edge_handles(edges, nodes, index_of)
    defined = set(answers).union(*(fact.writes for fact in facts.values()))
    for fact in facts.values():
        for name, where in fact.reads:
            if name not in defined:
                raise CriteriaError(
                    f"reads {name!r}, which is neither a question of the questionnaire "
                    "nor written by the graph",
                    where,
                )
    _check_outcome_reaches_output(nodes, order, preds, facts, index_of)


def _list(data: dict[str, Any], key: str, where: str) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list):
        raise CriteriaError(f"not a JDM decision graph: {key} must be a list", f"{where}.{key}")
    return value


def _check_nodes(nodes: list[Any]) -> dict[str, int]:
    index_of: dict[str, int] = {}
    for i, node in enumerate(nodes):
        where = f"decision.nodes[{i}]"
        if not isinstance(node, dict) or not isinstance(node.get("id"), str) or not node["id"]:
            raise CriteriaError("each node needs an id", where)
        if node["id"] in index_of:
            raise CriteriaError(f"node id {node['id']!r} is used twice", f"{where}.id")
        if node.get("type") not in ALLOWED_NODES:
            raise CriteriaError(
                f"node type {node.get('type')!r} is not allowed; allowed: "
                + ", ".join(ALLOWED_NODES),
                f"{where}.type",
            )
        if not isinstance(node.get("name"), str):
            raise CriteriaError("each node needs a name", f"{where}.name")
        index_of[node["id"]] = i
    for kind in ("inputNode", "outputNode"):
        count = sum(1 for node in nodes if node["type"] == kind)
        if count != 1:
            raise CriteriaError(f"a decision has exactly one {kind}, this has {count}", "decision")
    return index_of


def _check_edges(
    edges: list[Any], nodes: list[dict[str, Any]], index_of: dict[str, int]
) -> dict[str, list[str]]:
    preds: dict[str, list[str]] = {node["id"]: [] for node in nodes}
    for j, edge in enumerate(edges):
        where = f"decision.edges[{j}]"
        if not isinstance(edge, dict):
            raise CriteriaError("each edge is an object", where)
        for end in ("sourceId", "targetId"):
            if edge.get(end) not in index_of:
                raise CriteriaError(f"{end} {edge.get(end)!r} is not a node", f"{where}.{end}")
        source = nodes[index_of[edge["sourceId"]]]
        target = nodes[index_of[edge["targetId"]]]
        if target["type"] == "inputNode" or source["type"] == "outputNode":
            raise CriteriaError("edges run from the input towards the output", where)
        preds[edge["targetId"]].append(edge["sourceId"])
    return preds


def _check_edge_handles(
    edges: list[dict[str, Any]], nodes: list[dict[str, Any]], index_of: dict[str, int]
) -> None:
    used: set[tuple[str, str]] = set()
    for j, edge in enumerate(edges):
        source = nodes[index_of[edge["sourceId"]]]
        if source["type"] != "switchNode":
            continue
        handles = {statement["id"] for statement in source["content"]["statements"]}
        if edge.get("sourceHandle") not in handles:
            raise CriteriaError(
                "an edge out of a switch names one of its statements", f"decision.edges[{j}]"
            )
        used.add((source["id"], edge["sourceHandle"]))
    for node in nodes:
        if node["type"] != "switchNode":
            continue
        for k, statement in enumerate(node["content"]["statements"]):
            if (node["id"], statement["id"]) not in used:
                where = f"decision.nodes[{index_of[node['id']]}].content.statements[{k}]"
                raise CriteriaError("this branch of the switch leads nowhere", where)


def _topological(nodes: list[dict[str, Any]], preds: dict[str, list[str]]) -> list[str]:
    remaining = {node_id: set(sources) for node_id, sources in preds.items()}
    order: list[str] = []
    while remaining:
        ready = [node_id for node_id, sources in remaining.items() if not sources]
        if not ready:
            raise CriteriaError(
                "the graph has a cycle through " + ", ".join(sorted(remaining)), "decision.edges"
            )
        for node_id in ready:
            order.append(node_id)
            del remaining[node_id]
        for sources in remaining.values():
            sources.difference_update(ready)
    return order


def _check_outcome_reaches_output(
    nodes: list[dict[str, Any]],
    order: list[str],
    preds: dict[str, list[str]],
    facts: dict[str, NodeFacts],
    index_of: dict[str, int],
) -> None:
    """Every input-to-output path must end with a result that has an outcome."""
    has_outcome: dict[str, bool] = {}
    for node_id in order:
        node = nodes[index_of[node_id]]
        sources = preds[node_id]
        if node["type"] != "inputNode" and not sources:
            raise CriteriaError(
                "no edge leads to this node", f"decision.nodes[{index_of[node_id]}]"
            )
        inherited = bool(sources) and all(has_outcome[source] for source in sources)
        if node["type"] in ("switchNode", "outputNode"):
            has_outcome[node_id] = inherited
        else:
            fact = facts[node_id]
            has_outcome[node_id] = fact.sets_outcome or (fact.pass_through and inherited)
    output = next(node for node in nodes if node["type"] == "outputNode")
    if not has_outcome[output["id"]]:
        lacking = [s for s in preds[output["id"]] if not has_outcome[s]]
        where = f"decision.nodes[{index_of[lacking[0]]}]" if lacking else "decision"
        raise CriteriaError(
            "a path reaches the output without an outcome: the last node before the output "
            "must write outcome (or pass through a result that has one)",
            where,
        )


# --- node contents ----------------------------------------------------------------------


def _node_facts(node: dict[str, Any], where: str) -> NodeFacts:
    kind = node["type"]
    if kind in ("inputNode", "outputNode"):
        return NodeFacts()
    content = node.get("content")
    if not isinstance(content, dict):
        raise CriteriaError("the node has no content", f"{where}.content")
    for key in ("inputField", "outputPath"):
        if content.get(key):
            raise CriteriaError(f"{key} is not supported in criteria", f"{where}.content.{key}")
    if content.get("executionMode", "single") != "single":
        raise CriteriaError("only single execution is supported", f"{where}.content.executionMode")
    facts = NodeFacts(pass_through=content.get("passThrough") is True)
    if kind == "decisionTableNode":
        _table_facts(content, f"{where}.content", facts)
    elif kind == "expressionNode":
        _expression_facts(content, f"{where}.content", facts)
    else:
        _switch_facts(content, f"{where}.content", facts)
    return facts


def _syntax(expression: str, where: str, *, unary: bool) -> None:
    # Compiling, not zen.validate_unary_expression: in zen 2.1 that one parses the cell as
    # a standard expression and refuses every "> 5".
    compile_ = zen.compile_unary_expression if unary else zen.compile_expression
    try:
        compile_(expression)
    except RuntimeError as error:
        message = engine_message(error)
        raise CriteriaError(f"invalid expression {expression!r}: {message}", where) from None


def engine_message(error: RuntimeError) -> str:
    """zen's errors are JSON on the first line, then a Rust backtrace: keep the gist."""
    first = str(error).splitlines()[0] if str(error) else type(error).__name__
    try:
        detail = json.loads(first)
    except ValueError:
        return first
    if isinstance(detail, dict) and isinstance(detail.get("source"), str):
        where = f" (node {detail['nodeId']})" if detail.get("nodeId") else ""
        return f"{detail['source']}{where}"
    return first


def _text(value: Any, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise CriteriaError("expected an expression as a string", where)
    return value


def _columns(content: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    columns = content.get(key)
    if not isinstance(columns, list) or not all(
        isinstance(c, dict) and isinstance(c.get("id"), str) for c in columns
    ):
        raise CriteriaError(f"{key} must be a list of columns with ids", f"{where}.{key}")
    return columns


def _table_facts(content: dict[str, Any], where: str, facts: NodeFacts) -> None:
    if content.get("hitPolicy", "first") != "first":
        raise CriteriaError("decision tables use hit policy first", f"{where}.hitPolicy")
    inputs = _columns(content, "inputs", where)
    outputs = _columns(content, "outputs", where)
    rules = content.get("rules")
    if not isinstance(rules, list) or not rules:
        raise CriteriaError("a decision table needs rules", f"{where}.rules")
    for i, column in enumerate(inputs):
        field_where = f"{where}.inputs[{i}].field"
        field_text = _text(column.get("field"), field_where)
        if field_text:
            _syntax(field_text, field_where, unary=False)
            facts.reads += [(name, field_where) for name in names_read(field_text)]
    fields = {}
    for i, column in enumerate(outputs):
        field_text = _text(column.get("field"), f"{where}.outputs[{i}].field")
        if not field_text:
            raise CriteriaError("an output column needs a field", f"{where}.outputs[{i}].field")
        fields[column["id"]] = field_text
        facts.writes.add(field_text.split(".")[0])
    for k, rule in enumerate(rules):
        if not isinstance(rule, dict):
            raise CriteriaError("each rule is an object", f"{where}.rules[{k}]")
        cells = _rule_cells(rule, inputs, outputs, f"{where}.rules[{k}]", facts)
        _rule_outcome(cells, fields, f"{where}.rules[{k}]")
    last = rules[-1]
    if any(_text(last.get(column["id"]), where).strip() for column in inputs):
        raise CriteriaError(
            "no catch-all: the last rule must leave every input cell empty so that no "
            "answers fall through without a result",
            f"{where}.rules[{len(rules) - 1}]",
        )
    facts.sets_outcome = "outcome" in fields.values()


def _rule_cells(
    rule: dict[str, Any],
    inputs: list[dict[str, Any]],
    outputs: list[dict[str, Any]],
    where: str,
    facts: NodeFacts,
) -> dict[str, str]:
    """Checks a rule's cells and returns its non-empty output cells by column id."""
    for column in inputs:
        cell_where = f"{where}.{column['id']}"
        cell = _text(rule.get(column["id"]), cell_where)
        if cell.strip():
            _syntax(cell, cell_where, unary=bool(column.get("field")))
            facts.reads += [(name, cell_where) for name in names_read(cell)]
    cells: dict[str, str] = {}
    for column in outputs:
        cell_where = f"{where}.{column['id']}"
        cell = _text(rule.get(column["id"]), cell_where)
        if cell.strip():
            _syntax(cell, cell_where, unary=False)
            facts.reads += [(name, cell_where) for name in names_read(cell)]
            cells[column["id"]] = cell
    return cells


def _rule_outcome(cells: dict[str, str], fields: dict[str, str], where: str) -> None:
    by_field = {fields[column]: (cell, f"{where}.{column}") for column, cell in cells.items()}
    if "outcome" in fields.values() and "outcome" not in by_field:
        raise CriteriaError("the outcome cell is empty; write 'approve' or 'refer'", where)
    _outcome_literal(by_field, where)


def _outcome_literal(by_field: dict[str, tuple[str, str]], where: str) -> None:
    """The outcome written here is a literal, with approvalDays or unmet beside it."""
    for name in by_field:
        if name.split(".")[0] == "outcome" and name != "outcome":
            raise CriteriaError("outcome must be written whole, not a part of it", where)
    if "outcome" not in by_field:
        return
    value, value_where = by_field["outcome"]
    literal = _OUTCOME_LITERAL.fullmatch(value)
    if not literal:
        raise CriteriaError(
            f"outcome must be the string literal 'approve' or 'refer', not {value!r}", value_where
        )
    if literal.group(2) == "approve":
        days = by_field.get("approvalDays")
        if days is None or not _DAYS_LITERAL.fullmatch(days[0]):
            raise CriteriaError(
                "approve needs approvalDays as a positive whole number of days", where
            )
    elif "unmet" not in by_field:
        raise CriteriaError("refer needs unmet: the criteria that were not met", where)


def _expression_facts(content: dict[str, Any], where: str, facts: NodeFacts) -> None:
    expressions = content.get("expressions")
    if not isinstance(expressions, list) or not expressions:
        raise CriteriaError("an expression node needs expressions", f"{where}.expressions")
    by_key: dict[str, tuple[str, str]] = {}
    for i, item in enumerate(expressions):
        item_where = f"{where}.expressions[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("key"), str) or not item["key"]:
            raise CriteriaError("each expression needs a key", f"{item_where}.key")
        value = _text(item.get("value"), f"{item_where}.value")
        _syntax(value, f"{item_where}.value", unary=False)
        facts.reads += [(name, f"{item_where}.value") for name in names_read(value)]
        facts.writes.add(item["key"].split(".")[0])
        by_key[item["key"]] = (value, f"{item_where}.value")
    _outcome_literal(by_key, where)
    facts.sets_outcome = "outcome" in by_key


def _switch_facts(content: dict[str, Any], where: str, facts: NodeFacts) -> None:
    if content.get("hitPolicy", "first") != "first":
        raise CriteriaError("switches use hit policy first", f"{where}.hitPolicy")
    statements = content.get("statements")
    if not isinstance(statements, list) or not statements:
        raise CriteriaError("a switch needs statements", f"{where}.statements")
    for i, statement in enumerate(statements):
        item_where = f"{where}.statements[{i}]"
        if not isinstance(statement, dict) or not isinstance(statement.get("id"), str):
            raise CriteriaError("each statement needs an id", item_where)
        condition = _text(statement.get("condition"), f"{item_where}.condition")
        if condition.strip():
            _syntax(condition, f"{item_where}.condition", unary=False)
            facts.reads += [(name, f"{item_where}.condition") for name in names_read(condition)]
    if _text(statements[-1].get("condition"), where).strip():
        raise CriteriaError(
            "no catch-all: the last statement of a switch must have an empty condition",
            f"{where}.statements[{len(statements) - 1}]",
        )
    facts.pass_through = True
