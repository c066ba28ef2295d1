"""Run health: turns one run's stats, the site's earlier runs and its newest
article into healthy / degraded / failed, with the reasons, or skipped.

Checks (thresholds per site in its config's ``[monitors]`` table):
- the run ended abnormally, or found nothing at all -> failed;
- share of new articles without a publication date, or dropped without a body;
- share extracted by the generic fallback jumping above the site's rolling
  baseline (a layout change: the site's selectors stopped matching);
- error rate (5xx, network errors) and retry rate of requests;
- no new article stored for longer than ``stale_hours`` (the site's cadence);
- articles not in the store at the end (spooled, kept elsewhere, lost) or quarantined.

A run that did not crawl because another run of the site held its lock, or
because the site's shared crawl runs with other arguments or code, is
``skipped``: no problems, nothing to alert, and no part of later runs' baselines.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

HEALTHY, DEGRADED, FAILED, SKIPPED = "healthy", "degraded", "failed", "skipped"
# Close reasons of a run that ended as asked, not because something broke.
NORMAL_END = ("finished", "closespider_itemcount", "closespider_pagecount", "closespider_timeout")
# The close reason of a run that found another run of its site holding the lock (crawler.extensions.site_lock).
LOCKED_REASON = "site_locked"
# The close reason of a worker refused by its site's shared crawl: it runs with other arguments, config or code
# (crawler.frontier.extension; a rolling upgrade while the old version's crawl goes on).
ARGS_CONFLICT_REASON = "frontier_args_conflict"
# Runs that did not crawl because another run held the site: skipped, not failed.
REFUSED_REASONS = (LOCKED_REASON, ARGS_CONFLICT_REASON)
# Items that record a revisit's answer, not an article: 304, taken down (404/410, redirected away), moved.
REVISIT_CHECKS = ("articles/not_modified", "articles/gone", "articles/moved")


def skipped(stats: dict[str, Any]) -> bool:
    """Whether these run stats are those of a run skipped because another held the site."""
    return stats.get("finish_reason") in REFUSED_REASONS or bool(stats.get("site_lock/refused"))


@dataclass(frozen=True)
class Thresholds:
    max_missing_published: float = 0.2
    max_missing_body: float = 0.2
    max_fallback_jump: float = 0.3
    max_error_rate: float = 0.2
    max_retry_rate: float = 0.3
    stale_hours: float = 48.0


@dataclass
class Health:
    status: str = HEALTHY
    problems: list[str] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)

    def flag(self, status: str, problem: str) -> None:
        self.problems.append(problem)
        if status == FAILED or self.status == HEALTHY:
            self.status = status


def _share(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


FALLBACK_BODIES = ("extract/body/generic", "extract/body/state")  # a body not read by the site's rules


def fallback_bodies(stats: dict[str, Any]) -> int:
    """How many bodies the generic path read: the body model's, or a script-built page's embedded state's."""
    return int(sum(stats.get(key, 0) for key in FALLBACK_BODIES))


def fallback_share(stats: dict[str, Any]) -> float:
    site, generic = stats.get("extract/body/site", 0), fallback_bodies(stats)
    return _share(generic, site + generic)


def _errors(stats: dict[str, Any]) -> int:
    server = sum(v for k, v in stats.items() if k.startswith("downloader/response_status_count/5"))
    return int(server) + int(stats.get("downloader/exception_count", 0))


