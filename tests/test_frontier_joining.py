"""Who may join a shared crawl (``REDIS_URL``): real ``scrapy crawl`` workers, a real ``redis-server`` and nx-27017.
A worker whose site config or code differs from the crawl's (a node not yet upgraded, a config edited on one host)
does not join it: one ERROR line naming what differs, exit 1, and the crawl goes on whole. Before, it joined: a
request its code could not read was dropped for the whole crawl, and its own config took other pages for articles.
A worker started with a stale ``REDIS_URL`` password is one clear line, the password masked, and exit 1."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from crawler.storage.lease import COLLECTION
from tests.conftest import free_port
from tests.crawling import ROOT, MongoTarget, run_crawl
from tests.test_cluster_run import all_urls, config, served, worker
from tests.test_frontier import WORKER, finish, stored

pytestmark = pytest.mark.e2e


def other_version(tmp_path: Path) -> Path:
    """A copy of the checkout's code with one line more: another version of the crawler."""
    copy = tmp_path / "other-version"
    for name in ("crawler", "pipelines"):
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "scrapy.cfg", copy / "scrapy.cfg")
    with (copy / "crawler" / "frontier" / "shared.py").open("a", encoding="utf-8") as file:
        file.write("# the next version\n")
    return copy


def other_site_config(tmp_path: Path) -> Path:
    """The crawl's site config, but for the articles it takes: even numbers only."""
    (tmp_path / "other").mkdir()
    path = config(tmp_path / "other")
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(r"/news/\d+/$", r"/news/\d*[02468]/$"), encoding="utf-8")
    assert path.read_text(encoding="utf-8") != text
    return path


@pytest.mark.parametrize("differs", ["site", "code"])
def test_a_worker_with_another_site_config_or_code_does_not_join(
    differs: str, redis_url: str, mongo: MongoTarget, tmp_path: Path
) -> None:
    with served() as (base_url, requests):
        env = mongo.env(REDIS_URL=redis_url)
        first = worker(config(tmp_path), base_url, env)
        deadline = time.monotonic() + 60
        while not any(p.startswith("/sitemap/") for p in requests):  # the crawl runs, with the first's config
            assert time.monotonic() < deadline and first.poll() is None
            time.sleep(0.05)
        if differs == "site":
            joiner = worker(other_site_config(tmp_path), base_url, env)
        else:
            joiner = worker(config(tmp_path), base_url, env, code=other_version(tmp_path))
        [(code, log)] = finish([joiner])
        [(first_code, first_log)] = finish([first])
    assert code == 1, log[-3000:]
    assert "Traceback" not in log, log[-5000:]
    [line] = [line for line in log.splitlines() if "not joining" in line]
    assert "ERROR" in line and "frontier_args_conflict" in log
    theirs, mine = re.search(r"runs with (.*), this worker has (.*): not joining", line).groups()  # type: ignore[union-attr]
    differing = {word.split("=")[0] for word in set(theirs.split()) ^ set(mine.split())}
    assert differing == {differs}, line
    assert first_code == 0, first_log[-3000:]
    assert set(stored(mongo)) == all_urls()  # the crawl went on whole with the workers that share its config and code
    [crawl] = [r for r in mongo.db.crawl_runs.find() if "workers" in r]
    assert len(crawl["workers"]) == 1 and crawl["outcome"] == "ok"


def test_a_stale_redis_password_is_one_clear_line_masked_and_exit_1(
    redis_server: tuple[str, subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    """Redis's password changed (``CONFIG SET requirepass``), a worker still has the old one in its ``REDIS_URL``."""
    import redis

    url, _ = redis_server
    redis.Redis.from_url(url).config_set("requirepass", "n3w-pass")
    stale = url.replace("redis://", "redis://:0ld-s3cret@")
    result = run_crawl(
        "news",
        f"config={config(tmp_path)}",
        f"base_url=http://127.0.0.1:{free_port()}",
        env={"REDIS_URL": stale},
        settings=[*WORKER, "STORAGE_ENABLED=0"],
        timeout=60,
    )
    assert result.returncode == 1, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-5000:]
    [line] = [line for line in result.stderr.splitlines() if "Cannot reach Redis" in line]
    assert "redis://:***@127.0.0.1" in line and "AuthenticationError" in line and "password" in line, line
    assert "0ld-s3cret" not in result.stdout + result.stderr


def test_a_crawl_whose_workers_all_left_unended_does_not_refuse_a_new_version(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Stopped workers (SIGTERM: they leave without ending the crawl) left its pointer for ``FRONTIER_KEY_TTL``:
    before, every worker of a new version was refused for that hour, though no crawl ran."""
    import redis

    from crawler.frontier.shared import ArgsConflict, FrontierConfig, SharedCrawl

    client = redis.Redis.from_url(redis_url)
    old = SharedCrawl(client, "site", FrontierConfig())
    old.join({"code": "old"})
    old.push({"url": "https://example.kg/1"}, 0)
    live = SharedCrawl(client, "site", FrontierConfig())
    live.join({"code": "old"})
    old.leave(ended=False)
    with pytest.raises(ArgsConflict):  # a live worker still holds the crawl: refused
        SharedCrawl(client, "site", FrontierConfig()).join({"code": "new"})
    live.leave(ended=False)
    new, other = SharedCrawl(client, "site", FrontierConfig()), SharedCrawl(client, "site", FrontierConfig())
    new.join({"code": "new"})
    other.join({"code": "new"})  # a second new worker joins the new crawl
    assert new.seeder and new.crawl_id not in ("", old.crawl_id) and other.crawl_id == new.crawl_id
    assert new.queued() == 0
    assert "1 queued requests abandoned" in caplog.text


def test_a_new_version_crawls_after_the_old_crawls_worker_was_stopped(
    redis_url: str, mongo: MongoTarget, tmp_path: Path
) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    with served() as (base_url, requests):
        env = mongo.env(REDIS_URL=redis_url)
        old = worker(config(tmp_path), base_url, env, settings=("SITE_LEASE_SECONDS=2",))
        deadline = time.monotonic() + 60
        while not any(p.startswith("/sitemap/") for p in requests):  # the old version's crawl runs
            assert time.monotonic() < deadline and old.poll() is None
            time.sleep(0.05)
        old.terminate()  # systemctl stop, a Scrapyd cancel: it leaves the crawl unended
        [(_, old_log)] = finish([old])
        assert "Traceback" not in old_log, old_log[-3000:]
        while client.keys("news:*:hb:*"):  # its heartbeat is gone; its pointer stays (ttl: an hour)
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert client.keys("news:*:crawl")
        # The stopped crawl's site lease (kept for its other workers) lapses: then the site is free.
        while any(lease["expires"] > time.time() for lease in mongo.db[COLLECTION].find()):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        [(code, log)] = finish([worker(config(tmp_path), base_url, env, code=other_version(tmp_path))])
    assert code == 0, log[-3000:]
    assert "not joining" not in log and "queued requests abandoned" in log
    assert set(stored(mongo)) == all_urls()
