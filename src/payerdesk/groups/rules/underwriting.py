"""Policy-change underwriting rules: GoRules JDM decision tables run by zen-engine.

A rule set is a JDM graph whose decision tables read the facts a change provides
(`FIELDS`) and answer `outcome` ("allow" or "refer") and `rule` (what stopped it).
Rule sets are scoped; the most specific one that matches a change decides it:
group and product, group, product and state, product, state, then the default. With
no stored default, the shipped table in `rules/underwriting-default.json` decides.
"""

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import zen

from payerdesk.core.errors import ErrorCode, InvalidInput
from payerdesk.groups.models import EmployerGroup, Product, UnderwritingRuleSet

DEFAULT_FILE = Path(__file__).resolve().parent / "underwriting-default.json"
OUTCOMES = ("allow", "refer")
OUTPUTS = ("outcome", "rule")

# The facts every change gives the rules (None where a fact does not apply).
FIELDS: dict[str, str] = {
    "change_type": "benefit_add, benefit_delete, benefit_increase, benefit_decrease, "
    "tobacco_change, dependent_add or dependent_remove",
    "channel": "staff or portal",
    "state": "the group's situs state",
    "product": "the product code",
    "group": "the group number",
    "old_benefit": "the benefit amount before the change",
    "new_benefit": "the benefit amount requested",
    "guaranteed_issue": "the plan's guaranteed-issue amount",
    "above_guaranteed_issue": "true when the new benefit exceeds guaranteed issue",
    "old_tier": "the coverage tier before the change",
    "new_tier": "the coverage tier requested",
    "relationship": "the dependent's X12 relationship code (01, 19, 53)",
    "days_since_event": "days from the qualifying event to the request",
    "from_tobacco": "the member's tobacco status now",
    "to_tobacco": "the tobacco status requested",
    "signed_statement": "true when a signed non-tobacco statement is on file",
    "member_age": "the member's age on the effective date",
}
# One sample of each change type: a rule set must answer every one of them.
_SAMPLES: tuple[dict[str, Any], ...] = tuple(
    dict.fromkeys(FIELDS) | {"change_type": change, "channel": "staff", "state": "NY"}
    for change in (
        "benefit_add",
        "benefit_delete",
        "benefit_increase",
        "benefit_decrease",
        "tobacco_change",
        "dependent_add",
        "dependent_remove",
    )
)

_engine = zen.ZenEngine()


@dataclass(frozen=True)
class Decision:
    outcome: str
    rule: str
    rule_set: str  # which version decided, e.g. "group G1001 v2" or "default (shipped)"


@dataclass(frozen=True)
class RuleSource:
    content: str  # the JDM as JSON text
    label: str


def _bad(message: str) -> InvalidInput:
    return InvalidInput(ErrorCode.INVALID, message, field="content")


def validate(raw: bytes | str) -> dict[str, Any]:
    """The JDM graph, checked: JSON, decision tables that read only `FIELDS` and answer
    allow/refer for every change type. Raises InvalidInput naming the place."""
    try:
        graph = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        where = (
            f" at line {error.lineno}, column {error.colno}"
            if isinstance(error, json.JSONDecodeError)
            else ""
        )
        raise _bad(f"The rule set is not valid JSON{where}: {error}") from None
    if not isinstance(graph, dict) or not isinstance(graph.get("nodes"), list):
        raise _bad("The rule set is not a JDM decision graph: it has no 'nodes' list.")
    tables = [
        n for n in graph["nodes"] if isinstance(n, dict) and n.get("type") == "decisionTableNode"
    ]
    if not tables:
        raise _bad("The rule set has no decision table (a node of type decisionTableNode).")
    for table in tables:
        _check_table(table)
    text = json.dumps(graph)
    try:
        decision = _engine.create_decision(text)
        decision.validate()
    except RuntimeError as error:
        raise _bad(f"zen-engine refuses the graph: {_first_line(error)}") from None
    for sample in _SAMPLES:
        _answer(text, sample, label="the uploaded rule set")
    return dict(graph)


