"""Scrapy's feed exports (``scrapy crawl SITE -o FILE``), through the real command on a replica: records
shaped as ``scrapy export`` writes them (ISO 8601 dates with a ``T``, no page HTML or dedup signature, flat
CSV cells), and ``FEED_EXPORT_FIELDS`` may still ask for the page."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from crawler.bench.replica_server import serve
from crawler.sanitize import inert_html
from tests.crawling import FAST
from tests.replicas import REPLICAS
from tests.test_mistakes import scrapy

pytestmark = pytest.mark.e2e


def crawl(tmp_path: Path, *args: str) -> None:
    settings = [item for setting in [*FAST, "BROWSER_ENABLED=0"] for item in ("-s", setting)]
    with serve(REPLICAS / "asiaplus") as server:
        result = scrapy("crawl", "asiaplus", "-a", "limit=2", "-a", "sources=feeds",
                        "-a", f"base_url=http://127.0.0.1:{server.server_port}", *settings, *args,
                        data_dir=tmp_path / "data")
    assert result.returncode == 0, result.stderr[-3000:]


def test_feed_exports_write_the_exported_record(tmp_path: Path) -> None:
    crawl(tmp_path, "-o", str(tmp_path / "items.jsonl"), "-o", str(tmp_path / "items.csv"))
    records = [json.loads(line) for line in (tmp_path / "items.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(records) == 2
    for record in records:
        assert not {"raw_html", "html", "minhash", "lsh_bands"} & set(record)
        assert record["title"] and record["body"] and record["url"].startswith("https://")
        assert "T" in record["published"] and record["published"].endswith("+00:00")
        assert "T" in record["fetched_at"]
    with (tmp_path / "items.csv").open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert [row["url"] for row in rows] == [record["url"] for record in records]
    for row in rows:
        assert "html" not in row and "raw_html" not in row
        assert not row["authors"].startswith("[") and not row["images"].startswith("[")  # joined, not a repr
        assert "T" in row["published"]


@pytest.mark.parametrize("storage", ["1", "0"])
def test_feed_export_fields_may_ask_for_the_page(tmp_path: Path, storage: str) -> None:
    """The page as the store keeps it (made inert), whether extraction made it so (pages stored) or not."""
    crawl(tmp_path, "-O", str(tmp_path / "pages.jsonl"), "-s", "FEED_EXPORT_FIELDS=url,published,html",
          "-s", f"STORAGE_ENABLED={storage}")
    records = [json.loads(line) for line in (tmp_path / "pages.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(records) == 2
    assert all(list(record) == ["url", "published", "html"] for record in records)
    assert all("<html" in record["html"].lower() and "T" in record["published"] for record in records)
    assert all(inert_html(record["html"]) == record["html"] for record in records)
    scripts = {tag for record in records for tag in re.findall(r"<script[^>]*>", record["html"])}
    assert scripts <= {'<script type="application/ld+json">'}  # JSON-LD only: data, not code
