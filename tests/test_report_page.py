"""``scrapy report --html``: a real crawl of a site from a config file plus seeded run records
(every state, a dead run, hostile strings), written by the real command and rendered in the real
Chromium: one section per site, a bar a day, coloured run marks, nothing fetched from anywhere and
no injected markup; the screenshot is not blank (and is kept as docs/report.png)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from crawler.bench.replica_server import serve
from crawler.sites import SITES_DIR_NAME, site_names
from crawler.storage.store import ArticleStore, StoreTarget
from tests.crawling import ROOT, run_crawl
from tests.replicas import REPLICAS, expected_articles

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed")]
DAYS = 14


def report(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scrapy", "report", *args], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, "DATA_DIR": str(data_dir)}, timeout=120,
                          stdin=subprocess.DEVNULL)


def seed(data_dir: Path, bait: str) -> None:
    """Runs of every state over the window (one of a dead process), and a hostile site's strings."""
    now = datetime.now(UTC)
    store = ArticleStore.connect(StoreTarget("", "news", str(data_dir)))
    try:
        for day, status in enumerate(["healthy", "degraded", "failed", "healthy", "healthy"]):
            started = now - timedelta(days=day + 1)
            store.record_run(_run(f"seed{day}", "akipress", started, {"status": status, "problems": [
                f"error rate {day}0%"] if status != "healthy" else []}))
        store.db["articles"].insert_many([
            {"_id": f"a{day}-{n}", "site": "akipress", "first_seen": now - timedelta(days=day),
             "published": now - timedelta(days=day, hours=n + 1)}
            for day in range(1, 10) for n in range(day % 4 * 3 + 1)])
        store.record_run({**_run("locked", "akipress", now - timedelta(days=6), None), "finish_reason": "site_locked"})
        store.record_run({**_run("alive", "kloop", now - timedelta(minutes=3), None), "outcome": "running",
                          "updated_at": now - timedelta(seconds=30), "update_interval": 60, "job": "job-7"})
        store.record_run({**_run("dead", "kloop", now - timedelta(hours=5), None), "outcome": "running",
                          "updated_at": now - timedelta(hours=4), "update_interval": 60})
        hostile = hostile_name(bait)
        store.record_run(_run("hostile", hostile, now - timedelta(hours=2), {"status": "degraded", "problems": [
            f"<img src={bait}/problem> <b>bold</b>"]}))
        store.db["articles"].insert_one({"_id": "h1", "site": hostile, "title": f"<img src={bait}/title>",
                                         "first_seen": now - timedelta(hours=1), "published": now - timedelta(hours=3)})
    finally:
        store.close()


def hostile_name(bait: str) -> str:
    return f'evil"><img src={bait}/site><script>document.title="pwned"</script>'


def _run(run_id: str, site: str, started: datetime, health: dict[str, Any] | None) -> dict[str, Any]:
    return {"_id": run_id, "spider": site, "site": site, "started_at": started,
            "finished_at": started + timedelta(minutes=5), "finish_reason": "finished", "outcome": "ok",
            "articles_stored": 3, "stats": {"log_count/ERROR": 1, "retry/count": 2, "extract/body/site": 3},
            **({"health": {**health, "metrics": {}}} if health else {})}


