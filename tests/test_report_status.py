"""``scrapy report``'s verdict on each site and its exit status, which a cron job alerts on: the rules as a table,
then the real command over an embedded store holding runs and articles."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from crawler.cleaning import clean
from crawler.limits import RecordLimits
from crawler.report_status import exit_code, site_status, stale_hours
from crawler.storage.config import to_document
from crawler.storage.store import ArticleStore, StoreTarget
from tests.crawling import ROOT, StoreCrawl
from tests.hostile_site import article, site_config
from tests.test_export import WATER, _item


def _row(last_health: str | None, freshness: float | None) -> dict[str, Any]:
    return {"last_health": last_health, "freshness_hours": freshness}


@pytest.mark.parametrize(
    ("last", "crawled", "freshness", "expected"),
    [
        ("healthy", "healthy", 3.0, "ok"),
        ("healthy", "healthy", None, "ok"),  # no dated article: the runs' health says the rest
        ("running", "healthy", 47.9, "ok"),
        ("skipped", "healthy", 12.0, "ok"),
        ("healthy", "healthy", 48.1, "stale"),
        ("degraded", "degraded", 60.0, "stale"),  # the worse of the two
        ("degraded", "degraded", 2.0, "degraded"),
        ("failed", "failed", 2.0, "failing"),
        ("running", "failed", 2.0, "failing"),  # the last run that crawled and ended
        ("abandoned", "healthy", 2.0, "failing"),  # its process died
    ],
)
def test_a_site_is_ok_degraded_stale_or_failing(
    last: str, crawled: str, freshness: float | None, expected: str
) -> None:
    status, problem = site_status(_row(last, freshness), crawled, 48.0)
    assert status == expected
    assert (problem is None) == (status == "ok")


@pytest.mark.parametrize(
    ("statuses", "code"),
    [
        ([], 0),
        ([None, None], 0),
        (["ok", None], 0),
        (["ok", "degraded"], 3),
        (["degraded", "stale"], 1),
        (["failing", "ok"], 1),
        (["ok", "stale", None], 1),
    ],
)
def test_the_exit_status_is_the_worst_sites(statuses: list[str | None], code: int) -> None:
    assert exit_code(statuses) == code


def test_a_site_without_a_bundled_config_has_the_default_limit() -> None:
    assert stale_hours("asiaplus") == stale_hours("my-outlet-from-a-config-file") == 48.0


def test_the_limit_is_the_one_the_newest_run_recorded() -> None:
    """A run recorded before runs recorded their thresholds falls back to the bundled config's (or the default)."""
    runs = [{"thresholds": None}, {"thresholds": {}}, {"thresholds": {"stale_hours": 200}},
            {"thresholds": {"stale_hours": 6.0}}]
    assert stale_hours("my-outlet-from-a-config-file", runs) == stale_hours("asiaplus", runs) == 200.0
    assert stale_hours("my-outlet-from-a-config-file", [{"stats": {}}]) == 48.0


def _run(site: str, started: datetime, status: str) -> dict[str, Any]:
    return {
        "_id": f"{site}-{started.timestamp()}",
        "spider": site,
        "site": site,
        "started_at": started,
        "finished_at": started + timedelta(minutes=5),
        "finish_reason": "finished",
        "outcome": "ok",
        "articles_stored": 1,
        "stats": {},
        "health": {"status": status, "problems": [], "metrics": {}},
    }


def _store(data_dir: Path, now: datetime, sites: dict[str, tuple[str, float]]) -> None:
    """Per site (name -> health of its last run, hours since its newest article was published): one run an hour
    ago and one article."""
    store = ArticleStore.connect(StoreTarget(uri="", database="news", data_dir=str(data_dir)))
    try:
        for n, (site, (health, hours)) in enumerate(sites.items()):
            item = _item(
                100 + n,
                site=site,
                language="ru",
                published=now - timedelta(hours=hours),
                title=f"Новость {site}",
                body=f"{WATER} {site}",
            )
            doc, _ = to_document(clean(item, RecordLimits())[0])
            store.write_articles([doc], {})
            store.record_run(_run(site, now - timedelta(hours=1), health))
    finally:
        store.close()


def _report(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "report", *args],
        cwd=ROOT,
        text=True,
        capture_output=True,
        env={"PATH": "", "DATA_DIR": str(data_dir)},
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("args", [["--days", "7"], ["--json", "--days", "7"]])
def test_days_without_an_html_page_is_a_usage_error(tmp_path: Path, args: list[str]) -> None:
    """The text and JSON report have no span to set: ``--days 7`` was ignored, and its reader saw a day's report
    as a week's."""
    _store(tmp_path, datetime.now(UTC), {"asiaplus": ("healthy", 2)})
    result = _report(tmp_path, *args)
    assert result.returncode == 2 and result.stdout == "", result.stderr[-2000:]
    assert "--days sets the days the --html page covers" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [[], ["--json"]])
def test_a_report_onto_a_full_disk_is_one_line_and_exit_1(tmp_path: Path, args: list[str]) -> None:
    """``scrapy report > /dev/full`` ended in a traceback (``scrapy articles`` and ``export`` said one line)."""
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    _store(tmp_path, datetime.now(UTC), {"asiaplus": ("healthy", 2)})
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "scrapy", "report", *args], cwd=ROOT, text=True, stdout=full,
                                stderr=subprocess.PIPE, env={"PATH": "", "DATA_DIR": str(tmp_path)}, timeout=120,
                                stdin=subprocess.DEVNULL)
    assert result.returncode == 1
    assert result.stderr == "The report stopped: OSError: [Errno 28] No space left on device\n", result.stderr[-2000:]


