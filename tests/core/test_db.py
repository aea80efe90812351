"""Prepared statements for short requests, plans for their own values for batches."""

import pytest
from django.db import connection, transaction

from payerdesk.core.db import plan_each_statement
from payerdesk.groups.intake import Batch
from payerdesk.settings import base


def _plan_cache_mode() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        return str(cursor.fetchone()[0])


def test_postgresql_connections_prepare_what_they_repeat_unless_told_not_to(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://payerdesk@db.example.org/payerdesk")
    monkeypatch.delenv("DATABASE_PREPARED_STATEMENTS", raising=False)
    assert base._database()["OPTIONS"] == {"server_side_binding": True, "prepare_threshold": 5}

    monkeypatch.setenv("DATABASE_PREPARED_STATEMENTS", "false")
    assert base._database()["OPTIONS"] == {"server_side_binding": True, "prepare_threshold": None}


@pytest.mark.django_db(transaction=True)
def test_plan_each_statement_holds_for_the_transaction_it_is_called_in():
    if connection.vendor != "postgresql":
        with transaction.atomic():
            plan_each_statement()  # nothing to ask of SQLite, and no error
        return
    before = _plan_cache_mode()
    with transaction.atomic():
        plan_each_statement()
        assert _plan_cache_mode() == "force_custom_plan"
    assert _plan_cache_mode() == before == "auto"


@pytest.mark.django_db(transaction=True)
def test_plan_each_statement_refuses_to_run_outside_a_transaction():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no plan cache: the call does nothing there")
    with pytest.raises(RuntimeError, match="call it in one"):
        plan_each_statement()


@pytest.mark.django_db
def test_an_enrollment_batch_plans_each_statement_for_its_own_chunk():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no plan cache")
    with transaction.atomic():
        Batch(actor=None)
        assert _plan_cache_mode() == "force_custom_plan"
