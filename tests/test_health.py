"""Run health from stats and history: one line per case."""

from datetime import UTC, datetime, timedelta

import pytest

from crawler.health import DEGRADED, FAILED, HEALTHY, Thresholds, assess

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


def test_nothing_new_is_healthy_when_articles_were_known() -> None:
    stats = {"finish_reason": "finished", "item_scraped_count": 0, "incremental/known": 40}
    assert assess(stats, [], NOW - timedelta(hours=3), NOW, Thresholds()).status == HEALTHY


def test_stale_site_is_degraded_after_its_cadence() -> None:
    assert assess(GOOD, [], NOW - timedelta(hours=50), NOW, Thresholds()).status == DEGRADED
    assert assess(GOOD, [], NOW - timedelta(hours=50), NOW, Thresholds(stale_hours=72)).status == HEALTHY


def test_fallback_baseline_is_learned_from_history() -> None:
    all_generic = {**GOOD, "extract/body/site": 0, "extract/body/generic": 20}
    assert assess(all_generic, [], None, NOW, Thresholds()).status == HEALTHY  # no history: no baseline
    generic_history = [{"extract/body/generic": 20}] * 3
    assert assess(all_generic, generic_history, None, NOW, Thresholds()).status == HEALTHY
    assert assess(all_generic, SITE_RULES_HISTORY, None, NOW, Thresholds()).status == DEGRADED
