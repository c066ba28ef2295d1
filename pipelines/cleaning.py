"""Cleaning pipeline: normalises text and strips boilerplate left in a body.

Every text field is NFC-normalised with invisible characters and odd spaces
removed. Body paragraphs that are UI strings (share prompts, block titles,
comment-form labels, ad placeholders) or "Read also:" pointers are removed;
photo-credit lines move into the image record. Sets ``body``,
``content_hash``, the near-duplicate ``minhash``/``lsh_bands`` and the
``attribution`` a syndicated copy names.

Settings: ``CLEANING_ENABLED``, ``CLEANING_MAX_TITLE_CHARS``.
Stats: ``cleaning/removed/ui``, ``cleaning/removed/cross_link``,
``cleaning/removed/duplicate``, ``cleaning/credit_moved``, ``cleaning/title_truncated``.
"""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector

from crawler.extract.cleanup import attribution, clean_paragraphs, content_hash
from crawler.items import ArticleItem, shape_problem
from crawler.minhash import bands, signature
from crawler.text import normalize_optional, normalize_text

_TEXT_FIELDS = ("title", "lead", "section", "published_raw", "modified_raw")


class CleaningPipeline:
    def __init__(self, stats: StatsCollector, max_title_chars: int) -> None:
        self.stats = stats
        self.max_title_chars = max_title_chars

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CleaningPipeline:
        if not crawler.settings.getbool("CLEANING_ENABLED", True):
            raise NotConfigured
        assert crawler.stats is not None
        return cls(crawler.stats, crawler.settings.getint("CLEANING_MAX_TITLE_CHARS", 500))

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem) or shape_problem(item, need_hash=False):
            return item  # ArticleChecked has nothing to clean; a malformed item is validation's to drop
        adapter = ItemAdapter(item)
        for name in _TEXT_FIELDS:
            adapter[name] = normalize_optional(adapter.get(name))
        title = adapter.get("title") or ""
        if len(title) > self.max_title_chars:
            adapter["title"] = title[: self.max_title_chars].rstrip() + "…"
            self.stats.inc_value("cleaning/title_truncated")
        for name in ("authors", "tags"):
            adapter[name] = list(dict.fromkeys(filter(None, map(normalize_text, adapter.get(name) or []))))
        images = [self._clean_image(i) for i in adapter.get("images") or []]
        paragraphs, counts = clean_paragraphs(adapter.get("paragraphs") or [], images)
        for reason, n in counts.items():
            self.stats.inc_value(f"cleaning/{reason}", n)
        adapter["paragraphs"], adapter["images"] = paragraphs, images
        adapter["body"] = "\n\n".join(paragraphs)
        adapter["content_hash"] = content_hash(adapter.get("title") or "", adapter["body"])
        adapter["minhash"] = signature(adapter["body"])
        adapter["lsh_bands"] = bands(adapter["minhash"])
        adapter["attribution"] = attribution(paragraphs)
        return item

    @staticmethod
    def _clean_image(image: dict[str, Any]) -> dict[str, Any]:
        return {k: normalize_optional(v) if isinstance(v, str) else v for k, v in image.items()}
