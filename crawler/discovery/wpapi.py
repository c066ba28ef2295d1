"""The WordPress REST API post list (``/wp-json/wp/v2/posts``) -> dated links."""

from __future__ import annotations

import json
from datetime import UTC
from urllib.parse import urlencode

from crawler.dates import parse_datetime
from crawler.discovery import Link

PAGE_SIZE = 50


def posts_url(endpoint: str, page: int) -> str:
    """The URL of one page of posts, newest first, with only the fields discovery needs."""
    query = urlencode({"per_page": PAGE_SIZE, "page": page, "orderby": "date", "order": "desc",
                       "_fields": "link,date_gmt,modified_gmt"})
    return f"{endpoint}?{query}"


def parse_posts(body: bytes) -> list[Link] | None:
    """Links of a posts page, dated by ``date_gmt`` (UTC); None when it is not a post list."""
    posts = read_posts(body)
    return None if posts is None else posts[0]


def read_posts(body: bytes, max_entries: int | None = None) -> tuple[list[Link], int] | None:
    """Links of the first ``max_entries`` posts of a posts page (all for None) and how many more it has; None when
    it is not a post list. We ask for ``PAGE_SIZE`` posts: a page of more is a flood, each post a request."""
    try:
        posts = json.loads(body)
    except (ValueError, RecursionError):  # nested past the interpreter's depth: as unreadable as bad JSON
        return None
    if not isinstance(posts, list):
        return None
    skipped = max(0, len(posts) - max_entries) if max_entries is not None else 0
    links = []
    for post in posts[:len(posts) - skipped]:
        # A "\\ud800" escape decodes to a lone surrogate, which no URL can carry (Scrapy raised on it, ending the
        # page's callback): such a link is not followed.
        if isinstance(post, dict) and isinstance(post.get("link"), str) and _encodable(post["link"]):
            date = post.get("date_gmt")  # a broken plugin's number or false is no date (it raised, losing the page)
            links.append(Link(post["link"], parse_datetime(date if isinstance(date, str) else None, UTC)))
    return links, skipped


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
