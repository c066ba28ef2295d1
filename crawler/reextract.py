"""Re-extraction of stored articles from their stored HTML (after a parser or site-rule fix).

Each stored page goes through the crawl's own steps (extraction with the site's current
config, then :func:`~crawler.cleaning.clean` and :func:`~crawler.validation.validate` under the
crawl's :class:`~crawler.rules.RecordRules`); a record is replaced only when a
field a reader sees changed, with the earlier hash and the changed field names added to
its ``revisions``. Identity, fetch and dedup fields (URLs, first seen, story cluster) stay.

:func:`reextract_batch` does one batch of stored records with their pages (in a worker process of
``scrapy reextract --processes N``, set up by :func:`start_worker`); a page whose extraction raises
is an outcome of its own (``failed``) with a one-line reason, never the end of the batch; so is a page
that takes longer than the extraction budget (a timer signal stops it) or kills its worker process
(:func:`each_page` and :func:`worker_died`, for :class:`crawler.parallel.Isolation`).
"""

from __future__ import annotations

import gc
import signal
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import FrameType
from typing import Any

from crawler.cleaning import clean
from crawler.extract.article import extract_article, warm_up
from crawler.items import article_item
from crawler.rules import RecordRules
from crawler.sites import SiteConfig, SiteConfigError, load_site
from crawler.storage.config import to_document
from crawler.storage.store import ArticleStore, page_text, with_revision
from crawler.validation import Invalid, validate
from crawler.validators import valid_etag, valid_last_modified

# Fields whose change makes a revision; the derived ones below are replaced along with them.
CONTENT_FIELDS = ("title", "lead", "paragraphs", "published", "modified", "authors", "section", "tags", "images",
                  "language", "script", "attribution", "translations")
DERIVED_FIELDS = ("body", "published_raw", "modified_raw", "language_declared", "sources", "content_hash",
                  "minhash", "lsh_bands", "schema_version")


@dataclass(frozen=True)
class Reextractor:
    """Re-extraction under the crawl's record rules (``RecordRules.from_settings``, as the pipelines read them)."""

    rules: RecordRules = field(default_factory=RecordRules)

    def fresh_document(self, old: dict[str, Any], html: str, site: SiteConfig,
                       now: datetime | None = None) -> dict[str, Any] | None:
        """The record the crawl would store today (``now``) for ``old``'s page; None when it would drop it."""
        fetched_at = _aware(old["fetched_at"])
        extraction = extract_article(html, old["url"], site, fetched_at, self.rules.limits)
        if extraction.not_html:  # the crawl skips such a page
            return None
        item = article_item(extraction, url=old["url"], urls=old.get("urls") or [old["url"]], site=old["site"],
                            edition=old.get("edition"), fetched_at=fetched_at, http_status=old.get("http_status"),
                            etag=valid_etag(old.get("etag")),
                            last_modified=valid_last_modified(old.get("last_modified")))  # junk stored before
        item, _ = clean(item, self.rules.limits)
        try:
            item, _ = validate(item, self.rules.validation, now or datetime.now(UTC))
        except Invalid:
            return None
        return to_document(item)[0]


FAILED = "failed (error, kept as stored)"


@dataclass(frozen=True)
class Outcome:
    """What re-extraction made of one stored record: ``kind`` (the summary's line), the fields that
    changed and the revised record to write (only when one did), or the error in one line."""

    kind: str
    changed: tuple[str, ...] = ()
    revised: dict[str, Any] | None = None
    error: str | None = None


class Sites(dict[str, SiteConfig | None]):
    """Site configs by name: the given ones, else the bundled one, else None."""

    def __init__(self, given: Iterable[SiteConfig]) -> None:
        super().__init__((site.name, site) for site in given)

    def __missing__(self, name: str) -> SiteConfig | None:
        try:
            self[name] = load_site(name)
        except SiteConfigError:
            self[name] = None
        return self[name]


Batch = tuple[list[dict[str, Any]], dict[str, bytes], datetime]  # records, their stored pages by ``_id``, now
_worker: tuple[Reextractor, Sites, float] | None = None  # this process's, set by start_worker


def start_worker(rules: RecordRules, configs: tuple[SiteConfig, ...], budget: float = 0.0) -> None:
    """Set this process up for :func:`reextract_batch`: the record rules, the site configs given and the
    seconds a page may take (``EXTRACTION_TIME_BUDGET_SECONDS``; 0: no budget)."""
    global _worker
    _worker = (Reextractor(rules), Sites(configs), budget)
    warm_up()  # as the crawl's extraction worker does: not within the first page's budget


class OverBudget(BaseException):
    """The page took longer than the extraction budget (raised by a timer signal in the extraction). A
    ``BaseException``: libraries that catch every ``Exception`` (trafilatura's fallbacks, dateparser) would
    otherwise swallow it and go on with a degraded result."""


