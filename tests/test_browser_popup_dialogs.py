"""A rendered page that opens a popup whose script calls ``alert``/``prompt`` as it loads. Dialogs were made to block
nothing by a script added to each page the crawl opened, which a popup (opened by the page, not by the crawl) did not
get: Playwright dismissed its dialogs one driver round trip apiece, the popup (in the opener's renderer) held the
opener, and the article was lost to the navigation timeout. The script is now the browser context's, so every page of
it, popups included, gets it. A popup opens only past Chromium's popup blocker: here a launch argument turns the
blocker off (spelled ``=1``: the crawl drops Playwright's own ``--disable-popup-blocking``, and Playwright drops
that spelling from every argument), as a remote browser or an operator's ``PLAYWRIGHT_LAUNCH_OPTIONS`` may."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.crawling import MongoTarget, StoreCrawl
from tests.hostile_site import article
from tests.test_browser import requires_chromium
from tests.test_browser_traps import feed_and_config

TIMEOUT_S = 8
DIALOGS = "for (let i = 0; i < 100000; i++) { alert(i); prompt(i); }"
# The popup's script runs as the opener writes it, before the opener's page has loaded.
OPENER = ("const popup = window.open('', '_blank');"
          f"popup.document.write('<script>{DIALOGS}</' + 'script>'); popup.document.close();")
LAUNCH = {"headless": True, "args": ["--no-sandbox", "--disable-gpu", "--disable-popup-blocking=1"]}
SETTINGS = ["ROBOTSTXT_OBEY=0", "RETRY_ENABLED=0", f"DOWNLOAD_TIMEOUT={TIMEOUT_S}",
            f"PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT={TIMEOUT_S * 1000}",
            f"PLAYWRIGHT_LAUNCH_OPTIONS={json.dumps(LAUNCH)}"]


@requires_chromium
@pytest.mark.e2e  # Chromium, scrapy crawl
def test_a_popup_s_dialogs_do_not_hold_its_opener(tmp_path: Path, mongo: MongoTarget,
                                                  crawl_into_store: StoreCrawl) -> None:
    root = tmp_path / "site"
    pages = {"opener": article("opener", extra=f"<script>{OPENER}</script>"), "good": article("good")}
    for slug, html in pages.items():
        (root / "news" / slug).mkdir(parents=True)
        (root / "news" / slug / "index.html").write_text(html, encoding="utf-8")
    config = feed_and_config(root, pages)
    result = crawl_into_store("news", f"config={config}", replica=root, timeout=300, settings=SETTINGS)
    stats = result.stats
    stored = {doc["url"].rsplit("/", 2)[1] for doc in mongo.db.articles.find()}
    assert stored == {"opener", "good"}, result.stderr[-5000:]
    assert stats.get("browser/popups_closed", 0) >= 1  # the popup did open (the blocker was off), and was closed
    assert stats["playwright/page_count"] == stats["playwright/page_count/closed"]
