"""Run health from stats and history: one line per case."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.health import DEGRADED, FAILED, HEALTHY, SKIPPED, Thresholds, assess
from crawler.run_record import outcome
from crawler.storage.store import ArticleStore, StoreTarget

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
GOOD = {"finish_reason": "finished", "item_scraped_count": 20, "downloader/request_count": 30,
        "extract/body/site": 20}
SITE_RULES_HISTORY = [{"extract/body/site": 18}, {"extract/body/site": 25, "extract/body/generic": 1}]


@pytest.mark.parametrize(("changes", "status", "problem"), [
    ({}, HEALTHY, None),
    ({"finish_reason": "shutdown"}, FAILED, "abnormally"),
    ({"item_scraped_count": 0, "extract/body/site": 0}, FAILED, "zero articles"),
    ({"fields/missing/published": 10}, DEGRADED, "without a publication date"),
    ({"validation/dropped/missing/body": 10}, DEGRADED, "without a body"),
    ({"extract/body/site": 2, "extract/body/generic": 18}, DEGRADED, "layout probably changed"),
    ({"downloader/response_status_count/503": 12}, DEGRADED, "error rate"),
    ({"retry/count": 15}, DEGRADED, "retry rate"),
])
def test_assess(changes: dict, status: str, problem: str | None) -> None:  # type: ignore[type-arg]
    health = assess({**GOOD, **changes}, SITE_RULES_HISTORY, NOW - timedelta(hours=1), NOW, Thresholds())
    assert health.status == status
    assert (problem is None and not health.problems) or any(problem in p for p in health.problems)


def test_revisit_checks_are_not_articles() -> None:
    """A revisit answered 304, found the article gone or moved is an item, not an article of the run."""
    stats = {**GOOD, "item_scraped_count": 27, "articles/not_modified": 1, "articles/gone": 4, "articles/moved": 2}
    assert assess(stats, [], NOW - timedelta(hours=1), NOW, Thresholds()).metrics["articles"] == 20


def test_nothing_new_is_healthy_when_articles_were_known() -> None:
    stats = {"finish_reason": "finished", "item_scraped_count": 0, "incremental/known": 40}
    assert assess(stats, [], NOW - timedelta(hours=3), NOW, Thresholds()).status == HEALTHY


def test_nothing_new_is_healthy_when_revisits_were_answered() -> None:
    """Every listed article was due for a revisit (none merely known): 304s are the site working."""
    stats = {"finish_reason": "finished", "item_scraped_count": 12, "articles/not_modified": 12}
    assert assess(stats, [], NOW - timedelta(hours=3), NOW, Thresholds()).status == HEALTHY
    revisits_failed = {"finish_reason": "finished", "item_scraped_count": 0, "incremental/revisit": 12}
    assert assess(revisits_failed, [], NOW - timedelta(hours=3), NOW, Thresholds()).status == FAILED
    all_gone = {"finish_reason": "finished", "item_scraped_count": 15, "articles/gone": 15}  # 404 to everything
    assert assess(all_gone, [], NOW - timedelta(hours=3), NOW, Thresholds()).status == FAILED


def test_a_worker_that_joined_a_shared_crawl_and_got_no_article_is_healthy() -> None:
    stats = {"finish_reason": "finished", "item_scraped_count": 0, "frontier/seeder": 0}
    assert assess(stats, [], NOW - timedelta(hours=3), NOW, Thresholds()).status == HEALTHY
    assert assess({**stats, "frontier/seeder": 1}, [], NOW - timedelta(hours=3), NOW, Thresholds()).status == FAILED


def test_the_seeder_of_a_shared_crawl_is_judged_on_its_part_and_the_crawl_on_the_whole() -> None:
    """The seeder may see the other workers take every article: its part is not failed for it, the
    crawl's merged stats (the seeder's part counted in) still are when nobody stored anything."""
    seeder = {"finish_reason": "finished", "item_scraped_count": 0, "frontier/seeder": 1}
    assert assess(seeder, [], NOW - timedelta(hours=3), NOW, Thresholds(), part=True).status == HEALTHY
    assert assess(seeder, [], NOW - timedelta(hours=3), NOW, Thresholds()).status == FAILED


def test_stale_site_is_degraded_after_its_cadence() -> None:
    assert assess(GOOD, [], NOW - timedelta(hours=50), NOW, Thresholds()).status == DEGRADED
    assert assess(GOOD, [], NOW - timedelta(hours=50), NOW, Thresholds(stale_hours=72)).status == HEALTHY


def test_fallback_baseline_is_learned_from_history() -> None:
    all_generic = {**GOOD, "extract/body/site": 0, "extract/body/generic": 20}
    assert assess(all_generic, [], None, NOW, Thresholds()).status == HEALTHY  # no history: no baseline
    generic_history = [{"extract/body/generic": 20}] * 3
    assert assess(all_generic, generic_history, None, NOW, Thresholds()).status == HEALTHY
    assert assess(all_generic, SITE_RULES_HISTORY, None, NOW, Thresholds()).status == DEGRADED


def test_a_run_skipped_for_the_site_lock_is_skipped_with_nothing_to_alert() -> None:
    skipped = {"finish_reason": "site_locked", "site_lock/refused": 1}
    health = assess(skipped, SITE_RULES_HISTORY, NOW - timedelta(hours=100), NOW, Thresholds())
    assert (health.status, health.problems) == (SKIPPED, [])


def test_skipped_runs_teach_no_baseline() -> None:
    """Only crawls that ran count: a skipped run (stats of a refused lock) is no evidence of a layout."""
    all_generic = {**GOOD, "extract/body/site": 0, "extract/body/generic": 20}
    # Refused runs as recorded before they had their own status: their stats still say so.
    refused = {"finish_reason": "site_locked", "site_lock/refused": 1, "extract/body/generic": 20}
    assert assess(all_generic, [refused] * 5 + SITE_RULES_HISTORY, None, NOW, Thresholds()).status == DEGRADED


@pytest.mark.parametrize(("reason", "stats", "expected"), [
    ("finished", {}, "ok"),
    ("finished", {"log_count/ERROR": 1}, "errors"),
    ("shutdown", {}, "failed"),
    ("site_locked", {"site_lock/refused": 1, "log_count/ERROR": 1}, "skipped"),
])
def test_outcome(reason: str, stats: dict, expected: str) -> None:  # type: ignore[type-arg]
    assert outcome(reason, stats) == expected


def test_latest_runs_can_leave_out_skipped_runs(tmp_path: Path) -> None:
    store = ArticleStore.connect(StoreTarget(uri="", database="runs", data_dir=str(tmp_path)))
    try:
        for minute, reason in enumerate(["finished", "site_locked", "site_locked"]):
            store.record_run({"_id": str(minute), "spider": "kun", "finish_reason": reason,
                              "started_at": NOW + timedelta(minutes=minute)})
        assert [r["_id"] for r in store.latest_runs(5, "kun")] == ["2", "1", "0"]
        assert [r["_id"] for r in store.latest_runs(5, "kun", crawled=True)] == ["0"]
    finally:
        store.close()
