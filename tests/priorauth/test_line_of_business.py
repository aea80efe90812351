"""One line-of-business vocabulary: the model, the API and FHIR say `medicare_part_d`; the
migration moves stored `part_d` rows to it and back."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from payerdesk.priorauth.models import LineOfBusiness

BEFORE = [("priorauth", "0002_clock_rules")]
AFTER = [("priorauth", "0003_line_of_business_medicare_part_d")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_one_name_for_medicare_part_d():
    assert LineOfBusiness.PART_D.value == "medicare_part_d"
    assert set(LineOfBusiness.values) == {
        "medicare_part_d",
        "medicare_advantage",
        "medicaid",
        "commercial",
    }


@pytest.mark.django_db(transaction=True)
def test_the_migration_renames_stored_rows_both_ways():
    try:
        old = _migrate(BEFORE)
        rules = old.get_model("priorauth", "ClockRule").objects
        # Rows as 0002 seeds them (another transactional test may have flushed the seed).
        for urgency, hours in (("standard", 72), ("expedited", 24)):
            rules.get_or_create(
                line_of_business="part_d", urgency=urgency, defaults={"hours": hours}
            )
        new = _migrate(AFTER)
        lines = set(
            new.get_model("priorauth", "ClockRule").objects.values_list(
                "line_of_business", flat=True
            )
        )
        assert "part_d" not in lines and "medicare_part_d" in lines
        back = _migrate(BEFORE)
        assert (
            back.get_model("priorauth", "ClockRule")
            .objects.filter(line_of_business="part_d")
            .count()
            == 2
        )
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
