"""The counted priority queues pop in Scrapy's order and stay linear with one priority per request."""

from __future__ import annotations

import random
from typing import Any

import pytest
from scrapy import Request, Spider
from scrapy.pqueues import ScrapyPriorityQueue
from scrapy.squeues import FifoMemoryQueue, LifoMemoryQueue
from scrapy.utils.misc import build_from_crawler, load_object
from scrapy.utils.test import get_crawler

from crawler import settings
from crawler.pqueues import CountedPriorityQueue


def _queue(cls: type[ScrapyPriorityQueue], crawler: Any, downstream: type = LifoMemoryQueue) -> ScrapyPriorityQueue:
    return build_from_crawler(cls, crawler, downstream_queue_cls=downstream, key="", start_queue_cls=FifoMemoryQueue)


@pytest.mark.parametrize("seed", range(5))
def test_same_order_and_length_as_scrapys(seed: int) -> None:
    rng = random.Random(seed)
    crawler = get_crawler(Spider)
    ours, scrapys = _queue(CountedPriorityQueue, crawler), _queue(ScrapyPriorityQueue, crawler)
    for n in range(3000):
        if rng.random() < 0.55:
            meta = {"is_start_request": True} if rng.random() < 0.1 else {}
            request = Request(f"https://a.test/{n}", priority=rng.choice([0, 5, -3, rng.randint(-50, 50)]), meta=meta)
            ours.push(request)
            scrapys.push(request)
        else:
            assert ours.pop() is scrapys.pop()
        assert len(ours) == len(scrapys)
        assert ours.curprio == scrapys.curprio
    while len(scrapys):
        assert ours.pop() is scrapys.pop()
    assert len(ours) == 0 and ours.pop() is None


class _CountingQueue(LifoMemoryQueue):  # type: ignore[misc]
    """Counts how often any per-priority queue is asked its length."""

    asked = 0

    def __len__(self) -> int:
        _CountingQueue.asked += 1
        return int(super().__len__())


def test_configured_scheduler_queue_is_linear_with_a_priority_per_article() -> None:
    """Articles are queued by publication minute: one priority each. The engine asks the queue's length
    before each pop; with Scrapy's queue each ask visits every priority (quadratic)."""
    crawler = get_crawler(Spider)
    crawler.engine = crawler._create_engine()
    queue = build_from_crawler(load_object(settings.SCHEDULER_PRIORITY_QUEUE), crawler,
                               downstream_queue_cls=_CountingQueue, key="")
    articles = 2000
    for n in range(articles):
        queue.push(Request(f"https://a.test/{n}", priority=29_000_000 - 37 * n))
    _CountingQueue.asked = 0
    popped = []
    while len(queue):
        request = queue.pop()
        assert request is not None
        popped.append(request.url)
    assert popped == [f"https://a.test/{n}" for n in range(articles)]  # newest (highest priority) first
    assert _CountingQueue.asked < 10 * articles


class _Unreadable(LifoMemoryQueue):
    """A queue that drops a request and raises, as a disk queue does with a record whose callback was renamed."""

    def pop(self) -> Any:
        request = super().pop()
        if request is not None and request.url.endswith("/1"):
            raise ValueError("Method 'parse_old' not found")
        return request


def test_a_request_lost_while_popped_leaves_the_length_true() -> None:
    """Scrapy's engine stays open while the scheduler's length is above zero: a length that kept a request
    the queue had dropped would never let the crawl finish."""
    queue = _queue(CountedPriorityQueue, get_crawler(Spider), _Unreadable)
    for n in range(3):
        queue.push(Request(f"https://a.test/{n}", priority=n))
    popped = []
    for _ in range(6):  # three requests, one lost: never six pops' worth
        if not len(queue):
            break
        try:
            popped.append(queue.pop())
        except ValueError:
            popped.append(None)
    assert len(queue) == 0 and [r.url if r else None for r in popped if r] == ["https://a.test/2", "https://a.test/0"]
