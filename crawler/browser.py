"""Pages that need a browser: scrapy-playwright request meta, heavy resources
blocked, and detection of script shells (pages whose text only appears after
JavaScript runs)."""

from __future__ import annotations

from typing import Any

from parsel import Selector

from crawler.text import normalize_text

HEAVY_RESOURCES = frozenset({"image", "media", "font"})
_APP_ROOTS = "#__next, #root, #app, #__nuxt, [data-reactroot], [ng-app]"
_VISIBLE_TEXT = "//body//text()[not(ancestor::script) and not(ancestor::style) and not(ancestor::noscript)]"
_SHELL_TEXT_CHARS = 400


def abort_heavy_resources(request: Any) -> bool:
    """PLAYWRIGHT_ABORT_REQUEST: skip images, media and fonts; the text is all we keep."""
    return request.resource_type in HEAVY_RESOURCES


def browser_meta() -> dict[str, Any]:
    """Request meta that sends a request through Chromium and waits for the page's XHRs."""
    return {"playwright": True, "playwright_page_goto_kwargs": {"wait_until": "networkidle"}}


def looks_like_script_shell(html: str) -> bool:
    """True when a page carries scripts but (almost) no text: an empty app root or a near-empty body."""
    sel = Selector(text=html)
    if not sel.css("script"):
        return False
    if any(not normalize_text(root.xpath("string()").get() or "") for root in sel.css(_APP_ROOTS)):
        return True
    return len(normalize_text(" ".join(sel.xpath(_VISIBLE_TEXT).getall()))) < _SHELL_TEXT_CHARS
