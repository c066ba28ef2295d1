"""Pure parts of watching a crawl: spans as a person writes them, what a run record says of its run
(running, abandoned, skipped, its health), and a backfill's time left from publication dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crawler.extensions.progress import Backfill
from crawler.reporting import human_duration
from crawler.run_record import crawl_document, run_state, running_part

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(("seconds", "said"), [
    (None, "-"), (5, "under a minute"), (60, "1 min"), (45 * 60, "45 min"), (3 * 3600, "3 h"),
    (47 * 3600, "47 h"), (2 * 86400, "2 days"), (40 * 86400, "40 days"),
])
def test_spans_read_as_a_person_writes_them(seconds: float | None, said: str) -> None:
    assert human_duration(seconds) == said


@pytest.mark.parametrize(("run", "state"), [
    ({"outcome": "running", "updated_at": NOW - timedelta(seconds=170), "update_interval": 60}, "running"),
    ({"outcome": "running", "updated_at": NOW - timedelta(seconds=181), "update_interval": 60}, "abandoned"),
    ({"outcome": "running", "updated_at": (NOW - timedelta(seconds=5)).replace(tzinfo=None),
      "update_interval": 1}, "abandoned"),  # naive UTC from the embedded store
    ({"outcome": "running", "started_at": NOW - timedelta(hours=1)}, "abandoned"),  # never updated
    ({"outcome": "skipped", "finish_reason": "site_locked"}, "skipped"),
    # Refused by its site's shared crawl (a rolling upgrade), as written before it was called skipped too.
    ({"outcome": "failed", "finish_reason": "frontier_args_conflict", "health": {"status": "failed"}}, "skipped"),
    ({"outcome": "ok", "finish_reason": "finished", "health": {"status": "degraded"}}, "degraded"),
    ({"outcome": "ok", "finish_reason": "finished"}, None),
])
def test_what_a_run_record_says_of_its_run(run: dict[str, object], state: str | None) -> None:
    assert run_state(run, NOW) == state


def test_a_backfill_estimates_its_time_left_from_publication_dates() -> None:
    backfill = Backfill(datetime(2025, 1, 1, tzinfo=UTC))
    assert backfill.describe(0) == "back to 2025-01-01: no dated article yet"
    backfill.saw(datetime(2025, 12, 31, tzinfo=UTC), 100.0)
    backfill.saw(datetime(2025, 12, 1, tzinfo=UTC), 200.0)
    # 30 days covered in 3600 s; 334 days left at that pace.
    assert backfill.describe(3700.0) == f"back to 2025-01-01: at 2025-12-01, about {3600 * 334 // 30 // 3600} h left"
    backfill.saw(datetime(2024, 12, 30, tzinfo=UTC), 4000.0)
    assert backfill.describe(4000.0) == "back to 2025-01-01: at 2024-12-30, reached"


def test_a_chat_summary_cannot_ping_a_channel_or_forge_a_link() -> None:
    from crawler.notify import webhook_body

    body = webhook_body({"run": "r1", "site": "kloop", "status": "degraded",
                         "problems": ["<!channel> & <http://evil|click>"]})
    assert body["text"] == "Crawl of kloop: degraded (run r1)\n• &lt;!channel&gt; &amp; &lt;http://evil|click&gt;"
    assert body["problems"] == ["<!channel> & <http://evil|click>"]  # the raw field as it was


def _part(run: str, outcome: str, now: datetime, *, ended: bool = False, scraped: int = 1) -> dict[str, object]:
    part: dict[str, object] = {"run": run, "started_at": now - timedelta(minutes=5), "finished_at": now,
                               "finish_reason": "finished", "ended": ended, "outcome": "ok", "articles_stored": scraped,
                               "stats": {"item_scraped_count": scraped}}
    return part if outcome == "ok" else running_part(part, 60, now)


def test_a_shared_crawl_runs_while_a_part_does_until_a_worker_saw_it_end() -> None:
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    base = {"spider": "news", "site": "x", "args": {}}
    doc = crawl_document(None, base, "a", _part("a", "running", now, scraped=2), now=now)
    doc = crawl_document(doc, base, "b", _part("b", "ok", now, scraped=3), now=now)  # b closed, not seeing the end
    assert doc["outcome"] == "running" and doc["finished_at"] is None and doc["updated_at"] == now
    assert doc["stats"]["item_scraped_count"] == doc["articles_stored"] == 5  # progress so far, both parts
    assert run_state(doc, now + timedelta(minutes=1)) == "running"
    assert run_state(doc, now + timedelta(minutes=4)) == "abandoned"  # a's worker died
    # c saw the crawl end: a part still running then is a dead worker's, and the crawl is over.
    doc = crawl_document(doc, base, "c", _part("c", "ok", now, ended=True), now=now)
    assert doc["outcome"] == "ok" and doc["finish_reason"] == "finished" and doc["finished_at"] == now


def test_a_shared_crawl_whose_other_workers_finished_is_over_when_the_running_part_is_a_dead_workers() -> None:
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    base = {"spider": "news", "site": "x", "args": {}}
    doc = crawl_document(None, base, "a", _part("a", "running", now - timedelta(minutes=10)))  # killed since
    doc = crawl_document(doc, base, "b", _part("b", "ok", now), now=now)  # closed without seeing the end
    assert doc["outcome"] == "ok" and doc["finished_at"] == now and doc["articles_stored"] == 2
    doc = crawl_document(None, base, "a", _part("a", "running", now - timedelta(minutes=1)))
    assert crawl_document(doc, base, "b", _part("b", "ok", now), now=now)["outcome"] == "running"  # a is alive
