"""A static HTTP server for replica sites, standard library only.

Path mapping, for a request path P with query Q:
- a directory (``/a/b/`` or ``/a/b``) serves ``index__Q.<ext>`` when Q is set
  and that file exists, else ``index.<ext>`` (ext: html, xml, json);
- a file serves ``<name>__Q`` when Q is set and that file exists, else ``<name>``;
- anything else is 404.
Responses carry an ``ETag`` and a ``Last-Modified`` (the file's mtime); a request with the
matching ``If-None-Match`` (or, without one, an ``If-Modified-Since`` not before the mtime) gets
304 Not Modified, unless ``_server.json`` says ``"ignore_validators": true``. ``server.answers``
lists each answer as ``(path, status)``. ``_server.json`` in the replica root may map paths to
302 redirects (``{"redirects": {"/a/": "http://elsewhere/"}}``; ``{"to": URL, "status": 301}`` for another
status), answer a path
429 with ``Retry-After: 1`` its first N times (``{"throttle": {"/a/": N}}``), and override content types per file
suffix, e.g. ``{"content_types": {".html": "text/html"}}`` for a site whose
charset is only in a meta tag. ``"paths"`` shapes the answer for one path:
``{"paths": {"/a/": {"status": 503, "times": 1, "headers": {"Retry-After": "1"},
"declare_length": 99999}}}`` answers 503 (with the file's body, if any) the first
``times`` requests (always, without ``times``), adds or replaces headers, and
declares a ``Content-Length`` other than the body's (a transfer cut short); ``"delay": S`` answers
that path S seconds late (a slow XHR holding a page in the browser). Run by hand:
``python -m crawler.bench.replica_server tests/replica/asiaplus --port 8800``.
"""

from __future__ import annotations

import argparse
import email.utils
import hashlib
import json
import logging
import mimetypes
import socketserver
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

_TYPES = {".xml": "application/xml; charset=utf-8", ".html": "text/html; charset=utf-8",
          ".json": "application/json; charset=utf-8", ".txt": "text/plain; charset=utf-8",
          ".js": "application/javascript; charset=utf-8", ".gz": "application/x-gzip"}
_INDEXES = ("html", "xml", "json")
GATE_SECONDS = 300  # a gated request waits at most this long (a test that failed before it opened the gate)

logger = logging.getLogger(__name__)


def resolve(root: Path, raw_path: str) -> Path | None:
    """The file that serves ``raw_path`` (path and query) under ``root``, if any."""
    parts = urlsplit(raw_path)
    candidate = (root / unquote(parts.path).lstrip("/")).resolve()
    if not candidate.is_relative_to(root):
        return None
    query = unquote(parts.query)
    if candidate.is_dir():
        names = [f"index__{query}.{ext}" for ext in _INDEXES if query] + [f"index.{ext}" for ext in _INDEXES]
        return next((candidate / n for n in names if (candidate / n).is_file()), None)
    if query and candidate.with_name(f"{candidate.name}__{query}").is_file():
        return candidate.with_name(f"{candidate.name}__{query}")
    return candidate if candidate.is_file() else None


def _settings(root: Path) -> dict[str, Any]:
    path = root / "_server.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def content_type(root: Path, file: Path) -> str:
    overrides = _settings(root).get("content_types", {})
    suffix = file.suffix or Path(file.name.split("__")[0]).suffix
    return overrides.get(suffix) or _TYPES.get(suffix) or mimetypes.guess_type(file.name)[0] or "text/html"


