"""Pages that need a browser: scrapy-playwright request meta, heavy resources
blocked, and detection of script shells (pages whose text only appears after
JavaScript runs)."""

from __future__ import annotations

from typing import Any

from parsel import Selector

from crawler.text import normalize_text

HEAVY_RESOURCES = frozenset({"image", "media", "font"})
SHELL_BODY_CHARS = 200  # an extracted body shorter than this may be a script shell's
_APP_ROOTS = "#__next, #root, #app, #__nuxt, [data-reactroot], [ng-app]"
_HIDDEN = frozenset({"script", "style", "noscript"})
_SHELL_TEXT_CHARS = 400


def abort_heavy_resources(request: Any) -> bool:
    """PLAYWRIGHT_ABORT_REQUEST: skip images, media and fonts; the text is all we keep."""
    return request.resource_type in HEAVY_RESOURCES


def browser_meta() -> dict[str, Any]:
    """Request meta that sends a request through Chromium and waits for the page's XHRs."""
    return {"playwright": True, "playwright_page_goto_kwargs": {"wait_until": "networkidle"}}


def looks_like_script_shell(page: str | Selector) -> bool:
    """True when a page (HTML, or parsed) carries scripts but (almost) no text: an empty app root or
    a near-empty body."""
    sel = Selector(text=page) if isinstance(page, str) else page
    if not any(map(_runs, sel.root.iter("script"))):
        return False
    if any(not normalize_text(root.xpath("string()").get() or "") for root in sel.css(_APP_ROOTS)):
        return True
    return _visible_chars(sel.root, _SHELL_TEXT_CHARS) < _SHELL_TEXT_CHARS


def _runs(script: Any) -> bool:
    """Whether a ``<script>`` is code a browser runs (no type, a JavaScript type, a module), not a data block
    (JSON-LD, a template): a short or truncated page with only JSON-LD is no shell, and rendering it
    would send every later page of the site through Chromium."""
    kind = (script.get("type") or "").strip().lower()
    return not kind or kind == "module" or any(word in kind for word in ("javascript", "ecmascript", "jscript"))


def _visible_chars(root: Any, enough: int) -> int:
    """Characters of the body's text outside scripts and styles, whitespace collapsed (as the
    text would be joined and normalised), counted only up to ``enough``: a page of a million
    nodes is not read to its end."""
    chars = -1  # no separator before the first chunk
    for body in root.iter("body"):
        hidden = {node for element in body.iter(*_HIDDEN) for node in element.iter()}
        for node in body.iter():
            if isinstance(node.tag, str) and node not in hidden:
                chars += _chars(node.text)
            if node is not body and node.getparent() not in hidden:
                chars += _chars(node.tail)
            if chars >= enough:
                return chars
    return max(chars, 0)


def _chars(text: str | None) -> int:
    return len(normalize_text(text)) + 1 if text and not text.isspace() else 0
