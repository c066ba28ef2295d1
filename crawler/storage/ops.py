"""Bulk write requests made without loading pymongo (a fifth of a second of CPU when a crawl starts).

``UpdateOne`` and ``ReplaceOne`` carry what pymongo's requests of those names carry, under the same
names: the embedded store reads them as it reads pymongo's (by type name and fields), and a MongoDB
collection is handed pymongo's own (:func:`for_driver`), made when they are written.
"""

from __future__ import annotations

from typing import Any


class UpdateOne:
    """pymongo's ``UpdateOne(filter, update, upsert)``."""

    __slots__ = ("_array_filters", "_doc", "_filter", "_upsert")

    def __init__(self, filter: dict[str, Any], update: dict[str, Any], upsert: bool | None = None) -> None:
        self._filter, self._doc, self._upsert, self._array_filters = filter, update, upsert, None

    def __repr__(self) -> str:
        return f"UpdateOne({self._filter!r}, {self._doc!r}, {self._upsert!r})"

    def driver(self) -> Any:
        """The same request as pymongo's."""
        from pymongo import UpdateOne as DriverUpdateOne

        return DriverUpdateOne(self._filter, self._doc, upsert=self._upsert)


class ReplaceOne:
    """pymongo's ``ReplaceOne(filter, replacement, upsert)``."""

    __slots__ = ("_doc", "_filter", "_upsert")

    def __init__(self, filter: dict[str, Any], replacement: dict[str, Any], upsert: bool | None = None) -> None:
        self._filter, self._doc, self._upsert = filter, replacement, upsert

    def __repr__(self) -> str:
        return f"ReplaceOne({self._filter!r}, {self._doc!r}, {self._upsert!r})"

    def driver(self) -> Any:
        """The same request as pymongo's."""
        from pymongo import ReplaceOne as DriverReplaceOne

        return DriverReplaceOne(self._filter, self._doc, upsert=self._upsert)


def for_driver(ops: list[Any]) -> list[Any]:
    """pymongo's requests for ``ops``, for a MongoDB collection's ``bulk_write`` (pymongo's own pass as they are)."""
    return [op.driver() if isinstance(op, (UpdateOne, ReplaceOne)) else op for op in ops]
