"""Storage pipeline: each well-formed article (or 304/404 check) to the crawl's buffered
:class:`crawler.storage.writer.ArticleWriter`, over the one store of :class:`crawler.storage.component.Storage`.

Items that are not well-formed articles are dropped before they are buffered. An unreachable
store or an unwritable ``DATA_DIR`` stops the crawl before it fetches anything (reason
``storage_unavailable``). It opens once the crawl knows whether it holds its site (the site
lock's lease, ``crawler.extensions.site_lock``): a run skipped because another run holds the site
writes nothing and replays no spool (that run is writing, and the spool is not ours).

Settings: ``STORAGE_ENABLED`` and the writer's (see ``crawler.storage.writer``).
Stats: ``storage/dropped/malformed``, ``storage/unavailable`` and the writer's
(``crawler.storage.writer``, ``crawler.storage.batches``, ``crawler.storage.replay``).
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DropItem, NotConfigured
from scrapy.statscollectors import StatsCollector

from crawler.extensions.site_lock import settled
from crawler.extract.cleanup import content_hash
from crawler.health import skipped
from crawler.items import ArticleItem, shape_problem
from crawler.run_record import current_run
from crawler.stopping import crawl_stopping
from crawler.storage.component import Storage
from crawler.storage.store import StoreUnavailable
from crawler.storage.writer import ArticleWriter

logger = logging.getLogger(__name__)


def with_hash(item: ArticleItem) -> ArticleItem:
    """``item`` with the body and content hash the cleaning pipeline would have set."""
    body = item.body or "\n\n".join(item.paragraphs)
    return dataclasses.replace(item, body=body, content_hash=content_hash(item.title or "", body))


class StoragePipeline:
    def __init__(self, writer: ArticleWriter, stats: StatsCollector, crawler: Crawler) -> None:
        self.writer = writer
        self.stats = stats
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoragePipeline:
        storage = Storage.of(crawler)
        if storage is None:
            raise NotConfigured
        assert crawler.stats is not None
        writer = ArticleWriter(storage, crawler.stats, current_run(crawler).id, lambda: crawl_stopping(crawler))
        return cls(writer, crawler.stats, crawler)

    async def open_spider(self) -> None:
        await settled(self.crawler)  # the site's lease is taken (or refused) before any spool is replayed
        if skipped(self.stats.get_stats()):  # another run holds the site: nothing to write, its spool is not ours
            return
        try:
            await self.writer.open()
        except StoreUnavailable as exc:
            logger.error("%(error)s; not starting the crawl", {"error": exc})
            self.stats.set_value("storage/unavailable", 1)
            raise CloseSpider("storage_unavailable") from None

    async def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem) and not item.content_hash:
            item = with_hash(item)  # CLEANING_ENABLED=0: the record still needs its text's identity
        malformed = shape_problem(item)  # pipelines before this one may be reordered or switched off
        if malformed:
            self.stats.inc_value("storage/dropped/malformed")
            raise DropItem(f"not stored, malformed item: {malformed}")
        await self.writer.add(item)
        return item

    async def close_spider(self) -> None:
        await self.writer.close()  # nothing to do when it was not opened (a skipped or refused run)
