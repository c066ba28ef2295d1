"""Cleaning pipeline: normalises text and strips boilerplate left in a body.

Every text field is NFC-normalised with invisible characters and odd spaces
removed. Body paragraphs that are UI strings (share prompts, block titles,
comment-form labels, ad placeholders) or "Read also:" pointers are removed;
photo-credit lines move into the image record. Sets ``body`` and
``content_hash``.

Settings: ``CLEANING_ENABLED``, ``CLEANING_MAX_TITLE_CHARS``.
Stats: ``cleaning/removed/ui``, ``cleaning/removed/cross_link``,
``cleaning/removed/duplicate``, ``cleaning/credit_moved``, ``cleaning/title_truncated``.
"""

from __future__ import annotations

import hashlib
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector

from crawler.boilerplate import credit_line, is_cross_link, is_ui_line
from crawler.text import normalize_optional, normalize_text

_TEXT_FIELDS = ("title", "lead", "section", "published_raw", "modified_raw")


def content_hash(title: str, body: str) -> str:
    """SHA-256 of what readers see: the title and the body text."""
    return hashlib.sha256(f"{title}\n{body}".encode()).hexdigest()


def attach_credit(images: list[dict[str, Any]], caption: str | None, credit: str, position: int) -> bool:
    """Give ``credit`` to the nearest image before paragraph ``position`` that has none
    (else to any image without one); False when there is none."""
    before = [i for i in images if i.get("_position", 0) <= position]
    for image in [*reversed(before), *reversed(images)]:
        if not image.get("credit"):
            image["credit"] = credit
            if caption and not image.get("caption"):
                image["caption"] = caption
            return True
    return False


def clean_paragraphs(paragraphs: list[str], images: list[dict[str, Any]]) -> tuple[list[str], dict[str, int]]:
    """Drop boilerplate paragraphs and move credit lines into ``images``; returns (kept, counts)."""
    kept: list[str] = []
    counts: dict[str, int] = {}
    for position, paragraph in enumerate(normalize_text(p) for p in paragraphs):
        reason = None
        if not paragraph:
            continue
        if is_ui_line(paragraph):
            reason = "removed/ui"
        elif is_cross_link(paragraph):
            reason = "removed/cross_link"
        elif kept and paragraph == kept[-1]:
            reason = "removed/duplicate"
        elif (credit := credit_line(paragraph)) is not None:
            attach_credit(images, *credit, position)
            reason = "credit_moved"
        if reason:
            counts[reason] = counts.get(reason, 0) + 1
        else:
            kept.append(paragraph)
    for image in images:
        image.pop("_position", None)
    return kept, counts


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
        return item

    @staticmethod
    def _clean_image(image: dict[str, Any]) -> dict[str, Any]:
        return {k: normalize_optional(v) if isinstance(v, str) else v for k, v in image.items()}
