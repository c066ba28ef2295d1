"""``python -m crawler.extract.worker FD``: one extraction worker process (see :mod:`crawler.extract.pool`).

It reads the site config and caps, then pages, from the connection on file descriptor FD and
answers each page with its record (or the extractor's traceback), until the connection closes.
Started as a module of its own rather than by ``multiprocessing`` so that the crawl's main
module (a user's script, Scrapyd's runner) is never imported again in it.
"""

from __future__ import annotations

import logging
import signal
import sys
import traceback
from multiprocessing.connection import Connection
from typing import Any

READY, OK, FAILED = "ready", "ok", "failed"


def serve(conn: Connection) -> None:
    """Warm up, say so, then extract each page received until the connection closes."""
    from crawler.extract.article import extract_article, warm_up

    site, limits = conn.recv()
    warm_up()
    conn.send(READY)
    while True:
        try:
            html, url, fetched_at = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply: tuple[str, Any] = (OK, extract_article(html, url, site, fetched_at, limits))
        except Exception:
            reply = (FAILED, traceback.format_exc())
        conn.send(reply)


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the crawl, which then closes the connection
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s [%(name)s] %(levelname)s: %(message)s")
    serve(Connection(int(argv[1])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