def assess(stats: dict[str, Any], earlier: list[dict[str, Any]], newest: datetime | None, now: datetime,
           limits: Thresholds, *, part: bool = False) -> Health:
    """The health of a run from its stats, earlier runs' stats (newest first) and when the site's
    newest article was first stored (``newest``). ``part``: the stats are one worker's part of a shared
    crawl, whose articles any worker may have taken (the crawl as a whole is judged on zero articles)."""
    if skipped(stats):
        return Health(SKIPPED)
    earlier = [s for s in earlier if not skipped(s)]  # a skipped run teaches no baseline
    health = Health()
    articles = stats.get("item_scraped_count", 0) - sum(stats.get(key, 0) for key in REVISIT_CHECKS)
    requests = stats.get("downloader/request_count", 0)
    dropped_body = stats.get("validation/dropped/missing/body", 0)
    health.metrics = {
        "articles": articles,
        "missing_published": _share(stats.get("fields/missing/published", 0), articles),
        "missing_body": _share(dropped_body, articles + dropped_body),
        "fallback_share": fallback_share(stats),
        "error_rate": _share(_errors(stats), requests),
        "retry_rate": _share(stats.get("retry/count", 0), requests),
    }
    reason = stats.get("finish_reason", "unknown")
    if reason not in NORMAL_END:
        health.flag(FAILED, f"run ended abnormally: {reason}")
    # Parts written so far of a shared crawl (REDIS_URL) without the seeder's may have no article yet.
    joined = stats.get("frontier/seeder") == 0
    # Known articles, sources unchanged since the last run (a 304, a child sitemap's lastmod), or revisits the
    # site answered with the article (unchanged, moved): nothing new, the site was read. Revisits that all found
    # their article gone are no sign of life (a site answering 404 to everything).
    seen = any(stats.get(k) for k in ("incremental/known", "discovery/not_modified",
                                      "discovery/skipped/sitemap_unchanged", "articles/not_modified",
                                      "articles/moved"))
    if articles == 0 and not seen and not dropped_body and not joined and not part:
        health.flag(FAILED, "zero articles: nothing discovered or extracted")
    _check_fields(health, limits)
    _check_fallback(health, earlier, limits)
    _check_rates(health, limits)
    _check_storage(health, stats)
    if stats.get("download/host_down"):
        health.flag(DEGRADED, f"hosts down {stats['download/host_down']} time(s): "
                              f"{stats.get('download/host_down/refused', 0)} requests given up unsent, "
                              f"{stats.get('download/host_down/waited', 0)} held until the host answered")
    if newest is not None and now - newest > timedelta(hours=limits.stale_hours):
        health.flag(DEGRADED, f"no new article for {(now - newest).total_seconds() / 3600:.0f} h")
    return health


def _check_fields(health: Health, limits: Thresholds) -> None:
    m = health.metrics
    if m["missing_published"] > limits.max_missing_published:
        health.flag(DEGRADED, f"{m['missing_published']:.0%} of articles without a publication date")
    if m["missing_body"] > limits.max_missing_body:
        health.flag(DEGRADED, f"{m['missing_body']:.0%} of article pages without a body")


def _check_fallback(health: Health, earlier: list[dict[str, Any]], limits: Thresholds) -> None:
    history = [fallback_share(s) for s in earlier if s.get("extract/body/site", 0) + fallback_bodies(s)]
    if not history:  # no baseline yet: the first runs of a site teach it
        return
    baseline = statistics.median(history[:10])
    health.metrics["fallback_baseline"] = baseline
    if health.metrics["fallback_share"] - baseline > limits.max_fallback_jump:
        health.flag(DEGRADED, f"generic fallback extracted {health.metrics['fallback_share']:.0%} of articles "
                              f"(baseline {baseline:.0%}): the site's layout probably changed")


def _check_rates(health: Health, limits: Thresholds) -> None:
    m = health.metrics
    if m["error_rate"] > limits.max_error_rate:
        health.flag(DEGRADED, f"error rate {m['error_rate']:.0%}")
    if m["retry_rate"] > limits.max_retry_rate:
        health.flag(DEGRADED, f"retry rate {m['retry_rate']:.0%}")


def _check_storage(health: Health, stats: dict[str, Any]) -> None:
    if stats.get("storage/unsaved"):
        health.flag(DEGRADED, f"{stats['storage/unsaved']} articles not in the store (see the log for where they are)")
    if stats.get("storage/quarantined"):
        health.flag(DEGRADED, f"{stats['storage/quarantined']} records quarantined (rejected by the store "
                              "or corrupt in the spool): see DATA_DIR/quarantine/")
