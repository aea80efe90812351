"""Underwriting rule sets: validated on upload with the place named, versioned per scope,
and the most specific scope decides."""

import copy
import json
from datetime import date
from decimal import Decimal

import pytest

from payerdesk.core.errors import InvalidInput, NotPermitted
from payerdesk.groups.models import Product, UnderwritingRuleSet
from payerdesk.groups.rules import underwriting
from payerdesk.groups.services import groups as services
from payerdesk.groups.services.policy_changes import (
    ChangeRequest,
    policy_change_preview,
    policy_change_request,
    rule_set_upload,
)

DEFAULT = json.loads(underwriting.DEFAULT_FILE.read_text())


def table(graph):
    return next(n for n in graph["nodes"] if n["type"] == "decisionTableNode")["content"]


def refer_everything(label):
    """A rule set that refers every change, naming `label` as the rule."""
    graph = copy.deepcopy(DEFAULT)
    content = table(graph)
    content["rules"] = [{"_id": "all", "outcome": '"refer"', "rule": json.dumps(label)}]
    return json.dumps(graph)


def upload(users, content, **scope):
    return rule_set_upload(actor=users["admin"], content=content, **scope)


def test_the_shipped_default_is_valid():
    assert underwriting.validate(underwriting.DEFAULT_FILE.read_bytes())["nodes"]


def _broken(mutate):
    graph = copy.deepcopy(DEFAULT)
    mutate(graph)
    return json.dumps(graph)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ('{"nodes": [', "not valid JSON at line 1, column 12"),
        (b"\xff\xfe", "not valid JSON"),
        ('{"edges": []}', "no 'nodes' list"),
        ('{"nodes": []}', "no decision table"),
        (
            _broken(
                lambda g: table(g)["inputs"].append(
                    {"id": "salary", "name": "Salary", "field": "annual_salary"}
                )
            ),
            "input column 'Salary': a change provides no field 'annual_salary'",
        ),
        (
            _broken(lambda g: table(g)["rules"][0].update(outcome='"approve"')),
            'rule 1, column \'outcome\': "approve" is not "allow" or "refer"',
        ),
        (
            _broken(lambda g: table(g)["rules"][3].update(outcome="")),
            "rule 4, column 'outcome': empty is not",
        ),
        (
            _broken(lambda g: table(g)["rules"][1].update(days="> > 31")),
            "rule 2, column 'Days from qualifying event to request': '> > 31' is not a valid",
        ),
        (
            _broken(lambda g: table(g)["rules"][0].update(rule='"unterminated')),
            "rule 1, column 'Rule'",
        ),
        (_broken(lambda g: table(g)["outputs"].pop()), "no output column with field 'rule'"),
        (_broken(lambda g: table(g).update(hitPolicy="collect")), "hitPolicy must be 'first'"),
        (
            _broken(lambda g: table(g)["rules"].pop()),
            "gives no allow/refer outcome for a benefit_add change",
        ),
    ],
)
def test_a_bad_rule_set_is_refused_naming_where(users, content, says):
    with pytest.raises(InvalidInput) as refused:
        upload(users, content)
    assert says in refused.value.message
    assert refused.value.field == "content"
    assert not UnderwritingRuleSet.objects.exists()


def test_versions_per_scope_and_the_same_table_twice(users, group):
    first = upload(users, refer_everything("A"), group=group)
    assert first.created and first.rule_set.version == 1
    again = upload(users, refer_everything("A"), group=group)
    assert not again.created and again.rule_set == first.rule_set
    second = upload(users, refer_everything("B"), group=group)
    assert second.created and second.rule_set.version == 2
    assert str(second.rule_set) == "group G1001 v2"
    assert upload(users, refer_everything("A")).rule_set.version == 1  # the default scope


def test_only_supervisors_and_administrators_upload(users):
    for role in ("groupadmin", "auditor", "employer"):
        with pytest.raises(NotPermitted):
            rule_set_upload(actor=users[role], content=refer_everything("x"))
    assert rule_set_upload(actor=users["supervisor"], content=refer_everything("x")).created


def test_scope_refusals(users, group):
    with pytest.raises(InvalidInput) as refused:
        upload(users, refer_everything("x"), state="New York")
    assert refused.value.field == "state"
    with pytest.raises(InvalidInput) as refused:
        upload(users, refer_everything("x"), group=group, state="NY")
    assert refused.value.field == "state"


def decide(users, employee, plan):
    preview = policy_change_preview(
        actor=users["groupadmin"],
        member=employee,
        request=ChangeRequest(
            change_type="benefit_increase",
            effective_date=date(2026, 7, 1),
            plan=plan,
            benefit_amount=Decimal("40000"),
        ),
    )
    return preview.decision.rule, preview.decision.rule_set


@pytest.fixture
def covered(users, employee, term_life):
    services.coverage_add(
        actor=users["groupadmin"],
        member=employee,
        plan=term_life,
        tier="EMP",
        benefit_amount=Decimal("30000"),
        start_date=date(2026, 1, 1),
    )
    return employee


def test_the_most_specific_rule_set_decides(users, group, covered, term_life):
    product = term_life.product
    other = Product.objects.create(code="other", name="Other", insurance_line="AH")
    assert decide(users, covered, term_life) == ("", "default (shipped)")
    upload(users, refer_everything("default"))
    upload(users, refer_everything("state NY"), state="NY")
    upload(users, refer_everything("other product"), product=other)
    assert decide(users, covered, term_life) == ("state NY", "state NY v1")
    upload(users, refer_everything("product"), product=product)
    assert decide(users, covered, term_life)[0] == "product"
    upload(users, refer_everything("product in TX"), product=product, state="TX")
    assert decide(users, covered, term_life)[0] == "product"
    upload(users, refer_everything("product in NY"), product=product, state="NY")
    assert decide(users, covered, term_life)[0] == "product in NY"
    upload(users, refer_everything("group"), group=group)
    assert decide(users, covered, term_life)[0] == "group"
    upload(users, refer_everything("group and product"), group=group, product=product)
    assert decide(users, covered, term_life) == (
        "group and product",
        "group G1001, product term-life v1",
    )


def test_a_stored_table_allows_what_it_allows(users, covered, term_life):
    graph = copy.deepcopy(DEFAULT)
    table(graph)["rules"] = [{"_id": "all", "outcome": '"allow"', "rule": '""'}]
    upload(users, json.dumps(graph))
    change = policy_change_request(
        actor=users["groupadmin"],
        member=covered,
        request=ChangeRequest(
            change_type="benefit_increase",
            effective_date=date(2026, 7, 1),
            plan=term_life,
            benefit_amount=Decimal("90000"),
        ),
    )
    assert change.status == "applied" and change.rule_set == "default v1"
