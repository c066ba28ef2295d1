"""Key tables of the embedded store: each URL and LSH band of an article, indexed, kept by SQLite triggers.

neosqlite indexes a field's whole JSON value, so a look-up of one element of ``urls`` or ``lsh_bands``
(``$in``) reads every record (``json_each``): the crawl slowed as the store grew. Here each of those
array fields has a table of ``(key, article row id)`` with the key first in its primary key, filled by
triggers on ``articles`` (insert, update, delete), so every writer (this code, neosqlite, another
process, an older version of the crawler) keeps it in step within its own transaction. A store made
before these tables gets them once (:func:`ensure`: built from its records under the store's lock and
recorded in ``store_migrations``); a store whose triggers went missing (its collection dropped and
made again) is rebuilt the same way. A MongoDB server has a key collection instead
(:mod:`crawler.storage.server_keys`): triggers are not MongoDB's, and nx-27017 reads every record for ``$in``.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator
from typing import Any

from neosqlite.collection.json_helpers import neosqlite_json_loads

logger = logging.getLogger(__name__)

KEYED_FIELDS = ("urls", "lsh_bands")
MIGRATION = "article_key_tables_v1"
MIGRATIONS_TABLE = "store_migrations"
LOOKUP_CHUNK = 500  # values per statement: far below SQLite's limit of bound parameters
_TRIGGER_EVENTS = ("insert", "update", "delete")
# Elements of the array (or a lone scalar: MongoDB's $in matches it too); objects and arrays are not keys.
_ELEMENTS = "SELECT value FROM json_each({row}.data, '$.{field}') WHERE type NOT IN ('object', 'array')"


def table(field: str) -> str:
    """The key table of an array field of ``articles``."""
    if field not in KEYED_FIELDS:
        raise ValueError(f"{field} has no key table")
    return f"articles_{field}_keys"


def _trigger(field: str, event: str) -> str:
    return f"{table(field)}_{event}"


def _create_statements(field: str) -> list[str]:
    keys = table(field)
    insert, delete = _ELEMENTS.format(row="new", field=field), _ELEMENTS.format(row="old", field=field)
    add = f"INSERT OR IGNORE INTO {keys}(key, article) SELECT value, new.id FROM ({insert});"
    remove = f"DELETE FROM {keys} WHERE article = old.id AND key IN ({delete});"
    changed = f"old.id IS NOT new.id OR json_extract(old.data, '$.{field}') IS NOT json_extract(new.data, '$.{field}')"
    return [
        # Key first: a look-up is one index search per value; deletes find their rows by (key, article) too.
        f"CREATE TABLE {keys} (key NOT NULL, article INTEGER NOT NULL, PRIMARY KEY (key, article)) WITHOUT ROWID",
        f"CREATE TRIGGER {_trigger(field, 'insert')} AFTER INSERT ON articles BEGIN {add} END",
        f"CREATE TRIGGER {_trigger(field, 'update')} AFTER UPDATE ON articles WHEN {changed} "
        f"BEGIN {remove} {add} END",
        f"CREATE TRIGGER {_trigger(field, 'delete')} AFTER DELETE ON articles BEGIN {remove} END",
        f"INSERT OR IGNORE INTO {keys}(key, article) SELECT j.value, a.id FROM articles AS a, "
        f"json_each(a.data, '$.{field}') AS j WHERE j.type NOT IN ('object', 'array') ORDER BY 1, 2",
    ]


def _names(connection: sqlite3.Connection, kind: str) -> set[str]:
    return {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = ?", (kind,))}


def current(connection: sqlite3.Connection) -> bool:
    """True when the key tables are built and their triggers are in place."""
    if MIGRATIONS_TABLE not in _names(connection, "table"):
        return False
    recorded = connection.execute(f"SELECT 1 FROM {MIGRATIONS_TABLE} WHERE name = ?", (MIGRATION,)).fetchone()
    triggers = _names(connection, "trigger")
    return recorded is not None and all(_trigger(f, e) in triggers for f in KEYED_FIELDS for e in _TRIGGER_EVENTS)


def build(connection: sqlite3.Connection) -> int:
    """Make the key tables and triggers from the records stored (dropping any left from before), in one
    transaction, and record it; the caller holds the store's lock. Returns the records keyed."""
    started = time.monotonic()
    connection.execute("BEGIN IMMEDIATE")
    try:
        connection.execute(f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} "
                           "(name TEXT PRIMARY KEY, applied_at TEXT NOT NULL, records INTEGER NOT NULL)")
        for field in KEYED_FIELDS:
            for event in _TRIGGER_EVENTS:
                connection.execute(f"DROP TRIGGER IF EXISTS {_trigger(field, event)}")
            connection.execute(f"DROP TABLE IF EXISTS {table(field)}")
            for statement in _create_statements(field):
                connection.execute(statement)
            # neosqlite's index of the whole array answers no element look-up: space and write time for nothing.
            connection.execute(f"DROP INDEX IF EXISTS idx_articles_{field}")
            if "neosqlite_index_keys" in _names(connection, "table"):
                connection.execute("DELETE FROM neosqlite_index_keys WHERE index_name = ?", (f"idx_articles_{field}",))
        records = int(connection.execute("SELECT count(*) FROM articles").fetchone()[0])
        connection.execute(f"INSERT OR REPLACE INTO {MIGRATIONS_TABLE} VALUES (?, datetime('now'), ?)",
                           (MIGRATION, records))
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    logger.info("Built the key tables of %(fields)s for %(n)d stored articles in %(s).1f s (once per store)",
                {"fields": ", ".join(KEYED_FIELDS), "n": records, "s": time.monotonic() - started})
    return records