def _check_table(node: dict[str, Any]) -> None:
    name = f"decision table {node.get('name') or node.get('id')!r}"
    content = node.get("content")
    if not isinstance(content, dict):
        raise _bad(f"{name} has no content.")
    if content.get("hitPolicy") != "first":
        raise _bad(f"{name}: hitPolicy must be 'first' so one row decides.")
    inputs = {str(col.get("id")): col for col in content.get("inputs", [])}
    outputs = {str(col.get("id")): col for col in content.get("outputs", [])}
    for col in inputs.values():
        if col.get("field") not in FIELDS:
            raise _bad(
                f"{name}, input column {col.get('name')!r}: a change provides no field "
                f"{col.get('field')!r}; the fields are {', '.join(FIELDS)}."
            )
    fields = {col.get("field"): key for key, col in outputs.items()}
    for wanted in OUTPUTS:
        if wanted not in fields:
            raise _bad(f"{name} has no output column with field {wanted!r}.")
    for number, row in enumerate(content.get("rules", []), start=1):
        _check_row(name, number, row, inputs, outputs, fields["outcome"])


def _check_row(
    name: str,
    number: int,
    row: dict[str, Any],
    inputs: dict[str, Any],
    outputs: dict[str, Any],
    outcome_id: str,
) -> None:
    for columns, compile_ in (
        (inputs, zen.compile_unary_expression),
        (outputs, zen.compile_expression),
    ):
        for key, col in columns.items():
            cell = str(row.get(key) or "")
            try:
                if cell:
                    compile_(cell)
            except RuntimeError as error:
                raise _bad(
                    f"{name}, rule {number}, column {col.get('name')!r}: {cell!r} is not "
                    f"a valid expression ({_first_line(error)})"
                ) from None
    cell = str(row.get(outcome_id) or "")
    value = zen.evaluate_expression(cell) if cell else None
    if value not in OUTCOMES:
        raise _bad(
            f"{name}, rule {number}, column 'outcome': {cell or 'empty'} is not "
            '"allow" or "refer".'
        )


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


@cache
def _compiled(content: str) -> Any:
    return _engine.create_decision(content)


def _answer(content: str, facts: dict[str, Any], *, label: str) -> tuple[str, str]:
    result = _compiled(content).evaluate(facts)["result"]
    outcome = result.get("outcome") if isinstance(result, dict) else None
    if outcome not in OUTCOMES:
        raise _bad(
            f"{label} gives no allow/refer outcome for a {facts['change_type']} change: "
            "end each table with a row of empty tests."
        )
    return str(outcome), str(result.get("rule") or "")


@cache
def _shipped() -> str:
    return json.dumps(json.loads(DEFAULT_FILE.read_text(encoding="utf-8")))


def source_for(*, group: EmployerGroup, product: Product | None) -> RuleSource:
    """The rule set that decides changes to `product` in `group`: most specific first."""
    by_product = (
        {"group": group, "product": product, "state": ""},
        {"group": None, "product": product, "state": group.situs_state},
        {"group": None, "product": product, "state": ""},
    )
    scopes = (
        *(by_product[:1] if product else ()),
        {"group": group, "product": None, "state": ""},
        *(by_product[1:] if product else ()),
        {"group": None, "product": None, "state": group.situs_state},
        {"group": None, "product": None, "state": ""},
    )
    for scope in scopes:
        found = UnderwritingRuleSet.objects.filter(**scope).order_by("-version").first()
        if found is not None:
            return RuleSource(json.dumps(found.content), str(found))
    return RuleSource(_shipped(), "default (shipped)")


def decide(source: RuleSource, facts: dict[str, Any]) -> Decision:
    unknown = set(facts) - set(FIELDS)
    if unknown:  # a programming error, not bad input
        raise ValueError(f"facts the rules do not declare: {sorted(unknown)}")
    outcome, rule = _answer(source.content, dict.fromkeys(FIELDS) | facts, label=source.label)
    return Decision(outcome, rule, source.label)


def content_hash(graph: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(graph, sort_keys=True).encode()).hexdigest()
