"""Streaming reads of the embedded store in SQL: one statement, read a batch at a time (and pages by id, and
a site's newest date).

neosqlite answers a ``find`` with a date condition, a ``$text`` search or no limit by building the
whole result in memory, and its counts with a date condition the same way; an export of a large store
would hold every article at once. This reads the same records with one SQL statement instead, for the
filters :class:`crawler.export.query.ArticleQuery` makes: equality, ``$in``, ``$ne``, date ranges and
``$text`` (the FTS5 tables of the text index over title and body, words OR-ed as MongoDB does).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Generator, Iterator
from contextlib import closing
from datetime import UTC, datetime
from typing import Any

from neosqlite.collection.json_helpers import neosqlite_json_loads

_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_RANGE = {"$gte": ">=", "$gt": ">", "$lte": "<=", "$lt": "<"}
TEXT_TABLES = {"title": "articles_title_fts", "body": "articles_body_fts"}  # neosqlite's FTS5 tables of the text index
# Sorting by the stored date's JSON text (``{"$date": "<ISO time>"}``, UTC as every writer here stores it) walks
# a ``published`` index backwards (ties by row id, which the index holds: no sort); articles without a date
# (NULL) come last, as in MongoDB's descending sort.
_NEWEST_FIRST = "ORDER BY json_extract(data, '$.published') DESC, id DESC"


def _path(field: str) -> str:
    if not _FIELD.fullmatch(field):
        raise ValueError(f"not a plain field name: {field!r}")
    return f"json_extract(data, '$.{field}')"


def _when(value: datetime) -> str:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


def _condition(field: str, value: Any) -> tuple[str, list[Any]]:
    """SQL for one top-level condition of a filter."""
    if field == "$text":
        words = [w.replace('"', '""') for w in re.findall(r'[^\s"]+', str(value.get("$search", "")))]
        match = " OR ".join(f'"{w}"' for w in words) or '""'
        union = " UNION ".join(f"SELECT rowid FROM {table} WHERE {table} MATCH ?" for table in TEXT_TABLES.values())
        return f"id IN ({union})", [match] * len(TEXT_TABLES)
    if not isinstance(value, dict):
        return f"{_path(field)} = ?", [value]
    parts, params = [], []
    for op, operand in value.items():
        if op == "$in":
            parts.append(f"{_path(field)} IN ({', '.join('?' * len(operand))})")
            params += list(operand)
        elif op == "$ne":
            parts.append(f"{_path(field)} IS NOT ?")
            params.append(operand)
        elif op in _RANGE and isinstance(operand, datetime):  # compared as instants, whatever the offset written
            parts.append(f"julianday(json_extract(data, '$.{field}.\"$date\"')) {_RANGE[op]} julianday(?)")
            params.append(_when(operand))
        elif op in _RANGE:
            parts.append(f"{_path(field)} {_RANGE[op]} ?")
            params.append(operand)
        else:
            raise ValueError(f"the embedded scan does not handle {op} (field {field})")
    return " AND ".join(parts), params


def where(query: dict[str, Any]) -> tuple[str, list[Any]]:
    """The WHERE clause (empty for no condition) and its parameters of a MongoDB-style filter."""
    parts, params = [], []
    for field, value in query.items():
        sql, values = _condition(field, value)
        parts.append(f"({sql})")
        params += values
    return (f"WHERE {' AND '.join(parts)}" if parts else ""), params


def count(connection: sqlite3.Connection, query: dict[str, Any], at_most: int | None = None) -> int:
    """How many articles match ``query`` (up to ``at_most``)."""
    clause, params = where(query)
    if at_most is not None:
        clause, params = f"{clause} LIMIT ?", [*params, at_most]
        return int(connection.execute(f"SELECT count(*) FROM (SELECT 1 FROM articles {clause})", params).fetchone()[0])
    return int(connection.execute(f"SELECT count(*) FROM articles {clause}", params).fetchone()[0])


def newest_first(connection: sqlite3.Connection, query: dict[str, Any], exclude: tuple[str, ...] = (),
                 batch: int = 500, limit: int | None = None, raw: bool = False) -> Iterator[list[Any]]:
    """Articles matching ``query`` without the fields ``exclude``, newest published first, ``batch`` at a time;
    with ``raw``, each as its stored JSON text (every field), for :func:`decode` elsewhere."""
    with closing(newest_first_rows(connection, query, batch, limit)) as batches:
        for rows in batches:
            found = texts(connection, rows)
            yield found if raw else decode(found, exclude)


def newest_first_rows(connection: sqlite3.Connection, query: dict[str, Any], batch: int = 500,
                      limit: int | None = None) -> Generator[list[int], None, None]:
    """The row ids of the articles matching ``query``, newest published first, ``batch`` at a time (for
    :func:`texts`, here or in another process with a connection of its own).

    The ordered statement selects row ids only: when SQLite must sort (several sites, a word search) its
    sorter holds ids and dates, not whole records."""
    clause, params = where(query)
    sql = f"SELECT id FROM articles {clause} {_NEWEST_FIRST}"
    if limit is not None:
        sql, params = f"{sql} LIMIT ?", [*params, limit]
    ordered = connection.execute(sql, params)
    try:
        while rows := [row[0] for row in ordered.fetchmany(batch)]:
            yield rows
    finally:
        ordered.close()


def texts(connection: sqlite3.Connection, rows: list[int]) -> list[str]:
    """The stored JSON texts of the articles of row ids ``rows``, in that order (one deleted meanwhile is gone)."""
    found = dict(connection.execute(
        f"SELECT id, data FROM articles WHERE id IN ({', '.join('?' * len(rows))})", rows).fetchall())
    return [found[i] for i in rows if i in found]


def decode(texts: list[str], exclude: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """The records of stored JSON ``texts``, without the fields ``exclude``."""
    docs = [neosqlite_json_loads(text) for text in texts]
    for doc in docs:
        for field in exclude:
            doc.pop(field, None)
    return docs


def pages(connection: sqlite3.Connection, ids: list[str]) -> list[dict[str, Any]]:
    """The stored pages of the articles ``ids``, by the unique index on ``_id`` (neosqlite answers ``$in`` by
    reading every page)."""
    if not ids:
        return []
    rows = connection.execute(f"SELECT data FROM pages WHERE _id IN ({', '.join('?' * len(ids))})", ids)
    return [neosqlite_json_loads(data) for (data,) in rows]


def latest(connection: sqlite3.Connection, site: str, field: str) -> Any:
    """The greatest ``field`` (a date) among the articles of ``site``, None when it has none: one step
    backwards along the (site, field) index."""
    # Two paths: json_extract answers a JSON array (a lone object would lose its JSON type in the sort).
    row = connection.execute(
        f"SELECT json_extract(data, '$._id', '$.{field}') FROM articles "
        f"WHERE {_path('site')} = ? ORDER BY {_path(field)} DESC LIMIT 1", (site,)).fetchone()
    return neosqlite_json_loads(row[0])[1] if row else None
