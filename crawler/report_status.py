"""``scrapy report``'s verdict on each site, and the exit status a scheduler alerts on.

A site with a run in the report's window (30 days) is judged: ``failing`` when its last run was abandoned (its
process died) or the last run that crawled failed; ``stale`` when its newest article was published longer ago than
the site's ``stale_hours`` (its config's ``[monitors]``, default 48, as its last run recorded it), the rule run
health applies; ``degraded`` when the last run that crawled was; else ``ok``. A site with no run in the window is
not judged (a deployment crawls the sites it chooses). Exit status, the worst of the sites': 1 failing or stale,
3 degraded, 0 all ok (as ``scrapy crawl``'s 1 failed and 3 degraded).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from crawler.health import DEGRADED, FAILED, Thresholds
from crawler.run_record import ABANDONED

OK, FAILING, STALE = "ok", "failing", "stale"
EXIT_CODES = {FAILING: 1, STALE: 1, DEGRADED: 3, OK: 0}


def stale_hours(site: str, runs: Iterable[dict[str, Any]] = ()) -> float:
    """How old a site's newest article may be: the ``stale_hours`` its newest run among ``runs`` (newest first)
    recorded, the one it judged itself by (also from a config file, ``-a config=``); for a site whose runs
    recorded none (recorded before runs did), its bundled config's, else the default."""
    from crawler.sites import SiteConfigError, load_site

    for run in runs:
        recorded = (run.get("thresholds") or {}).get("stale_hours")
        if isinstance(recorded, (int, float)) and not isinstance(recorded, bool):
            return float(recorded)
    try:
        return load_site(site).monitors.stale_hours
    except SiteConfigError:  # a site crawled from a config file (-a config=): the report has no config for it
        return Thresholds().stale_hours


def site_status(row: dict[str, Any], crawled_health: str | None, limit_hours: float) -> tuple[str, str | None]:
    """The verdict on a judged site's report ``row`` and why; ``crawled_health``: the health of its last run
    that crawled and ended."""
    if row["last_health"] == ABANDONED:
        return FAILING, "the last run's process died (abandoned)"
    if crawled_health == FAILED:
        return FAILING, "the last run that crawled failed"
    freshness = row["freshness_hours"]
    if freshness is not None and freshness > limit_hours:
        return STALE, f"no article published for {freshness:.0f} h (limit {limit_hours:g} h)"
    if crawled_health == DEGRADED:
        return DEGRADED, "the last run that crawled was degraded"
    return OK, None


def exit_code(statuses: list[str | None]) -> int:
    """1 when a site is failing or stale, else 3 when one is degraded, else 0 (unjudged sites: None)."""
    codes = [EXIT_CODES[status] for status in statuses if status is not None]
    return 1 if 1 in codes else max(codes, default=0)
