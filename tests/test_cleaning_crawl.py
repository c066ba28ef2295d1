"""End to end: paragraphs are cleaned in one place, the cleaning step, so a real ``scrapy crawl``
counts in its stats what it took out of a page's body, and stores the body clean."""

from __future__ import annotations

from crawler.bench.replica_server import serve
from tests.conftest import MongoTarget, run_crawl
from tests.replicas import REPLICAS

METRO = "https://www.gazeta.uz/ru/2025/03/14/metro/"
# On the replica's metro page, below the body's second photo (the only paragraph-level boilerplate of the site):
CREDIT_LINE, CROSS_LINK = "Фото: Мария Агапова / Gazeta.uz", "Читайте также:"


def test_cleaning_stats_count_what_a_real_crawl_removed(mongo: MongoTarget) -> None:
    with serve(REPLICAS / "gazeta") as server:
        result = run_crawl("gazeta", f"base_url=http://127.0.0.1:{server.server_port}",
                           env={"MONGO_URI": mongo.uri, "MONGO_DATABASE": mongo.database})
    assert result.returncode == 0, result.stderr[-3000:]
    stats = mongo.db.crawl_runs.find_one()["stats"]
    assert stats.get("cleaning/removed/cross_link") == 1, stats
    assert stats.get("cleaning/credit_moved") == 1, stats
    doc = mongo.db.articles.find_one({"url": METRO})
    assert CREDIT_LINE not in doc["body"] and CROSS_LINK not in doc["body"]
    assert not any(CREDIT_LINE in p or CROSS_LINK in p for p in doc["paragraphs"])
    # The credit went to the photo it was printed under, not to the featured image above the text.
    assert [image["credit"] for image in doc["images"]] == ["Gazeta.uz", "Мария Агапова / Gazeta.uz"]
    assert all(set(image) == {"url", "caption", "credit"} for image in doc["images"])
