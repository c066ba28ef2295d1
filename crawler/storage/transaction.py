"""One SQLite transaction around a batch's writes to the embedded store.

neosqlite's connection autocommits every statement: about 190 WAL page writes an article. A batch's
read-decide-write is done in one ``BEGIN IMMEDIATE`` ... ``COMMIT`` instead. Its writes are reported
done only once the ``COMMIT`` succeeded: any failure rolls the whole batch back and is raised, so the
caller retries or spools every entry of it (the writes are idempotent upserts). A statement SQLite
refuses on its own (a constraint) is undone alone, as SQLite does inside a transaction, and reported
rejected as before. A failure after which SQLite rolled the transaction back itself (a full disk, an
I/O error) is found before the ``COMMIT``: the batch is failed even if the code went on. ``IMMEDIATE``
takes the write lock at once (other processes wait their busy timeout, never a snapshot conflict), and
it is released at the end of the batch, never held across batches.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress

MEMORY = 2  # PRAGMA temp_store


class TransactionLost(sqlite3.OperationalError):
    """SQLite rolled the batch's transaction back itself: the batch is failed, to be written again (transient)."""


@contextmanager
def batch_transaction(connection: sqlite3.Connection) -> Iterator[None]:
    """Commit what the block writes at its end, all or nothing; raises when nothing was."""
    if connection.in_transaction:  # inside a caller's transaction: it commits
        yield
        return
    # Statement journals (of each statement with triggers, inside a transaction) kept in memory: on disk they took
    # as many writes as the WAL's saved. Set for the batch only: a large sort elsewhere still spills to disk.
    temp_store = int(connection.execute("PRAGMA temp_store").fetchone()[0])
    if temp_store != MEMORY:
        connection.execute(f"PRAGMA temp_store = {MEMORY}")
    try:
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
            if not connection.in_transaction:
                raise TransactionLost("SQLite rolled back the batch's transaction after a failed statement "
                                      "(a full disk, an I/O error): the batch is not stored as a whole")
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                with suppress(sqlite3.Error):
                    connection.execute("ROLLBACK")
            raise
    finally:
        if temp_store != MEMORY and not connection.in_transaction:
            connection.execute(f"PRAGMA temp_store = {temp_store}")
