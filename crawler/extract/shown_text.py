"""The text a page's body shows (no script, style or template text), read once per page and capped."""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from lxml import etree

MAX_SHOWN_CHARS = 200_000  # read this far: enough to find a byline or a headline, bounded on a huge page
MAX_SHOWN_NODES = 20_000  # text nodes read (the characters are cut after joining them)

# Text nodes of the body outside elements that show no text; libxml2 collects them in one pass, and plain
# strings (no "smart" strings that remember their element) keep it cheap.
_SHOWN = etree.XPath(
    "(/html/body//text()[not(parent::script or parent::style or parent::noscript or parent::template)])"
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