@contextmanager
def _budget(seconds: float) -> Iterator[None]:
    """Raise OverBudget in this (main) thread after ``seconds`` of wall time: a runaway loop or regular
    expression (the ``re`` engine checks for signals) stops there instead of holding its worker for good."""
    if not seconds:
        yield
        return

    fired = False

    def over(signum: int, frame: FrameType | None) -> None:
        nonlocal fired
        fired = True
        raise OverBudget(f"over the {seconds:g} s extraction budget")

    previous = signal.signal(signal.SIGALRM, over)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        try:
            signal.setitimer(signal.ITIMER_REAL, 0)
        finally:
            signal.signal(signal.SIGALRM, previous)
    if fired:  # caught by a ``except BaseException`` somewhere inside: the result is not to be trusted
        raise OverBudget(f"over the {seconds:g} s extraction budget")


def reextract_batch(batch: Batch) -> list[Outcome]:
    """The outcome of each stored record of ``batch``: records, their stored (compressed) pages by ``_id``
    (``ArticleStore.stored_pages``), the time now."""
    assert _worker is not None, "start_worker() first"
    reextractor, sites, budget = _worker
    olds, pages, now = batch
    return [_outcome(reextractor, old, sites[old["site"]], pages.get(old["_id"]), now, budget) for old in olds]


def each_page(batch: Batch) -> list[Batch]:
    """``batch`` as batches of one record each (to find the page that kills a worker)."""
    olds, pages, now = batch
    return [([old], {old["_id"]: pages[old["_id"]]} if old["_id"] in pages else {}, now) for old in olds]


def joined(outcomes: list[list[Outcome]]) -> list[Outcome]:
    return [outcome for part in outcomes for outcome in part]


def batch_seconds(budget: float, batch: Batch) -> float | None:
    """The longest a worker may hold ``batch`` before it is killed: well over its pages' budgets (a timer
    stops each page at its budget), so only a call stuck in C code, which no signal stops, gets there."""
    return 2 * budget * len(batch[0]) + 30 if budget else None


def worker_died(batch: Batch, reason: str) -> list[Outcome]:
    """The outcome of records whose page killed the worker parsing it, twice (counted as failed, kept)."""
    return [Outcome(FAILED, error=f"{old.get('url', old['_id'])}: WorkerDied: {reason}") for old in batch[0]]


def _outcome(reextractor: Reextractor, old: dict[str, Any], site: SiteConfig | None, page: bytes | None,
             now: datetime, budget: float = 0.0) -> Outcome:
    if site is None or page is None:
        return Outcome("skipped (no site config)" if site is None else "skipped (no stored HTML)")
    failed: Outcome | None = None
    try:  # a damaged stored page, or a page the extractor cannot handle, must not cost the others
        with _budget(budget):
            new = reextractor.fresh_document(old, page_text(page), site, now)
    except (Exception, OverBudget) as exc:
        reason = " ".join(str(exc).split())[:300]
        failed = Outcome(FAILED, error=f"{old.get('url', old['_id'])}: {type(exc).__name__}: {reason}")
    if failed:
        # The abandoned page's tree sits in reference cycles of its traceback: free it now, not in the next
        # page's budget (a 10 MB tree collected there put the next page over a tight budget).
        gc.collect()
        return failed
    if new is None:
        return Outcome("dropped by validation, kept as stored")
    changed = changed_fields(new, old)
    if not changed:
        return Outcome("unchanged")
    return Outcome("changed", tuple(changed), revised(new, old, changed, now))


def records_as_reextracted(store: ArticleStore) -> list[dict[str, Any]]:
    """Every stored record by ``_id``, without its re-extraction times (they differ from run to run): what
    two re-extractions of one store must agree on."""
    docs = sorted(store.db["articles"].find({}), key=lambda d: d["_id"])
    for doc in docs:
        doc.pop("reextracted_at", None)
        for revision in doc.get("revisions") or []:
            revision.pop("reextracted_at", None)
    return docs


def changed_fields(new: dict[str, Any], old: dict[str, Any]) -> list[str]:
    return [name for name in CONTENT_FIELDS if _comparable(new.get(name)) != _comparable(old.get(name))]


def revised(new: dict[str, Any], old: dict[str, Any], changed: list[str], now: datetime) -> dict[str, Any]:
    """``old`` with the re-extracted fields, the change recorded in ``revisions``."""
    fresh = {name: new.get(name) for name in (*CONTENT_FIELDS, *DERIVED_FIELDS)}
    return {**old, **fresh, "reextracted_at": now,
            "revisions": with_revision(old, reextracted_at=now, changed=changed)}


def _aware(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _comparable(value: Any) -> Any:
    """Stores hand back dates with or without a zone and lists as lists: compare like with like."""
    if isinstance(value, datetime):
        return _aware(value).astimezone(UTC).replace(microsecond=value.microsecond // 1000 * 1000)
    if isinstance(value, (list, tuple)):
        return [_comparable(v) for v in value]
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items() if v is not None}
    return value
