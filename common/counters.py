"""Gapless sequences, taken inside the caller's transaction.

One upsert increments the counter row and returns the new value. The row stays locked until
the caller's transaction ends: a concurrent caller waits, and if the caller rolls back, the
increment rolls back with it. So numbers are consecutive, never skipped and never shared, at
the price of serialising writers of one scope (one centre), which is cheap at their rates.
"""

from __future__ import annotations

from django.db import connection, transaction

_UPSERT = """
    INSERT INTO common_counter (scope, value) VALUES (%s, 1)
    ON CONFLICT (scope) DO UPDATE SET value = common_counter.value + 1
    RETURNING value
"""


def next_value(scope: str) -> int:
    """The next number of `scope`. Must be called inside a transaction (it holds the row)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_value() must run inside transaction.atomic()")
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT, [scope])
        (value,) = cursor.fetchone()
    return value
