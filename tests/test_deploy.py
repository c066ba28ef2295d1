"""The cron wrapper ``deploy/run-crawl``: locking, failure exit codes, health."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import FAST, ROOT, MongoTarget, free_port
from tests.replica.server import serve
from tests.replicas import REPLICAS

WRAPPER = ROOT / "deploy" / "run-crawl"


def run_wrapper(site: str, tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    settings = [item for setting in FAST for item in ("-s", setting)]
    full_env = {"PATH": os.environ["PATH"], "PYTHON": sys.executable, "NEWS_CRAWLER_ENV": str(tmp_path / "env"),
                "LOG_DIR": str(tmp_path / "logs"), "LOCK_DIR": str(tmp_path / "locks"), **env}
    return subprocess.run([str(WRAPPER), site, *args, *settings], env=full_env, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)


def test_second_run_while_the_first_holds_the_lock_exits_at_once(tmp_path: Path) -> None:
    (tmp_path / "locks").mkdir()
    holder = subprocess.Popen(["flock", str(tmp_path / "locks" / "asiaplus.lock"), "sleep", "30"])
    try:
        time.sleep(0.3)
        started = time.monotonic()
        result = run_wrapper("asiaplus", tmp_path, {"DATA_DIR": str(tmp_path / "data")})
        assert result.returncode == 75
        assert "another crawl of this site is still running" in result.stderr
        assert time.monotonic() - started < 5
    finally:
        holder.kill()
        holder.wait()


def test_unreachable_mongodb_exits_non_zero_and_masks_the_password(tmp_path: Path) -> None:
    (tmp_path / "env").write_text(f"MONGO_URI=mongodb://crawler:s3cret@127.0.0.1:{free_port()}/\n"
                                  "STORAGE_TIMEOUT_SECONDS=1\n")
    result = run_wrapper("asiaplus", tmp_path, {})
    assert result.returncode == 1
    log = (tmp_path / "logs" / "asiaplus.log").read_text()
    assert "crawler:***@127.0.0.1" in log and "s3cret" not in log + result.stderr


def test_changed_layout_makes_the_run_degraded(tmp_path: Path, mongo: MongoTarget) -> None:
    env = {"MONGO_URI": mongo.uri, "MONGO_DATABASE": mongo.database}
    replica = tmp_path / "replica"
    shutil.copytree(REPLICAS / "asiaplus", replica)
    with serve(replica) as server:
        base = f"base_url=http://127.0.0.1:{server.server_port}"
        assert run_wrapper("asiaplus", tmp_path, env, "-a", base).returncode == 0
        for page in replica.rglob("index.html"):  # a theme update renames the content classes
            text = page.read_text(encoding="utf-8")
            page.write_text(re.sub(r"tdb_single_content|td-post-content", "tdi-article-body", text), encoding="utf-8")
        result = run_wrapper("asiaplus", tmp_path, env, "-a", base, "-s", "INCREMENTAL_ENABLED=0")
    assert result.returncode == 3, result.stderr
    run = mongo.db.crawl_runs.find_one(sort=[("started_at", -1)])
    assert run["health"]["status"] == "degraded"
    assert any("layout probably changed" in p for p in run["health"]["problems"])
    assert "Health degraded" in (tmp_path / "logs" / "asiaplus.log").read_text()


def test_a_crawl_while_another_process_holds_the_site_exits_75(tmp_path: Path) -> None:
    """The in-process lock also covers runs that do not go through the wrapper (Scrapyd jobs)."""
    (tmp_path / "data" / "locks").mkdir(parents=True)
    holder = subprocess.Popen(["flock", str(tmp_path / "data" / "locks" / "asiaplus.lock"), "sleep", "30"])
    try:
        time.sleep(0.3)
        result = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "asiaplus", "-s", "ROBOTSTXT_OBEY=0"],
                                cwd=ROOT, env={"PATH": os.environ["PATH"], "DATA_DIR": str(tmp_path / "data")},
                                capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert result.returncode == 75, result.stderr[-2000:]
        assert "Another crawl of asiaplus is running" in result.stderr
    finally:
        holder.kill()
        holder.wait()