def _chunks(values: list[Any]) -> Iterator[list[Any]]:
    unique = list(dict.fromkeys(values))
    for start in range(0, len(unique), LOOKUP_CHUNK):
        yield unique[start:start + LOOKUP_CHUNK]


def find(connection: sqlite3.Connection, field: str, values: list[Any],
         projection: dict[str, int] | None = None) -> list[dict[str, Any]]:
    """Articles whose array ``field`` holds any of ``values`` (MongoDB's ``{field: {"$in": values}}``), each
    once, with only the fields of ``projection`` (and ``_id``; a field the record lacks is left out)."""
    # The articles' row ids first (the key table's index alone), then each article read and projected once: a
    # batch's values span several chunks and an article holds many of them (16 LSH bands), so selecting its
    # fields chunk by chunk parsed each record up to once per chunk (0.8 of the store's 3.9 CPU ms an article).
    # The ids keep the order the records were found in before (by chunk, then as SQLite returns them).
    ids: dict[int, None] = {}
    for chunk in _chunks(values):
        marks = ", ".join("?" * len(chunk))
        ids.update(dict.fromkeys(row_id for (row_id,) in connection.execute(
            f"SELECT id FROM articles WHERE id IN (SELECT article FROM {table(field)} WHERE key IN ({marks}))", chunk)))
    found = _projected(connection, "id IN ({marks})", list(ids), projection)
    by_row = {row_id: doc for _, row_id, doc in found.values()}
    return [by_row[row_id] for row_id in ids if row_id in by_row]


def find_equal(connection: sqlite3.Connection, field: str, values: list[Any],
               projection: dict[str, int] | None = None) -> list[dict[str, Any]]:
    """Articles whose scalar ``field`` (``_id`` or an indexed one, e.g. ``content_hash``) is one of ``values``,
    projected like :func:`find`: neosqlite parses and deep-copies each whole record before projecting it."""
    column = "_id" if field == "_id" else f"json_extract(data, '$.{_plain(field)}')"
    found = _projected(connection, f"{column} IN ({{marks}})", values, projection, column)
    order = {value: n for n, value in enumerate(dict.fromkeys(values))}
    # As neosqlite answered them value by value: the matches of each value in turn, each in row order.
    return [doc for _, _, doc in sorted(found.values(), key=lambda row: (order[row[0]], row[1]))]


def _projected(connection: sqlite3.Connection, where: str, values: list[Any], projection: dict[str, int] | None,
               key: str = "NULL") -> dict[str, tuple[Any, int, dict[str, Any]]]:
    """Articles matching ``where`` (its ``{marks}`` stand for a chunk of ``values``), by ``_id`` in the order
    found, each with the value of SQL ``key`` and its row id."""
    if projection and any(not keep for f, keep in projection.items() if f != "_id"):
        raise ValueError("key look-ups take inclusion projections only")
    fields = ["_id", *(f for f, keep in (projection or {}).items() if keep and f != "_id")]
    # Projected in SQL, so records are not parsed whole for a few fields: json_extract of several paths
    # answers one JSON array of their values (null for a field the record lacks); of one path it would
    # answer the bare value, so a lone _id is asked twice.
    paths = fields if len(fields) > 1 else [*fields, "_id"]
    selected = f"json_extract(data, {', '.join(repr(f'$.{_plain(f)}') for f in paths)})" if projection else "data"
    found: dict[str, tuple[Any, int, dict[str, Any]]] = {}
    for chunk in _chunks(values):
        marks = ", ".join("?" * len(chunk))
        for value, row_id, data in connection.execute(
                f"SELECT {key}, id, {selected} FROM articles WHERE {where.format(marks=marks)}", chunk):
            loaded = neosqlite_json_loads(data)
            doc = ({f: v for f, v in zip(paths, loaded, strict=True) if v is not None} if projection else loaded)
            found[doc["_id"]] = (value, row_id, doc)
    return found


def _plain(field: str) -> str:
    if not field.replace("_", "").isalnum():
        raise ValueError(f"not a plain field name: {field!r}")
    return field
