"""The article store: the only module that imports a database driver (pymongo only when a MongoDB URI is
used: a crawl on the embedded store never loads it).

A MongoDB server (``MONGO_URI``) through pymongo, or, with no URI, the
embedded file-backed MongoDB-compatible store ``neosqlite`` under
``DATA_DIR``. Both are driven by the same calls here. Methods block: callers
run them on one worker thread (sqlite connections stay on their thread).

Collections: ``articles`` (``_id`` = SHA-256 of the URL identity), ``pages``
(gzipped, inert HTML of each article's current version, same ``_id``), ``crawl_runs``, ``sources``
(``_id`` = URL of a feed, sitemap or listing page: the validators and sitemap lastmod it had when last read).
Look-ups by an element of ``urls`` or ``lsh_bands`` (and of many ``content_hash`` values) read a MongoDB
server's key collection (:mod:`crawler.storage.server_keys`) and the embedded store's key tables
(:mod:`crawler.storage.keys`), so their cost does not grow with the store.

Several processes may write at once: every write is conditional on the record as it was read, a
write that lost a race (or a duplicate ``_id``) is decided again from the record as it is now, and
exact twins or story clusters two writers started at once are merged afterwards. Writers of one
embedded store file (one host) take turns on a file lock.
"""

from __future__ import annotations

import fcntl
import gzip
import logging
import re
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import bson
import neosqlite
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from neosqlite.exceptions import BulkWriteError as EmbeddedBulkWriteError

from crawler.health import REFUSED_REASONS
from crawler.minhash import NEAR_SIMILARITY, similarity
from crawler.sanitize import InertUtf8, inert_utf8
from crawler.secrets import mask_uri as mask_uri  # re-exported: its home is crawler.secrets
from crawler.secrets import redact
from crawler.storage import claims, keys, reading, rows, scan, server_filters, server_keys
from crawler.storage.ops import ReplaceOne, UpdateOne, for_driver
from crawler.storage.transaction import batch_transaction
from crawler.urls import url_id

logger = logging.getLogger(__name__)


class StoreUnavailable(Exception):
    """The database cannot be reached or rejected us."""


class WriteConflict(Exception):
    """Other writers kept changing the records of a batch between our reads and our writes: retry later."""


def driver_errors(*names: str) -> tuple[type[BaseException], ...]:
    """pymongo's error classes ``names`` (of ``pymongo.errors``); none while the driver is not loaded, when no
    error can be one of them."""
    errors = sys.modules.get("pymongo.errors")
    return tuple(getattr(errors, name) for name in names) if errors is not None else ()


def store_errors() -> tuple[type[BaseException], ...]:
    """Failures of a store call, after which a write may or may not have been applied (``is_transient``
    tells whether retrying can help): pymongo's ``PyMongoError`` and the embedded store's (which reports
    every failed bulk write as its own type). A function, evaluated where an ``except`` meets an error,
    so that pymongo is loaded only when a MongoDB URI is used."""
    return (*driver_errors("PyMongoError"), sqlite3.Error, OSError, EmbeddedBulkWriteError, WriteConflict)


DUPLICATE_KEY = 11000  # on ``_id``: another writer inserted the record first, a race to re-decide
CONFLICT_ROUNDS = 8  # re-reads and re-decisions of a record other writers keep changing, before WriteConflict

# Server codes that blame the moment, not the record: failover and shutdown, network, time limits,
# lock and write conflicts, write concern, permissions, a full disk.
_TRANSIENT_CODES = frozenset({6, 7, 13, 18, 24, 46, 50, 64, 89, 91, 112, 134, 189, 262, 9001, 10107, 11600,
                              11602, 13435, 13436, 14031})
# SQLite failures of the file, not the record (the embedded store reports bulk failures only as text).
_TRANSIENT_SQLITE = re.compile(r"disk is full|is locked|disk I/O error|unable to open|readonly database|"
                               r"disk image is malformed|out of memory", re.IGNORECASE)
_RECORD_SQLITE_ERRORS = (sqlite3.IntegrityError, sqlite3.DataError, sqlite3.ProgrammingError,
                         sqlite3.NotSupportedError, sqlite3.InterfaceError)


def is_transient(exc: BaseException) -> bool:
    """True when a failed write may succeed unchanged later (network, failover, timeouts, a full or
    locked disk: retry, then spool); False when the store rejected what was written (a document too
    large or not encodable, a validation error, a record our code cannot handle)."""
    if isinstance(exc, (OSError, *driver_errors("ConnectionFailure"), WriteConflict)):
        return True
    failed: Any = exc  # one of the classes below, of pymongo or neosqlite
    if isinstance(exc, _bulk_errors()):
        return all(_transient_write_error(error) for error in failed.details.get("writeErrors") or [])
    if isinstance(exc, driver_errors("OperationFailure")):
        return bool(failed.code in _TRANSIENT_CODES or failed.timeout or failed.has_error_label("RetryableWriteError"))
    if isinstance(exc, sqlite3.Error):
        return not isinstance(exc, _RECORD_SQLITE_ERRORS)
    return isinstance(exc, driver_errors("PyMongoError"))  # the client itself (protocol, configuration), not the data


def _bulk_errors() -> tuple[type[BaseException], ...]:
    """A bulk write's failures, of MongoDB (once pymongo is loaded) and the embedded store."""
    return (*driver_errors("BulkWriteError"), EmbeddedBulkWriteError)


def _transient_write_error(error: dict[str, Any]) -> bool:
    # A duplicate ``_id`` is a race with another writer: deciding again helps.
    return (error.get("code") in _TRANSIENT_CODES or _duplicate_key(error)
            or bool(_TRANSIENT_SQLITE.search(str(error.get("errmsg", "")))))


def describe_error(exc: BaseException, limit: int = 300) -> str:
    """One loggable line: the error type and message (a bulk error's per-write messages, not its
    documents), passwords masked, cut to ``limit`` characters."""
    if isinstance(exc, _bulk_errors()):
        errors = getattr(exc, "details", {}).get("writeErrors") or []
        messages = dict.fromkeys(f"{e.get('code')}: {e.get('errmsg')}" for e in errors)
        text = "; ".join(messages) or "write concern error"
    else:
        text = driver_message(exc)
    return redact(f"{type(exc).__name__}: {text}")[:limit]


# pymongo appends its timeouts and, on a failed server selection, a dump of the whole topology (every
# server's description and last error): an operator needs the first part only, in one line.
_DRIVER_DETAIL = re.compile(r" \(configured timeouts:[^)]*\)|, Timeout: .*", re.DOTALL)


def driver_message(exc: BaseException) -> str:
    """The driver's message without its timeouts and topology dump, in one line, passwords masked."""
    return mask_uri(" ".join(_DRIVER_DETAIL.sub("", str(exc)).split()))


@dataclass
class WriteCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    corrected: int = 0  # unchanged text, a corrected publication date or byline (the earlier ones in ``revisions``)
    duplicates: int = 0
    checked: int = 0
    shrunk: int = 0  # changed versions refused as revisions: much less text than the stored one
    stale: int = 0  # changed versions refused as revisions: fetched before the stored one (a late spool replay)
    stale_checks: int = 0  # 304/404 checks made before the article's last check (a late spool replay): ignored
    merged: int = 0  # records of a moved story stored under its new URL, merged into the record it moved from
    claims_refused: int = 0  # pages stored under their own URL: their canonical link named another article
    rejected: dict[str, str] = field(default_factory=dict)  # batch ids whose write the store refused -> why


@dataclass(frozen=True)
class ShrinkGuard:
    """When a changed version is not a revision but a broken page (a truncated or error page served
    with 200): its body is under ``min_ratio`` of a stored body of at least ``min_chars`` characters."""

    min_ratio: float = 0.5
    min_chars: int = 500

    def refuses(self, new: dict[str, Any], old: dict[str, Any]) -> bool:
        stored = len(old.get("body") or "")
        return stored >= self.min_chars and len(new.get("body") or "") < self.min_ratio * stored


@dataclass(frozen=True)
class StoreTarget:
    """Where the store lives: a MongoDB URI or an embedded database file."""

    uri: str
    database: str
    data_dir: str
    timeout: float = 10.0

    @property
    def embedded_path(self) -> Path:
        return Path(self.data_dir) / f"{self.database}.db"

    def describe(self) -> str:
        """A loggable name: the URI with its password masked, or the file path."""
        return redact(self.uri) if self.uri else f"embedded store {self.embedded_path}"


TEXT_INDEX = "title_body_text"
_NO_LANGUAGE_FIELD = "text_index_language"  # a field no record has: every record is indexed as language "none"


