"""An article body a script-built page carries only in its embedded state.

A Next.js page rendered in the browser ships a skeleton and, in ``<script id="__NEXT_DATA__"
type="application/json">``, the data the browser renders it from: the article's HTML under a key such as
``content`` or ``body``. The generic path read the skeleton's menu, and the site was then rendered in Chromium,
page by page. The body is read from that state instead: the longest HTML string of paragraphs in it, preferring
one whose object names the page's title.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from lxml import etree
from lxml import html as lxml_html
from parsel import Selector

from crawler.extract.body import Body, extract_body
from crawler.limits import RecordLimits

_SCRIPTS = "script#__NEXT_DATA__, script[type='application/json']"
_SCRIPTS_READ = 5
_SCRIPT_MAX_CHARS = 5_000_000  # a state larger than this is no article page's
_NODES_READ = 50_000  # values visited at most in one state
_MIN_HTML_CHARS = 200
_TITLE_KEYS = ("title", "headline", "name")
_PARAGRAPH = re.compile(r"<p[\s>]", re.IGNORECASE)


def embedded_body(sel: Selector, title: str | None, base_url: str, limits: RecordLimits) -> Body | None:
    """The body in the page's embedded JSON state (:data:`_SCRIPTS`), or None."""
    best: tuple[int, int, str] | None = None  # (names the title, length, html)
    wanted = _key(title)
    for script in sel.css(_SCRIPTS)[:_SCRIPTS_READ]:
        text = script.xpath("string()").get() or ""
        if len(text) > _SCRIPT_MAX_CHARS:
            continue
        try:
            state = json.loads(text)
        except (ValueError, RecursionError):
            continue
        for owner, value in _html_strings(state):
            titled = int(bool(wanted) and any(_key(owner.get(k)) == wanted for k in _TITLE_KEYS))
            candidate = (titled, len(value), value)
            if best is None or candidate[:2] > best[:2]:
                best = candidate
    if best is None:
        return None
    try:
        container = lxml_html.fragment_fromstring(best[2], create_parent="div")
    except (etree.ParserError, ValueError):
        return None
    body = extract_body(container, base_url, limits)
    return body if body.paragraphs else None


def _html_strings(state: Any) -> Iterator[tuple[dict[str, Any], str]]:
    """(object, value) of every string value of ``state`` that is HTML of paragraphs, walked without recursion."""
    stack: list[Any] = [state]
    visited = 0
    while stack and visited < _NODES_READ:
        node = stack.pop()
        visited += 1
        if isinstance(node, dict):
            for value in node.values():
                if isinstance(value, str) and len(value) >= _MIN_HTML_CHARS and len(_PARAGRAPH.findall(value)) >= 2:
                    yield node, value
                elif isinstance(value, (dict, list)):
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(item for item in node if isinstance(item, (dict, list)))


def _key(value: Any) -> str:
    return " ".join(value.casefold().split()) if isinstance(value, str) else ""
