"""Key collection of a MongoDB server's articles: each URL, LSH band and content hash, found by ``_id``.

A look-up of an element of ``urls`` or ``lsh_bands``, or of one of many ``content_hash`` values (``$in``), is an
index read on MongoDB, but nx-27017 answers ``$in`` on any field but ``_id`` by reading every record (a look-up
of two URLs took 36 ms at 10,000 stored, 278 ms at 100,000), and the crawl slowed with the store. So each value
written to one of those fields has a document in ``articles_keys`` (``_id``: the field and a hash of the value)
listing the records that took it, and a look-up reads those documents and then the records, both by ``_id``.

Keys are written before the record they index and never removed: they are a superset of what the records
hold, and a look-up keeps only the records that hold a value still (one that dropped it, or was deleted,
is left out). So a failure between the two writes, or a record merged away, never hides a record from
deduplication; at worst a key names a record that is gone. A store made before this collection gets it
once, on the first write-capable open (:func:`ensure`, recorded in ``store_migrations``). Writers of an
older version do not add keys: upgrade every crawler that writes to one database together.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from crawler.storage.ops import UpdateOne, for_driver

logger = logging.getLogger(__name__)

KEYED_FIELDS = ("urls", "lsh_bands", "content_hash")
COLLECTION = "articles_keys"
MIGRATIONS = "store_migrations"
MIGRATION = "article_key_collection_v1"
CHUNK = 1_000  # values per query and keys per bulk write: far below MongoDB's 16 MB message limit
_BUILD_BATCH = 500
_KEY_ROUNDS = 3
DUPLICATE_KEY = 11000
_BUILDING = f"{MIGRATION}:building"  # the claim of the one process building the keys of an older store
_BUILD_STALE = timedelta(minutes=10)  # a claim not renewed for this long was left by a process that died
# Update operators that give a field no new value to look it up by (a key a record no longer holds is read past).
_DROPPING = ("$unset", "$pull", "$pullAll", "$pop", "$inc", "$currentDate", "$max", "$min")


def key(field: str, value: Any) -> str:
    """The ``_id`` of ``value``'s key document: fixed size (a URL may be kilobytes long), the field in clear."""
    raw = f"{type(value).__name__}\x00{value}".encode("utf-8", "surrogatepass")
    return f"{field}:{hashlib.sha256(raw).hexdigest()[:32]}"


def _values(value: Any) -> list[Any]:
    """The elements a field's value is matched by (an array's scalars, or a lone scalar, as ``$in`` does)."""
    items = value if isinstance(value, list) else [value]
    return [v for v in items if v is not None and not isinstance(v, (dict, list))]


def record_keys(record: dict[str, Any]) -> Iterator[str]:
    """The keys of a record (or of the fields an update sets)."""
    if any(name.split(".")[0] in KEYED_FIELDS for name in record if "." in name):
        raise ValueError(f"a write of part of a keyed field is not indexed by the key collection: {list(record)}")
    for field in KEYED_FIELDS:
        if field in record:
            for value in _values(record[field]):
                yield key(field, value)


def update_keys(update: dict[str, Any]) -> Iterator[str]:
    """The keys an update document (or a replacement) can give its record."""
    if not any(name.startswith("$") for name in update):
        yield from record_keys(update)
        return
    for operator, changed in update.items():
        if operator in ("$set", "$setOnInsert"):
            yield from record_keys(changed)
        elif operator in ("$addToSet", "$push"):
            yield from record_keys({f: v["$each"] if isinstance(v, dict) and "$each" in v else v
                                    for f, v in changed.items()})
        elif operator not in _DROPPING and any(f.split(".")[0] in KEYED_FIELDS for f in changed):
            raise ValueError(f"{operator} of a keyed field is not indexed by the key collection")


def request_keys(request: Any) -> tuple[Any, list[str]]:
    """The record ``_id`` a write request (ours or pymongo's ``UpdateOne``/``ReplaceOne``/``InsertOne``) is for,
    and the keys it can give that record; raises ValueError for a request whose record cannot be named."""
    if type(request).__name__ in ("DeleteOne", "DeleteMany"):
        return None, []  # a key left by a deleted record is read past
    document = getattr(request, "_doc", None)
    if document is None:
        raise ValueError(f"{type(request).__name__} is not indexed by the key collection")
    if type(request).__name__ == "InsertOne":
        return document.get("_id"), list(record_keys(document))
    filter_ = getattr(request, "_filter", None) or {}
    found = list(update_keys(document))
    record_id = filter_.get("_id", document.get("_id") if "$setOnInsert" not in document
                            else document["$setOnInsert"].get("_id"))
    if found and (record_id is None or isinstance(record_id, dict)):
        raise ValueError(f"a write of a keyed field must name its record by _id: {filter_!r}")
    return record_id, found


