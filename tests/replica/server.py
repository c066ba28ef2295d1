"""A static HTTP server for replica sites, standard library only.

``/a/b/`` serves ``<root>/a/b/index.html`` (or ``index.xml``); other paths
serve the file of that name. Unknown paths get 404. Run it by hand with
``python -m tests.replica.server tests/replica/asiaplus --port 8800``.
"""

from __future__ import annotations

import argparse
import mimetypes
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

_TYPES = {".xml": "application/xml; charset=utf-8", ".html": "text/html; charset=utf-8",
          ".txt": "text/plain; charset=utf-8", ".gz": "application/x-gzip"}


class ReplicaHandler(BaseHTTPRequestHandler):
    server_version = "nginx"

    def __init__(self, *args: object, root: Path, **kwargs: object) -> None:
        self.root = root
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def log_message(self, format: str, *args: object) -> None:
        self.server.requests.append(self.path)  # type: ignore[attr-defined]

    def _resolve(self) -> Path | None:
        path = unquote(urlsplit(self.path).path)
        candidate = (self.root / path.lstrip("/")).resolve()
        if not candidate.is_relative_to(self.root):
            return None
        if path.endswith("/"):
            for name in ("index.html", "index.xml"):
                if (candidate / name).is_file():
                    return candidate / name
            return None
        return candidate if candidate.is_file() else None

    def do_GET(self) -> None:
        file = self._resolve()
        if file is None:
            self.send_error(404)
            return
        body = file.read_bytes()
        content_type = _TYPES.get(file.suffix) or mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def serve(root: Path, port: int = 0) -> Iterator[ThreadingHTTPServer]:
    """Serve ``root`` on 127.0.0.1 in a thread; yields the server (``server_port``, ``requests``)."""
    server = ThreadingHTTPServer(("127.0.0.1", port), partial(ReplicaHandler, root=root.resolve()))
    server.requests = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--port", type=int, default=8800)
    args = parser.parse_args()
    with serve(args.root, args.port) as server:
        print(f"serving {args.root} on http://127.0.0.1:{server.server_port}/", flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