def test_the_html_report_renders_every_site_and_fetches_nothing(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    data_dir = tmp_path / "data"
    config = tmp_path / "myoutlet.toml"
    text = (Path(SITES_DIR_NAME) / "asiaplus.toml").read_text(encoding="utf-8")
    config.write_text(text.replace('name = "asiaplus"', 'name = "myoutlet"', 1), encoding="utf-8")
    with serve(REPLICAS / "asiaplus") as site:
        crawl = run_crawl("news", f"config={config}", f"base_url=http://127.0.0.1:{site.server_port}",
                          env={"BROWSER_ENABLED": "0"}, data_dir=data_dir)
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    rows = {row["site"]: row for row in map(json.loads, report(data_dir, "--json").stdout.splitlines())}
    assert rows["myoutlet"]["last_health"] == "healthy"  # the text report names a config file's site too
    assert rows["myoutlet"]["articles_24h"] == len(expected_articles("asiaplus"))
    with serve(tmp_path) as bait_server:  # anything the page asks for lands here
        bait = f"http://127.0.0.1:{bait_server.server_port}"
        seed(data_dir, bait)
        page_file = tmp_path / "report.html"
        result = report(data_dir, "--html", str(page_file), "--days", str(DAYS), "--exit-zero")  # sites failing
        assert result.returncode == 0, result.stderr[-3000:]
        html = page_file.read_text(encoding="utf-8")
        assert "<script" not in html and "<img" not in html
        requested: list[str] = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.on("request", lambda request: requested.append(request.url))
                page.goto(page_file.as_uri())
                dom = page.evaluate(DOM_SUMMARY)
                shot = page.screenshot(full_page=False)
                colours = _distinct_colours(browser, shot)
            finally:
                browser.close()
        assert bait_server.requests == []  # type: ignore[attr-defined]
    assert requested == [page_file.as_uri()]
    sites = dom["sites"]
    assert set(sites) == {*site_names(), "myoutlet", hostile_name(bait)}
    assert all(s["bars"] == DAYS for s in sites.values())
    outlet = sites["myoutlet"]
    assert outlet["heights"][-1] > 0 and outlet["figures"]["articles"] == str(len(expected_articles("asiaplus")))
    assert outlet["marks"] == ["healthy"]
    assert sorted(sites["akipress"]["marks"]) == sorted(["healthy", "degraded", "failed", "healthy", "healthy",
                                                        "skipped"])
    assert [h > 0 for h in sites["akipress"]["heights"]] == [False] * (DAYS - 10) + [True] * 9 + [False]
    lags = sorted(n + 1 for day in range(1, 10) for n in range(day % 4 * 3 + 1))  # hours, as seeded
    assert sites["akipress"]["figures"]["publication to storage"] == f"{lags[len(lags) // 2]} h"
    assert sorted(sites["kloop"]["marks"]) == ["abandoned", "running"]
    assert dom["title"] == "Crawl report" and dom["images"] == 0 and dom["scripts"] == 0
    assert any(f"<img src={bait}/problem> <b>bold</b>" in row for row in dom["runs"])
    assert any("job-7" in row and "running" in row for row in dom["runs"])
    assert colours > 20, "the screenshot is (nearly) blank"
    if os.environ.get("UPDATE_REPORT_SCREENSHOT"):
        (ROOT / "docs").mkdir(exist_ok=True)
        (ROOT / "docs" / "report.png").write_bytes(shot)


DOM_SUMMARY = """() => {
  const sites = {};
  for (const section of document.querySelectorAll('section.site')) {
    const figures = {};
    for (const div of section.querySelectorAll('dl.figures div'))
      figures[div.querySelector('dt').textContent] = div.querySelector('dd').textContent;
    sites[section.dataset.site] = {
      bars: section.querySelectorAll('svg.bars rect.bar').length,
      heights: [...section.querySelectorAll('svg.bars rect.bar')].map(r => r.getBBox().height),
      marks: [...section.querySelectorAll('svg.health circle.mark')].map(c => c.classList[1]),
      figures,
    };
  }
  return {sites, title: document.title, images: document.images.length,
          scripts: document.scripts.length, runs: [...document.querySelectorAll('tr.run')].map(r => r.textContent)};
}"""


def _distinct_colours(browser: Any, png: bytes) -> int:
    """Distinct colours of a PNG, counted by Chromium's own decoder in a blank page of its own."""
    import base64

    page = browser.new_page()
    try:
        return int(page.evaluate("""async (data) => {
          const img = new Image(); img.src = 'data:image/png;base64,' + data; await img.decode();
          const canvas = document.createElement('canvas'); canvas.width = img.width; canvas.height = img.height;
          const ctx = canvas.getContext('2d'); ctx.drawImage(img, 0, 0);
          const px = ctx.getImageData(0, 0, img.width, img.height).data; const seen = new Set();
          for (let i = 0; i < px.length; i += 4) seen.add((px[i] << 16) | (px[i + 1] << 8) | px[i + 2]);
          return seen.size;
        }""", base64.b64encode(png).decode()))
    finally:
        page.close()


def test_days_must_be_a_positive_whole_number(tmp_path: Path) -> None:
    result = report(tmp_path, "--html", str(tmp_path / "r.html"), "--days", "0")
    assert result.returncode == 2 and "--days must be a whole number of days" in result.stderr
    assert not (tmp_path / "r.html").exists()


def test_the_page_written_to_a_pipe_leaves_the_pipe_and_a_directory_is_refused(tmp_path: Path) -> None:
    """``--html /dev/stdout`` (a named pipe here, as it is no regular file either): the page is written to it. The
    part renamed over it replaced the pipe, or run as root the ``/dev/stdout`` link, with a regular file."""
    ArticleStore.connect(StoreTarget(uri="", database="news", data_dir=str(tmp_path))).close()  # an empty store
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    with subprocess.Popen(["cat", str(pipe)], stdout=subprocess.PIPE) as reader:
        try:
            result = report(tmp_path, "--html", str(pipe), "--exit-zero")
            page, _ = reader.communicate(timeout=30)  # the old code's reader waited for a writer forever
        finally:
            reader.kill()
    assert result.returncode == 0, result.stderr[-3000:]
    assert page.startswith(b"<!DOCTYPE html>") and pipe.is_fifo()
    result = report(tmp_path, "--html", str(tmp_path))
    assert result.returncode == 2 and f"--html {tmp_path} is a directory" in result.stderr, result.stderr[-3000:]
    assert not list(tmp_path.parent.glob(".*.part"))