def add(keys: Any, pairs: list[tuple[Any, list[str]]]) -> None:
    """Record that each record ``_id`` takes its keys (``$addToSet``, upserted by ``_id``: writers race safely).
    A key the server refuses is raised as a ``BulkWriteError`` whose ``index`` is that record's place in ``pairs``
    (the place of its request in the bulk write about to be made), so the caller blames that request alone."""
    ops, owners = [], []
    for n, (record_id, found) in enumerate(pairs):
        for k in dict.fromkeys(found):
            ops.append(UpdateOne({"_id": k}, {"$addToSet": {"articles": record_id}}, upsert=True))
            owners.append(n)
    for start in range(0, len(ops), CHUNK):
        _write_keys(keys, ops[start:start + CHUNK], owners[start:start + CHUNK])


def _write_keys(keys: Any, ops: list[UpdateOne], owners: list[int]) -> None:
    from pymongo.errors import BulkWriteError

    for attempt in range(_KEY_ROUNDS):
        try:
            keys.bulk_write(for_driver(ops), ordered=False)
            return
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors") or []
            if (attempt < _KEY_ROUNDS - 1 and errors and not exc.details.get("writeConcernErrors")
                    and all(e.get("code") == DUPLICATE_KEY for e in errors)):
                # two writers upserted one new key at once: the loser's $addToSet again
                ops, owners = [ops[e["index"]] for e in errors], [owners[e["index"]] for e in errors]
                continue
            raise BulkWriteError({**exc.details, "writeErrors": [
                {**e, "index": owners[e["index"]], "errmsg": f"its key: {e.get('errmsg')}"}
                for e in errors if 0 <= e.get("index", -1) < len(owners)]}) from None


def find(db: Any, field: str, values: list[Any], projection: dict[str, int] | None = None) -> list[dict[str, Any]]:
    """Articles whose ``field`` holds any of ``values`` (MongoDB's ``{field: {"$in": values}}``), each once, with
    only the fields of ``projection`` (and ``_id``), read by ``_id`` alone."""
    wanted = set(_values(values))
    ids: dict[Any, None] = {}  # in the order found, as the values were asked: the same in every process
    unique = list(dict.fromkeys(key(field, v) for v in _values(values)))
    for start in range(0, len(unique), CHUNK):
        for found in db[COLLECTION].find({"_id": {"$in": unique[start:start + CHUNK]}}, {"articles": 1}):
            ids.update(dict.fromkeys(found.get("articles") or []))
    asked = None if projection is None else {**projection, field: 1}
    records = {}
    listed = list(ids)
    for start in range(0, len(listed), CHUNK):
        for record in db["articles"].find({"_id": {"$in": listed[start:start + CHUNK]}}, asked):
            if wanted.intersection(_values(record.get(field))):  # a key left by a value the record dropped
                if projection is not None and not projection.get(field):
                    record.pop(field, None)
                records[record["_id"]] = record
    return [records[i] for i in listed if i in records]


