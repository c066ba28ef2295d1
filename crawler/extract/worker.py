"""``python -m crawler.extract.worker FD PARENT``: one extraction worker process (see :mod:`crawler.extract.pool`).

It reads the site config and caps, then pages, from the connection on file descriptor FD and
answers each page with its :class:`~crawler.extract.result.Extraction` (or the extractor's
traceback), until the connection closes.
Started as a module of its own rather than by ``multiprocessing`` so that the crawl's main
module (a user's script, Scrapyd's runner) is never imported again in it.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
import traceback
from multiprocessing.connection import Connection
from typing import Any

READY, OK, FAILED = "ready", "ok", "failed"
LOG_SEPARATOR = "\x1f"  # between level, logger name and message on stderr: the pool relays them
_PR_SET_PDEATHSIG = 1


def serve(conn: Connection) -> None:
    """Warm up, say so, then extract each page received until the connection closes."""
    from crawler.extract.article import extract_article, warm_up
    from crawler.heap import freeze_heap

    site, limits, keep_html = conn.recv()
    warm_up()
    freeze_heap()  # the warm models are never garbage: young collections stop walking them page after page
    conn.send(READY)
    while True:
        try:
            html, url, fetched_at = conn.recv()
        except (EOFError, OSError):
            return
        try:
            # The stored page crosses as UTF-8: lxml's serialisation as it is, neither decoded nor encoded again here.
            reply: tuple[str, Any] = (OK, extract_article(html, url, site, fetched_at, limits, keep_html,
                                                          html_utf8=keep_html))
        except Exception:
            reply = (FAILED, traceback.format_exc())
        conn.send(reply)


def die_with_parent(parent: int | None = None, signum: int = signal.SIGKILL) -> None:
    """Be killed (sent ``signum``) when the crawl dies, even by SIGKILL: a worker stuck in a runaway page would
    otherwise keep a core busy with no one left to enforce its budget (Linux only). ``parent``: the pid
    that started this process, when known; else the parent now (one that died before this is asked is missed)."""
    parent = os.getppid() if parent is None else parent
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signum)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the crawl died before the request took effect
        os._exit(1)


def main(argv: list[str]) -> int:
    # The crawl's pid from the crawl: one killed while this interpreter started is no longer the parent here.
    die_with_parent(int(argv[2]) if len(argv) > 2 else None)
    # Ctrl-C, or a SIGTERM sent to the whole process group (systemd stopping the unit, `kill -- -PGID`), stops
    # the crawl, which finishes the pages in flight here and then closes the connection; the pool kills with SIGKILL.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
    logging.basicConfig(level=logging.WARNING,
                        format=LOG_SEPARATOR.join(("%(levelname)s", "%(name)s", "%(message)s")))
    serve(Connection(int(argv[1])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
