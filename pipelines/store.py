"""The article store: the only module that imports a database driver.

A MongoDB server (``MONGO_URI``) through pymongo, or, with no URI, the
embedded file-backed MongoDB-compatible store ``neosqlite`` under
``DATA_DIR``. Both are driven by the same calls here. Methods block: callers
run them on one worker thread (sqlite connections stay on their thread).

Collections: ``articles`` (``_id`` = SHA-256 of the canonical URL), ``pages``
(gzipped HTML of each article's current version, same ``_id``), ``crawl_runs``.
"""

from __future__ import annotations

import gzip
import logging
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import neosqlite
import pymongo
from bson import json_util
from pymongo import UpdateOne
from pymongo.errors import PyMongoError

logger = logging.getLogger(__name__)

_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:@/]*):(?P<password>[^@/]*)@", re.IGNORECASE)
_UPDATE_EXCLUDED = {"_id", "urls", "first_seen"}


class StoreUnavailable(Exception):
    """The database cannot be reached or rejected us."""


def mask_uri(text: str) -> str:
    """Replace the password of every ``scheme://user:password@`` in ``text`` with ``***``."""
    return _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:***@", text)


# Failures after which a write may or may not have been applied: retry it.
STORE_ERRORS: tuple[type[BaseException], ...] = (PyMongoError, sqlite3.Error, OSError)


@dataclass
class WriteCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


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
        return mask_uri(self.uri) if self.uri else f"embedded store {self.embedded_path}"


class ArticleStore:
    """Idempotent writes and simple reads of articles and crawl runs."""

    def __init__(self, db: Any, target: StoreTarget, client: Any = None) -> None:
        self.db = db
        self.target = target
        self._client = client

    @classmethod
    def connect(cls, target: StoreTarget) -> ArticleStore:
        """Open the store and make sure its indexes exist; raises StoreUnavailable."""
        if not target.uri:
            target.embedded_path.parent.mkdir(parents=True, exist_ok=True)
            connection = neosqlite.Connection(str(target.embedded_path))
            store = cls(connection, target, connection)
        else:
            ms = int(target.timeout * 1000)
            try:
                client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
                    target.uri, serverSelectionTimeoutMS=ms, connectTimeoutMS=ms, socketTimeoutMS=ms * 3,
                    tz_aware=True, appname="centralasia-news",
                )
            except (PyMongoError, ValueError) as exc:
                raise StoreUnavailable(f"MongoDB URI {target.describe()} is invalid: {mask_uri(str(exc))}") from None
            try:
                client.admin.command("ping")
            except PyMongoError as exc:
                client.close()
                reason = mask_uri(re.split(r" \(configured timeouts|, Timeout:", str(exc))[0])
                raise StoreUnavailable(f"MongoDB at {target.describe()} is unreachable: {reason}") from None
            store = cls(client[target.database], target, client)
        store.ensure_indexes()
        return store

    def ensure_indexes(self) -> None:
        articles = self.db["articles"]
        articles.create_index([("site", 1), ("published", -1)])
        articles.create_index("published")
        articles.create_index("urls")
        self.db["crawl_runs"].create_index([("spider", 1), ("started_at", -1)])

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    # -- writes ----------------------------------------------------------------
    def write_articles(self, docs: list[dict[str, Any]], pages: dict[str, str]) -> WriteCounts:
        """Upsert ``docs`` (keyed by ``_id``); ``pages`` maps ``_id`` to raw HTML.

        New articles are inserted, unchanged ones only gain new URLs, changed
        ones are updated in place with the earlier hash and fetch time added to
        ``revisions``. Every write is conditional, so replaying a batch whose
        first attempt may have been applied changes nothing.
        """
        docs = _merge_same_id(docs)
        existing = {
            d["_id"]: d for d in self.db["articles"].find(
                {"_id": {"$in": [d["_id"] for d in docs]}}, {"content_hash": 1, "fetched_at": 1, "revisions": 1}
            )
        }
        counts = WriteCounts()
        article_ops, page_ops = [], []
        for doc in docs:
            old = existing.get(doc["_id"])
            if old is None:
                counts.inserted += 1
                article_ops.append(UpdateOne({"_id": doc["_id"]}, {"$setOnInsert": doc}, upsert=True))
            elif old.get("content_hash") == doc["content_hash"]:
                counts.unchanged += 1
                article_ops.append(UpdateOne({"_id": doc["_id"]}, {"$addToSet": {"urls": {"$each": doc["urls"]}}}))
                continue
            else:
                counts.updated += 1
                article_ops.append(_revision_update(doc, old))
            if doc["_id"] in pages:
                page_ops.append(_page_upsert(doc, pages[doc["_id"]]))
        if article_ops:
            self.db["articles"].bulk_write(article_ops, ordered=False)
        if page_ops:
            self.db["pages"].bulk_write(page_ops, ordered=False)
        return counts

    def record_run(self, run: dict[str, Any]) -> None:
        """Insert or replace the document of one crawl run."""
        self.db["crawl_runs"].replace_one({"_id": run["_id"]}, run, upsert=True)

    # -- reads -------------------------------------------------------------
    def latest_articles(self, site: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        query = {"site": site} if site else {}
        return list(self.db["articles"].find(query).sort("published", -1).limit(limit))

    def count_articles(self, site: str | None = None) -> int:
        return int(self.db["articles"].count_documents({"site": site} if site else {}))

    def latest_runs(self, limit: int = 5) -> list[dict[str, Any]]:
        return list(self.db["crawl_runs"].find({}).sort("started_at", -1).limit(limit))

    def page_html(self, article_id: str) -> str | None:
        page = self.db["pages"].find_one({"_id": article_id})
        return gzip.decompress(bytes(page["html_gz"])).decode("utf-8") if page else None


def _merge_same_id(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One document per ``_id`` (the last), carrying every URL seen in the batch."""
    merged: dict[str, dict[str, Any]] = {}
    for doc in docs:
        previous = merged.get(doc["_id"])
        if previous is not None:
            doc = {**doc, "urls": list(dict.fromkeys([*previous["urls"], *doc["urls"]]))}
        merged[doc["_id"]] = doc
    return list(merged.values())


def _revision_update(doc: dict[str, Any], old: dict[str, Any]) -> UpdateOne:
    earlier = {"content_hash": old.get("content_hash"), "fetched_at": old.get("fetched_at")}
    fields = {k: v for k, v in doc.items() if k not in _UPDATE_EXCLUDED}
    return UpdateOne(
        {"_id": doc["_id"], "content_hash": old.get("content_hash")},
        {"$set": {**fields, "revisions": [*old.get("revisions", []), earlier]},
         "$addToSet": {"urls": {"$each": doc["urls"]}}},
    )


def _page_upsert(doc: dict[str, Any], html: str) -> UpdateOne:
    page = {"url": doc["url"], "fetched_at": doc["fetched_at"], "content_hash": doc["content_hash"],
            "html_gz": gzip.compress(html.encode("utf-8"), compresslevel=6)}
    return UpdateOne({"_id": doc["_id"]}, {"$set": page}, upsert=True)


def dump_unsaved(docs: Iterable[dict[str, Any]], path: Path) -> int:
    """Append documents that could not be written to a JSON-lines file; returns the count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("a", encoding="utf-8") as out:
        for doc in docs:
            out.write(json_util.dumps(doc) + "\n")
            n += 1
        out.flush()
    return n


def load_unsaved(path: Path) -> list[dict[str, Any]]:
    """Documents dumped by :func:`dump_unsaved`, in order."""
    with path.open(encoding="utf-8") as lines:
        return [json_util.loads(line) for line in lines if line.strip()]
