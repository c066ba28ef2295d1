"""A pymongo client of the benchmark scripts' own, beside the store's: to fill, read or drop a database as it is (the
store's collection writes each record's keys into the key collection as it stores it, which a fill avoids and a
look-up timed on the server alone must not have)."""

from __future__ import annotations

from typing import Any

import pymongo


def raw_client(uri: str, wait_s: float, answer_s: float | None = None) -> pymongo.MongoClient[dict[str, Any]]:
    """A client of the server at ``uri`` that waits ``wait_s`` for the server and ``answer_s`` for each answer (None:
    as long as it takes, for an index build or a drop of a million records)."""
    return pymongo.MongoClient(uri, serverSelectionTimeoutMS=int(wait_s * 1000),
                               socketTimeoutMS=None if answer_s is None else int(answer_s * 1000))
