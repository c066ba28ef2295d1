"""``scripts/demo``, the README's first command, as an operator runs it: from a shell that may hold a deployment's
environment. Run from a copy of its directory layout (``scrapy.cfg``, ``scripts/``, the replica, the venv), so its
``./data`` is the test's, not the checkout's; ``scripts/setup`` is stubbed (the venv is this one)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.crawling import ROOT

pytestmark = pytest.mark.e2e


def test_the_demo_ignores_the_shells_deployment_and_stores_in_its_own_data_dir(tmp_path: Path) -> None:
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "demo", tmp_path / "scripts" / "demo")
    (tmp_path / "scripts" / "setup").write_text("#!/bin/sh\n", encoding="utf-8")
    (tmp_path / "scripts" / "setup").chmod(0o755)
    shutil.copy(ROOT / "scrapy.cfg", tmp_path / "scrapy.cfg")
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "replica").symlink_to(ROOT / "tests" / "replica")
    elsewhere = tmp_path / "production-data"
    # What an operator's shell holds after `. /etc/news-crawler/env`: none of it is reachable here, and before, the
    # demo crawled into it (an unreachable MongoDB: exit 1, nothing shown; a reachable one got the replica's articles).
    deployment = {"MONGO_URI": "mongodb://crawler:s3cret@127.0.0.1:9/", "REDIS_URL": "redis://:s3cret@127.0.0.1:9/0",
                  "MONITOR_WEBHOOK_URL": "http://127.0.0.1:9/hook", "DATA_DIR": str(elsewhere),
                  "STORAGE_ENABLED": "0", "http_proxy": "http://127.0.0.1:9"}
    result = subprocess.run([str(tmp_path / "scripts" / "demo")], cwd=tmp_path, env={**os.environ, **deployment},
                            capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "articles in embedded store" in result.stdout and str(tmp_path / "data" / "news.db") in result.stdout
    assert not elsewhere.exists()
    connection = sqlite3.connect(tmp_path / "data" / "news.db")
    try:
        stored = connection.execute("SELECT count(*) FROM articles").fetchone()[0]
    finally:
        connection.close()
    assert stored > 0 and result.stdout.startswith(f"{stored} articles in embedded store")
