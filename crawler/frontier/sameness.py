"""What the workers of one shared crawl must have in common beyond their ``-a`` values: the site's config and the
crawler's code. A worker of another version reads the crawl's queued requests differently (one naming a callback its
code lacks was dropped, lost to the whole crawl) and one with another site config takes other pages for articles,
so neither joins: they are part of the crawl's arguments (``crawler.frontier.extension.crawl_args``).
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable

PACKAGES = ("crawler", "pipelines")
SOURCES = (".py", ".toml")  # the code and the bundled site configs; never __pycache__, which differs per host


def site_fingerprint(site: object) -> str | None:
    """12 hex digits of a site's config (the repr of its frozen dataclasses and patterns); None without one."""
    return None if site is None else hashlib.sha256(repr(site).encode()).hexdigest()[:12]


@cache
def code_fingerprint() -> str:
    """12 hex digits of the crawler's sources, by path, as read from a checkout or a Scrapyd egg alike."""
    digest = hashlib.sha256()
    for package in PACKAGES:
        _add(digest, resources.files(package), package)
    return digest.hexdigest()[:12]


def _add(digest: hashlib._Hash, folder: Traversable, path: str) -> None:
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.is_dir():
            if entry.name != "__pycache__":
                _add(digest, entry, f"{path}/{entry.name}")
        elif entry.name.endswith(SOURCES):
            data = entry.read_bytes()
            digest.update(f"{path}/{entry.name}\0{len(data)}\0".encode())
            digest.update(data)
