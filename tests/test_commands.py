"""Operator commands: crawl all sites in one process, the per-site report, and the list of spiders."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.bench.replica_server import serve
from crawler.sites import site_names
from crawler.sites.coverage import README_BEGIN, README_END, sites_table
from crawler.storage.store import ArticleStore, StoreTarget
from tests.crawling import FAST, ROOT
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


def test_the_report_table_keeps_every_column_in_line(tmp_path: Path) -> None:
    """Every bundled site is a row, "turkmenportal" the longest name: each cell starts under its column's name
    (the header's "last_health" ran two characters past its column, so every cell after it was out of line)."""
    ArticleStore.connect(StoreTarget(uri="", database="news", data_dir=str(tmp_path))).close()  # an empty store
    header, *rows = scrapy("report", data_dir=tmp_path).stdout.splitlines()
    starts = [name.start() for name in re.finditer(r"\S+", header)]
    assert {row.split()[0] for row in rows} == set(site_names())
    for row in rows:
        line = row.ljust(len(header))
        assert [n for n in starts if line[n] != " " and (n == 0 or line[n - 1] == " ")] == starts, (header, row)


def test_crawlall_rejects_unknown_sites(tmp_path: Path) -> None:
    result = scrapy("crawlall", "--sites", "asiaplus,nosuch", data_dir=tmp_path)
    assert result.returncode == 2
    assert "unknown site(s): nosuch" in result.stderr


def test_list_prints_one_spider_name_a_line_as_scrapyd_reads_it(tmp_path: Path) -> None:
    result = scrapy("list", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout == "\n".join(sorted([*site_names(), "news"])) + "\n"


def test_list_details_shows_country_languages_and_platform(tmp_path: Path) -> None:
    result = scrapy("list", "--details", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    header, *lines = result.stdout.splitlines()
    rows = {line.split()[0]: line for line in lines}
    assert header.split() == ["name", "country", "languages", "platform", "title"]
    assert sorted(rows) == sorted([*site_names(), "news"])
    title_at = header.index("title")
    assert rows["asiaplus"].split()[:4] == ["asiaplus", "TJ", "ru,en,tg", "tagdiv"]
    assert rows["asiaplus"][title_at:] == "Asia-Plus"
    assert rows["kun"].split()[:4] == ["kun", "UZ", "uz,uz-Cyrl,ru,en", "-"]
    assert rows["news"].split()[:4] == ["news", "-", "any", "-"]
    assert "-a config=FILE.toml" in rows["news"][title_at:]
    assert scrapy("list", "-d", data_dir=tmp_path).stdout == result.stdout


def test_list_markdown_and_the_script_print_the_readme_table(tmp_path: Path) -> None:
    result = scrapy("list", "--markdown", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout == sites_table()
    assert all(f"| `{name}` |" in result.stdout for name in site_names())
    script = [sys.executable, str(ROOT / "scripts" / "coverage_table.py")]
    printed = subprocess.run(script, capture_output=True, text=True, check=True, timeout=60)
    assert printed.stdout == sites_table()
    readme = tmp_path / "README.md"
    stale = f"# News\n\n## Sites\n\n{README_BEGIN}\n| stale |\n{README_END}\n\nRegenerate.\n"
    readme.write_text(stale, encoding="utf-8")
    subprocess.run([*script, "--write", "--readme", str(readme)], capture_output=True, check=True, timeout=60)
    assert readme.read_text(encoding="utf-8") == f"# News\n\n## Sites\n\n{sites_table()}\nRegenerate.\n"
    broken = subprocess.run([*script, "--write", "--readme", str(tmp_path / "nosuch.md")], capture_output=True,
                            text=True, timeout=60)
    assert broken.returncode != 0 and "nosuch.md" in broken.stderr
