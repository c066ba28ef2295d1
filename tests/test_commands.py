"""Operator commands: crawl all sites in one process, and the per-site report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.crawling import FAST, ROOT
from tests.replica.server import serve
from tests.replicas import REPLICAS, expected_articles

pytestmark = pytest.mark.e2e  # crawlall and report through the real scrapy command


def scrapy(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scrapy", *args], cwd=ROOT, capture_output=True, text=True,
                          env={"DATA_DIR": str(data_dir), "PATH": ""}, timeout=120, stdin=subprocess.DEVNULL)


def test_crawlall_then_report(tmp_path: Path) -> None:
    settings = [item for setting in FAST for item in ("-s", setting)]
    with serve(REPLICAS / "asiaplus") as server:
        result = scrapy("crawlall", "--sites", "asiaplus", "-a", f"base_url=http://127.0.0.1:{server.server_port}",
                        *settings, data_dir=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = scrapy("report", "--json", data_dir=tmp_path).stdout.splitlines()
    report = {row["site"]: row for row in map(json.loads, lines)}
    assert report["asiaplus"]["articles_24h"] == len(expected_articles("asiaplus"))
    assert report["asiaplus"]["last_health"] == "healthy" and report["asiaplus"]["last_healthy_run"]
    assert report["asiaplus"]["fallback_share"] == 0 and report["asiaplus"]["errors"] == 0
    assert report["khovar"]["articles_24h"] == 0 and report["khovar"]["last_health"] is None
    table = scrapy("report", data_dir=tmp_path).stdout.splitlines()
    assert table[0].split()[:3] == ["site", "articles_24h", "last_healthy_run"]
    assert any(line.startswith("asiaplus ") and " healthy " in line for line in table)


def test_crawlall_rejects_unknown_sites(tmp_path: Path) -> None:
    result = scrapy("crawlall", "--sites", "asiaplus,nosuch", data_dir=tmp_path)
    assert result.returncode == 2
    assert "unknown site(s): nosuch" in result.stderr
