"""Site leases in the store: one ``site_leases`` document per site (``_id`` the site, its ``holder``,
``expires``), taken, renewed and released by single conditional writes, so the hosts that share a
store crawl each site one at a time. A lease nobody renews lapses at its expiry.

Expiries are the store's clock (UTC seconds since the epoch): the MongoDB server's time (``hello``'s
``localTime``, asked at each call), the host's for the embedded store (one host). Before, they were the
writing host's: a host whose clock ran minutes ahead took the site from a crawl still holding it, and one
running behind wrote a lease that had lapsed already. Both the MongoDB server and the embedded store
answer these calls (blocking: run them on the storage thread).
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from crawler.storage.store import ArticleStore, driver_errors

COLLECTION = "site_leases"


def _held_elsewhere() -> tuple[type[BaseException], ...]:
    """An upsert that lost the race for the site's document: another holder has an unexpired lease."""
    return (*driver_errors("DuplicateKeyError"), sqlite3.IntegrityError)


@dataclass(frozen=True)
class Lease:
    """A claim on ``site`` by ``holder`` (host, pid and run id), ``seconds`` long from each renewal."""

    site: str
    holder: str
    seconds: float
    pid_namespace: str | None = None  # the holder's process's (``/proc/self/ns/pid``): where its pid means it


def store_time(store: ArticleStore) -> float:
    """Now by the store's clock, which every host sharing it agrees on: the MongoDB server's (to the millisecond),
    the host's own for the embedded store."""
    if not store.target.uri:
        return time.time()
    local: datetime = store.db.client.admin.command("hello")["localTime"]
    return (local if local.tzinfo else local.replace(tzinfo=UTC)).timestamp()


def _fields(lease: Lease, now: float) -> dict[str, Any]:
    return {"holder": lease.holder, "expires": now + lease.seconds, "pid_namespace": lease.pid_namespace,
            "renewed_at": datetime.fromtimestamp(now, UTC)}  # for people reading the collection


def acquire(store: ArticleStore, lease: Lease, now: float | None = None) -> bool:
    """Take the site when nobody holds it, its lease has expired or it is already ours; False when
    another holder's lease still runs. One upsert conditional on exactly that: of two racing for
    an expired or absent lease, one writes and the other hits the site's ``_id`` and is refused."""
    now = store_time(store) if now is None else now
    # update_one, not find_one_and_update: nx-27017 answers that one's losing upsert with no error. The
    # `$and` is MongoDB's plain meaning; the embedded store's upsert drops an `_id` beside a `$or` and
    # updated another site's lease of the same holder instead of creating this one.
    try:
        result = store.db[COLLECTION].update_one(
            {"$and": [{"_id": lease.site}, {"$or": [{"expires": {"$lte": now}}, {"holder": lease.holder}]}]},
            {"$set": _fields(lease, now)}, upsert=True)
    except _held_elsewhere():
        return False
    return bool(result.matched_count) or result.upserted_id is not None


def renew(store: ArticleStore, lease: Lease, now: float | None = None) -> bool:
    """Push the expiry ``lease.seconds`` past now; False when the site is no longer ours (another
    holder took it after our lease lapsed, or it was released)."""
    now = store_time(store) if now is None else now
    result = store.db[COLLECTION].update_one({"_id": lease.site, "holder": lease.holder},
                                             {"$set": _fields(lease, now)})
    return bool(result.matched_count)


def take_over(store: ArticleStore, lease: Lease, dead: str, now: float | None = None) -> bool:
    """Take the site from ``dead``, a holder whose process is known to be gone, its lease unexpired; False when the
    lease changed hands meanwhile (of two runs taking it over, one writes)."""
    now = store_time(store) if now is None else now
    result = store.db[COLLECTION].update_one({"_id": lease.site, "holder": dead}, {"$set": _fields(lease, now)})
    return bool(result.matched_count)


def release(store: ArticleStore, lease: Lease) -> bool:
    """Give the site up if it is still ours; False when it was not (nothing is touched then)."""
    return bool(store.db[COLLECTION].delete_one({"_id": lease.site, "holder": lease.holder}).deleted_count)


def holder(store: ArticleStore, site: str) -> dict[str, Any] | None:
    """The site's lease document (``holder``, ``expires``), expired or not; None when there is none."""
    found: dict[str, Any] | None = store.db[COLLECTION].find_one({"_id": site})
    return found
