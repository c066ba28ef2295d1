"""Storage faults through the real ``scrapy crawl`` of the asiaplus replica: a full disk (a tiny
tmpfs), a read-only ``DATA_DIR``, a poison spool left by an older run, a revisit served a truncated page."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from bson import json_util

from crawler.bench.replica_server import serve
from crawler.storage.config import to_document
from crawler.storage.spool import load_spool, spool
from tests.conftest import free_port, kill, start_nx27017
from tests.crawling import MongoTarget, run_crawl, store_env
from tests.replicas import REPLICAS, expected_articles
from tests.test_faults import start_crawl, wait_for
from tests.test_pipelines import article, cleaned

pytestmark = pytest.mark.e2e
ARTICLES = expected_articles("asiaplus")


@contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted on ``path`` (skips the test when it cannot be mounted)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                             capture_output=True, text=True)
    if mounted.returncode:
        pytest.skip(f"cannot mount a tmpfs: {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "--lazy", str(path)], check=True)


def fill(directory: Path) -> None:
    """Fill the disk under ``directory`` to the last byte."""
    fd = os.open(directory / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(fd, b"x" * 512):
            pass
    except OSError:
        pass
    finally:
        os.close(fd)


def crawl(data_dir: Path, *settings: str, env: dict[str, str] | None = None,
          replica: Path = REPLICAS / "asiaplus") -> subprocess.CompletedProcess[str]:
    with serve(replica) as server:
        return run_crawl("asiaplus", f"base_url=http://127.0.0.1:{server.server_port}",
                         env={**store_env(data_dir=data_dir), **(env or {})}, settings=list(settings))


def spooled_urls(path: Path) -> list[str]:
    return sorted(doc["url"] for doc, _ in load_spool(path).entries)


@pytest.mark.parametrize("fallback", ["elsewhere", "same disk"])
def test_a_full_embedded_store_fails_the_run_and_keeps_the_articles(tmp_path: Path, fallback: str) -> None:
    """The embedded store and the spool share a disk that fills up during the crawl: the run exits 2
    (never 0), leaves no empty spool, and the articles go to the fallback directory or are reported lost."""
    # An empty embedded store with its indexes (word index included) takes about 130 kB with its journal.
    with tmpfs(tmp_path / "data", "576k") as data:
        rescue = tmp_path / "fallback" if fallback == "elsewhere" else data / "fallback"
        result = crawl(data, f"STORAGE_FALLBACK_DIR={rescue}")
        log = result.stderr
        assert result.returncode == 2, log[-3000:]
        assert f"Could not spool 4 articles in {data / 'unsaved'}" in log and "No space left on device" in log
        assert not list((data / "unsaved").iterdir())  # no empty or torn spool left behind
        if fallback == "elsewhere":
            [kept] = rescue.glob("*.jsonl")
            assert spooled_urls(kept) == sorted(ARTICLES)  # every article, ready to move into unsaved/
            assert f"could take 4 articles; they are in {kept}" in log
        else:
            assert f"Lost 4 articles: neither the store (embedded store {data / 'news.db'})" in log
        assert "'storage/unsaved': 4" in log


def test_mongodb_gone_and_a_full_spool_dir_fail_the_run_naming_the_path(tmp_path: Path) -> None:
    """MongoDB dies mid-crawl and the spool's disk (64 kB) fills up: exit 2, the error names the spool,
    and nothing is lost: what the spool could not take is in the fallback directory."""
    (tmp_path / "nx").mkdir()
    port = free_port()
    nx = start_nx27017(tmp_path / "nx", port)
    try:
        with tmpfs(tmp_path / "data" / "unsaved", "64k") as unsaved, serve(REPLICAS / "asiaplus", delay=0.2) as server:
            crawler = start_crawl(f"http://127.0.0.1:{server.server_port}", f"mongodb://127.0.0.1:{port}",
                                  tmp_path / "data", f"STORAGE_FALLBACK_DIR={tmp_path / 'fallback'}")
            wait_for(lambda: server.requests)  # type: ignore[attr-defined]
            kill(nx)
            output, _ = crawler.communicate(timeout=120)
            assert crawler.returncode == 2, output[-3000:]
            error = rf"ERROR: Could not spool \d articles in {unsaved}/\w+\.jsonl \(\[Errno 28\] No space left"
            assert re.search(error, output), output[-3000:]
            spooled = [url for path in unsaved.glob("*.jsonl") for url in spooled_urls(path)]
        [kept] = (tmp_path / "fallback").glob("*.jsonl")
        assert sorted(spooled + spooled_urls(kept)) == sorted(ARTICLES)  # each article in one place
        assert f"they are in {kept}: move it into {unsaved}" in output
    finally:
        kill(nx)


def test_a_dead_store_and_a_full_spool_dir_stop_the_crawl_at_start_naming_the_path(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "data" / "unsaved", "8k") as unsaved:
        fill(unsaved)
        result = crawl(tmp_path / "data", "STORAGE_TIMEOUT_SECONDS=1",
                       env=store_env(f"mongodb://127.0.0.1:{free_port()}"))
    assert result.returncode == 1, result.stderr[-3000:]
    assert (f"DATA_DIR {tmp_path / 'data'} is not writable: cannot write in {unsaved} (No space left on device)"
            in result.stderr)
    assert "Traceback" not in result.stderr


def test_a_read_only_data_dir_stops_the_crawl_at_start_with_a_clear_error(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "data", "1m") as data:
        subprocess.run(["mount", "-o", "remount,ro", str(data)], check=True)
        result = crawl(data)
    assert result.returncode == 1, result.stderr[-3000:]
    assert (f"DATA_DIR {data} is not writable: cannot write in {data / 'unsaved'} (Read-only file system)"
            in result.stderr)
    assert "Cannot take the lease of asiaplus (the store cannot be opened); not starting" in result.stderr
    assert "not starting the crawl" in result.stderr and "Traceback" not in result.stderr


def test_a_poison_spool_never_blocks_a_crawl(tmp_path: Path, mongo: MongoTarget) -> None:
    """A spool an older run left with a record the store rejects and a line a crash cut: the crawl
    quarantines both and stores every article (exit 2: something needs a look); the next run is clean."""
    env = mongo.env()
    mongo.db.articles.create_index("title", unique=True)  # a deployment constraint the old record breaks
    mongo.db.articles.insert_one({"_id": "taken", "url": "https://elsewhere.example/", "title": "Taken"})
    spool_file = tmp_path / "data" / "unsaved" / "older-run.jsonl"
    spool([to_document(cleaned(article(1, title="Taken")))], spool_file)
    with spool_file.open("a") as out:
        out.write('{"doc": {"_id": "cut-by-a-cra')
    first = crawl(tmp_path / "data", env=env)
    assert first.returncode == 2, first.stderr[-3000:]
    assert f"Spool {spool_file} line 2 is corrupt" in first.stderr
    assert f"The store rejected {article(1).url} (record: 11000" in first.stderr
    assert sorted(doc["url"] for doc in mongo.db.articles.find({"_id": {"$ne": "taken"}})) == sorted(ARTICLES)
    assert not spool_file.exists()
    [quarantine] = (tmp_path / "data" / "quarantine").glob("*.jsonl")
    records = [json_util.loads(line) for line in quarantine.read_text().splitlines()]
    assert [r.get("source") for r in records] == [f"{spool_file}:2", None]
    assert records[1]["doc"]["url"] == article(1).url and "11000" in records[1]["reason"]
    stats = mongo.db.crawl_runs.find_one(sort=[("started_at", -1)])["stats"]
    assert (stats["storage/quarantined"], stats["storage/spool_corrupt"]) == (2, 1)
    second = crawl(tmp_path / "data", env=env)
    assert second.returncode == 0, second.stderr[-3000:]


def test_a_revisit_served_a_truncated_page_keeps_the_stored_article(tmp_path: Path, mongo: MongoTarget) -> None:
    """A revisit answered 200 with a page cut after its first paragraph: the stored text stays, only
    ``last_checked`` moves; a real edit on the next revisit is a revision keeping the earlier text."""
    replica = tmp_path / "asiaplus"
    shutil.copytree(REPLICAS / "asiaplus", replica)
    env = mongo.env()
    url = next(u for u in ARTICLES if "csto" in u)
    page = replica / urlsplit(url).path.strip("/") / "index.html"
    assert crawl(tmp_path / "data", env=env, replica=replica).returncode == 0
    before = mongo.db.articles.find_one({"url": url})
    html = page.read_text()
    page.write_text(html[:html.index("<p>The Tajik president")])  # served 200, cut after the first paragraph

    def revisit() -> dict:  # type: ignore[type-arg]
        doc = mongo.db.articles.find_one({"url": url})
        doc["last_checked"] = doc["published"] + timedelta(minutes=30)
        doc["etag"] = doc["last_modified"] = None  # a plain GET, not a conditional one
        mongo.db.articles.replace_one({"_id": doc["_id"]}, doc)
        result = crawl(tmp_path / "data", "REVISIT_SCHEDULE=1h", env=env, replica=replica)
        assert result.returncode == 0, result.stderr[-3000:]
        return mongo.db.crawl_runs.find_one(sort=[("started_at", -1)])["stats"]  # type: ignore[no-any-return]

    stats = revisit()
    assert stats["storage/revision_rejected/shrunk"] == 1 and not stats.get("storage/updated")
    after = mongo.db.articles.find_one({"url": url})
    assert (after["body"], after["content_hash"]) == (before["body"], before["content_hash"])
    assert "revisions" not in after and after["last_checked"] > before["last_checked"]

    page.write_text(html.replace("in the course of the talks", "during the talks"))  # an editor's change
    stats = revisit()
    assert stats["storage/updated"] == 1
    edited = mongo.db.articles.find_one({"url": url})
    assert "during the talks" in edited["body"]
    assert edited["revisions"] == [{"content_hash": before["content_hash"], "fetched_at": before["fetched_at"],
                                    "title": before["title"], "body": before["body"]}]
