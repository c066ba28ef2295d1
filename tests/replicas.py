"""The replica sites under ``tests/replica/<site>/`` and their expected output.

``expected.json`` maps each article's real URL to its expected record fields
(``_recorded`` optionally names the file holding the page as a browser renders
it, for sites whose body only exists after JavaScript) and lists the real
URLs of pages that must not be stored under ``not_articles``.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawler.bench.replica_server import resolve
from crawler.sites import load_site
from crawler.urls import Mirror

REPLICAS = Path(__file__).resolve().parent / "replica"
RECORD_FIELDS = ("title", "lead", "paragraphs", "published", "modified", "authors", "section", "tags",
                 "language", "images")


def replica_sites() -> list[str]:
    """Sites that have a replica with an ``expected.json``."""
    return sorted(p.parent.name for p in REPLICAS.glob("*/expected.json"))


@cache
def expected(site: str) -> dict[str, Any]:
    return json.loads((REPLICAS / site / "expected.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def expected_articles(site: str) -> dict[str, dict[str, Any]]:
    return {url: fields for url, fields in expected(site).items() if url != "not_articles"}


def page_file(site: str, url: str) -> Path:
    """The replica file of a real URL, as the server would serve it (or its rendered recording)."""
    root = (REPLICAS / site).resolve()
    recorded = expected_articles(site).get(url, {}).get("_recorded")
    if recorded:
        return root / recorded
    config = load_site(site)
    parts = urlsplit(Mirror.for_site("http://replica", config.domains, config.editions[0].home).to_mirror(url))
    file = resolve(root, parts.path + (f"?{parts.query}" if parts.query else ""))
    if file is None:
        raise FileNotFoundError(f"{site}: no replica file for {url}")
    return file
