"""What a unit of work may ask of the database beyond Django's defaults."""

from django.db import DEFAULT_DB_ALIAS, connections


def plan_each_statement(using: str = DEFAULT_DB_ALIAS) -> None:
    """Until the current transaction ends, PostgreSQL plans each statement for the values
    it is given, even a prepared one (settings: a connection prepares what it repeats).

    For batches: after five runs PostgreSQL may keep one generic plan for a prepared
    statement, and a batch's look-ups (`member_id IN (...)` for a chunk of a file) differ
    enough from one chunk to the next that one plan for all made the 834 apply three
    times slower (measured). The savings of preparing are for short requests, not for
    statements that read hundreds of rows. Elsewhere than PostgreSQL: nothing to do.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    if not connection.in_atomic_block:
        raise RuntimeError("plan_each_statement lasts for a transaction: call it in one")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_custom_plan")
