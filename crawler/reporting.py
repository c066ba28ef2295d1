"""What ``scrapy report --html`` shows, read from the store: per site, over the last days, articles
per day, every run's state, fallback share, errors, retries, freshness and publication-to-storage lag."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from crawler.health import fallback_bodies
from crawler.run_record import run_state
from crawler.storage.store import ArticleStore


@dataclass(frozen=True)
class RunRow:
    """One run as the report shows it."""

    id: str
    site: str
    spider: str
    job: str | None
    started_at: datetime
    finished_at: datetime | None
    state: str  # healthy, degraded, failed, skipped, running, abandoned, unknown
    articles: int
    errors: int
    retries: int
    problems: tuple[str, ...]


@dataclass
class SiteHistory:
    """One site over the report's window."""

    site: str
    per_day: list[int]
    runs: list[RunRow] = field(default_factory=list)
    newest_published: datetime | None = None
    lags: list[float] = field(default_factory=list)  # seconds from publication to first storage
    site_bodies: int = 0
    generic_bodies: int = 0

    @property
    def articles(self) -> int:
        return sum(self.per_day)

    @property
    def fallback_share(self) -> float | None:
        total = self.site_bodies + self.generic_bodies
        return self.generic_bodies / total if total else None

    @property
    def median_lag(self) -> float | None:
        return statistics.median(self.lags) if self.lags else None

    @property
    def errors(self) -> int:
        return sum(run.errors for run in self.runs)

    @property
    def retries(self) -> int:
        return sum(run.retries for run in self.runs)


@dataclass(frozen=True)
class Report:
    now: datetime
    days: list[date]
    sites: list[SiteHistory]

    @property
    def runs(self) -> list[RunRow]:
        """Every run in the window, newest first."""
        return sorted((run for site in self.sites for run in site.runs), key=lambda r: r.started_at, reverse=True)


def aware(value: Any) -> datetime | None:
    """A datetime in UTC (the embedded store hands back naive UTC), or None for anything else."""
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def run_row(run: dict[str, Any], now: datetime) -> RunRow:
    stats = run.get("stats", {})
    started = aware(run.get("started_at")) or now
    return RunRow(
        id=str(run.get("_id")), site=str(run.get("site") or run.get("spider") or "?"),
        spider=str(run.get("spider") or "?"), job=run.get("job"), started_at=started,
        finished_at=aware(run.get("finished_at")), state=run_state(run, now) or "unknown",
        articles=int(run.get("articles_stored") or 0), errors=int(stats.get("log_count/ERROR", 0)),
        retries=int(stats.get("retry/count", 0)),
        problems=tuple(str(p) for p in run.get("health", {}).get("problems", [])),
    )


def build_report(store: ArticleStore, sites: Iterable[str], now: datetime, days: int = 30) -> Report:
    """The report of the last ``days`` days (today included) for ``sites`` and every site the store
    holds runs or articles of in that window (sites crawled from a config file among them)."""
    first = (now - timedelta(days=days - 1)).date()
    since = datetime.combine(first, datetime.min.time(), UTC)
    day_list = [first + timedelta(days=i) for i in range(days)]
    histories: dict[str, SiteHistory] = {}

    def history(site: str) -> SiteHistory:
        return histories.setdefault(site, SiteHistory(site, [0] * days))

    for name in sites:
        history(name)
    for doc in store.article_times(since):
        _count_article(history(str(doc.get("site"))), doc, first)
    for run in store.runs_since(since):
        row = run_row(run, now)
        owner = history(row.site)
        owner.runs.append(row)
        stats = run.get("stats", {})
        owner.site_bodies += int(stats.get("extract/body/site", 0))
        owner.generic_bodies += fallback_bodies(stats)
    for each in histories.values():
        each.newest_published = aware(store.newest_published(each.site))
    return Report(now, day_list, sorted(histories.values(), key=lambda h: h.site))


def _count_article(site: SiteHistory, doc: dict[str, Any], first: date) -> None:
    seen, published = aware(doc.get("first_seen")), aware(doc.get("published"))
    if seen is None:
        return
    index = (seen.date() - first).days
    if 0 <= index < len(site.per_day):
        site.per_day[index] += 1
    if published is not None and published <= seen:
        site.lags.append((seen - published).total_seconds())


def human_duration(seconds: float | None) -> str:
    """A span as a person writes it: "45 min", "3 h", "2 days" ("-" for none)."""
    if seconds is None:
        return "-"
    seconds = max(0.0, seconds)
    if seconds < 60:
        return "under a minute"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"


def freshness(site: SiteHistory, now: datetime) -> str:
    """How long ago the site's newest stored article was published, as a person writes it."""
    if site.newest_published is None:
        return "-"
    return human_duration((now - site.newest_published).total_seconds())


def grouped(runs: Iterable[RunRow]) -> dict[str, list[RunRow]]:
    """Runs by state (for counts in the page)."""
    groups: dict[str, list[RunRow]] = defaultdict(list)
    for run in runs:
        groups[run.state].append(run)
    return groups
