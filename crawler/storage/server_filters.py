"""Filters for a MongoDB server written in the form nx-27017 answers from an index.

nx-27017 reads a field's equality from the field's index in every query shape only when it is written
``{"$eq": value}``: a plain ``{"story_cluster": "x"}``, or ``{"$in": ["x"]}``, made its ``update_many`` read every
record (2,018 ms against 3.0 at 100,000 records, growing with the store), and a site's 100 newest took 38 ms
against 10 (``scripts/bench_server_filters.py``). MongoDB reads all three forms alike, from the index. Only
strings are rewritten: a plain ``None`` also matches a missing field, and a plain dict is a whole-document match,
whose ``$eq`` forms nx-27017 was not checked for.
"""

from __future__ import annotations

from typing import Any


def indexed(query: dict[str, Any]) -> dict[str, Any]:
    """``query`` with each top-level field's equality to a string (plain, or ``$in`` of one) as ``{"$eq": …}``;
    ``_id`` (nx-27017 reads it from its primary index in any form) and operators (``$text``, ``$or``) as they are."""
    return {field: _equality(cond) if field != "_id" and not field.startswith("$") else cond
            for field, cond in query.items()}


def _equality(cond: Any) -> Any:
    if isinstance(cond, str):
        return {"$eq": cond}
    if isinstance(cond, dict) and cond.keys() == {"$in"} and len(cond["$in"]) == 1 and isinstance(cond["$in"][0], str):
        return {"$eq": cond["$in"][0]}
    return cond
