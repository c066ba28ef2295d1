"""``scrapy reextract``: stored HTML extracted again after a parser fix, records revised only
where a field changed, against the real store server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.crawling import ROOT, MongoTarget, run_crawl, store_env
from tests.replica.server import serve
from tests.replicas import REPLICAS, expected_articles


def reextract(mongo: MongoTarget, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **mongo.env()}
    return subprocess.run([sys.executable, "-m", "scrapy", "reextract", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def test_reextraction_repairs_what_an_older_parser_got_wrong(tmp_path: Path, mongo: MongoTarget) -> None:
    with serve(REPLICAS / "asiaplus") as server:
        crawl = run_crawl("asiaplus", f"base_url=http://127.0.0.1:{server.server_port}", env=mongo.env())
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    expected = expected_articles("asiaplus")
    broken = sorted(expected)[:2]  # what a buggy parser had stored for two articles
    for url in broken:
        mongo.db.articles.update_one({"url": url}, {"$set": {"title": "Share post:", "authors": []}})

    dry = reextract(mongo, "--dry-run")
    assert dry.returncode == 0, dry.stderr[-3000:]
    assert "changed: 2" in dry.stdout and "fields changed: " in dry.stdout, dry.stdout
    assert mongo.db.articles.count_documents({"title": "Share post:"}) == 2  # a dry run writes nothing

    result = reextract(mongo)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"unchanged: {len(expected) - 2}" in result.stdout, result.stdout
    for url in broken:
        doc = mongo.db.articles.find_one({"url": url})
        assert doc["title"] == expected[url]["title"]
        assert doc["authors"] == expected[url]["authors"]
        assert doc["first_seen"] and doc["urls"]  # identity and history kept
        assert len(doc["revisions"]) == 1 and "title" in doc["revisions"][0]["changed"]
        assert doc["revisions"][0]["title"] == "Share post:"  # the earlier text, as a crawl's revision keeps it
    untouched = mongo.db.articles.find_one({"url": sorted(expected)[-1]})
    assert not untouched.get("revisions")

    again = reextract(mongo)  # idempotent: nothing left to change
    assert f"unchanged: {len(expected)}" in again.stdout, again.stdout
    assert mongo.db.articles.count_documents({}) == len(expected)


@pytest.mark.e2e  # a scrapy command waiting out its storage timeout
def test_reextract_with_unreachable_store_fails_cleanly(tmp_path: Path) -> None:
    env = {**os.environ, **store_env("mongodb://reader:s3cret@127.0.0.1:9/"), "STORAGE_TIMEOUT_SECONDS": "1"}
    result = subprocess.run([sys.executable, "-m", "scrapy", "reextract"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 1
    assert "s3cret" not in result.stderr + result.stdout and "unreachable" in result.stderr
