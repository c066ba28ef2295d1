"""Filters for a MongoDB server written in the form nx-27017 answers from an index.

nx-27017 reads a field's equality from the field's index only when it is written ``{"$eq": value}``: a plain
``{"site": "x"}``, or ``{"$in": ["x"]}``, makes it read every record (a site's newest of 30,000 records: 187 ms
against 2.5 ms; a story cluster's ``update_many``: 181 ms against 2.2 ms; it grows with the store). MongoDB
reads all three forms alike, from the index. Only strings are rewritten: a plain ``None`` also matches a missing
field, and a plain dict is a whole-document match, whose ``$eq`` forms nx-27017 was not checked for.
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
