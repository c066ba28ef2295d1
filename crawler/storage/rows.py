"""Bulk writes of the embedded store, a new record written in SQL as neosqlite writes it.

neosqlite answers an upsert (``UpdateOne({"_id": x}, {"$setOnInsert" or "$set": fields}, upsert=True)``)
by translating its filter, looking the record up, applying the update to ``{"_id": x}`` in Python, deep-
copying the result and converting its bytes before it encodes and inserts it: most of the store's CPU
per article. Here such an upsert is one ``INSERT`` of the same JSON text into the same columns (so the
same row, indexes, key tables and full-text rows, by the same triggers, in one statement
as before); when the record exists after all (a duplicate ``_id``), the write goes to neosqlite, which
matches and updates it as it always did. Every other write goes to neosqlite unchanged, in order, and
the bulk result and errors are neosqlite's (error indexes are the caller's). MongoDB never comes here.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from neosqlite.collection.json_helpers import neosqlite_json_dumps
from neosqlite.collection.query_helper.utils import _convert_bytes_to_binary
from neosqlite.exceptions import BulkWriteError
from neosqlite.results import BulkWriteResult
from neosqlite.sql_utils import quote_table_name

_COUNTS = ("inserted_count", "matched_count", "modified_count", "deleted_count", "upserted_count")
_UPSERTS = ("$setOnInsert", "$set")  # on a new record both set exactly their fields


def new_record(op: Any) -> dict[str, Any] | None:
    """The record an upsert by ``_id`` alone would insert when there is none (None: not such an upsert)."""
    if type(op).__name__ != "UpdateOne" or not getattr(op, "_upsert", False) or getattr(op, "_array_filters", None):
        return None
    query, update = getattr(op, "_filter", None), getattr(op, "_doc", None)
    if not isinstance(query, dict) or list(query) != ["_id"] or not isinstance(query["_id"], str):
        return None
    if not isinstance(update, dict) or len(update) != 1 or next(iter(update)) not in _UPSERTS:
        return None
    fields = next(iter(update.values()))
    if not isinstance(fields, dict) or not _plain_names(fields):
        return None  # dotted paths and operators: neosqlite nests or refuses them
    if fields.get("_id", query["_id"]) != query["_id"]:
        return None  # neosqlite refuses to change an _id: its error, not ours
    return {"_id": query["_id"], **fields}


def _plain_names(fields: dict[Any, Any]) -> bool:
    """True when every field name is a string without "." and not starting with "$" (in one pass in C)."""
    try:
        names = "\0".join(fields)  # a name that is not a string raises
    except TypeError:
        return False
    return "." not in names and not names.startswith("$") and "\0$" not in names


def bulk_write(collection: Any, ops: list[Any]) -> BulkWriteResult:
    """``collection.bulk_write(ops, ordered=False)`` of neosqlite, each new record inserted in SQL."""
    counts = dict.fromkeys(_COUNTS, 0)
    upserted: dict[int, Any] = {}
    errors: list[dict[str, Any]] = []
    for index, op in enumerate(ops):
        record = new_record(op)
        try:
            if record is not None and _insert(collection, record):
                counts["upserted_count"] += 1
                upserted[index] = record["_id"]
                continue
        except sqlite3.Error as exc:  # as neosqlite reports a failed statement (a full or locked disk)
            unique = "UNIQUE" in str(exc).upper() or isinstance(exc, sqlite3.IntegrityError)
            errors.append({"index": index, "code": 11000 if unique else 8, "errmsg": str(exc), "op": op})
            continue
        try:
            result = collection.bulk_write([op], ordered=False)
        except BulkWriteError as exc:
            errors.extend({**error, "index": index} for error in exc.details.get("writeErrors") or [])
            continue
        for name in _COUNTS:
            counts[name] += getattr(result, name)
        upserted.update((index, value) for value in result.upserted_ids.values())
    if errors:
        raise BulkWriteError({"writeErrors": errors, "writeConcernErrors": [],
                              "nInserted": counts["inserted_count"], "nUpserted": counts["upserted_count"],
                              "nMatched": counts["matched_count"], "nModified": counts["modified_count"],
                              "nRemoved": counts["deleted_count"],
                              "upserted": [{"index": i, "_id": v} for i, v in upserted.items()]})
    return BulkWriteResult(**counts, upserted_ids=upserted)


def _insert(collection: Any, record: dict[str, Any]) -> bool:
    """Insert ``record`` as neosqlite's ``insert_one`` does. False, having written nothing, when its ``_id`` is
    stored already (neosqlite's upsert then matches that record) or it is not strict JSON (not a number, a
    type JSON has not: neosqlite then refuses it in its own words)."""
    try:
        # The same text as after neosqlite's copy that turns bytes into Binary, which walks every value of
        # every list: only a record the encoder refuses (bytes, a page's HTML) needs it.
        text = neosqlite_json_dumps(record, allow_nan=False)
    except TypeError:
        try:
            text = neosqlite_json_dumps(_convert_bytes_to_binary(record), allow_nan=False)
        except (TypeError, ValueError):
            return False
    except ValueError:
        return False
    try:
        collection.db.execute(f"INSERT INTO {quote_table_name(collection.name)}(data, _id) VALUES (?, ?)",
                              (text, record["_id"]))
    except sqlite3.IntegrityError as exc:
        if f"{collection.name}._id" in str(exc):
            return False
        raise
    except (UnicodeError, OverflowError):  # a value SQLite's driver cannot bind (a lone surrogate): neosqlite's path
        return False  # reports it in its words, and nothing was written
    return True
