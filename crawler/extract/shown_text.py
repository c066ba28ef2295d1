"""The text a page's body shows (no script, style or template text), read once per page and capped; and the
bounded walk that reads one element's text (a headline's, a byline's)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

from lxml import etree
from lxml.html import HtmlElement

MAX_SHOWN_CHARS = 200_000  # read this far: enough to find a byline or a headline, bounded on a huge page
MAX_SHOWN_NODES = 20_000  # text nodes read (the characters are cut after joining them)

# Text nodes of the body outside elements that show no text; libxml2 collects them in one pass (the descendant
# axis: "//text()[...]" is a child step tested from every node, a third slower), and plain strings (no "smart"
# strings that remember their element) keep it cheap.
_SHOWN = etree.XPath(
    "(/html/body/descendant::text()[not(parent::script or parent::style or parent::noscript or parent::template)])"
    f"[position() <= {MAX_SHOWN_NODES}]", smart_strings=False)
_TEXTS: WeakKeyDictionary[Any, str] = WeakKeyDictionary()


def shown_text(page: Any) -> str:
    """The body's shown text, each text node on a line of its own (a line starts where a node does), cut at
    :data:`MAX_SHOWN_CHARS`; built the first time a field asks for it and kept for the page's other fields
    (``page.sel.root`` is its tree)."""
    try:
        return _TEXTS[page]
    except KeyError:
        pass
    except TypeError:  # a page object that cannot be weakly referenced: built again each time
        return _build(page.sel.root)
    text = _TEXTS[page] = _build(page.sel.root)
    return text


def _build(root: etree._Element) -> str:
    return "\n".join(_SHOWN(root))[:MAX_SHOWN_CHARS]


NOT_SHOWN = frozenset({"script", "style", "noscript", "template", "svg", "button"})  # elements whose text no one sees


def bounded_text(node: HtmlElement, max_chars: int, *, max_steps: int | None = None,
                 breaks: frozenset[str] = frozenset(), space: str = " ", hidden: frozenset[str] = frozenset(),
                 skip: Callable[[HtmlElement], bool] | None = None,
                 separator: Callable[[HtmlElement, list[str]], str] | None = None) -> str:
    """The text of ``node`` in ``itertext``'s order, read until just past ``max_chars`` characters or
    ``max_steps`` nodes (an element can hold a whole page, or 100,000 empty elements that ``itertext`` would
    walk to reach the characters): ``space`` where an element of ``breaks`` starts or ends (also around text
    nested deeper in it: two names in ``<li><a>``), the subtrees of ``hidden`` tags and of the elements inside
    ``node`` that ``skip`` picks left out, and ``separator(element, parts read so far)`` put before the text of
    an element that starts with nothing between it and the text before."""
    parts: list[str] = []
    size = 0
    pending = ""  # the separator owed before the next text, if any comes before a break
    walk = etree.iterwalk(node, events=("start", "end", "comment", "pi"))
    for step, (event, element) in enumerate(walk):
        tag = element.tag if isinstance(element.tag, str) else ""
        piece = space if tag in breaks else ""
        if event in ("comment", "pi"):
            piece = element.tail or ""  # a comment's one event: only its tail is shown
        elif event == "start" and (tag in hidden or (skip is not None and element is not node and skip(element))):
            walk.skip_subtree()  # its "end" event still comes, with its tail
        elif event == "start":
            if separator is not None and element is not node and not piece:
                pending = separator(element, parts) or pending
            piece += element.text or ""
        elif element is not node:  # the element's own tail is not its text
            piece += element.tail or ""
        if piece:
            if pending and not piece[0].isspace():
                piece = pending + piece
            pending = ""
            parts.append(piece)
            size += len(piece)
        if size > max_chars or (max_steps is not None and step >= max_steps):
            break
    return "".join(parts)
