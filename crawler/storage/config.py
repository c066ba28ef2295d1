"""Storage settings and the stored shape of an item: what every user of the store shares
(the crawl's storage component and its writer, the store commands, re-extraction).

Settings: ``MONGO_URI``, ``MONGO_DATABASE``, ``DATA_DIR``, ``STORAGE_BATCH_SIZE``, ``STORAGE_BATCH_MAX_MB``,
``STORAGE_FLUSH_SECONDS``, ``STORAGE_TIMEOUT_SECONDS``, ``STORAGE_RETRIES``,
``STORAGE_KEEP_RAW_HTML``, ``STORAGE_FALLBACK_DIR``, ``STORAGE_SHRINK_RATIO``,
``STORAGE_SHRINK_MIN_CHARS``.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter
from scrapy.settings import BaseSettings
from scrapy.utils.conf import closest_scrapy_cfg

from crawler.storage.store import ShrinkGuard, StoreTarget
from crawler.urls import url_id

if TYPE_CHECKING:
    from crawler.sanitize import InertUtf8  # the page as the extraction worker sent it (crawler.spiders.base)


@dataclass(frozen=True)
class StorageConfig:
    target: StoreTarget
    batch_size: int = 100
    flush_seconds: float = 5.0
    retries: int = 5
    keep_raw_html: bool = True
    fallback_dir: str = os.path.join(tempfile.gettempdir(), "news-crawler-unsaved")
    shrink: ShrinkGuard = field(default_factory=ShrinkGuard)
    # A batch is also written once its pages' text reaches this many MB (million characters):
    # 100 pages of 200 KB, each held as the item's HTML and body, were most of a crawl's memory.
    batch_max_mb: float = 8.0

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> StorageConfig:
        timeout = settings.getfloat("STORAGE_TIMEOUT_SECONDS", 10.0)
        batch_size = settings.getint("STORAGE_BATCH_SIZE", 100)
        batch_max_mb = settings.getfloat("STORAGE_BATCH_MAX_MB", cls.batch_max_mb)
        if batch_size < 1 or timeout <= 0 or batch_max_mb <= 0:
            raise ValueError("STORAGE_BATCH_SIZE must be >= 1, STORAGE_BATCH_MAX_MB and STORAGE_TIMEOUT_SECONDS > 0")
        target = StoreTarget(
            uri=settings.get("MONGO_URI") or "",
            database=settings.get("MONGO_DATABASE") or "news",
            data_dir=data_dir(settings),
            timeout=timeout,
        )
        shrink = ShrinkGuard(settings.getfloat("STORAGE_SHRINK_RATIO", 0.5),
                             settings.getint("STORAGE_SHRINK_MIN_CHARS", 500))
        if not 0 <= shrink.min_ratio <= 1 or shrink.min_chars < 0:
            raise ValueError("STORAGE_SHRINK_RATIO must be within 0..1 and STORAGE_SHRINK_MIN_CHARS >= 0")
        return cls(target, batch_size, settings.getfloat("STORAGE_FLUSH_SECONDS", 5.0),
                   settings.getint("STORAGE_RETRIES", 5), settings.getbool("STORAGE_KEEP_RAW_HTML", True),
                   settings.get("STORAGE_FALLBACK_DIR") or cls.fallback_dir, shrink, batch_max_mb)

    @property
    def unsaved_dir(self) -> Path:
        return Path(self.target.data_dir) / "unsaved"

    @property
    def quarantine_dir(self) -> Path:
        return Path(self.target.data_dir) / "quarantine"


def data_dir(settings: BaseSettings) -> str:
    """``DATA_DIR``; a relative one is under the project (the directory of the ``scrapy.cfg`` Scrapy
    found), so ``cd crawler && scrapy articles`` opens the same store as the crawls, not a new empty one.
    Without a scrapy.cfg (a Scrapyd job runs an egg) it stays relative to the current directory."""
    path = Path(settings.get("DATA_DIR") or "data").expanduser()
    project = closest_scrapy_cfg()
    return str(path if path.is_absolute() or not project else Path(project).parent / path)


def to_document(item: Any) -> tuple[dict[str, Any], str | InertUtf8 | None]:
    """The stored record of an item, and its raw HTML kept apart."""
    if dataclasses.is_dataclass(item):  # a shallow copy: asdict() would deep-copy every paragraph
        data = {f.name: getattr(item, f.name) for f in dataclasses.fields(item)}
    else:
        data = ItemAdapter(item).asdict()
    raw_html = data.pop("raw_html", None)
    return {"_id": url_id(data["url"]), **data}, raw_html
