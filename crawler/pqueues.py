"""Scrapy's request priority queues with their length counted and the next priority kept in a heap.

Articles are requested by publication minute (newest first), so a crawl has about one priority per
article: Scrapy's :class:`~scrapy.pqueues.ScrapyPriorityQueue` sums the length of every per-priority
queue on each ``len()`` (the engine asks several times per request) and rescans every priority when
one empties, which made the scheduler quadratic in the queued articles. These keep the same order, the
same queues on disk (``JOBDIR``) and the same state. Setting: ``SCHEDULER_PRIORITY_QUEUE``.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from typing import Any

from scrapy import Request
from scrapy.pqueues import DownloaderAwarePriorityQueue, ScrapyPriorityQueue, _path_safe


class CountedPriorityQueue(ScrapyPriorityQueue):
    """:class:`~scrapy.pqueues.ScrapyPriorityQueue` with an O(1) length and an O(log n) next priority."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._count = 0
        self._heap: list[int] = []  # the priorities that may still have a queue (stale ones are skipped)
        self._in_heap: set[int] = set()
        super().__init__(*args, **kwargs)

    def init_prios(self, startprios: Iterable[int]) -> None:
        super().init_prios(startprios)
        self._count = self._counted()
        self._in_heap = {*self.queues, *self._start_queues}
        self._heap = sorted(self._in_heap)

    def push(self, request: Request) -> None:
        super().push(request)  # raises before counting when the request cannot be queued
        self._count += 1
        priority = self.priority(request)
        if priority not in self._in_heap:
            self._in_heap.add(priority)
            heapq.heappush(self._heap, priority)

    def pop(self) -> Request | None:
        try:
            request = super().pop()
        except Exception:  # a disk queue drops a record it cannot turn back into a request (a renamed callback)
            self._count = self._counted()
            raise
        if request is not None:
            self._count -= 1
        return request

    def _counted(self) -> int:
        return sum(len(q) for queues in (self.queues, self._start_queues) for q in queues.values())

    def _update_curprio(self) -> None:
        """The lowest priority with a non-empty queue, as Scrapy's scan finds it."""
        while self._heap:
            priority = self._heap[0]
            if self.queues.get(priority) or self._start_queues.get(priority):
                self.curprio = priority
                return
            heapq.heappop(self._heap)
            self._in_heap.discard(priority)
        self.curprio = None

    def __len__(self) -> int:
        return self._count


class CountedDownloaderAwarePriorityQueue(DownloaderAwarePriorityQueue):
    """Scrapy's default priority queue (per download slot), each slot's queue a :class:`CountedPriorityQueue`."""

    def pqfactory(self, slot: str, startprios: Iterable[int] = ()) -> ScrapyPriorityQueue:
        return CountedPriorityQueue(self.crawler, self.downstream_queue_cls, self.key + "/" + _path_safe(slot),
                                    startprios, start_queue_cls=self._start_queue_cls)
