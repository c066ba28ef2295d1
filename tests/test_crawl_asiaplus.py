"""End to end: the real ``scrapy crawl asiaplus`` against the replica site on
loopback, into nx-27017 (or ``MONGO_URI``) and into the embedded store."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.crawling import ROOT, MongoTarget, StoreCrawl, run_crawl, store_env
from tests.replicas import REPLICAS, expected_articles

pytestmark = pytest.mark.e2e
ARTICLES = expected_articles("asiaplus")
ASIAPLUS = REPLICAS / "asiaplus"


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def test_seed_article_has_exactly_its_eight_paragraphs(mongo: MongoTarget, crawl_into_store: StoreCrawl) -> None:
    assert crawl_into_store("asiaplus", replica=ASIAPLUS).returncode == 0
    doc = mongo.db.articles.find_one({"title": {"$regex": "^Tajik officials meet with CSTO SG"}})
    assert len(doc["paragraphs"]) == 8
    for junk in ("ОСТАВЬТЕ", "комментарий", "Share post", "spot_img", "Popular", "More like this",
                 "Related", "Date:", "Photo / Tajik MFA", "Taliban foreign minister", "\u00a0", "\u00ad"):
        assert junk not in doc["body"], junk
    assert {"url": "https://asiaplus.news/wp-content/uploads/2022/10/mid-csto.jpg",
            "caption": None, "credit": "Tajik MFA"} in doc["images"]
    assert iso(doc["published"]) == "2022-10-19T09:25:00+00:00"
    assert doc["published_raw"]


def test_limit_and_since(mongo: MongoTarget, crawl_into_store: StoreCrawl) -> None:
    result = crawl_into_store("asiaplus", "since=2025-01-01", replica=ASIAPLUS)
    assert result.returncode == 0, result.stderr[-3000:]
    stored = {doc["url"] for doc in mongo.db.articles.find()}
    recent = {url for url, fields in ARTICLES.items() if fields["published"] >= "2025-01-01"}
    assert stored == recent and len(recent) < len(ARTICLES), result.stderr[-5000:]
    mongo.db.articles.delete_many({})
    result = crawl_into_store("asiaplus", "limit=1", replica=ASIAPLUS)
    assert result.returncode == 0, result.stderr[-3000:]
    assert mongo.db.articles.count_documents({}) == 1, result.stderr[-5000:]


def test_unreachable_mongo_fails_fast_with_one_masked_line(asiaplus_replica: tuple[str, list[str]]) -> None:
    base_url, requests = asiaplus_replica
    uri = f"mongodb://crawler:hunter2@127.0.0.1:{free_port()}/news"
    result = run_crawl("asiaplus", f"base_url={base_url}", env=store_env(uri),
                       settings=["STORAGE_TIMEOUT_SECONDS=1"])
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert "hunter2" not in output
    lines = [line for line in output.splitlines() if "is unreachable" in line]
    assert len(lines) == 1 and "mongodb://crawler:***@127.0.0.1" in lines[0]
    assert not [path for path in requests if path != "/robots.txt"]


def test_bad_spider_argument_fails_with_a_clear_message(tmp_path: Path) -> None:
    result = run_crawl("asiaplus", "since=last-week", env=store_env(data_dir=tmp_path))
    assert result.returncode != 0
    assert "since must be a date as YYYY-MM-DD" in result.stderr


def test_embedded_default_store_and_articles_command(
    tmp_path: Path, asiaplus_replica: tuple[str, list[str]]
) -> None:
    base_url, _ = asiaplus_replica
    result = run_crawl("asiaplus", f"base_url={base_url}", env=store_env(data_dir=tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "news.db").is_file()
    listing = subprocess.run([sys.executable, "-m", "scrapy", "articles", "--json"], cwd=ROOT, text=True,
                             capture_output=True, env={"DATA_DIR": str(tmp_path), "PATH": ""}, check=True)
    records = [json.loads(line) for line in listing.stdout.splitlines()]
    assert {r["url"] for r in records} == set(ARTICLES)
    summary = subprocess.run([sys.executable, "-m", "scrapy", "articles"], cwd=ROOT, text=True,
                             capture_output=True, env={"DATA_DIR": str(tmp_path), "PATH": ""}, check=True)
    assert summary.stdout.startswith(f"{len(ARTICLES)} articles in embedded store")
    assert "ok (finished)" in summary.stdout
