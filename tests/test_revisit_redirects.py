"""A revisit of a stored article whose URL now redirects: the real ``scrapy crawl`` of an asiaplus replica on
loopback, twice, into nx-27017. Removed (redirected to the home page or a section: marked gone, with the reason),
moved (redirected to another article URL of the site: the one record says where it lives now, no second record),
or sent to another host (recorded as gone off the site, never followed)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from crawler.bench.replica_server import serve
from tests.crawling import MongoTarget, run_crawl
from tests.replicas import REPLICAS, expected_articles

URL = next(u for u in expected_articles("asiaplus") if "csto" in u)
PATH = urlsplit(URL).path
NEW_PATH = PATH.replace("/2022/10/19/", "/2022/10/21/").replace("-border/", "-border-updated/")
NEW_URL = f"https://asiaplus.news{NEW_PATH}"


def redirect(replica: Path, target: str, status: int = 301) -> None:
    """The replica answers the article's old path with a redirect to ``target`` (its page taken away)."""
    (replica / "_server.json").write_text(json.dumps({"redirects": {PATH: {"to": target, "status": status}}}))
    shutil.rmtree(replica / PATH.strip("/"))


def move(replica: Path, edit: str = "", relink: bool = True) -> None:
    """The outlet moves the article to ``NEW_PATH`` (with ``relink``, its canonical link too), adding ``edit`` to
    its body."""
    old, new = replica / PATH.strip("/"), replica / NEW_PATH.strip("/")
    new.mkdir(parents=True)
    html = (old / "index.html").read_text()
    html = html.replace(PATH, NEW_PATH) if relink else html
    if edit:
        html = html.replace("</figure>", f"</figure><p>{edit}</p>", 1)
    (new / "index.html").write_text(html)
    redirect(replica, NEW_PATH)


def revisit(mongo: MongoTarget, tmp_path: Path, change: Callable[[Path], None],
            between: Callable[[Path], None] | None = None,
            before: Callable[[Path], None] | None = None) -> tuple[dict[str, Any], list[str]]:
    """Crawl the replica (as ``before`` changes it), (``between``: change it and crawl again before the article is
    due,) make the article due for a revisit, ``change`` the replica, crawl again; returns the article's record
    before the last crawl and the paths the replica served in it."""
    replica = tmp_path / "asiaplus"
    shutil.copytree(REPLICAS / "asiaplus", replica)
    if before is not None:
        before(replica)
    env = mongo.env()
    with serve(replica) as server:
        base = f"base_url=http://127.0.0.1:{server.server_port}"
        assert run_crawl("asiaplus", base, env=env).returncode == 0
        if between is not None:
            between(replica)
            assert run_crawl("asiaplus", base, env=env).returncode == 0
        doc = mongo.db.articles.find_one({"url": URL})
        doc["last_checked"] = doc["published"] + timedelta(minutes=30)
        mongo.db.articles.replace_one({"_id": doc["_id"]}, doc)
        change(replica)
        served = len(server.requests)
        last = run_crawl("asiaplus", base, env=env, settings=["REVISIT_SCHEDULE=1h"])
        assert last.returncode == 0, last.stderr[-3000:]
        paths = [urlsplit(p).path for p in server.requests[served:]]
    return doc, paths


