"""A replica of hostile pages and servers crawled end to end by the real ``scrapy crawl``:
the crawl finishes, the good articles are stored, each bad case is counted under its own
stats key, and nothing leaves the site."""

from __future__ import annotations

import gzip
from typing import Any

import pytest

from tests.crawling import StoreCrawl, fresh_database
from tests.hostile_site import CASES, DOMAIN, MAX_SIZE, PARAGRAPHS, STORED, TITLE_LIMIT, build, outside_origin


@pytest.fixture(scope="module")
def hostile_crawl(tmp_path_factory: pytest.TempPathFactory, mongo_uri: str) -> Any:
    root = tmp_path_factory.mktemp("hostile") / "site"
    outside = tmp_path_factory.mktemp("outside")
    with fresh_database(mongo_uri) as target:
        with outside_origin(outside, "good", "<html><body>elsewhere</body></html>") as elsewhere:
            config = build(root, f"http://127.0.0.1:{elsewhere.server_port}")
            result = StoreCrawl(target, tmp_path_factory.mktemp("crawls"))(
                "news", f"config={config}", replica=root,
                settings=[f"DOWNLOAD_MAXSIZE={MAX_SIZE}", f"CLEANING_MAX_TITLE_CHARS={TITLE_LIMIT}",
                          "RETRY_TIMES=1", "ROBOTSTXT_OBEY=0"])
            outside_requests = list(elsewhere.requests)  # type: ignore[attr-defined]
        yield result, target.db, outside_requests


def test_the_crawl_finishes_and_stores_every_good_article(hostile_crawl: Any) -> None:
    result, db, _ = hostile_crawl
    assert "Traceback" not in result.stderr, result.stderr[-5000:]
    assert result.returncode in (0, 3), result.stderr[-3000:]  # finished; a run this broken may be degraded
    stored = {doc["url"].rstrip("/").rsplit("/", 1)[1]: doc for doc in db.articles.find()}
    assert set(stored) == {slug for slug, outcome in CASES.items() if outcome == STORED}
    for slug, doc in stored.items():
        assert "Рогунской ГЭС" in doc["paragraphs"][0], slug
        assert doc["title"].startswith(("Совещание по энергетике", "Очень длинный заголовок")), slug


@pytest.mark.parametrize("slug", sorted(slug for slug, outcome in CASES.items() if outcome != STORED))
def test_each_bad_case_is_counted_under_its_own_key(hostile_crawl: Any, slug: str) -> None:
    _, db, _ = hostile_crawl
    stats = db.crawl_runs.find_one()["stats"]
    assert stats.get(CASES[slug]) == list(CASES.values()).count(CASES[slug]), \
        {k: v for k, v in stats.items() if "/" in k and ("failed" in k or "skipped" in k)}


def test_no_page_is_an_extraction_error(hostile_crawl: Any) -> None:
    """JSON, a PDF, a feed and plain text at articles' URLs are counted as no articles, not as failures."""
    _, db, _ = hostile_crawl
    stats = db.crawl_runs.find_one()["stats"]
    assert not [key for key in stats if key.startswith("articles/errors/")]


def test_repairs_are_counted(hostile_crawl: Any) -> None:
    _, db, _ = hostile_crawl
    stats = db.crawl_runs.find_one()["stats"]
    # windows-1251 and KOI8-R behind a UTF-8 header; one with no meta, one whose meta names no text encoding; UTF-8
    # behind a windows-1251 header and meta, and behind such a meta alone
    assert stats["articles/charset_fixed"] == 6
    assert stats["download/charset_unusable"] == 3  # the header's zlib and idna, the meta's base64
    assert stats["articles/truncated_html"] == 1
    assert stats["validation/cleared/published/future"] == 1
    assert stats["cleaning/truncated/title"] == 1
    assert stats["retry_after/waited"] == 2  # 429 and 503, each once


def test_repaired_records(hostile_crawl: Any) -> None:
    _, db, _ = hostile_crawl
    by_slug = {doc["url"].rstrip("/").rsplit("/", 1)[1]: doc for doc in db.articles.find()}
    assert by_slug["charset-1251"]["title"] == "Совещание по энергетике: charset-1251"
    assert by_slug["charset-koi8"]["title"] == "Совещание по энергетике: charset-koi8"
    assert by_slug["charset-detected"]["title"] == "Совещание по энергетике: charset-detected"
    assert by_slug["utf8-bom"]["title"] == "Совещание по энергетике: utf8-bom"
    for slug in ("utf8-under-1251", "utf8-meta-1251"):
        assert by_slug[slug]["title"] == f"Совещание по энергетике: {slug}"
        assert by_slug[slug]["paragraphs"][:len(PARAGRAPHS)] == by_slug["good"]["paragraphs"], slug
    assert by_slug["utf8-under-1251"]["paragraphs"][-1] == "ИНН " * 24 + "ИНН"
    for slug in ("charset-zlib", "meta-base64", "charset-idna", "meta-undefined-1251"):  # charsets decoding no text
        assert by_slug[slug]["title"] == f"Совещание по энергетике: {slug}"
        assert by_slug[slug]["paragraphs"] == by_slug["good"]["paragraphs"], slug
    assert by_slug["absurd-date"].get("published") is None
    assert len(by_slug["giant-title"]["title"]) <= TITLE_LIMIT + 1
    for slug in ("xhtml", "html-as-text"):  # read as the page they are, whatever their prologue or type says
        assert by_slug[slug]["paragraphs"] == by_slug["good"]["paragraphs"], slug
        assert by_slug[slug]["published"] == by_slug["good"]["published"], slug
        page = db.pages.find_one({"url": f"https://{DOMAIN}/news/{slug}/"})
        assert "Рогунской ГЭС" in gzip.decompress(bytes(page["html_gz"])).decode(), slug


def test_stored_html_is_inert(hostile_crawl: Any) -> None:
    _, db, _ = hostile_crawl
    page = db.pages.find_one({"url": f"https://{DOMAIN}/news/active-content/"})
    html = gzip.decompress(bytes(page["html_gz"])).decode()
    assert "Рогунской ГЭС" in html
    for active in ("<script>document", "<iframe", "onerror", "javascript:", "evil.example"):
        assert active not in html


def test_nothing_leaves_the_site(hostile_crawl: Any) -> None:
    _, db, outside_requests = hostile_crawl
    assert outside_requests == []
    assert db.crawl_runs.find_one()["stats"]["egress/refused/offsite"] == 1
