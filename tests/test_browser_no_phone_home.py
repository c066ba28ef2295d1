"""Chromium makes no connection of its own: in a rendered crawl of a site that asks for nothing but its own
files, the egress proxy (which refuses and counts every host but the replica's) is asked for no other host.
Debian's Chromium 150 listed the profile's Google accounts (accounts.google.com) as its tokens loaded and
checked in for push messaging (android.clients.google.com) a few seconds after launch, whatever page it rendered."""

from __future__ import annotations

from pathlib import Path

from tests.crawling import MongoTarget, StoreCrawl
from tests.hostile_site import article
from tests.test_browser import requires_chromium
from tests.test_browser_egress import CONFIG, DOMAIN, write_shell_site

SLUGS = ("first", "second", "third")
# Renders the article from the site's own JSON API: every request of the page is to the replica.
APP_JS = """
const slug = location.pathname.split("/")[2];
fetch(`/api/${slug}.json`).then(r => r.json()).then(data => { document.getElementById("app").innerHTML = data.html; });
"""


def build(root: Path) -> Path:
    """A site whose articles are script shells filled from its own API; the config's path."""
    shells = {slug: article(slug).split("<body>")[0]
              + "<body><div id='app'></div><script src='/static/app.js'></script></body></html>" for slug in SLUGS}
    write_shell_site(root, shells, APP_JS, "Quiet")
    config = root.parent / "quiet.toml"
    config.write_text(CONFIG.format(domain=DOMAIN, needs_browser="true"), encoding="utf-8")
    return config


@requires_chromium
def test_chromium_connects_to_no_host_but_the_site(tmp_path: Path, mongo: MongoTarget,
                                                   crawl_into_store: StoreCrawl) -> None:
    config = build(tmp_path / "site")
    result = crawl_into_store("news", f"config={config}", replica=tmp_path / "site",
                              settings=["ROBOTSTXT_OBEY=0", "RETRY_TIMES=0"], timeout=120, expect=0)
    stats = result.stats
    assert stats["browser/rendered"] == len(SLUGS)
    assert mongo.db.articles.count_documents({}) == len(SLUGS)
    # in a mirror's crawl the proxy refuses (and counts, and logs) every host but the mirror's
    assert {key: value for key, value in stats.items() if key.startswith("browser/refused")} == {}
    assert [line for line in result.log.splitlines() if "Browser refused" in line] == []
