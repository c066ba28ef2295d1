"""Crawls in progress, through the real ``scrapy crawl`` against a slow replica: the run record exists
from the start (``running``, rewritten with stats so far, the Scrapyd job id kept) and is replaced at
close by the final one; a run killed with SIGKILL reads as running, then abandoned; progress lines."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from crawler.bench.replica_server import serve
from tests.crawling import FAST, ROOT, STORE_VARIABLES, MongoTarget
from tests.replicas import REPLICAS, expected_articles

pytestmark = pytest.mark.e2e


@contextmanager
def crawling(mongo: MongoTarget, tmp_path: Path, *args: str, settings: tuple[str, ...] = (),
             delay: float = 0.5, spider: str = "asiaplus") -> Iterator[subprocess.Popen[str]]:
    """A real ``scrapy crawl`` of the slow asiaplus replica into ``mongo``, running in the background."""
    with serve(REPLICAS / "asiaplus", delay=delay) as server:
        command = [sys.executable, "-m", "scrapy", "crawl", spider, "-a",
                   f"base_url=http://127.0.0.1:{server.server_port}"]
        for arg in args:
            command += ["-a", arg]
        for setting in [*FAST, "BROWSER_ENABLED=0", *settings]:
            command += ["-s", setting]
        env = {k: v for k, v in os.environ.items() if k not in STORE_VARIABLES}
        env.update(mongo.env(DATA_DIR=str(tmp_path)))
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, stdin=subprocess.DEVNULL)
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()
            process.communicate(timeout=30)


def wait_for(check: Callable[[], Any], timeout: float = 60, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def test_the_run_record_exists_from_the_start_and_is_replaced_at_close(mongo: MongoTarget, tmp_path: Path) -> None:
    runs = mongo.db.crawl_runs
    with crawling(mongo, tmp_path, "_job=job-42", settings=("RUN_RECORD_INTERVAL_SECONDS=1",)) as process:
        first = wait_for(lambda: runs.find_one({"outcome": "running"}), what="the running record")
        assert first["job"] == "job-42" and first["update_interval"] == 1 and first["finished_at"] is None
        later = wait_for(lambda: runs.find_one({"_id": first["_id"], "updated_at": {"$gt": first["updated_at"]},
                                                "stats.downloader/request_count": {"$gt": 0}}),
                         what="an update with requests counted")
        assert later["outcome"] == "running"
        assert process.poll() is None  # seen while the crawl was going
        _, log = process.communicate(timeout=120)
    assert process.returncode == 0, log[-3000:]
    [final] = runs.find()
    assert final["_id"] == first["_id"] and final["outcome"] == "ok" and final["job"] == "job-42"
    assert final["health"]["status"] == "healthy" and final["finished_at"] is not None
    assert "updated_at" not in final


def report_state(mongo: MongoTarget, tmp_path: Path) -> str:
    # --exit-zero: a run killed reads abandoned, and the report then exits 1 (a site failing)
    result = subprocess.run([sys.executable, "-m", "scrapy", "report", "--json", "--exit-zero"], cwd=ROOT,
                            capture_output=True,
                            text=True, timeout=60, stdin=subprocess.DEVNULL,
                            env={**{k: v for k, v in os.environ.items() if k not in STORE_VARIABLES},
                                 **mongo.env(DATA_DIR=str(tmp_path))})
    assert result.returncode == 0, result.stderr[-3000:]
    rows = {row["site"]: row for row in map(json.loads, result.stdout.splitlines())}
    return str(rows["asiaplus"]["last_health"])


def test_a_killed_run_reads_running_then_abandoned(mongo: MongoTarget, tmp_path: Path) -> None:
    with crawling(mongo, tmp_path, settings=("RUN_RECORD_INTERVAL_SECONDS=5",), delay=2) as process:
        wait_for(lambda: mongo.db.crawl_runs.find_one({"outcome": "running"}), what="the running record")
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        killed = time.monotonic()
    [run] = mongo.db.crawl_runs.find()
    assert run["outcome"] == "running"
    assert report_state(mongo, tmp_path) == "running"
    time.sleep(max(0.0, killed + 15.5 - time.monotonic()))  # three update intervals without an update
    assert report_state(mongo, tmp_path) == "abandoned"


def test_progress_lines_name_the_site(mongo: MongoTarget, tmp_path: Path) -> None:
    with crawling(mongo, tmp_path, "since=2020-01-01", settings=("PROGRESS_INTERVAL_SECONDS=1",)) as process:
        _, log = process.communicate(timeout=120)
    assert process.returncode == 0, log[-3000:]
    lines = re.findall(r"\[asiaplus\] Progress: .*", log)
    assert len(lines) >= 2, log[-3000:]
    pattern = re.compile(r"Progress: (\d+) articles stored, (\d+) requests queued, ([\d.]+) articles/min"
                         r"(, back to 2020-01-01: .+)?$")
    parsed = [pattern.search(line) for line in lines]
    assert all(parsed), lines
    stored = [int(m.group(1)) for m in parsed if m]
    assert stored == sorted(stored) and stored[-1] == len(expected_articles("asiaplus"))
    assert any(m and m.group(4) for m in parsed), lines  # a backfill with an end says how far it is


def test_every_line_of_a_multi_site_process_names_its_site(tmp_path: Path) -> None:
    """``scrapy crawlall --processes 1`` (one process) of two sites at DEBUG level (the second finds
    nothing in the first's replica): past Scrapy's start banner, every log line starts its message with
    the site it belongs to (with several processes, crawler.site_pool prefixes each child's lines)."""
    with serve(REPLICAS / "asiaplus", delay=0.2) as server:
        command = [sys.executable, "-m", "scrapy", "crawlall", "--processes", "1", "--sites", "asiaplus,akipress", "-a",
                   f"base_url=http://127.0.0.1:{server.server_port}"]
        for setting in [*FAST, "BROWSER_ENABLED=0", "PROGRESS_INTERVAL_SECONDS=1", "LOG_LEVEL=DEBUG"]:
            command += ["-s", setting]
        env = {k: v for k, v in os.environ.items() if k not in STORE_VARIABLES}
        result = subprocess.run(command, cwd=ROOT, env={**env, "DATA_DIR": str(tmp_path)}, capture_output=True,
                                text=True, timeout=180, stdin=subprocess.DEVNULL)
    records = re.findall(r"(?m)^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[([^\]]+)\] (\w+): (.*)$", result.stderr)
    assert len(records) > 50, result.stderr[-3000:]
    named = [bool(re.match(r"\[(asiaplus|akipress)\] ", r[2])) for r in records]
    start = named.index(True)  # before the crawls start: Scrapy's banner, its loop, crawlall's plan
    assert all(r[0].startswith("scrapy.") or r[0] in ("asyncio", "crawler.commands.crawlall")
               for r in records[:start]), records[:start]
    unnamed = [r for r, name in zip(records[start:], named[start:], strict=True) if not name]
    assert unnamed == [], "\n".join(map(str, unnamed))
    sites = {m for r in records for m in re.findall(r"^\[(asiaplus|akipress)\] Progress: ", r[2])}
    assert sites == {"asiaplus", "akipress"}
    assert any("Crawled (200)" in r[2] and r[2].startswith("[asiaplus] ") for r in records)