class KeyedArticles:
    """The ``articles`` collection of a MongoDB server that writes the key documents of each write first; every
    other call goes to the collection as it is."""

    def __init__(self, articles: Any, keys: Any) -> None:
        self._articles, self._keys = articles, keys

    def __getattr__(self, name: str) -> Any:
        return getattr(self._articles, name)

    def with_options(self, *args: Any, **kwargs: Any) -> KeyedArticles:
        return KeyedArticles(self._articles.with_options(*args, **kwargs), self._keys)

    def _index(self, requests: list[Any]) -> None:
        add(self._keys, [request_keys(request) for request in requests])

    def bulk_write(self, requests: list[Any], *args: Any, **kwargs: Any) -> Any:
        self._index(requests)
        return self._articles.bulk_write(requests, *args, **kwargs)

    def update_one(self, filter: dict[str, Any], update: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        self._index([UpdateOne(filter, update)])
        return self._articles.update_one(filter, update, *args, **kwargs)

    def update_many(self, filter: dict[str, Any], update: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        if list(update_keys(update)):
            raise ValueError("update_many of a keyed field is not indexed by the key collection")
        return self._articles.update_many(filter, update, *args, **kwargs)

    def replace_one(self, filter: dict[str, Any], replacement: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        self._index([_Request(filter, replacement)])
        return self._articles.replace_one(filter, replacement, *args, **kwargs)

    def insert_one(self, document: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        if "_id" not in document:
            raise ValueError("insert_one into a keyed collection needs the document's _id")
        add(self._keys, [(document["_id"], list(record_keys(document)))])
        return self._articles.insert_one(document, *args, **kwargs)

    def insert_many(self, documents: list[dict[str, Any]], *args: Any, **kwargs: Any) -> Any:
        documents = list(documents)
        if any("_id" not in d for d in documents):
            raise ValueError("insert_many into a keyed collection needs each document's _id")
        add(self._keys, [(d["_id"], list(record_keys(d))) for d in documents])
        return self._articles.insert_many(documents, *args, **kwargs)


class _Request:
    """A replacement, as the requests :func:`request_keys` reads carry it."""

    def __init__(self, filter: dict[str, Any], document: dict[str, Any]) -> None:
        self._filter, self._doc = filter, document


class KeyedDatabase:
    """A MongoDB database whose ``articles`` collection is :class:`KeyedArticles`."""

    def __init__(self, db: Any) -> None:
        self._db = db

    def __getattr__(self, name: str) -> Any:
        return self[name] if name == "articles" else getattr(self._db, name)

    def __getitem__(self, name: str) -> Any:
        return self._keyed(name, self._db[name])

    def get_collection(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return self._keyed(name, self._db.get_collection(name, *args, **kwargs))

    def _keyed(self, name: str, collection: Any) -> Any:
        if name != "articles" or isinstance(collection, KeyedArticles):
            return collection
        return KeyedArticles(collection, self._db[COLLECTION])


def built(db: Any) -> bool:
    """Whether the key collection holds every record's keys (built, or made with the store)."""
    return db[MIGRATIONS].find_one({"_id": MIGRATION}) is not None


def ensure(db: Any) -> bool:
    """Give a store made before the key collection its keys, once: read from every record, then recorded. One
    process builds them (a claim renewed as it goes, taken over once stale); each write adds its own keys
    meanwhile. Returns whether the keys are complete (False: another process is building them, so this one's
    look-ups ask ``$in`` of the records, as before)."""
    if built(db):
        return True
    if not _claim(db):
        logger.info("Another process is building the key collection: look-ups read the records meanwhile")
        return False
    started, records = time.monotonic(), 0
    pending: list[tuple[Any, list[str]]] = []
    for record in db["articles"].find({}, dict.fromkeys(KEYED_FIELDS, 1)):
        pending.append((record["_id"], list(record_keys(record))))
        records += 1
        if len(pending) >= _BUILD_BATCH:
            add(db[COLLECTION], pending)
            pending = []
            db[MIGRATIONS].update_one({"_id": _BUILDING}, {"$set": {"renewed_at": datetime.now(UTC)}})
    add(db[COLLECTION], pending)
    db[MIGRATIONS].update_one({"_id": MIGRATION}, {"$setOnInsert": {"applied_at": datetime.now(UTC),
                                                                   "records": records}}, upsert=True)
    db[MIGRATIONS].delete_one({"_id": _BUILDING})
    if records:
        logger.info("Built the key collection of %(n)d stored articles in %(s).1f s (once per store)",
                    {"n": records, "s": time.monotonic() - started})
    return True


def _claim(db: Any) -> bool:
    """Whether this process may build the keys: no other process claims it, or its claim went stale."""
    from pymongo.errors import DuplicateKeyError

    now = datetime.now(UTC)
    try:
        db[MIGRATIONS].insert_one({"_id": _BUILDING, "renewed_at": now})
        return True
    except DuplicateKeyError:
        held = db[MIGRATIONS].find_one({"_id": _BUILDING})
    if held is None:  # its builder finished meanwhile
        return False
    renewed = held.get("renewed_at")
    if isinstance(renewed, datetime) and (renewed.replace(tzinfo=UTC) if renewed.tzinfo is None else renewed) \
            > now - _BUILD_STALE:
        return False
    taken = db[MIGRATIONS].update_one({"_id": _BUILDING, "renewed_at": renewed}, {"$set": {"renewed_at": now}})
    return bool(taken.matched_count)