@pytest.mark.e2e  # real `scrapy report` subprocesses (seconds each)
def test_the_report_exits_1_on_a_stale_site_3_on_a_degraded_one(tmp_path: Path) -> None:
    """It exited 0 whatever the sites' state: a cron job could not alert on a site gone quiet."""
    now = datetime.now(UTC)
    _store(tmp_path / "healthy", now, {"asiaplus": ("healthy", 2)})
    _store(tmp_path / "stale", now, {"asiaplus": ("healthy", 2), "kaktus": ("healthy", 100)})
    _store(tmp_path / "degraded", now, {"asiaplus": ("healthy", 2), "kaktus": ("degraded", 5)})
    healthy = _report(tmp_path / "healthy")
    assert healthy.returncode == 0 and healthy.stderr == "", healthy.stderr
    assert healthy.stdout.splitlines()[0].split()[-1] == "status"
    assert next(line for line in healthy.stdout.splitlines() if line.startswith("asiaplus ")).split()[-1] == "ok"
    assert next(line for line in healthy.stdout.splitlines() if line.startswith("kaktus ")).split()[-1] == "-"
    stale = _report(tmp_path / "stale", "--json")
    assert stale.returncode == 1, stale.stderr
    assert stale.stderr == "1 site(s) need attention: kaktus (stale: no article published for 100 h (limit 48 h))\n"
    rows = {row["site"]: row for row in map(json.loads, stale.stdout.splitlines())}
    assert rows["kaktus"]["status"] == "stale" and rows["asiaplus"]["status"] == "ok"
    assert rows["kloop"]["status"] is None  # no run in 30 days: not judged
    assert _report(tmp_path / "stale", "--exit-zero").returncode == 0
    page = _report(tmp_path / "stale", "--html", str(tmp_path / "report.html"))
    assert page.returncode == 1 and (tmp_path / "report.html").is_file()
    degraded = _report(tmp_path / "degraded")
    assert degraded.returncode == 3 and "kaktus (degraded: " in degraded.stderr, degraded.stderr


def test_a_worker_refused_by_its_sites_shared_crawl_is_skipped_not_failing(tmp_path: Path) -> None:
    """A worker of a new version started while the old version's crawl runs is refused (``frontier_args_conflict``);
    its run record, the newest, made the report call the site failing (exit 1) during every rolling upgrade."""
    now = datetime.now(UTC)
    _store(tmp_path, now, {"asiaplus": ("healthy", 2)})
    store = ArticleStore.connect(StoreTarget(uri="", database="news", data_dir=str(tmp_path)))
    try:
        refused = _run("asiaplus", now - timedelta(minutes=10), "failed")  # as a refused worker recorded it before
        store.record_run({**refused, "finish_reason": "frontier_args_conflict", "outcome": "failed"})
        assert [r["finish_reason"] for r in store.latest_runs(site="asiaplus", crawled=True)] == ["finished"]
    finally:
        store.close()
    report = _report(tmp_path, "--json")
    assert report.returncode == 0, report.stderr
    rows = {row["site"]: row for row in map(json.loads, report.stdout.splitlines())}
    assert rows["asiaplus"]["status"] == "ok" and rows["asiaplus"]["last_health"] == "skipped", rows["asiaplus"]


def _replica(root: Path, name: str, published: datetime, stale_after: float) -> Path:
    """A feed of two articles published at ``published`` under ``root``; the path of its site config file, whose
    ``[monitors]`` say the site is stale ``stale_after`` hours after its newest article."""
    domain = f"{name}.tj"
    date = published.isoformat(timespec="seconds")
    items = ""
    for slug in ("first", "second"):
        (root / "news" / slug).mkdir(parents=True)
        (root / "news" / slug / "index.html").write_text(article(f"{name}-{slug}", date=date), encoding="utf-8")
        items += f"<item><title>{slug}</title><link>https://{domain}/news/{slug}/</link></item>"
    (root / "feed").mkdir()
    (root / "feed" / "index.xml").write_text(
        f"<?xml version='1.0' encoding='UTF-8'?><rss version='2.0'><channel><title>{name}</title>{items}"
        "</channel></rss>", encoding="utf-8")
    config = root.parent / f"{name}.toml"
    monitors = f"[monitors]\nstale_hours = {stale_after}\n"
    config.write_text(site_config(name, domain, "Asia/Dushanbe") + monitors, encoding="utf-8")
    return config


@pytest.mark.e2e  # real `scrapy crawl` and `scrapy report` subprocesses
def test_a_site_crawled_from_a_config_file_is_judged_by_the_stale_hours_its_run_used(tmp_path: Path) -> None:
    """The report looked a site's ``stale_hours`` up among the bundled configs only: a site crawled with
    ``-a config=FILE`` was judged by the default 48 h, whatever its ``[monitors]`` said (a weekly outlet called
    stale every day, a site promising news every few hours not alerted on for two days)."""
    data = tmp_path / "data"
    now = datetime.now(UTC)
    crawl = StoreCrawl(None, tmp_path / "crawls")
    for name, hours_old, limit in (("weekly", 100, 200.0), ("hourly", 30, 6.0)):
        root = tmp_path / name / "site"
        root.mkdir(parents=True)
        config = _replica(root, name, now - timedelta(hours=hours_old), limit)
        crawl("news", f"config={config}", replica=root, settings=["ROBOTSTXT_OBEY=0"],
              env={"DATA_DIR": str(data)}, expect=0)
    report = _report(data, "--json")
    rows = {row["site"]: row for row in map(json.loads, report.stdout.splitlines())}
    assert rows["weekly"]["status"] == "ok", rows["weekly"]
    assert rows["hourly"]["status"] == "stale", rows["hourly"]
    assert report.stderr == "1 site(s) need attention: hourly (stale: no article published for 30 h (limit 6 h))\n"
    assert report.returncode == 1