def last_run_stats(mongo: MongoTarget) -> dict[str, Any]:
    return mongo.db.crawl_runs.find_one(sort=[("started_at", -1)])["stats"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("target", ["/en/", "/en/category/politics/"])
def test_revisit_redirected_to_a_page_that_is_no_article_marks_it_gone(
    mongo: MongoTarget, tmp_path: Path, target: str
) -> None:
    doc, paths = revisit(mongo, tmp_path, lambda replica: redirect(replica, target))
    assert PATH in paths
    after = mongo.db.articles.find_one({"_id": doc["_id"]})
    assert after["gone_at"] > doc["last_checked"] and after["gone_reason"] == "redirected"
    assert after["redirected_to"] == f"https://asiaplus.news{target}"  # the real URL, not the mirror's
    assert after["body"] == doc["body"] and after["url"] == URL  # kept, marked
    assert after["last_checked"] == after["gone_at"]
    stats = last_run_stats(mongo)
    assert stats["articles/gone"] == stats["articles/gone/redirected"] == 1
    assert "articles/skipped/redirected" not in stats


def test_revisit_of_a_removed_article_records_the_status_as_the_reason(mongo: MongoTarget, tmp_path: Path) -> None:
    doc, _ = revisit(mongo, tmp_path, lambda replica: shutil.rmtree(replica / PATH.strip("/")))
    after = mongo.db.articles.find_one({"_id": doc["_id"]})
    assert after["gone_reason"] == "http_404" and "redirected_to" not in after
    assert last_run_stats(mongo)["articles/gone/http_404"] == 1


@pytest.mark.parametrize("host", ["https://example.org/world/some-story/", "http://127.0.0.2:9/en/"])
def test_revisit_redirected_to_another_host_is_recorded_and_not_followed(
    mongo: MongoTarget, tmp_path: Path, host: str
) -> None:
    doc, paths = revisit(mongo, tmp_path, lambda replica: redirect(replica, host))
    assert PATH in paths
    after = mongo.db.articles.find_one({"_id": doc["_id"]})
    assert after["gone_at"] > doc["last_checked"] and after["gone_reason"] == "redirected_offsite"
    assert after["redirected_to"] == host and after["body"] == doc["body"]
    stats = last_run_stats(mongo)
    assert stats["articles/gone"] == stats["articles/gone/redirected_offsite"] == 1
    assert not {"download/failed/egress_refused", "download/failed/ignored"} & set(stats)  # an answer, not a fault


def moved_story(mongo: MongoTarget) -> list[dict[str, Any]]:
    """Every record holding the story's old or new URL."""
    return list(mongo.db.articles.find({"urls": {"$in": [URL, NEW_URL]}}))


def test_revisit_moved_to_another_article_url_keeps_one_record_saying_where(mongo: MongoTarget, tmp_path: Path) -> None:
    doc, paths = revisit(mongo, tmp_path, move)
    assert PATH in paths and NEW_PATH in paths
    (after,) = moved_story(mongo)
    assert after["_id"] == doc["_id"] and after["url"] == URL  # the record's identity does not move
    assert after["moved_to"] == NEW_URL and after["moved_at"] > doc["last_checked"]
    assert NEW_URL in after["urls"] and URL in after["urls"]
    assert "gone_at" not in after and after["content_hash"] == doc["content_hash"] and not after.get("revisions")
    assert mongo.db.articles.count_documents({}) == len(expected_articles("asiaplus"))
    assert last_run_stats(mongo)["articles/moved"] == 1


def test_revisit_moved_byte_for_byte_is_no_304(mongo: MongoTarget, tmp_path: Path) -> None:
    """The page moved as it was (its canonical link still the old URL): the replica's ETag, like many servers',
    is the content's, so the old URL's validators sent on to the new one would be answered 304, "not modified"."""
    doc, paths = revisit(mongo, tmp_path, lambda replica: move(replica, relink=False))
    assert NEW_PATH in paths
    (after,) = moved_story(mongo)
    assert after["_id"] == doc["_id"] and after["moved_to"] == NEW_URL and NEW_URL in after["urls"]
    stats = last_run_stats(mongo)
    assert stats["articles/moved"] == stats["storage/unchanged"] == 1
    assert "articles/not_modified" not in stats


def test_revisit_moved_and_edited_keeps_the_earlier_version(mongo: MongoTarget, tmp_path: Path) -> None:
    edit = "Update: the sides agreed to meet again in December to review the border protection programme."
    doc, _ = revisit(mongo, tmp_path, lambda replica: move(replica, edit))
    (after,) = moved_story(mongo)
    assert after["_id"] == doc["_id"] and after["url"] == URL and after["moved_to"] == NEW_URL
    assert edit in after["body"] and after["revisions"][-1]["body"] == doc["body"]
    assert after["first_seen"] == doc["first_seen"]
    assert mongo.db.articles.count_documents({}) == len(expected_articles("asiaplus"))


EDIT = "Update: the sides agreed to meet again in December to review the border protection programme."


def move_and_relist(replica: Path) -> None:
    """The outlet moves the article, edited, and its feed now links the new URL."""
    move(replica, EDIT)
    feed = replica / "en" / "feed" / "index.xml"
    feed.write_text(feed.read_text().replace(PATH, NEW_PATH))


def test_a_moved_article_listed_under_its_new_url_is_not_stored_twice(mongo: MongoTarget, tmp_path: Path) -> None:
    """Both the new URL and the due revisit of the old one are fetched in one run (in either order)."""
    doc, paths = revisit(mongo, tmp_path, move_and_relist)
    assert NEW_PATH in paths
    (after,) = moved_story(mongo)
    assert after["_id"] == doc["_id"] and after["moved_to"] == NEW_URL and EDIT in after["body"]
    assert mongo.db.articles.count_documents({}) == len(expected_articles("asiaplus"))


def test_a_moved_article_stored_under_its_new_url_before_the_move_was_seen_is_merged(
    mongo: MongoTarget, tmp_path: Path
) -> None:
    """A run stored the new URL as an article of its own (the old one was not due): the revisit that finds the old
    URL redirected there merges the two, the record it moved from keeping its identity and its earlier version."""
    doc, _ = revisit(mongo, tmp_path, lambda replica: None, between=move_and_relist)
    (after,) = moved_story(mongo)
    assert after["_id"] == doc["_id"] and after["url"] == URL and after["moved_to"] == NEW_URL
    assert EDIT in after["body"] and after["revisions"][-1]["body"] == doc["body"]
    assert after["first_seen"] == doc["first_seen"] and after["story_original"] is True
    page = mongo.db.pages.find_one({"_id": doc["_id"]})
    assert page["content_hash"] == after["content_hash"]
    assert mongo.db.pages.count_documents({}) == mongo.db.articles.count_documents({}) \
        == len(expected_articles("asiaplus"))
    assert last_run_stats(mongo)["storage/merged/moved"] == 1


def test_revisit_redirected_to_another_stored_story_marks_it_gone(mongo: MongoTarget, tmp_path: Path) -> None:
    """The outlet took the story down and sends its readers to another story it has: not a move."""
    other = next(u for u in expected_articles("asiaplus") if "checkpoint" in u)
    doc, paths = revisit(mongo, tmp_path, lambda replica: redirect(replica, urlsplit(other).path))
    assert urlsplit(other).path in paths
    after = mongo.db.articles.find_one({"_id": doc["_id"]})
    assert after["gone_reason"] == "redirected" and after["redirected_to"] == other and "moved_to" not in after
    assert after["body"] == doc["body"] and not after.get("revisions")
    assert mongo.db.articles.find_one({"url": other})["body"] != doc["body"]
    assert mongo.db.articles.count_documents({}) == len(expected_articles("asiaplus"))


def test_revisit_redirected_to_a_new_story_stores_it_apart(mongo: MongoTarget, tmp_path: Path) -> None:
    """The outlet took the story down and sends its readers to a story the store has never seen: that story is a
    record of its own, never a version of the one taken down."""
    other = urlsplit(next(u for u in expected_articles("asiaplus") if "checkpoint" in u)).path
    new_story = "/en/2022/10/21/tajikistan-and-kyrgyzstan-agree-on-a-new-border-checkpoint/"
    stash = tmp_path / "unpublished"

    def hold_back(replica: Path) -> None:  # not published yet at the first crawl
        shutil.move(replica / other.strip("/"), stash)

    def publish_and_redirect(replica: Path) -> None:
        (replica / new_story.strip("/")).mkdir(parents=True)
        html = (stash / "index.html").read_text().replace(other, new_story)
        (replica / new_story.strip("/") / "index.html").write_text(html)
        redirect(replica, new_story)

    doc, paths = revisit(mongo, tmp_path, publish_and_redirect, before=hold_back)
    assert new_story in paths
    after = mongo.db.articles.find_one({"_id": doc["_id"]})
    assert after["body"] == doc["body"] and not after.get("revisions") and "moved_to" not in after
    assert after["gone_reason"] == "redirected" and after["redirected_to"] == f"https://asiaplus.news{new_story}"
    assert mongo.db.articles.find_one({"url": f"https://asiaplus.news{new_story}"})["body"] != doc["body"]
    assert mongo.db.articles.count_documents({}) == len(expected_articles("asiaplus"))  # one held back, one new


def test_an_article_redirected_away_for_a_while_is_live_again_at_the_next_revisit(
    mongo: MongoTarget, tmp_path: Path
) -> None:
    """A maintenance window sent every article to the home page; at the next revisit the article is back."""
    replica = tmp_path / "asiaplus"
    shutil.copytree(REPLICAS / "asiaplus", replica)
    env = mongo.env()

    def crawl_due(base: str) -> dict[str, Any]:
        doc = mongo.db.articles.find_one({"url": URL})
        doc["last_checked"] = doc["published"] + timedelta(minutes=30)
        mongo.db.articles.replace_one({"_id": doc["_id"]}, doc)
        assert run_crawl("asiaplus", base, env=env, settings=["REVISIT_SCHEDULE=1h"]).returncode == 0
        return mongo.db.articles.find_one({"_id": doc["_id"]})  # type: ignore[no-any-return]

    with serve(replica) as server:
        base = f"base_url=http://127.0.0.1:{server.server_port}"
        assert run_crawl("asiaplus", base, env=env).returncode == 0
        (replica / "_server.json").write_text(json.dumps({"redirects": {PATH: {"to": "/en/", "status": 302}}}))
        assert crawl_due(base)["gone_reason"] == "redirected"
        (replica / "_server.json").unlink()
        after = crawl_due(base)
    assert not {"gone_at", "gone_reason", "redirected_to"} & set(after)
    stats = last_run_stats(mongo)
    assert stats["articles/not_modified"] == 1 and "articles/gone" not in stats  # back as it was: a 304