class ArticleStore:
    """Idempotent writes and simple reads of articles and crawl runs."""

    def __init__(self, db: Any, target: StoreTarget, client: Any = None) -> None:
        # A server's articles are written with their keys first, however the store was made.
        self.db = server_keys.KeyedDatabase(db) if target.uri and not isinstance(db, server_keys.KeyedDatabase) else db
        self.target = target
        self._client = client
        self._keyed = False  # a MongoDB server's key collection is complete (checked on a write-capable open)

    @classmethod
    def connect(cls, target: StoreTarget) -> ArticleStore:
        """Open the store and make sure its indexes exist; raises StoreUnavailable."""
        store = cls._open_mongo(target) if target.uri else cls._open_embedded(target)
        try:
            store.ensure_indexes()
        except store_errors() as exc:
            store.close()
            raise StoreUnavailable(f"{target.describe()} cannot be written: {describe_error(exc)}") from None
        return store

    @classmethod
    def open_read_only(cls, target: StoreTarget, word_index: bool = False) -> ArticleStore:
        """Open the store to read it only: no lock, no index, no upgrade written (:mod:`crawler.storage.reading`);
        raises StoreUnavailable, also when the store lacks what the command reads (the word index, with
        ``word_index``) and only a write-capable open makes."""
        if target.uri:
            return cls._open_mongo(target)._holding_something()
        try:
            connection = reading.open_read_only(target.embedded_path, target.timeout, word_index)
        except FileNotFoundError:
            raise StoreUnavailable(f"There is no {target.describe()}: nothing was stored there yet "
                                   "(is DATA_DIR right?)") from None
        except reading.NeedsUpgrade as exc:
            raise StoreUnavailable(
                f"The {target.describe()} lacks {exc} (a store of an older version, or never opened for writing): "
                "run a command that writes it once, as a user who may write it "
                "(`scrapy reextract --dry-run --limit 1`, or a crawl), then read it again") from None
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"The {target.describe()} cannot be read: {describe_error(exc)}") from None
        return cls(connection, target, connection)

    def _holding_something(self) -> ArticleStore:
        """This MongoDB store, unless its database holds none of the store's collections (a mistyped
        ``MONGO_DATABASE`` read as "no articles"); raises StoreUnavailable."""
        try:
            empty = not set(reading.COLLECTIONS) & set(self.db.list_collection_names())
        except driver_errors("OperationFailure"):  # a role that may read the collections but not list them
            return self
        except store_errors() as exc:
            self.close()
            raise StoreUnavailable(f"MongoDB at {self.target.describe()} cannot be read: "
                                   f"{describe_error(exc)}") from None
        if empty:
            self.close()
            raise StoreUnavailable(f"There is nothing in the MongoDB database {self.target.database!r} at "
                                   f"{self.target.describe()} (is MONGO_DATABASE right?)")
        return self

    @classmethod
    def _open_embedded(cls, target: StoreTarget) -> ArticleStore:
        # Runs opening the store together (crawlall, Scrapyd, cron) race to set it up: SQLite answers "database is
        # locked" at once, without its busy wait, to some of them (a journal mode switch, a read upgraded to a
        # write); 1 open in 120 failed so, three opening a fresh store together. Asked again until the timeout.
        deadline = time.monotonic() + target.timeout
        while True:
            try:
                target.embedded_path.parent.mkdir(parents=True, exist_ok=True)
                connection = neosqlite.Connection(str(target.embedded_path), timeout=target.timeout)
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise StoreUnavailable(f"The {target.describe()} cannot be opened: {exc}") from None
                time.sleep(0.05)
            except (sqlite3.Error, OSError) as exc:
                raise StoreUnavailable(f"The {target.describe()} cannot be opened: {exc}") from None
            else:
                return cls(connection, target, connection)

    @classmethod
    def _open_mongo(cls, target: StoreTarget) -> ArticleStore:
        import pymongo  # loaded only here: a crawl on the embedded store never needs it
        from pymongo.errors import PyMongoError

        ms = int(target.timeout * 1000)
        try:
            # retryWrites (pymongo's default, stated): on a replica set a write interrupted by a failover
            # or a dropped connection is retried once by the driver, applied exactly once.
            client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
                target.uri, serverSelectionTimeoutMS=ms, connectTimeoutMS=ms, socketTimeoutMS=ms * 3,
                tz_aware=True, appname="centralasia-news", retryWrites=True,
            )
        except (PyMongoError, ValueError) as exc:
            raise StoreUnavailable(f"MongoDB URI {target.describe()} is invalid: {mask_uri(str(exc))}") from None
        try:
            client.admin.command("ping")
        except PyMongoError as exc:
            client.close()
            reason = driver_message(exc)
            raise StoreUnavailable(f"MongoDB at {target.describe()} is unreachable: {reason}") from None
        except (KeyError, TypeError, ValueError) as exc:  # the driver's login step reading an answer it did not expect
            client.close()
            raise StoreUnavailable(f"MongoDB at {target.describe()} answered the login with what the driver cannot "
                                   f"read ({type(exc).__name__}: {mask_uri(str(exc))[:200]}): does the server "
                                   "support authentication? (nx-27017 does not)") from None
        return cls(client[target.database], target, client)

    def ensure_indexes(self) -> None:
        """The indexes every query of the crawl uses; the key tables (embedded) or key collection (a server) of the
        fields looked up by value."""
        articles = self.db["articles"]
        articles.create_index([("site", 1), ("published", -1)])
        articles.create_index([("site", 1), ("first_seen", -1)])
        articles.create_index([("language", 1), ("published", -1)])
        articles.create_index("published")
        articles.create_index("first_seen")
        articles.create_index("content_hash")
        articles.create_index("story_cluster")
        if self.target.uri:  # multikey indexes, for an operator's queries by URL (the crawl reads the key collection)
            for field in keys.KEYED_FIELDS:
                articles.create_index(field)
        if not self.target.uri:
            _ = self.db["pages"]  # neosqlite makes a collection's table when first named; a read-only open never does
        self.db["crawl_runs"].create_index([("spider", 1), ("started_at", -1)])
        self.db["sources"].create_index("site")
        self._ensure_text_index()
        if self.target.uri:
            self._keyed = server_keys.ensure(self.db)
        elif not keys.current(self.db.db):
            with self._exclusive():  # one process builds them; the others find them built
                if not keys.current(self.db.db):
                    keys.build(self.db.db)

    def _ensure_text_index(self) -> None:
        """The word index over title and body (``$text``). MongoDB: one text index without stemming or
        stop words (the articles are in many languages) and without its per-document language override,
        which would refuse every record whose ``language`` (kk, ky, tg, uz, tk) it has no stemmer for.
        Embedded store: an SQLite FTS5 table per field kept current by triggers, which neosqlite builds by
        inserting every record again: created once (it fails when the table exists), under the store's
        lock so two processes opening a new store do not both build it."""
        articles = self.db["articles"]
        if self.target.uri:
            try:
                articles.create_index([("title", "text"), ("body", "text")], name=TEXT_INDEX,
                                      default_language="none", language_override=_NO_LANGUAGE_FIELD)
            except driver_errors("OperationFailure"):
                # nx-27017 refuses to build its text index a second time (and does not list it), MongoDB
                # one with other options: either way there is one when a word search is answered.
                articles.find_one({"$text": {"$search": "index"}}, {"_id": 1})
            return
        if self._missing_text_tables():
            with self._exclusive():  # taken only to build it: a reader opening the store never waits on a writer
                for field in self._missing_text_tables():
                    articles.create_index([(field, "text")])

    def _missing_text_tables(self) -> list[str]:
        """The fields of the embedded text index whose FTS5 table does not exist yet."""
        tables = {row[0] for row in self.db.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return [field for field, table in scan.TEXT_TABLES.items() if table not in tables]

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Around a read-decide-write: nothing for MongoDB (its single-document writes are atomic, so
        the conditional writes below detect a race); for the embedded store, an exclusive lock on
        ``<database>.db.lock``, because neosqlite matches a filter and then writes in two steps, so two
        processes sharing the file would both match and the second would overwrite the first."""
        if self.target.uri:
            yield
            return
        with open(f"{self.target.embedded_path}.lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
            yield

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """:meth:`_exclusive`, and for the embedded store one transaction inside it (taken after the lock, so a
        process never holds SQLite's write lock while it waits for the lock file): committed at the end, all or
        nothing (:mod:`crawler.storage.transaction`)."""
        with self._exclusive():
            if self.target.uri:
                yield
                return
            with batch_transaction(self.db.db):
                yield

    # -- writes ----------------------------------------------------------------
    def write_articles(self, docs: list[dict[str, Any]], pages: dict[str, str | InertUtf8],
                       guard: ShrinkGuard = ShrinkGuard()) -> WriteCounts:
        """Upsert ``docs`` (keyed by ``_id``); ``pages`` maps ``_id`` to raw HTML.

        A new article is inserted unless the site already has its exact text
        under another URL (then that record gains the URL); a new article joins
        the story cluster of a near copy (MinHash LSH bands). An unchanged article
        only gains URLs and ``last_checked``; so does a changed one the ``guard``
        refuses (much shorter text: a broken page, not an edit). Any other changed
        one is updated in place, its earlier version added to ``revisions``. Every
        write is conditional, so replaying a batch whose first attempt may have
        been applied changes nothing; a record another writer changed meanwhile is
        decided again (``WriteConflict``, transient, after ``CONFLICT_ROUNDS``).
        """
        if not docs:
            return WriteCounts()
        with self._writing():
            docs, keyed = self._keyed_by_stored_urls(_merge_same_id(docs))
            pages = {keyed.get(doc_id, doc_id): html for doc_id, html in pages.items()}
            counts = self._write_articles(_merge_same_id(docs), pages, guard)
        for doc_id, record in keyed.items():  # the caller knows its documents by their own ids
            if record in counts.rejected:
                counts.rejected[doc_id] = counts.rejected[record]
        return counts

    def settle_claims(self, docs: list[dict[str, Any]]) -> list[tuple[str, str]]:
        """Key each of ``docs`` whose canonical link claims another article's record by the URL it was fetched at,
        in place (:mod:`crawler.storage.claims`); returns its URL and the URL it claimed, for each."""
        claimed = sorted({doc["_id"] for doc in docs if claims.claims(doc)})
        if not claimed:
            return []
        stored = {r["_id"]: r for r in self._find_in("_id", claimed,
                                                     {"urls": 1, "site": 1, "content_hash": 1, "minhash": 1})}
        return [(doc["urls"][0], claims.keep_own_identity(doc))
                for doc in claims.false_claims(docs, stored, _same_text)]

    def _keyed_by_stored_urls(self, docs: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, str]]:
        """``docs`` with the ``_id`` of a stored record of the same story (the same site and text, or a near copy)
        holding one of their URLs, when none is stored under their own: a moved article's page (its revisit
        redirected, or its new URL listed) is a version of the record it moved from, not a second record of the
        story; a page an old URL now redirects to that tells another story is a record of its own. Also the ids
        changed (the doc's -> the record's)."""
        stored = {d["_id"] for d in self._find_in("_id", [d["_id"] for d in docs], {"_id": 1})}
        loose = [d for d in docs if d["_id"] not in stored]
        if not loose:
            return docs, {}
        holders = self._find_any("urls", sorted({u for d in loose for u in d.get("urls", [])}),
                                 {"urls": 1, "site": 1, "content_hash": 1, "minhash": 1})
        keyed: dict[str, str] = {}
        for doc in loose:
            urls = set(doc.get("urls", []))
            same = sorted(r["_id"] for r in holders if urls.intersection(r.get("urls", [])) and _same_text(doc, r))
            if same:
                keyed[doc["_id"]] = same[0]
        return [{**d, "_id": keyed[d["_id"]]} if d["_id"] in keyed else d for d in docs], keyed

    def _write_articles(self, docs: list[dict[str, Any]], pages: dict[str, str | InertUtf8],
                        guard: ShrinkGuard) -> WriteCounts:
        counts = WriteCounts()
        outcomes: dict[str, str] = {}
        pending = docs
        for _ in range(CONFLICT_ROUNDS):
            planned, pending = self._write_round(pending, guard, counts.rejected)
            outcomes.update(planned)
            if not pending:
                break
        else:
            raise WriteConflict(f"{len(pending)} articles were changed by other writers {CONFLICT_ROUNDS} times "
                                "between our reads and writes")
        merged = self._collapse_twins([d for d in docs if outcomes.get(d["_id"]) == "inserted"])
        self._join_clusters([d for d in docs if outcomes.get(d["_id"]) == "inserted" and d["_id"] not in merged])
        for doc_id, outcome in outcomes.items():
            outcome = "duplicates" if doc_id in merged else outcome
            setattr(counts, outcome, getattr(counts, outcome) + 1)
        paged = [d for d in docs if d["_id"] in pages and outcomes.get(d["_id"]) in ("inserted", "updated", "corrected")
                 and d["_id"] not in merged]
        page_ops = [_page_upsert(doc, pages[doc["_id"]]) for doc in paged]
        counts.rejected.update(_bulk_write(self.db["pages"], page_ops, [d["_id"] for d in paged], "page"))
        return counts

    def _write_round(self, docs: list[dict[str, Any]], guard: ShrinkGuard,
                     rejected: dict[str, str]) -> tuple[dict[str, str], list[dict[str, Any]]]:
        """Read, decide and write ``docs`` once; returns the outcome of each one written and the docs
        another writer changed meanwhile (their write matched nothing or hit a duplicate key), to re-decide.
        Rejected ids are added to ``rejected``."""
        articles = self.db["articles"]
        docs = [{**d} for d in docs]  # the cluster fields set on a doc belong to this round's decision
        existing = {d["_id"]: d for d in articles.find({"_id": {"$in": [d["_id"] for d in docs]}})}
        new = sorted((d for d in docs if d["_id"] not in existing), key=_published_key)
        twins = self._exact_twins(new)
        ops: list[Any] = [*self._cluster_ops([d for d in new if d["_id"] not in twins])]
        owners: list[str | None] = [None] * len(ops)  # the batch document each write is for (None: a stored one)
        outcomes = dict.fromkeys(twins, "duplicates")
        twin_writes, raced = self._twin_writes(docs, new, twins)
        for doc in docs:
            if doc["_id"] not in twins:
                outcomes[doc["_id"]], op = _plan(doc, existing.get(doc["_id"]), guard)
                ops.append(op)
                owners.append(doc["_id"])
        for twin, op in twin_writes:
            ops.append(op)
            owners.append(twin)
        result: list[Any] = []
        rejected.update(_bulk_write(articles, ops, owners, "record", raced, result))
        inserts = sum(outcome == "inserted" for outcome in outcomes.values())
        if result and not raced and result[0].upserted_count == inserts \
                and result[0].matched_count + inserts == len(ops):
            return outcomes, []  # every write matched the record as read, every insert inserted: no race
        # Every write is conditional on what was read: one that matched nothing (or an upsert that found
        # the record another writer had just inserted) lost a race. The bulk result does not say which,
        # so the records are read back: a doc whose record does not hold what it brought is decided again.
        targets = {twins.get(d["_id"], d["_id"]) for d in docs}
        stored = {d["_id"]: d for d in articles.find({"_id": {"$in": sorted(targets)}},
                                                     {"urls": 1, "translations": 1, "content_hash": 1})}
        again = []
        for doc in docs:
            if doc["_id"] in rejected:
                outcomes.pop(doc["_id"])
            elif doc["_id"] in raced or not _holds(stored.get(twins.get(doc["_id"], doc["_id"])), doc,
                                                     outcomes[doc["_id"]], existing.get(doc["_id"])):
                outcomes.pop(doc["_id"])
                again.append(doc)
        return outcomes, again

    def _twin_writes(self, docs: list[dict[str, Any]], new: list[dict[str, Any]],
                     twins: dict[str, str]) -> tuple[list[tuple[str, UpdateOne | ReplaceOne]], set[str]]:
        """The URLs and translations of ``twins`` (new docs -> the record of their text) joined to that record's, to
        :data:`MAX_ACCUMULATED` each: a record written by the batch takes them into its own write (its doc gains
        them); a stored one gets one write, conditional on the record as read, when they change (full ones take no
        more) or its twin is its latest sighting (:func:`_live`: a removal undone, a move). Returns those writes,
        each with the first twin that brought its lists, and the twins whose stored record is gone (to decide
        again)."""
        in_batch = {d["_id"]: d for d in docs}
        brought: dict[str, dict[str, list[str]]] = {}  # stored record -> its twins' lists, first seen first
        first: dict[str, str] = {}
        latest: dict[str, dict[str, Any]] = {}  # stored record -> its twin fetched last
        for doc in new:
            owner = twins.get(doc["_id"])
            if owner in in_batch:
                in_batch[owner].update(_accumulated(doc, in_batch[owner]))
            elif owner is not None:
                brought[owner] = _accumulated(doc, brought.get(owner, {}))
                first.setdefault(owner, doc["_id"])
                if owner not in latest or _fetched_before(latest[owner], doc):
                    latest[owner] = doc
        records = {r["_id"]: r for r in self.db["articles"].find({"_id": {"$in": sorted(brought)}})} if brought else {}
        writes: list[tuple[str, UpdateOne | ReplaceOne]] = []
        for owner, lists in brought.items():
            if owner in records:  # its twin found it live, at another URL (:func:`_live`)
                record = records[owner]
                found = {**_live(record, latest[owner], _found_at(latest[owner])), **_joined(lists, record)}
                changed = {k: v for k, v in found.items() if record.get(k) != v}
                if set(record) == set(found) and set(changed) <= {*_ACCUMULATED, "seen_url"}:  # lists, a string
                    if changed:  # only what changed: another writer's check of the record meanwhile stays
                        writes.append((first[owner], UpdateOne({"_id": owner, **_sizes(record)}, {"$set": changed})))
                else:  # a removal undone, a move: replaced whole (nx-27017 keeps a date ``$set`` as a string)
                    writes.append((first[owner], ReplaceOne(_unchanged_since(record), found)))
        gone = {doc_id for doc_id, owner in twins.items() if owner in brought and owner not in records}
        return writes, gone

    def _collapse_twins(self, inserted: list[dict[str, Any]]) -> set[str]:
        """Exact twins that concurrent writers both inserted (each read before the other wrote): every
        record of the same site and text that was never revised joins the first stored one (earliest
        ``first_seen``, then ``_id``: every writer picks the same) and is deleted. Returns the ids deleted."""
        if not inserted:
            return set()
        groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for doc in self._find_in("content_hash", [d["content_hash"] for d in inserted],
                                 {"site": 1, "content_hash": 1, "first_seen": 1}):
            groups.setdefault((doc["site"], doc["content_hash"]), []).append(doc)
        merged: set[str] = set()
        for group in groups.values():
            if len(group) < 2:
                continue
            earliest = datetime.min.replace(tzinfo=UTC)  # a record from before first_seen existed came first
            keep, *others = sorted(group, key=lambda d: (as_utc(d.get("first_seen")) or earliest, d["_id"]))
            for other in others:
                if self._merge_into(keep["_id"], other["_id"]):
                    merged.add(other["_id"])
        return merged

    def _merge_into(self, keep: str, gone: str) -> bool:
        """Delete record ``gone`` (never revised) unless another writer changes it meanwhile (then it is read
        again), and only then give its URLs to ``keep``: a twin edited meanwhile stays a record of its own, its
        URLs in it alone. Returns whether ``gone`` is merged (False: it stays, or is back, a record)."""
        articles = self.db["articles"]
        for _ in range(CONFLICT_ROUNDS):
            record = articles.find_one({"_id": gone})
            if record is None:
                return True  # another writer merged it
            if record.get("revisions"):
                return False  # an edited article that came to match another: not a twin
            if articles.find_one({"_id": keep}, {"_id": 1}) is None:
                return False  # merged into another meanwhile: this one stays a record
            if articles.delete_one(_unchanged_since(record)).deleted_count:
                break
        else:
            raise WriteConflict(f"the exact twin {gone} kept changing while being merged into {keep}")
        if self._give_lists(record, keep):
            self.db["pages"].delete_one({"_id": gone})
            return True
        return False

    def _give_lists(self, record: dict[str, Any], keep: str) -> bool:
        """Join the URLs and translations of ``record``, just deleted, to record ``keep``'s (conditional on its lists
        as read: another writer adds to them too). When ``keep`` is gone meanwhile (merged into another), or is
        ``record``'s own ``_id``, ``record`` is stored again, or, when a new record took its ``_id`` meanwhile, its
        lists join that one's. Returns whether ``keep`` took them (False when ``record`` is stored again). Should the
        join fail (the store lost, a conflict without end), ``record`` is stored again before the error goes on, so
        its URLs stay listed by a record."""
        with self._stored_again_on_failure(record, keep):
            return self._join_lists(record, keep)

    def _join_lists(self, record: dict[str, Any], keep: str) -> bool:
        articles, own = self.db["articles"], str(record["_id"])
        for _ in range(CONFLICT_ROUNDS):
            for target in dict.fromkeys((keep, own)):
                held = articles.find_one({"_id": target}, dict.fromkeys(_ACCUMULATED, 1))
                if held is not None:
                    joined = _joined(record, held)
                    if not joined or articles.update_one({"_id": target, **_sizes(held)},
                                                         {"$set": joined}).matched_count:
                        return target == keep
                    break  # another writer added to it meanwhile: read again
                if target == own:  # stored again as it was, unless a new record took its _id
                    restore = UpdateOne({"_id": target}, {"$setOnInsert": record}, upsert=True)
                    if _write(articles, [restore]).upserted_count:
                        return False
        raise WriteConflict(f"the URLs of {record['_id']} found no record to join while being merged into {keep}")

    @contextmanager
    def _stored_again_on_failure(self, record: dict[str, Any], keep: str) -> Iterator[None]:
        """Around a write after ``record`` was deleted to merge it into ``keep``: should the write fail, ``record``
        is stored again (:meth:`_store_again`) before the error goes on, so its URLs stay listed by a record."""
        try:
            yield
        except Exception:
            self._store_again(record, keep)
            raise

    def _store_again(self, record: dict[str, Any], keep: str) -> None:
        """Put back ``record``, deleted for a merge into ``keep`` that failed (unless ``keep`` holds its URLs after
        all, the write's answer lost, or a record took its ``_id`` meanwhile); when that fails too, its URLs are
        logged, so an operator can see what a store outage took."""
        articles = self.db["articles"]
        try:
            held = articles.find_one({"_id": keep}, dict.fromkeys(_ACCUMULATED, 1))
            if keep != record["_id"] and held is not None and _holds_lists(held, record):
                return
            _write(articles, [UpdateOne({"_id": record["_id"]}, {"$setOnInsert": record}, upsert=True)])
        except Exception:
            logger.error("A merge of record %s failed and the record could not be stored again: its URLs %s are "
                         "listed by no record until they are fetched again", record["_id"], record.get("urls"))

    def _join_clusters(self, inserted: list[dict[str, Any]]) -> None:
        """Story clusters that concurrent writers started for one story (each read before the other
        wrote): clusters linked by a new record near a member of another are relabelled with the
        earliest name (every writer picks the same), then each gets exactly one original."""
        if not inserted:
            return
        articles = self.db["articles"]
        records = [r for r in self._find_in("_id", [d["_id"] for d in inserted], _CLUSTER_FIELDS)
                   if r.get("lsh_bands") and r.get("story_cluster")]
        bands = sorted({band for r in records for band in r["lsh_bands"]})
        members = self._find_any("lsh_bands", bands, _CLUSTER_FIELDS)
        parent: dict[str, str] = {}

        def root(name: str) -> str:
            while parent.get(name, name) != name:
                name = parent[name]
            return name

        near = _BandIndex(members)
        for record in records:  # union of the clusters a new record is near
            for member in near.sharing(record):  # the others are never near it
                if not member.get("story_cluster"):
                    continue
                a, b = sorted((root(record["story_cluster"]), root(member["story_cluster"])))
                if a != b and _best_match(record, [member]) is not None:  # already one cluster: no need to compare
                    parent[b] = a
        renamed = {name: root(name) for name in parent}
        for target in sorted(set(renamed.values())):
            for name in sorted(n for n, t in renamed.items() if t == target):  # equality: indexed in both stores
                articles.update_many(self._filter({"story_cluster": name}), {"$set": {"story_cluster": target}})
            self._elect_original(target)

    def _elect_original(self, cluster: str) -> None:
        """Exactly one original in ``cluster``: a member without attribution published first (then by ``_id``)."""
        members = list(self.db["articles"].find(self._filter({"story_cluster": cluster}),
                                                {"attribution": 1, "published": 1, "story_original": 1}))
        if not members:
            return
        latest = datetime.max.replace(tzinfo=UTC)
        first = min(members, key=lambda m: (bool(m.get("attribution")), as_utc(m.get("published")) or latest, m["_id"]))
        ops = [UpdateOne({"_id": m["_id"]}, {"$set": {"story_original": m["_id"] == first["_id"]}})
               for m in members if bool(m.get("story_original")) != (m["_id"] == first["_id"])]
        if ops:
            _write(self.db["articles"], ops)

    def _exact_twins(self, new: list[dict[str, Any]]) -> dict[str, str]:
        """New ids whose site already has the same text (stored or earlier in the batch) -> that record's id."""
        stored = self._find_in("content_hash", [d["content_hash"] for d in new], {"content_hash": 1, "site": 1})
        owner = {(d["site"], d["content_hash"]): d["_id"] for d in stored}
        twins = {}
        for doc in new:
            key = (doc["site"], doc["content_hash"])
            if key in owner and owner[key] != doc["_id"]:
                twins[doc["_id"]] = owner[key]
            else:
                owner.setdefault(key, doc["_id"])
        return twins

    def _filter(self, query: dict[str, Any]) -> dict[str, Any]:
        """``query`` as a server answers it from its indexes (:func:`crawler.storage.server_filters.indexed`); the
        embedded store's as it is (neosqlite and :mod:`crawler.storage.scan` take the plain form)."""
        return server_filters.indexed(query) if self.target.uri else query

    def _find_in(self, field: str, values: list[Any], projection: dict[str, int]) -> list[dict[str, Any]]:
        """Documents whose scalar ``field`` (``_id`` or an indexed one) is one of ``values``. The embedded store
        is asked in SQL (:func:`crawler.storage.keys.find_equal`): neosqlite answers ``$in`` by scanning every
        document, and any find by parsing and deep-copying each whole record before projecting it."""
        if self.target.uri:
            if self._keyed and field in server_keys.KEYED_FIELDS:
                return server_keys.find(self.db, field, values, projection)
            return list(self.db["articles"].find({field: {"$in": values}}, projection))
        return keys.find_equal(self.db.db, field, values, projection)

    def _find_any(self, field: str, values: list[Any],
                  projection: dict[str, int] | None = None) -> list[dict[str, Any]]:
        """Articles whose array ``field`` (``urls``, ``lsh_bands``) holds any of ``values``: a server's key collection
        (:mod:`crawler.storage.server_keys`; ``$in`` while another process builds it), the embedded store's key table
        (:mod:`crawler.storage.keys`), as nx-27017 and neosqlite would read every record."""
        if not values:
            return []
        if self.target.uri:
            if self._keyed:
                return server_keys.find(self.db, field, values, projection)
            return list(self.db["articles"].find({field: {"$in": values}}, projection))
        return keys.find(self.db.db, field, values, projection)

    def _cluster_ops(self, new: list[dict[str, Any]]) -> list[UpdateOne]:
        """Give each new doc its story cluster (sets ``story_cluster``/``story_original`` on the doc);
        returns updates for stored members that stop being the original."""
        bands = sorted({band for doc in new for band in doc.get("lsh_bands") or []})
        members = self._find_any("lsh_bands", bands, {"minhash": 1, "lsh_bands": 1, "published": 1, "story_cluster": 1,
                                                      "story_original": 1, "attribution": 1})
        near = _BandIndex(members)
        ops = []
        for doc in new:
            match = _best_match(doc, near.sharing(doc))
            doc["story_cluster"] = match["story_cluster"] if match else doc["_id"]
            doc["story_original"] = match is None or _is_earlier_original(doc, match)
            if match is not None and doc["story_original"] and match.get("story_original"):
                match["story_original"] = False
                if "_batch" not in match:
                    ops.append(UpdateOne({"_id": match["_id"], "story_original": True},
                                         {"$set": {"story_original": False}}))
            near.add({**doc, "_batch": True})
        return ops

    def mark_checked(self, checks: list[dict[str, Any]], counts: WriteCounts | None = None) -> int:
        """Record revisits of stored articles: each check has ``_id``, ``url``, ``fetched_at``, and moves
        ``last_checked``. One with ``gone`` (404/410, a redirect to no article or off the site) also sets
        ``gone_at``, ``gone_reason`` and ``redirected_to`` (``location``), the first time only; one with a
        ``location`` (and its ``location_id``) but not ``gone`` moved there (:func:`_moved`): a record of the same
        story stored under that URL before the move was seen is merged into it (``counts.merged``). A check made
        before the article's ``last_checked`` (a late spool replay: another host or run looked since) changes
        nothing and is counted in ``counts.stale_checks``. Returns the checks recorded."""
        with self._exclusive():  # by _id and by urls apart: an $or of the two is a scan on nx-27017 and neosqlite
            moves = [c for c in checks if c.get("location_id")]
            stored = [*self.db["articles"].find({"_id": {"$in": [c["_id"] for c in checks]
                                                          + [c["location_id"] for c in moves]}}),
                      *self._find_any("urls", [c["url"] for c in checks] + [c["location"] for c in moves])]
            by_key = {key: doc for doc in stored for key in [doc["_id"], *doc.get("urls", [])]}
            read: dict[str, dict[str, Any]] = {}  # record id -> the record as read
            checked: dict[str, dict[str, Any]] = {}  # record id -> as this batch's checks of it found it, in turn
            absorbed: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = []  # (check, record, its story's)
            merging: set[str] = set()  # records a check merges with their story's record elsewhere (_absorb)
            for check in sorted(checks, key=_check_time):
                record = by_key.get(check["_id"]) or by_key.get(check["url"])
                if record is None or record["_id"] in merging:
                    continue
                old = checked.get(record["_id"], record)
                if _fetched_before(check, old, "last_checked"):
                    if counts is not None:
                        counts.stale_checks += 1  # a later check found it (there, or gone already)
                    continue
                found = _as_checked(check, old, by_key, absorbed)
                if found is None:  # _absorb writes it, as this check found it
                    merging.add(record["_id"])
                    checked.pop(record["_id"], None)
                    continue
                read.setdefault(record["_id"], record)
                checked[record["_id"]] = {**found, "last_checked": check["fetched_at"]}
            ops = [ReplaceOne(_unchanged_since(read[key]), found) for key, found in checked.items()]
            if ops:
                _write(self.db["articles"], ops)
            merged = sum(self._absorb(check, old, other) for check, old, other in absorbed)
            if counts is not None:
                counts.merged += merged
            return len(ops) + len(absorbed)

    def _absorb(self, check: dict[str, Any], old: dict[str, Any], other: dict[str, Any]) -> bool:
        """Record ``old`` as the revisit ``check`` found it, moved to where record ``other`` of its story was stored
        before the move was seen, with ``other`` merged in (:func:`_absorbed`). ``other`` is deleted first, unless
        another writer changed it since (then it stays whole, and ``old`` is only checked, its move recorded: the
        next revisit merges them), and only then does ``old`` take its URLs, so no URL is listed by two records.
        When ``old`` changed meanwhile, ``other``'s URLs join it as it is now (:meth:`_give_lists`) if ``other``'s
        text was no newer one, else ``other`` is stored again (its version is not lost; the check is, as any check
        of a record changed meanwhile). ``old`` takes ``other``'s page when it took its text; then the story's
        original is elected again. Returns whether ``other`` is merged."""
        articles, pages = self.db["articles"], self.db["pages"]
        found = {**_live(old, check, check["location"]), **_moved(check, old), "last_checked": check["fetched_at"]}
        if not articles.delete_one(_unchanged_since(other)).deleted_count:
            _write(articles, [ReplaceOne(_unchanged_since(old), found)])  # another writer's change wins: both stay
            return False
        record = {**_absorbed(_live(old, check, check["location"]), other), **_moved(check, old),
                  "last_checked": check["fetched_at"]}
        with self._stored_again_on_failure(other, old["_id"]):  # the store lost (or the record refused)
            written = _write(articles, [ReplaceOne(_unchanged_since(old), record)]).matched_count
        if not written:
            newer_text = record.get("content_hash") != old.get("content_hash")
            if not self._give_lists(other, other["_id"] if newer_text else old["_id"]) or newer_text:
                return False  # stored again (or joined to a record stored under its _id meanwhile)
            record = articles.find_one({"_id": old["_id"]}) or record
        page = pages.find_one({"_id": other["_id"]})
        if page is not None and page.get("content_hash") == record.get("content_hash"):
            fields = {k: v for k, v in page.items() if k != "_id"}
            _write(pages, [UpdateOne({"_id": old["_id"]}, {"$set": fields}, upsert=True)])
        pages.delete_one({"_id": other["_id"]})
        if record.get("story_cluster"):
            self._elect_original(record["story_cluster"])
        return True

    def _latest(self, site: str, field: str) -> datetime | None:
        """The newest ``field`` of the site's articles, read from the (site, field) index."""
        if self.target.uri:
            site_filter = self._filter({"site": site})
            newest = list(self.db["articles"].find(site_filter, {field: 1}).sort(field, -1).limit(1))
            value = newest[0].get(field) if newest else None
        else:  # neosqlite's own query matches ``site`` as an array too, which no index answers
            value = scan.latest(self.db.db, site, field)
        return as_utc(value)  # a naive one (an older record) broke every comparison with an aware time

    def newest_published(self, site: str) -> datetime | None:
        """The publication time of the site's newest stored article (its high-water mark)."""
        return self._latest(site, "published")

    def oldest_published(self, site: str) -> datetime | None:
        """The publication time of the site's oldest stored, dated article (how far back the store reaches)."""
        # ``$ne: None``: an ascending sort puts undated articles first; this filter keeps the index usable.
        dated = self._filter({"site": site, "published": {"$ne": None}})
        oldest = list(self.db["articles"].find(dated, {"published": 1}).sort("published", 1).limit(1))
        return as_utc(oldest[0].get("published")) if oldest else None

    def recent_articles(self, site: str, limit: int) -> list[dict[str, Any]]:
        """The site's ``limit`` newest stored articles: URL (and where it moved), dates and validators (revisits are
        due among them)."""
        fields = {"url": 1, "published": 1, "last_checked": 1, "etag": 1, "last_modified": 1, "moved_to": 1}
        docs = list(self.db["articles"].find(self._filter({"site": site}), fields).sort("published", -1).limit(limit))
        for doc in docs:  # an older record's naive times, in UTC: they are compared with aware ones
            doc.update({name: as_utc(doc[name]) for name in ("published", "last_checked") if doc.get(name)})
        return docs

    def sources(self, site: str) -> dict[str, dict[str, Any]]:
        """The site's feeds, sitemaps and listing pages as last read, by URL (a few hundred at most)."""
        return {doc["_id"]: doc for doc in self.db["sources"].find(self._filter({"site": site}))}

    def save_sources(self, docs: list[dict[str, Any]]) -> None:
        """Replace the records of the sources read in a run (keyed by ``_id``, their URL)."""
        if docs:
            _write(self.db["sources"], [ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in docs])

    def last_new_article(self, site: str) -> datetime | None:
        """When the site's most recently discovered article was first stored."""
        return self._latest(site, "first_seen")

    def known(self, ids: list[str], urls: list[str], batch: int = 1_000) -> dict[str, dict[str, Any]]:
        """Stored articles among ``ids`` or carrying one of ``urls``: their id, urls, dates.

        Asked ``batch`` values at a time, by ``_id`` and by ``urls`` apart: a query for a whole
        sitemap's links exceeds MongoDB's 16 MB document limit, and an ``$or`` of the two makes
        nx-27017 and the embedded store scan the collection (ten times slower).
        """
        fields = {"urls": 1, "published": 1, "first_seen": 1, "last_checked": 1, "etag": 1, "last_modified": 1}
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), batch):
            found.update((d["_id"], d) for d in self.db["articles"].find({"_id": {"$in": ids[start:start + batch]}},
                                                                         fields))
        for start in range(0, len(urls), batch):
            found.update((d["_id"], d) for d in self._find_any("urls", urls[start:start + batch], fields))
        return found

    def record_run(self, run: dict[str, Any]) -> None:
        """Insert or replace the document of one crawl run."""
        self.db["crawl_runs"].replace_one({"_id": run["_id"]}, run, upsert=True)

    def update_run(self, run_id: str, change: Callable[[dict[str, Any] | None], dict[str, Any]]) -> dict[str, Any]:
        """Rewrite the run document ``run_id`` (None: none yet) as ``change`` makes it, atomically against
        other writers of it (the workers of one shared crawl): a write conditioned on the ``version`` read,
        decided again when another writer came first (``WriteConflict`` after ``CONFLICT_ROUNDS``). The
        document written."""
        runs = self.db["crawl_runs"]
        for _ in range(CONFLICT_ROUNDS * 4):  # every worker of a crawl may close at once
            with self._exclusive():
                current = runs.find_one({"_id": run_id})
                version = int(current.get("version", 0)) if current else 0
                doc = {**change(current), "_id": run_id, "version": version + 1}
                if current is None:
                    try:
                        runs.insert_one(doc)
                    except driver_errors("PyMongoError") as exc:
                        if getattr(exc, "code", None) != DUPLICATE_KEY:
                            raise
                        continue  # another worker wrote the first part meanwhile
                    return doc
                if runs.replace_one({"_id": run_id, "version": version}, doc).matched_count:
                    return doc
        raise WriteConflict(f"the run {run_id} kept changing while being updated")

    # -- reads -------------------------------------------------------------
    def latest_articles(self, site: str | None = None, limit: int = 20,
                        query: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Up to ``limit`` stored articles (of ``site``, matching ``query``), newest published first."""
        query = {**(query or {}), **({"site": site} if site else {})}
        return [doc for batch in self.stream_articles(query, batch=max(limit, 1), limit=limit) for doc in batch]

    def stream_articles(self, query: dict[str, Any], exclude: tuple[str, ...] = (), batch: int = 500,
                        limit: int | None = None, raw: bool = False) -> Iterator[list[Any]]:
        """Stored articles matching ``query`` without the fields ``exclude``, newest published first (then
        those without a date), in lists of ``batch`` read from one cursor: memory stays flat (the embedded
        store is read in SQL, :mod:`crawler.storage.scan`). With ``raw`` each comes undecoded (JSON text or
        BSON bytes), for :func:`decode_articles` in another process (decoding is most of a read's CPU)."""
        if not self.target.uri:
            yield from scan.newest_first(self.db.db, query, exclude, batch, limit, raw)
            return
        articles = self.db["articles"].with_options(codec_options=_RAW) if raw else self.db["articles"]
        cursor = articles.find(self._filter(query), dict.fromkeys(exclude, 0) or None).sort("published", -1)
        cursor.batch_size(batch)
        if limit is not None:
            cursor.limit(limit)
        chunk: list[Any] = []
        try:
            for doc in cursor:
                chunk.append(doc.raw if raw else doc)
                if len(chunk) >= batch:
                    yield chunk
                    chunk = []
            if chunk:
                yield chunk
        finally:
            cursor.close()

    def stream_article_rows(self, query: dict[str, Any], batch: int = 500) -> Iterator[list[int]]:
        """The embedded store's row ids of what :meth:`stream_articles` reads, in its order, ``batch`` at a
        time (for a reader of the file in another process, :mod:`crawler.export.rows`)."""
        assert not self.target.uri, "the embedded store only"
        yield from scan.newest_first_rows(self.db.db, query, batch)

    def count_articles(self, site: str | None = None, since: datetime | None = None,
                       query: dict[str, Any] | None = None, at_most: int | None = None) -> int:
        """Stored articles (of ``site``; first stored at or after ``since``; matching ``query``), counted up to
        ``at_most`` (a job's "is it large?" reads no more records than that)."""
        query = {**(query or {}), **({"site": site} if site else {})}
        if since is not None:
            query["first_seen"] = {"$gte": since}
        if not self.target.uri:  # neosqlite counts a date range by reading every match into memory
            return scan.count(self.db.db, query, at_most)
        articles = self.db["articles"]
        if not query:  # the collection's own count: count_documents({}) reads every record on nx-27017 and
            # MongoDB alike (1.5 s at 50,000 on nx-27017, past the socket timeout at a million)
            whole = int(articles.estimated_document_count())
            return whole if at_most is None else min(whole, at_most)
        if since is not None or at_most is not None:  # a recent window's few ids, or the first ``at_most``, read
            # from an index: nx-27017's count_documents reads every record whatever the filter (9 s at 100,000)
            found = articles.find(self._filter(query), {"_id": 1})
            return sum(1 for _ in (found if at_most is None else found.limit(at_most)))
        return int(articles.count_documents(self._filter(query)))

    def has_articles(self, site: str) -> bool:
        """Whether anything of ``site`` is stored: one record read, where a count reads them all."""
        return self.count_articles(site, at_most=1) > 0

    def latest_runs(self, limit: int = 5, spider: str | None = None, crawled: bool = False,
                    site: str | None = None) -> list[dict[str, Any]]:
        """Crawl run documents (of ``spider``, of ``site``: a site crawled from a config file has the
        spider ``news``), newest first; with ``crawled``, only runs that were not skipped."""
        query: dict[str, Any] = {"spider": spider} if spider else {}
        if site:
            query["site"] = site
        if crawled:  # a run refused the site lock or its shared crawl crawled nothing: no baseline to learn from
            query["finish_reason"] = {"$nin": list(REFUSED_REASONS)}
        return list(self.db["crawl_runs"].find(self._filter(query)).sort("started_at", -1).limit(limit))

    def runs_since(self, since: datetime) -> list[dict[str, Any]]:
        """Every crawl run document started at or after ``since``, oldest first."""
        return list(self.db["crawl_runs"].find({"started_at": {"$gte": since}}).sort("started_at", 1))

    def sites_run_since(self, since: datetime) -> set[str]:
        """The sites of the crawl runs started at or after ``since``: their names only, not each whole run (its
        stats and health) of the period."""
        runs = self.db["crawl_runs"].find({"started_at": {"$gte": since}}, {"site": 1, "_id": 0})
        return {str(run.get("site")) for run in runs}

    def article_times(self, since: datetime) -> Iterator[dict[str, Any]]:
        """``site``, ``first_seen`` and ``published`` of every article first stored at or after ``since``."""
        yield from self.db["articles"].find({"first_seen": {"$gte": since}},
                                            {"site": 1, "first_seen": 1, "published": 1})

    def articles_after(self, after: str, limit: int, site: str | None = None) -> list[dict[str, Any]]:
        """Up to ``limit`` stored articles with ``_id`` above ``after``, in ``_id`` order (a resumable scan)."""
        query: dict[str, Any] = {"_id": {"$gt": after}, **({"site": site} if site else {})}
        return list(self.db["articles"].find(self._filter(query)).sort("_id", 1).limit(limit))

    def page_htmls(self, ids: list[str]) -> dict[str, str]:
        """The stored HTML of the articles ``ids`` that have a page."""
        return {article: page_text(blob) for article, blob in self.stored_pages(ids).items()}

    def stored_pages(self, ids: list[str]) -> dict[str, bytes]:
        """The stored pages of the articles ``ids`` that have one, as stored (compressed: :func:`page_text`)."""
        pages = self.db["pages"].find({"_id": {"$in": ids}}) if self.target.uri else scan.pages(self.db.db, ids)
        return {page["_id"]: bytes(page["html_gz"]) for page in pages}

    def replace_revised(self, revisions: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
        """Write re-extracted records (new, old), each only if the stored one is still ``old``."""
        ops = [ReplaceOne(_unchanged_since(old), new) for new, old in revisions]
        if ops:
            with self._exclusive():
                _write(self.db["articles"], ops)

    def page_html(self, article_id: str) -> str | None:
        page = self.db["pages"].find_one({"_id": article_id})
        return gzip.decompress(bytes(page["html_gz"])).decode("utf-8") if page else None


def page_text(stored: bytes) -> str:
    """The HTML of a stored page; raises ValueError (``BadGzipFile``, ``UnicodeDecodeError``) on a damaged one."""
    return gzip.decompress(stored).decode("utf-8")


_RAW: CodecOptions[RawBSONDocument] = CodecOptions(document_class=RawBSONDocument, tz_aware=True)
_AWARE: CodecOptions[dict[str, Any]] = CodecOptions(tz_aware=True)  # dates as the client reads them (UTC)


def decode_articles(raw: list[Any], exclude: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """The records ``stream_articles(..., raw=True)`` gave (JSON text or BSON bytes), without ``exclude``."""
    if raw and isinstance(raw[0], bytes):
        return [bson.decode(data, _AWARE) for data in raw]  # the server left ``exclude`` out already
    return scan.decode(raw, exclude)


def _plan(doc: dict[str, Any], old: dict[str, Any] | None, guard: ShrinkGuard) -> tuple[str, UpdateOne | ReplaceOne]:
    """What one batch document (not a twin) does: its ``WriteCounts`` field and its write."""
    if old is None:
        first = {"first_seen": doc["fetched_at"], "last_checked": doc["fetched_at"], "seen_url": _found_at(doc)}
        capped = {k: doc[k][:MAX_ACCUMULATED] for k in _ACCUMULATED if isinstance(doc.get(k), list)}
        return "inserted", UpdateOne({"_id": doc["_id"]}, {"$setOnInsert": {**doc, **first, **capped}}, upsert=True)
    if old.get("content_hash") == doc["content_hash"]:
        if corrected := _corrections(doc, old):
            logger.info("%(url)s: the same text, its %(fields)s corrected", {"url": doc["url"],
                                                                           "fields": " and ".join(corrected)})
            return "corrected", _correction_update(doc, old, corrected)
        return "unchanged", _checked_update(doc, old, live=True)
    if _fetched_before(doc, old):  # a spool replayed after a newer version was stored (another host, a later run)
        logger.warning("Kept the stored version of %(url)s: the version replayed was fetched at %(new)s, before "
                       "the stored one (%(old)s)", {"url": doc["url"], "new": doc["fetched_at"],
                                                    "old": old.get("fetched_at")})
        return "stale", _checked_update(doc, old)
    if _superseded(doc, old):
        logger.info("Kept the stored version of %(url)s: %(at)s serves an earlier one (a stale copy)",
                    {"url": old["url"], "at": _found_at(doc)})
        return "stale", _checked_update(doc, old)
    if guard.refuses(doc, old):
        logger.warning("Kept the stored version of %(url)s: the page now has %(new)d characters of text, not %(old)d",
                       {"url": doc["url"], "new": len(doc.get("body") or ""), "old": len(old.get("body") or "")})
        return "shrunk", _checked_update(doc, old)  # its stored page stays too: it matches the stored text
    return "updated", _revision_update(doc, old)


def _bulk_write(collection: Any, ops: list[Any], owners: list[str | None], what: str,
                raced: set[str] | None = None, result: list[Any] | None = None) -> dict[str, str]:
    """Write ``ops`` unordered; returns the batch ids whose write the store rejected, with why. With
    ``raced``, the ids whose write hit a duplicate key (another writer inserted it first) are added to
    it instead. Raises when any failure is transient or hits a write no batch document owns: then the
    whole batch is retried. A write without errors appends its bulk result to ``result``."""
    if not ops:
        return {}
    try:
        embedded = isinstance(collection, neosqlite.Collection)
        written = rows.bulk_write(collection, ops) if embedded else _write(collection, ops)
        if result is not None:
            result.append(written)
    except _bulk_errors() as exc:
        details: dict[str, Any] = getattr(exc, "details", {})
        errors = details.get("writeErrors") or []
        owned = {(owners[e["index"]] if 0 <= e.get("index", -1) < len(owners) else None): e for e in errors}
        if raced is not None and None not in owned:
            raced.update(owner for owner, e in owned.items() if owner is not None and _duplicate_key(e))
            errors = [e for e in errors if not _duplicate_key(e)]
            owned = {owner: e for owner, e in owned.items() if owner not in raced}
        if details.get("writeConcernErrors") or None in owned or any(map(_transient_write_error, errors)):
            raise
        return {owner: mask_uri(f"{what}: {e.get('code')}: {e.get('errmsg')}")[:1000]
                for owner, e in owned.items() if owner is not None}
    return {}


def _write(collection: Any, ops: list[Any]) -> Any:
    """``collection.bulk_write(ops, ordered=False)``: a MongoDB collection is given pymongo's requests."""
    if isinstance(collection, neosqlite.Collection):
        return collection.bulk_write(ops, ordered=False)
    return collection.bulk_write(for_driver(ops), ordered=False)


def _duplicate_key(error: dict[str, Any]) -> bool:
    """A duplicate ``_id``: another writer inserted the record first (MongoDB names the index ``_id_``,
    nx-27017 and the embedded store the column ``<collection>._id``). A duplicate of a unique index the
    deployment added is the record's fault: rejected."""
    message = str(error.get("errmsg", ""))
    return (error.get("code") == DUPLICATE_KEY or "UNIQUE constraint failed" in message) and (
        error.get("keyPattern") == {"_id": 1} or bool(re.search(r"index: _id_ |\._id\b", message)))


def _holds(record: dict[str, Any] | None, doc: dict[str, Any], outcome: str, old: dict[str, Any] | None) -> bool:
    """Whether the stored ``record`` (of the doc, or of its twin) holds what ``doc`` brought."""
    if record is None or not _holds_lists(record, doc):
        return False
    if outcome == "duplicates":
        return True
    kept = outcome in ("shrunk", "stale") and old is not None  # the stored text stayed
    expected = old.get("content_hash") if kept and old is not None else doc["content_hash"]
    return bool(record.get("content_hash") == expected)


def _holds_lists(record: dict[str, Any], doc: dict[str, Any]) -> bool:
    """Whether ``record`` holds every URL and translation of ``doc``, or as many as it keeps (a full list takes
    no more: a doc bringing others is held all the same, not decided or merged again forever)."""
    return all(len(record.get(k) or []) >= MAX_ACCUMULATED or set(doc.get(k) or []) <= set(record.get(k) or [])
               for k in _ACCUMULATED)


def _unchanged_since(old: dict[str, Any]) -> dict[str, Any]:
    """A filter matching record ``old`` only as it was read: its text, its story cluster and whether
    it is the original (other writers ``$set`` those) and its URL lists (:func:`_sizes`)."""
    story = {k: old.get(k) for k in ("story_cluster", "story_original")}  # None also matches a missing field
    return {"_id": old["_id"], "content_hash": old.get("content_hash"), **story, **_sizes(old)}


def _sizes(old: dict[str, Any]) -> dict[str, Any]:
    """A filter on record ``old``'s URL lists as read: they only grow, by appending, so their sizes tell whether
    another writer added to them since (nx-27017 cannot compare arrays)."""
    return {k: {"$size": len(old[k])} if k in old else {"$exists": False} for k in _ACCUMULATED}


def as_utc(value: Any) -> datetime | None:
    """A stored time, UTC when the store gave it back without a zone (the embedded store); None if not a time."""
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


_CLUSTER_FIELDS = {"minhash": 1, "lsh_bands": 1, "story_cluster": 1}


def _published_key(doc: dict[str, Any]) -> Any:
    return doc.get("published") or doc["fetched_at"]


def _best_match(doc: dict[str, Any], members: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The most similar other member sharing an LSH band, at or above the near-duplicate threshold."""
    own = set(doc.get("lsh_bands") or [])
    scored = [(similarity(doc.get("minhash") or [], m.get("minhash") or []), m) for m in members
              if m["_id"] != doc["_id"] and own.intersection(m.get("lsh_bands") or [])]
    scored = [(score, m) for score, m in scored if score >= NEAR_SIMILARITY]
    return max(scored, key=lambda pair: pair[0])[1] if scored else None


class _BandIndex:
    """Records by LSH band: the ones sharing a band with a record, in the order they were added (so the first
    of equally near ones is the same as among all of them), without comparing it with every other one."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self._records: list[dict[str, Any]] = []
        self._by_band: dict[Any, list[int]] = {}
        for record in records:
            self.add(record)

    def add(self, record: dict[str, Any]) -> None:
        for band in set(record.get("lsh_bands") or []):
            self._by_band.setdefault(band, []).append(len(self._records))
        self._records.append(record)

    def sharing(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        """The records sharing a band with ``record`` (itself too, when added), in the order added."""
        found = {n for band in set(record.get("lsh_bands") or []) for n in self._by_band.get(band, ())}
        return [self._records[n] for n in sorted(found)]


def _is_earlier_original(doc: dict[str, Any], member: dict[str, Any]) -> bool:
    """A copy that names its source ("Source: ...") is never the original; else the earlier one is."""
    if doc.get("attribution"):
        return False
    if member.get("attribution"):
        return True
    return bool(doc.get("published") and member.get("published") and doc["published"] < member["published"])


def _merge_same_id(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One document per ``_id`` (the last; the last fetched at that URL itself, when one was: a print page or a
    shortlink naming it is a variant of its page), carrying every URL and translation seen in the batch."""
    merged: dict[str, dict[str, Any]] = {}
    for doc in docs:
        previous = merged.get(doc["_id"])
        if previous is not None:
            lists = {k: _union(previous.get(k, []), doc.get(k, [])) for k in _ACCUMULATED}
            doc = {**previous, **lists} if claims.claims(doc) and not claims.claims(previous) else {**doc, **lists}
        merged[doc["_id"]] = doc
    return list(merged.values())


def _union(a: list[str], b: list[str]) -> list[str]:
    """``a`` then what ``b`` adds, to :data:`MAX_ACCUMULATED` items (the first seen kept)."""
    return list(dict.fromkeys([*a, *b]))[:MAX_ACCUMULATED]


# Lists every fetch of an article adds to (a print page has no hreflang links, the permalink does).
_ACCUMULATED = ("urls", "translations")
# Each holds at most this many: a page whose hreflang links or query string change on every fetch added up to a
# hundred URLs a fetch, forever (MongoDB refuses a record over 16 MB).
MAX_ACCUMULATED = 1_000


def _accumulated(doc: dict[str, Any], old: dict[str, Any]) -> dict[str, list[str]]:
    return {k: _union(old.get(k, []), doc.get(k, [])) for k in _ACCUMULATED}


def _joined(doc: dict[str, Any], old: dict[str, Any]) -> dict[str, list[str]]:
    """The lists of record ``old`` that change when ``doc``'s join them (none when it holds them, or is full)."""
    return {k: v for k, v in _accumulated(doc, old).items() if v != old.get(k, [])}


def _gone(check: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    """The fields a check sets on stored article ``old``: when and why it was first found gone, if it is."""
    if not check.get("gone"):
        return {}
    if old.get("gone_at"):
        return {}
    why = {"gone_reason": check.get("reason"), "redirected_to": check.get("location")}
    return {"gone_at": check["fetched_at"], **{k: v for k, v in why.items() if v}}


def _same_text(doc: dict[str, Any], record: dict[str, Any]) -> bool:
    """Whether ``doc`` is ``record``'s text or a near copy of it (MinHash), on the same site."""
    return doc.get("site") == record.get("site") and (
        doc.get("content_hash") == record.get("content_hash")
        or similarity(doc.get("minhash") or [], record.get("minhash") or []) >= NEAR_SIMILARITY)


def _same_story(record: dict[str, Any], other: dict[str, Any]) -> bool:
    """Whether two records of one site are one article: copies of one story (near duplicates share a story
    cluster) published together, under one title or in nearly the same words. A site's look-alike daily items
    (weather, exchange rates: "на 8 декабря", "на 9 декабря", 0.64 alike) share a cluster, and a revisit of one
    redirected to another was taken for a move: the record "merged" into it was deleted, one text lost."""
    return bool(record.get("story_cluster")) and record.get("story_cluster") == other.get("story_cluster") \
        and record.get("site") == other.get("site") and _published_together(record, other) \
        and (_title_key(record) == _title_key(other)
             or similarity(record.get("minhash") or [], other.get("minhash") or []) >= MOVED_SIMILARITY)


MOVED_SIMILARITY = 0.8  # an article moved under another title keeps nearly all its words


def _title_key(record: dict[str, Any]) -> str:
    title = record.get("title")
    return " ".join(title.casefold().split()) if isinstance(title, str) else ""


MOVED_PUBLICATION_HOURS = 12  # a moved article keeps its publication time (a zone read differently aside)


def _published_together(record: dict[str, Any], other: dict[str, Any]) -> bool:
    """Whether both records' publication times are within :data:`MOVED_PUBLICATION_HOURS` (or one has none)."""
    first, second = record.get("published"), other.get("published")
    if not isinstance(first, datetime) or not isinstance(second, datetime):
        return True
    first, second = (t if t.tzinfo else t.replace(tzinfo=UTC) for t in (first, second))
    return abs(first - second) < timedelta(hours=MOVED_PUBLICATION_HOURS)


def _absorbed(old: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """Record ``old`` with ``other`` merged in: the story it moved to, stored under its new URL before the move
    was seen. Its URLs join; its text, when newer and not the same, is the current version (``old``'s joins
    ``revisions``, then ``other``'s own earlier ones)."""
    if other.get("content_hash") == old.get("content_hash") or not _fetched_before(old, other):
        return {**old, **_accumulated(other, old)}
    version = {k: v for k, v in other.items() if k not in ("_id", "revisions")}
    merged = _revised({**version, "_id": old["_id"]}, old)
    return {**merged, "revisions": [*merged["revisions"], *other.get("revisions", [])]}


def _as_checked(check: dict[str, Any], old: dict[str, Any], by_key: dict[str, dict[str, Any]],
                absorbed: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]) -> dict[str, Any] | None:
    """Stored article ``old`` as the revisit ``check`` found it (``by_key``: the records read, by ``_id`` and URL):
    gone; moved to ``location``, a record of the same story stored there added to ``absorbed`` (to be merged into
    ``old`` by :meth:`ArticleStore._absorb`, which writes ``old``: None); redirected to another stored story (gone,
    the reader sent there); or live (a 304)."""
    elsewhere = old.get("seen_url")
    if check.get("gone") and isinstance(elsewhere, str) and url_id(elsewhere) != url_id(check["url"]):
        return {**old, **_moved({**check, "location": elsewhere}, old)}  # last found live there: asked there next
    if check.get("gone"):
        return {**old, **_gone(check, old)}
    if not check.get("location_id") or check["location_id"] == old["_id"]:  # a 304, or a redirect to its own URL
        return _live(old, check, check["url"])
    there = by_key.get(check["location_id"]) or by_key.get(check["location"])
    if there is not None and there["_id"] != old["_id"]:
        if not _same_story(old, there):
            return {**old, **_gone({**check, "gone": True, "reason": "redirected"}, old)}
        absorbed.append((check, old, there))
        return None
    return {**_live(old, check, check["location"]), **_moved(check, old)}


def _moved(check: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    """``moved_to`` (the ``location`` a revisit of ``old`` was redirected to, another article URL of the story)
    and, when that changed, ``moved_at``."""
    if old.get("moved_to") == check["location"]:
        return {}
    return {"moved_to": check["location"], "moved_at": check["fetched_at"]}


# Whole-document replacements, conditional on the stored hash: idempotent on replay,
# and they keep dates as dates on every MongoDB-compatible server.
def _superseded(doc: dict[str, Any], old: dict[str, Any]) -> bool:
    """Whether ``doc`` is a version ``old`` replaced already, fetched at another URL than the one it was last found
    at: a stale copy (an old slug served from a cache, a mirror), not an edit. Taken for an edit, the record flipped
    between the two texts on every revisit of both URLs; an editor's exact undo at the article's URL is taken."""
    seen = old.get("seen_url")
    return isinstance(seen, str) and url_id(_found_at(doc)) != url_id(seen) and doc["content_hash"] in {
        r.get("content_hash") for r in old.get("revisions") or [] if isinstance(r, dict)}


def _checked_update(doc: dict[str, Any], old: dict[str, Any], live: bool = False) -> ReplaceOne:
    """An unchanged article: new URLs and the check time (never set back by a late replay), nothing else; with
    ``live`` (the page answered with the stored text), no longer marked gone if it was before this fetch."""
    checked = old["last_checked"] if _fetched_before(doc, old, "last_checked") else doc["fetched_at"]
    record = old
    if live:
        record = _live(old, doc, _found_at(doc))
        if checked == doc["fetched_at"]:  # the latest answer: its validators are the ones to send back
            record = {**record, **{k: doc.get(k) for k in _VALIDATORS}}
    return ReplaceOne(_unchanged_since(old), {**record, **_accumulated(doc, old), "last_checked": checked})


_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")  # an absolute date's year, which a relative one has not
# What an editor corrects without touching the text (the hash): the field, and the fields that go with it.
CORRECTABLE = {"published": ("published", "published_raw"), "authors": ("authors",)}
_VALIDATORS = ("etag", "last_modified", "http_status")  # the latest answer's: a revisit sends them back


def _corrections(doc: dict[str, Any], old: dict[str, Any]) -> list[str]:
    """The :data:`CORRECTABLE` fields a later fetch of ``old``'s unchanged text gives another value, read from the
    same place on the page (``sources``): a printed date corrected, a byline fixed. A value no longer found, one
    read elsewhere (a redesign, an extraction that fell back) or a relative date ("2 часа назад", re-read later)
    is no correction."""
    if _fetched_before(doc, old, "last_checked"):
        return []
    new_sources, old_sources = doc.get("sources") or {}, old.get("sources") or {}
    corrected = []
    for name in CORRECTABLE:
        new, before = doc.get(name), old.get(name)
        if not new or not before or new_sources.get(name) != old_sources.get(name):
            continue
        if name == "published":
            raw, raw_before = doc.get("published_raw") or "", old.get("published_raw") or ""
            if raw == raw_before or not _YEAR.search(raw) or as_utc(new) == as_utc(before):
                continue
        elif new == before:
            continue
        corrected.append(name)
    return corrected


def _correction_update(doc: dict[str, Any], old: dict[str, Any], corrected: list[str]) -> ReplaceOne:
    """``old`` with ``doc``'s :func:`_corrections` and validators, the values before kept in ``revisions`` (with
    ``corrected_at`` and ``changed``, as a re-extraction's); its stored page is replaced by ``doc``'s."""
    fields = {k: doc.get(k) for name in corrected for k in CORRECTABLE[name]}
    sources = {**(old.get("sources") or {}), **{k: v for k, v in (doc.get("sources") or {}).items() if k in corrected}}
    earlier = {k: old.get(k) for k in fields}
    revisions = with_revision(old, corrected_at=doc["fetched_at"], changed=corrected, **earlier)
    record = {**_live(old, doc, _found_at(doc)), **_accumulated(doc, old), **fields, "sources": sources,
              **{k: doc.get(k) for k in _VALIDATORS}, "revisions": revisions, "last_checked": doc["fetched_at"]}
    return ReplaceOne(_unchanged_since(old), record)


GONE_FIELDS = ("gone_at", "gone_reason", "redirected_to")
_MOVE_FIELDS = ("moved_to", "moved_at")


def _live(old: dict[str, Any], fetch: dict[str, Any], at: str) -> dict[str, Any]:
    """Record ``old`` as ``fetch`` found the article live at URL ``at`` (a 304, its text, where it moved): without
    the marks of a removal found before ``fetch`` (a 404 or a redirect during an outage or a maintenance window is
    not forever), moved to ``at`` when that is not the URL it was found gone at (its slug changed: the old URL
    answers 404, the same text is listed under a new one), no longer moved when ``at`` is its own URL (the move was
    undone: its new URL redirects back), and ``at`` its ``seen_url`` when ``fetch`` is its latest sighting
    (:func:`_as_checked`: a 404 at one URL of an article last found at another is no removal)."""
    record = old
    removal_undone = bool(old.get("gone_at")) and not _fetched_before(fetch, old, "gone_at")
    if removal_undone:
        record = {k: v for k, v in old.items() if k not in GONE_FIELDS}
    if url_id(at) == url_id(old["url"]):
        if old.get("moved_to") and not _fetched_before(fetch, old, "moved_at"):
            record = {k: v for k, v in record.items() if k not in _MOVE_FIELDS}  # the move was undone: home again
    elif removal_undone and url_id(at) != url_id(old.get("moved_to") or old["url"]):
        record = {**record, **_moved({**fetch, "location": at}, old)}
    if not _fetched_before(fetch, old, "last_checked"):
        record = {**record, "seen_url": at}
    return record


def _check_time(check: dict[str, Any]) -> datetime:
    """When a check was made (the earliest time when it does not say): a batch's checks of one record in turn."""
    return as_utc(check.get("fetched_at")) or datetime.min.replace(tzinfo=UTC)


def _found_at(doc: dict[str, Any]) -> str:
    """Where ``doc``'s page says the article lives: its canonical URL (the URL it was fetched at when it names
    none, or another article's). A shortlink or a print page names the article's own URL, a renamed article's
    page its new one."""
    return str(doc["url"])


def _fetched_before(doc: dict[str, Any], old: dict[str, Any], field: str = "fetched_at") -> bool:
    """Whether ``doc`` was fetched before ``old``'s ``field`` time (False when either time is missing).
    Times are the writing hosts' clocks, which must agree (as for site leases)."""
    mine, theirs = as_utc(doc.get("fetched_at")), as_utc(old.get(field))
    return mine is not None and theirs is not None and mine < theirs


# What a new version never replaces: when first stored, the story it belongs to, where it moved.
_KEPT_BY_REVISIONS = ("first_seen", "story_cluster", "story_original", "moved_to", "moved_at")


def _revision_update(doc: dict[str, Any], old: dict[str, Any]) -> ReplaceOne:
    """A changed article: the new version in place, the earlier one kept in ``revisions``."""
    return ReplaceOne(_unchanged_since(old), _revised(doc, old))


def _revised(doc: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    """Record ``old`` with ``doc`` as its new version, the earlier one kept in ``revisions``."""
    found = _live(old, doc, _found_at(doc))
    kept: dict[str, Any] = {k: found[k] for k in (*_KEPT_BY_REVISIONS, "seen_url") if k in found}
    if url_id(doc["url"]) != old["_id"]:
        kept["url"] = old["url"]  # a moved article's page: the record's identity stays, ``moved_to`` says where
    return {**doc, **kept, **_accumulated(doc, old), "last_checked": doc["fetched_at"],
            "revisions": with_revision(old)}


REVISION_TEXTS_KEPT = 5  # the newest revisions keep their title and body; older ones their hash and time
REVISION_BODY_MAX_CHARS = 100_000  # with the above, bounds what history adds to a record (16 MB cap)


def with_revision(old: dict[str, Any], **extra: Any) -> list[dict[str, Any]]:
    """``old``'s revisions with ``old`` itself appended (hash, fetch time, title and body, and ``extra``),
    so an editor's change can be reviewed; only the newest ``REVISION_TEXTS_KEPT`` keep their text."""
    body = old.get("body") or ""
    earlier = {"content_hash": old.get("content_hash"), "fetched_at": old.get("fetched_at"),
               "title": old.get("title"), "body": body[:REVISION_BODY_MAX_CHARS], **extra}
    if len(body) > REVISION_BODY_MAX_CHARS:
        earlier["body_truncated"] = True
    revisions = [*old.get("revisions", []), earlier]
    textless = len(revisions) - REVISION_TEXTS_KEPT
    return [{k: v for k, v in r.items() if k not in _REVISION_TEXT} if i < textless else r
            for i, r in enumerate(revisions)]


_REVISION_TEXT = ("title", "body", "body_truncated")


PAGE_GZIP_LEVEL = 3  # pages under a tenth larger than at level 6, compressed up to 2.5 times faster


def _page_upsert(doc: dict[str, Any], html: str | InertUtf8) -> UpdateOne:
    page = {"url": doc["url"], "fetched_at": doc["fetched_at"], "content_hash": doc["content_hash"],
            "html_gz": gzip.compress(inert_utf8(html, doc["url"]), compresslevel=PAGE_GZIP_LEVEL)}
    return UpdateOne({"_id": doc["_id"]}, {"$set": page}, upsert=True)
