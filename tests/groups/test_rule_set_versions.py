"""An underwriting rule set's version is unique within its scope, an absent group or
product counting as a scope of its own, on SQLite as on PostgreSQL; and SQLite needs no
warning for it (models.W047 came from NULLS NOT DISTINCT, which SQLite cannot declare)."""

import pytest
from django.core.checks import run_checks
from django.db import IntegrityError, transaction

from payerdesk.groups.models import Product, UnderwritingRuleSet


def _rules(users, **scope: object) -> UnderwritingRuleSet:
    return UnderwritingRuleSet.objects.create(
        version=1, name="r", content={}, sha256="0" * 64, uploaded_by=users["admin"], **scope
    )


@pytest.fixture
def product(db) -> Product:
    return Product.objects.create(code="life", name="Life", insurance_line="LIF")


@pytest.mark.parametrize(
    "scope",
    [{}, {"state": "NY"}, {"group": True}, {"product": True}, {"group": True, "product": True}],
)
def test_a_version_is_unique_within_its_scope(users, group, product, scope):
    resolved = {**scope, **{key: {"group": group, "product": product}[key]
                            for key in ("group", "product") if key in scope}}  # fmt: skip
    _rules(users, **resolved)
    with pytest.raises(IntegrityError), transaction.atomic():
        _rules(users, **resolved)


def test_the_same_version_in_other_scopes_is_allowed(users, group, product):
    scopes: list[dict[str, object]] = [
        {}, {"state": "NY"}, {"group": group}, {"product": product},
        {"group": group, "product": product}, {"product": product, "state": "NY"},
    ]  # fmt: skip
    for scope in scopes:
        _rules(users, **scope)
    assert UnderwritingRuleSet.objects.filter(version=1).count() == 6


def test_the_models_need_no_database_warning(db):
    assert [
        m.id for m in run_checks(databases=["default"]) if (m.id or "").startswith("models.")
    ] == []