class ReplicaHandler(BaseHTTPRequestHandler):
    server_version = "nginx"

    def __init__(self, *args: object, root: Path, **kwargs: object) -> None:
        self.root = root
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def log_message(self, format: str, *args: object) -> None:
        self.server.requests.append(self.path)  # type: ignore[attr-defined]

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self.server.answers.append((self.path, int(code)))  # type: ignore[attr-defined]
        super().log_request(code, size)

    def do_GET(self) -> None:
        gate = self.server.gate  # type: ignore[attr-defined]
        if gate is not None:
            self.server.held.append(self.path)  # type: ignore[attr-defined]
            gate.wait(GATE_SECONDS)
        time.sleep(self.server.delay)  # type: ignore[attr-defined]
        settings = _settings(self.root)
        path = urlsplit(self.path).path
        throttled = self.server.throttled  # type: ignore[attr-defined]
        if throttled.get(path, 0) < settings.get("throttle", {}).get(path, 0):
            throttled[path] = throttled.get(path, 0) + 1
            self.send_response(429)
            self.send_header("Retry-After", "1")
            self.end_headers()
            return
        shape = settings.get("paths", {}).get(path, {})
        served = self.server.served  # type: ignore[attr-defined]
        served[path] = served.get(path, 0) + 1
        time.sleep(shape.get("delay", 0))  # counted in ``served`` already: a test sees the request waiting
        status = shape.get("status", 200) if served[path] <= shape.get("times", served[path]) else 200
        target = settings.get("redirects", {}).get(path)
        if target:
            redirect = target if isinstance(target, dict) else {"to": target}
            self.send_response(redirect.get("status", 302))
            self.send_header("Location", redirect["to"])
            self.end_headers()
            return
        file = resolve(self.root, self.path)
        if file is None and status == 200:
            self.send_error(404)
            return
        body = file.read_bytes() if file else b""
        etag = f'"{hashlib.sha1(body).hexdigest()[:16]}"'
        modified = int(file.stat().st_mtime) if file else 0
        if not settings.get("ignore_validators") and self._not_modified(etag, modified):
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        headers = {"ETag": etag, "Last-Modified": email.utils.formatdate(modified, usegmt=True),
                   "Content-Type": content_type(self.root, file) if file else "text/html",
                   "Content-Length": str(shape.get("declare_length", len(body))), **shape.get("headers", {})}
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        with suppress(BrokenPipeError, ConnectionResetError):  # the client gave up, e.g. over its size limit
            self.wfile.write(body)


    def _not_modified(self, etag: str, modified: int) -> bool:
        """The request's validators match (If-None-Match wins over If-Modified-Since, as RFC 9110 says)."""
        if self.headers.get("If-None-Match") is not None:
            return self.headers["If-None-Match"] == etag
        try:
            since = email.utils.parsedate_to_datetime(self.headers.get("If-Modified-Since", ""))
        except (TypeError, ValueError):  # absent or not a date: no condition
            return False
        return modified <= since.timestamp()


S = TypeVar("S", bound=socketserver.BaseServer)


@contextmanager
def running(server: S) -> Iterator[S]:
    """Run ``server`` in a daemon thread for the ``with`` block, then shut it down and close it."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def serve(root: Path, port: int = 0, delay: float = 0.0, host: str = "127.0.0.1",
          gate: threading.Event | None = None) -> Iterator[ThreadingHTTPServer]:
    """Serve ``root`` on ``host`` in a thread, each response ``delay`` seconds late and, with a ``gate``, only
    once the gate is set (``held`` lists the requests that came to it); yields the server (``server_port``,
    ``requests``)."""
    server = ThreadingHTTPServer((host, port), partial(ReplicaHandler, root=root.resolve()))
    server.gate = gate  # type: ignore[attr-defined]
    server.held = []  # type: ignore[attr-defined]
    server.requests = []  # type: ignore[attr-defined]
    server.answers = []  # type: ignore[attr-defined]
    server.delay = delay  # type: ignore[attr-defined]
    server.throttled = {}  # type: ignore[attr-defined]
    server.served = {}  # type: ignore[attr-defined]
    with running(server):
        yield server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--port", type=int, default=8800)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with serve(args.root, args.port) as server:
        logger.info("serving %s on http://127.0.0.1:%d/", args.root, server.server_port)
        threading.Event().wait()


if __name__ == "__main__":
    main()
