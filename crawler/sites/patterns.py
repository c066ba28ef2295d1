"""Site URL patterns that cannot stall a crawl: a repeat of something that itself repeats
(``(a+)*``, ``(?:[^/]+/)*``) can backtrack exponentially on a long URL from a hostile page,
so it is refused when a config loads, and URLs longer than any fetchable URL are never
matched at all."""

from __future__ import annotations

import importlib
from typing import Any

# A longer URL is never fetched (Scrapy's URLLENGTH_LIMIT), so it is no article either, and no pattern ever runs on
# more than this many characters.
from crawler.urls import MAX_URL_LENGTH

__all__ = ["MAX_URL_LENGTH", "has_nested_quantifier"]

# The standard library's own regex parser (private, but the tree ``re`` itself compiles).
_sre: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")
_BACKTRACKING_REPEATS = (_c.MAX_REPEAT, _c.MIN_REPEAT)


def _subpatterns(op: Any, av: Any) -> list[Any]:
    """The sub-patterns one node of the parse tree holds; possessive and atomic parts
    never backtrack, so they are not searched."""
    if op in _BACKTRACKING_REPEATS:
        return [av[2]]
    if op == _c.SUBPATTERN:
        return [av[3]]
    if op == _c.BRANCH:
        return list(av[1])
    if op in (_c.ASSERT, _c.ASSERT_NOT):
        return [av[1]]
    if op == _c.GROUPREF_EXISTS:
        return [sub for sub in av[1:] if sub is not None]
    return []


def _varies(op: Any, av: Any) -> bool:
    return op in _BACKTRACKING_REPEATS and av[0] != av[1]


def _holds_varying_repeat(items: Any) -> bool:
    return any(_varies(op, av) or any(map(_holds_varying_repeat, _subpatterns(op, av))) for op, av in items)


def _nested(items: Any) -> bool:
    for op, av in items:
        if _varies(op, av) and av[1] > 1 and _holds_varying_repeat(av[2]):
            return True
        if any(map(_nested, _subpatterns(op, av))):
            return True
    return False


def has_nested_quantifier(pattern: str) -> bool:
    """True when ``pattern`` repeats a part that itself repeats with backtracking, e.g. ``(a+)*``
    or ``(?:[^/]+/)*`` (``(?:[^/]++/)*`` and ``(?>[^/]+/)*`` are fine)."""
    return _nested(_sre.parse(pattern))
