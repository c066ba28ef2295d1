"""A ``JOBDIR`` crawl keeps one disk queue per request priority, and articles are queued by publication minute: a
sitemap of links dated a minute apart opened a file per link, kept open, and past the process's descriptor limit
(1,024 under systemd) every socket and store write failed with ``EMFILE``: the host was taken for down and the run
hung. The queue files are now open only while read or written. The component, then the real ``scrapy crawl``
under a low ``RLIMIT_NOFILE`` into nx-27017."""

from __future__ import annotations

import os
import resource
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from queuelib.queue import LifoDiskQueue

from crawler.disk_queue import ClosedLifoDiskQueue
from tests.crawling import StoreCrawl
from tests.hostile_site import article, site_config

DOMAIN = "minutes.kg"
ARTICLES, NOFILE = 400, 256


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_many_queues_hold_no_descriptor(tmp_path: Path) -> None:
    before = open_descriptors()
    queues = [ClosedLifoDiskQueue(tmp_path / f"p{n}") for n in range(2_000)]
    for n, queue in enumerate(queues):
        queue.push(b"request %d" % n)
        queue.push(b"second %d" % n)
    assert open_descriptors() == before
    assert [queues[7].pop(), queues[7].peek(), len(queues[7])] == [b"second 7", b"request 7", 1]
    for queue in queues:
        queue.close()
    assert open_descriptors() == before


def test_the_files_are_queuelibs(tmp_path: Path) -> None:
    """A JOBDIR written by Scrapy's own queue is read, and the other way round (a run resumed across versions)."""
    theirs = LifoDiskQueue(tmp_path / "q")
    for n in range(3):
        theirs.push(b"%d" % n)
    theirs.close()
    ours = ClosedLifoDiskQueue(tmp_path / "q")
    assert (len(ours), ours.pop()) == (3, b"2")
    ours.push(b"x")
    ours.close()
    again = LifoDiskQueue(tmp_path / "q")
    assert [again.pop(), again.pop(), again.pop(), again.pop()] == [b"x", b"1", b"0", None]
    again.close()
    empty = ClosedLifoDiskQueue(tmp_path / "empty")
    empty.close()
    assert not (tmp_path / "empty").exists()


@pytest.mark.parametrize("room", [100, 1_002], ids=["in-the-record", "in-its-length"])
def test_a_push_the_disk_refuses_leaves_the_queue_whole(tmp_path: Path, room: int) -> None:
    """A full disk (here a file size limit: part of the record, or of the length after it, is written, then EFBIG)
    must not leave a torn record that the next pop returns as the last one (or that no pop can read: EINVAL); the
    scheduler keeps the refused request in memory. An unbuffered write may write part without an error: the rest is
    written again, which raises."""
    queue = ClosedLifoDiskQueue(tmp_path / "q")
    queue.push(b"kept")
    size = (tmp_path / "q").stat().st_size
    limits = resource.getrlimit(resource.RLIMIT_FSIZE)
    ignored = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size + room, limits[1]))
    try:
        with pytest.raises(OSError):
            queue.push(b"x" * 1_000)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, limits)
        signal.signal(signal.SIGXFSZ, ignored)
    assert (tmp_path / "q").stat().st_size == size
    assert [len(queue), queue.pop(), queue.pop()] == [1, b"kept", None]


def build(root: Path) -> Path:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    links = "".join(f"<url><loc>https://{DOMAIN}/news/minute-{n}/</loc>"
                    f"<lastmod>{(now - timedelta(minutes=n)).isoformat()}</lastmod></url>" for n in range(ARTICLES))
    (root / "sitemap.xml").write_text(f"<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{links}</urlset>")
    for n in range(ARTICLES):
        page = root / "news" / f"minute-{n}" / "index.html"
        page.parent.mkdir(parents=True)
        page.write_text(article(f"minute-{n}", extra=f"<p>Минута {n}: {'слово ' * (n % 50 + 1)}{n}.</p>"))
    config = root.parent / "minutes.toml"
    config.write_text(site_config("minutes", DOMAIN, "Asia/Bishkek",
                                  sources={"sitemaps": [f"https://{DOMAIN}/sitemap.xml"]}), encoding="utf-8")
    return config


@pytest.mark.e2e
def test_a_jobdir_crawl_of_more_minutes_than_descriptors_stores_every_article(
        tmp_path: Path, crawl_into_store: StoreCrawl) -> None:
    root = tmp_path / "site"
    root.mkdir()
    config = build(root)
    result = crawl_into_store("news", f"config={config}", replica=root, timeout=240,
                              prefix=["prlimit", f"--nofile={NOFILE}", "--"],
                              settings=["ROBOTSTXT_OBEY=0", f"JOBDIR={tmp_path / 'job'}"])
    assert result.returncode == 0, result.log[-3000:]
    assert "Too many open files" not in result.log, result.log[-3000:]
    assert crawl_into_store.target is not None
    assert crawl_into_store.target.db.articles.count_documents({}) == ARTICLES
    assert "scheduler/disk_failed" not in result.stats
