"""A page cut into text blocks in reading order, each described by numbers a body classifier reads.

One walk of the parsed tree (no second parse, the tree is not changed): every block-level element
starts a block, inline text joins the block it sits in. A block's features (:data:`FEATURES`) are its
text (length, punctuation, link density), its tag and the ``class``/``id`` words of its element and
ancestors, where it sits (position, distance from the headline, the share of the page's running text
its containers hold), and its neighbours'. :mod:`crawler.extract.generic` scores them with a model
trained by ``scripts/train_body_model.py``.
"""

from __future__ import annotations

import math
import operator
import re
import sys
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache, lru_cache, reduce
from itertools import chain, islice

import numpy as np
from lxml import etree

from crawler.extract.unicode_table import unicode_table
from crawler.text import normalize_text

_SKIP = frozenset({"script", "style", "noscript", "template", "svg", "iframe", "head", "object", "embed", "button",
                   "select", "option", "input", "textarea", "canvas", "video", "audio", "map", "title", "meta",
                   "link", "math", "dialog"})
# Controls whose text is a label, unless the parser put the page inside one: a ``<div>`` in a ``<button>``
# keeps libxml2 from closing it, and everything after it becomes the button's. A long <select> has many
# nodes but no blocks, so blocks are what is counted.
_CONTROLS = frozenset({"button", "select", "textarea", "option"})
# The walk is a call per element level: a broken page's unclosed "<div>" or "<font>" nest its article hundreds of
# levels deep (libxml2 builds trees up to 2048 with huge_tree), past Python's default recursion limit of 1000, so
# segment() raises the limit by this much while it walks. Elements deeper than this are not read (no parsed page
# has them).
MAX_WALK_DEPTH = 4096
_SWALLOWED_BLOCKS = 10
_BLOCK = frozenset({"p", "div", "section", "article", "main", "aside", "header", "footer", "nav", "li", "ul", "ol",
                    "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "tr", "td",
                    "th", "tbody", "thead", "tfoot", "caption", "figure", "figcaption", "address", "center", "form",
                    "fieldset", "details", "summary", "hr", "body", "html", "menu", "legend", "picture"})
# Tags a block's own element is described by (one-hot); anything else is "other".
_OWN_TAGS = ("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "blockquote", "pre", "figcaption",
             "dd", "dt", "span", "section", "article", "a", "th", "address", "summary")
# Ancestors a block can sit in (a bit each).
_CONTEXT_TAGS = ("a", "li", "article", "main", "aside", "nav", "footer", "header", "figure", "table", "blockquote",
                 "form", "ul", "ol", "h1", "h2", "h3", "strong", "em", "time", "label", "dl", "section", "cite")
_CONTEXT_BIT = {tag: 1 << n for n, tag in enumerate(_CONTEXT_TAGS)}

# Words of class and id attributes, in groups (a bit each).
_CLASS_WORDS = (
    ("content", r"article|content|entry|post|story|body|text|main|blog|prose|rich|copy|single|detail"),
    ("comment", r"comment|disqus|respond|reply|discussion"),
    ("share", r"share|sharing|social|facebook|twitter|whatsapp|pinterest|linkedin|email"),
    ("related", r"related|recommend|popular|trending|also|more|next|prev|teaser|promo|recirc|outbrain|taboola|card"
                r"|feed|latest|list|grid|tile|most"),
    ("nav", r"nav|menu|breadcrumb|pagination|pager|skip"),
    ("footer", r"footer|foot|bottom|copyright|legal"),
    ("header", r"header|masthead|topbar|top-bar|banner|brand|logo"),
    ("sidebar", r"sidebar|aside|widget|rail|column|col-"),
    ("ad", r"(?:^|[-_ ])ads?(?:$|[-_ ])|advert|sponsor|dfp|gpt|dianomi|adslot|ad-slot|adunit|promoted"),
    ("subscribe", r"newsletter|subscri|signup|sign-up|cta|paywall|register|login|follow|donat|membership"),
    ("cookie", r"cookie|consent|gdpr|privacy|notice"),
    ("caption", r"caption|credit|figcaption|photo|image|img|media|gallery|video|embed|thumb"),
    ("meta", r"byline|author|meta|date|time|dateline|publish|info"),
    ("tags", r"tag|categor|label|topic|keyword|section"),
    ("hidden", r"hidden|sr-only|visually-hidden|screen-reader|offscreen|print-only|noprint|d-none"),
    ("modal", r"modal|popup|overlay|lightbox|toast|alert"),
    ("title", r"title|headline|heading|hed(?:$|[-_ ])"),
    ("lead", r"summary|lead|dek|standfirst|excerpt|intro|subtitle|subhead|deck|description"),
    ("quote", r"quote|pullquote|blockquote|callout|highlight"),
    ("toc", r"toc|table-of-contents|contents-list"),
    ("button", r"button|btn|icon|link"),
    ("paragraph", r"paragraph|para(?:$|[-_ ])|p-text|inline-text"),
)
_CLASS_RES = tuple(re.compile(pattern) for _, pattern in _CLASS_WORDS)

# Text that is page furniture wherever it sits.
_BOILER_TEXT = re.compile(
    r"share|subscribe|sign up|newsletter|cookie|comment|read more|related|advertisement|all rights reserved|"
    r"follow us|click here|terms of|privacy|copyright|log ?in|register|download|photo|getty|reuters|credit|"
    r"image|©|читайте|подпис|реклам|поделит|комментар|фото",
    re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?。！？…]['\"’”»)]*$")
_STOPS = ".!?。！？…"
_CLOSERS = "'\"’”»)"
# Characters re.IGNORECASE takes for a letter of _BOILER_TEXT that str.lower() does not turn into it (or that it
# lowers to two characters): a text holding one is matched the slow way (tests/test_body_model_speed.py finds
# them in all of Unicode).
_CASE_ODD = re.compile("[\u0130\u0131\u017f\u1c80-\u1c88\u1e9b]")
_TOKEN = re.compile(r"\w+")




def _alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of a regular expression (``a|b(?:c|d)`` gives ``a`` and ``b(?:c|d)``)."""
    depth, start, found = 0, 0, []
    for i, char in enumerate(pattern):
        depth += (char == "(") - (char == ")")
        if char == "|" and depth == 0:
            found.append(pattern[start:i])
            start = i + 1
    return [*found, pattern[start:]]


def _trie(words: Iterable[str]) -> str:
    """A regular expression matching the same as ``|``-joined ``words``, as a trie (a few character tests per
    position instead of one try per word), and the longest word first where several match at one place."""
    root: dict[str, dict] = {}  # type: ignore[type-arg]
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def pattern(node: dict) -> str:  # type: ignore[type-arg]
        branches = [re.escape(char) + pattern(child) for char, child in sorted(node.items()) if char]
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")" if branches else ""
        return f"(?:{body})?" if "" in node and body else body

    return pattern(root)


def _spellings(alternative: str) -> list[str]:
    """The texts a literal alternative with optional spaces matches ("log ?in" gives "login" and "log in")."""
    head, optional, tail = alternative.partition(" ?")
    if not optional:
        if re.escape(alternative) != alternative.replace(" ", "\\ "):
            raise ValueError(f"not a literal: {alternative!r}")
        return [alternative]
    return [head + rest for rest in (*_spellings(tail), *(" " + t for t in _spellings(tail)))]


# _BOILER_TEXT's words as one trie, matched against lowercased text (a few character tests a place instead of one
# try per word: a quarter of the search).
_BOILER_LOWER = re.compile(_trie(word for alternative in _alternatives(_BOILER_TEXT.pattern.lower())
                                 for word in _spellings(alternative)))


# The groups' plain words (most of them) in one trie: at each place a word starts, the longest one found
# there and the words it begins with (they match there too) give the groups. The few alternatives that are
# patterns are searched one by one, only where the letters they need are in the name.
_WORD_GROUPS: dict[str, int] = {}
_PATTERN_GROUPS: list[tuple[str, re.Pattern[str], int]] = []
for _n, (_, _pattern) in enumerate(_CLASS_WORDS):
    for _alternative in _alternatives(_pattern):
        if re.fullmatch(r"[a-z0-9-]+", _alternative):
            _WORD_GROUPS[_alternative] = _WORD_GROUPS.get(_alternative, 0) | 1 << _n
        else:  # its letters outside groups and optional characters: "ads?" needs "ad", "hed(?:$|...)" "hed"
            _needed = re.sub(r".[?*]", "", re.sub(r"\(\?:[^()]*\)", "", _alternative))
            _PATTERN_GROUPS.append((_needed if re.fullmatch(r"[a-z0-9-]+", _needed) else "",
                                    re.compile(_alternative), 1 << _n))
_WORD_MASK = {word: reduce(operator.or_, (mask for start, mask in _WORD_GROUPS.items() if word.startswith(start)))
              for word in _WORD_GROUPS}
_WORDS_AT = re.compile(f"(?=({_trie(_WORD_GROUPS)}))")


# A name's parts between separators: a word without one lies inside a part, so a name is searched part by part
# (sites build their names from a few parts, "elementor-widget-container", and a part is searched once), and only
# the words that hold a separator are looked for in the whole name.
_SEPARATOR = re.compile(r"[-_ ]")
_SEPARATED_WORDS = tuple((word, _WORD_GROUPS[word]) for word in _WORD_GROUPS if _SEPARATOR.search(word))


@lru_cache(maxsize=8192)
def _name_mask(name: str) -> int:
    """The groups of :data:`_CLASS_WORDS` whose pattern a class name holds (``_CLASS_RES[n].search(name)``,
    as bits): its parts' groups, and those of the words holding a separator that it holds (tests/test_generic_speed.py
    compares them)."""
    if "_" in name or " " in name:
        parts = _SEPARATOR.split(name)
    elif "-" in name:
        parts = name.split("-")
    else:
        return _part_mask(name)
    mask = 0
    for part in parts:
        if part:
            mask |= _part_mask(part)
    for word, bits in _SEPARATED_WORDS:
        if bits & ~mask and word in name:  # a word whose groups are all found already changes nothing
            mask |= bits
    return mask


@lru_cache(maxsize=8192)
def _part_mask(part: str) -> int:
    """The groups of :data:`_CLASS_WORDS` whose pattern ``part`` (of a class name, between separators) holds, in
    one pass over it."""
    mask = 0
    for found in _WORDS_AT.finditer(part):
        mask |= _WORD_MASK[found.group(1)]
    for needed, pattern, bit in _PATTERN_GROUPS:
        if not mask & bit and needed in part and pattern.search(part):
            mask |= bit
    return mask


def class_mask(words: str) -> int:
    """The word groups named by a ``class``/``id`` string (lowercase), as bits: class by class (a site
    repeats its class names, so each is matched once)."""
    mask = 0
    for name in words.split():
        mask |= _name_mask(name)
    return mask


@lru_cache(maxsize=8192)
def _attribute_mask(value: str) -> int:
    """:func:`class_mask` of one ``class`` or ``id`` value as the page writes it: a page repeats whole class
    attributes, so each is read once. The groups of ``f"{classes} {ident}"`` are those of its two halves
    (the space splits them, and lowercasing never crosses it)."""
    return class_mask(value.lower())


def _hidden(element: etree._Element) -> bool:
    style = element.get("style")
    return (element.get("hidden") is not None or element.get("aria-hidden") == "true"
            or (style is not None and re.search(r"display\s*:\s*none|visibility\s*:\s*hidden", style) is not None))


@dataclass(slots=True)
class Block:
    """A run of text in one block-level element."""

    element: etree._Element
    tag: str
    parts: list[str] = field(default_factory=list)
    link_chars: int = 0
    context: int = 0  # _CONTEXT_TAGS bits of its ancestors
    own_mask: int = 0  # class/id groups of its own element
    parent_mask: int = 0  # of its parent and grandparent
    ancestor_mask: int = 0  # of any ancestor
    hidden: bool = False
    depth: int = 0
    ancestors: tuple[int, ...] = ()  # indices of its block-level ancestors in Segmenter.elements
    text: str = ""
    style: tuple[str, str] = ("", "")  # its tag and its element's class attribute


_LINK_BIT = _CONTEXT_BIT["a"]
# The block-level element the walk is in: (element, tag, class attribute).
_Owner = tuple[etree._Element, str, str]


class Segmenter:
    """Walks a tree into :class:`Block` objects (see :func:`segment`)."""

    __slots__ = ("blocks", "current", "elements", "link_elements", "max_blocks", "stack")

    def __init__(self, max_blocks: int) -> None:
        self.blocks: list[Block] = []
        self.max_blocks = max_blocks
        self.elements: list[int] = []  # per block-level element: text chars in its subtree
        self.link_elements: list[int] = []  # link chars in its subtree
        self.stack: list[int] = []
        self.current: Block | None = None

    def _close(self) -> None:
        block = self.current
        self.current = None
        if block is None or len(self.blocks) >= self.max_blocks:
            return
        text = normalize_text("".join(block.parts))
        if text:
            block.text = text
            block.parts = []
            self.blocks.append(block)
            if block.ancestors:  # its element's counts; they reach the ancestors as each one closes (walk)
                index = block.ancestors[-1]
                self.elements[index] += len(text)
                self.link_elements[index] += min(block.link_chars, len(text))

    def _open(self, text: str, in_link: int, owner: _Owner, context: int, masks: tuple[int, int, int],
              hidden: bool) -> None:
        """Open a block with ``text`` (which shows), in the element ``owner`` (the block-level element the walk
        is in), described by the walk's ``context`` bits, class ``masks`` and ``hidden`` there."""
        element, tag, classes = owner
        stack = self.stack
        # By position (a block opens for every run of text): parts, link_chars, context, the three masks,
        # hidden, depth, ancestors, text, style.
        self.current = Block(element, tag, [text], len(text.strip()) if in_link else 0, context, masks[0], masks[1],
                             masks[2], hidden, len(stack), tuple(stack), "", (tag, classes))

    def walk(self, element: etree._Element, tag: str, context: int, masks: tuple[int, int, int], hidden: bool,
             owner: _Owner, depth: int = 0) -> None:
        """Read ``element`` (whose tag is ``tag``; not its tail) into blocks."""
        # Every element passes here: the work is inlined (no call to open, close or extend a block unless one
        # must be), the cheap tests first.
        # One call lists the attribute names (most elements have none, or no class, id or hiding attribute):
        # each ``get`` costs more than the list, and a name absent from it is one ``get`` gives None for.
        names = element.keys()
        if names:
            classes = element.get("class") if "class" in names else None
            ident = element.get("id") if "id" in names else None
            own = ((_attribute_mask(classes) if classes else 0) | (_attribute_mask(ident) if ident else 0)
                   if classes or ident else 0)
            if not hidden and ("style" in names or "hidden" in names or "aria-hidden" in names) and (
                    element.get("style") or element.get("hidden") is not None or element.get("aria-hidden")):
                hidden = _hidden(element)
        else:
            classes, own = None, 0
        bit = _CONTEXT_BIT.get(tag)
        if bit is not None:
            context |= bit
        block = tag in _BLOCK
        if block:
            if self.current is not None:
                self._close()
            elements = self.elements
            self.stack.append(len(elements))
            elements.append(0)
            self.link_elements.append(0)
            owner = (element, tag, classes or "")
            state_masks = (own, masks[0] | masks[1], masks[2] | own)
            child_masks = (own, state_masks[1], state_masks[2])
        else:  # most inline elements have no class or id: their parent's masks, no tuple built
            child_masks = state_masks = (own | masks[0], masks[1], masks[2] | own) if own else masks
        in_link = context & _LINK_BIT
        # Text goes on the open block, else opens one if it shows (most text nodes between tags are blank).
        text = element.text
        if text:
            current = self.current
            if current is not None:
                current.parts.append(text)
                if in_link:
                    current.link_chars += len(text.strip())
            elif not text.isspace():
                self._open(text, in_link, owner, context, state_masks, hidden)
        if depth < MAX_WALK_DEPTH:  # deeper than libxml2 builds a tree: a guard, not a rule
            walk = self.walk
            for child in element:
                child_tag = child.tag
                if child_tag.__class__ is str and (child_tag not in _SKIP or (
                        child_tag in _CONTROLS and _swallowed(child))):
                    if child_tag == "br":
                        if self.current is not None:
                            self.current.parts.append(" ")
                    elif not len(child) and child_tag not in _BLOCK:
                        # An inline element without children (a link, an image, an icon) adds its text to the
                        # open block as walk would, without a call: its attributes only describe a block its
                        # text opens (then walk reads it), and one without text changes nothing.
                        text = child.text
                        if text:
                            current = self.current
                            if current is not None:
                                current.parts.append(text)
                                if in_link or child_tag == "a":  # the link bit is the one of "a"
                                    current.link_chars += len(text.strip())
                            elif not text.isspace():
                                walk(child, child_tag, context, child_masks, hidden, owner, depth + 1)
                    else:
                        walk(child, child_tag, context, child_masks, hidden, owner, depth + 1)
                text = child.tail
                if text:
                    current = self.current
                    if current is not None:
                        current.parts.append(text)
                        if in_link:
                            current.link_chars += len(text.strip())
                    elif not text.isspace():
                        self._open(text, in_link, owner, context, state_masks, hidden)
        if block:
            if self.current is not None:
                self._close()
            stack = self.stack
            index = stack.pop()
            if stack:  # its subtree's counts are its parent's too
                parent = stack[-1]
                self.elements[parent] += self.elements[index]
                self.link_elements[parent] += self.link_elements[index]


def _swallowed(control: etree._Element) -> bool:
    """Whether a form control holds what must be the page (see :data:`_CONTROLS`)."""
    return next(islice(control.iter(*_BLOCK), _SWALLOWED_BLOCKS, None), None) is not None


def segment(root: etree._Element, max_blocks: int = 3000) -> tuple[list[Block], Segmenter]:
    """The text blocks of the page ``root`` in document order (at most ``max_blocks``)."""
    segmenter = Segmenter(max_blocks)
    with _recursion_room(MAX_WALK_DEPTH + 100):
        _walk_page(segmenter, root)
    segmenter._close()
    return segmenter.blocks, segmenter


def _walk_page(segmenter: Segmenter, root: etree._Element) -> None:
    body = root.find("body") if root.tag == "html" else None
    # Markup after a stray </body> or </html> is put beside the body, or beside the root in a second <html>,
    # by the parser; browsers show it.
    starts = [body, *body.itersiblings(), *root.itersiblings()] if body is not None else [root]
    for start in starts:
        if isinstance(start.tag, str) and start.tag not in _SKIP:
            segmenter.walk(start, start.tag.lower(), 0, (0, 0, 0), False, (start, "body", start.get("class") or ""))


_recursion_lock = threading.Lock()
_recursion_users = 0
_recursion_saved = 0


@contextmanager
def _recursion_room(frames: int) -> Iterator[None]:
    """Python's recursion limit raised by ``frames`` while the block runs. The limit is the process's: threads
    segmenting at once share one raise, and the last one out restores the limit (a thread restoring it while
    another is deep in a page would fail that page). Python 3.11 runs a Python call without a C call, so the
    C stack is not what bounds the depth."""
    global _recursion_users, _recursion_saved
    with _recursion_lock:
        if not _recursion_users:
            _recursion_saved = sys.getrecursionlimit()
            sys.setrecursionlimit(_recursion_saved + frames)
        _recursion_users += 1
    try:
        yield
    finally:
        with _recursion_lock:
            _recursion_users -= 1
            if not _recursion_users:
                sys.setrecursionlimit(_recursion_saved)


_CELLS = frozenset({"td", "th"})


def table_rows(blocks: list[Block]) -> list[int]:
    """For each block that is a table cell's own text, a number naming its row (the same for the cells of
    one ``<tr>``), else ``-1``: the body joins a row's kept cells into one line."""
    # Keyed by the element itself: the dict keeps each proxy alive, so lxml hands back the same one.
    rows: dict[etree._Element, int] = {}
    out = [-1] * len(blocks)
    for i, block in enumerate(blocks):
        if block.tag in _CELLS:
            parent = block.element.getparent()
            if parent is not None and parent.tag == "tr":
                out[i] = rows.setdefault(parent, len(rows))
    return out


def _ends_sentence(text: str) -> bool:
    """Whether ``text`` ends a sentence (:data:`_SENTENCE_END` matches), read from its end only."""
    # ``$`` also matches before a final newline.
    if _ends_at(text):
        return True
    return text.endswith("\n") and _ends_at(text[:-1])


def _ends_at(text: str) -> bool:
    stripped = text.rstrip(_CLOSERS)
    return bool(stripped) and stripped[-1] in _STOPS


def _boiler(text: str) -> bool:
    """Whether :data:`_BOILER_TEXT` matches ``text``: the case-insensitive search is ten times slower than
    a search of the lowercased text, which answers the same unless the text holds a :data:`_CASE_ODD` letter."""
    if _CASE_ODD.search(text):
        return _BOILER_TEXT.search(text) is not None
    return _BOILER_LOWER.search(text.lower()) is not None


def _boiler_known(text: str, odd: float) -> bool:
    """:func:`_boiler`, told how many :data:`_CASE_ODD` letters ``text`` holds."""
    return (_BOILER_TEXT if odd else _BOILER_LOWER).search(text if odd else text.lower()) is not None


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def _similar(text: str, words: set[str]) -> float:
    """The share of ``text``'s words in ``words`` (0 when either is empty)."""
    if not text or not words:
        return 0.0
    return _share(_tokens(text), words)


def _share(tokens: list[str], words: set[str]) -> float:
    """The share of ``tokens`` in ``words`` (0 when either is empty)."""
    if not tokens or not words:
        return 0.0
    return sum(map(words.__contains__, tokens)) / len(tokens)


FEATURES: tuple[str, ...] = (
    "log_chars", "log_words", "link_density", "mean_word_len", "punct_share", "digit_share", "upper_share",
    "sentence_end", "commas_per_word", "sentences", "boiler_text", "starts_upper", "has_pipe",
    "hidden", "depth", "position", "char_position", "title_like", "title_equal", "after_title", "blocks_from_title",
    "lead_like", "ld_overlap", "repeated",
    *(f"own_{name}" for name, _ in _CLASS_WORDS), *(f"parent_{name}" for name, _ in _CLASS_WORDS),
    *(f"anc_{name}" for name, _ in _CLASS_WORDS),
    *(f"tag_{tag}" for tag in _OWN_TAGS), *(f"in_{tag}" for tag in _CONTEXT_TAGS),
    *(f"up{k}_{what}" for k in (1, 2, 3, 4) for what in ("share", "link_density", "log_chars")),
    "best_share", "in_best", "best_depth_diff",
    *(f"{side}{k}_{what}" for side in ("prev", "next") for k in (1, 2)
      for what in ("log_chars", "link_density", "sentence_end", "same_parent")),
    "run_long", "page_log_chars", "page_blocks", "signature_log_count", "signature_share",
    "prev_heading", "next_heading",
)
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


_PUNCT = re.compile(r"[.,;:!?\"'«»“”()—–-]")
_DIGIT = re.compile(r"\d")
_UPPER = re.compile(r"[A-ZÀ-ÖØ-ÞА-ЯЁ]")
_SENTENCE = re.compile(r"[.!?。](?:\s|$)")
# Per character: whether each of these (single-character) patterns matches it, as bits of one table over all
# of Unicode, so a page's characters are counted in a few numpy passes (tests/test_generic_speed.py compares
# the counts with the patterns').
_SENTENCE_STOP = re.compile(r"[.!?。]")
_SPACE = re.compile(r"\s")
_PUNCT_BIT, _DIGIT_BIT, _UPPER_BIT, _STOP_BIT, _SPACE_BIT, _COMMA_BIT, _CASE_ODD_BIT = 1, 2, 4, 8, 16, 32, 64


_CHARACTER_PATTERNS = ((_PUNCT_BIT, _PUNCT), (_DIGIT_BIT, _DIGIT), (_UPPER_BIT, _UPPER), (_STOP_BIT, _SENTENCE_STOP),
                       (_SPACE_BIT, _SPACE), (_COMMA_BIT, re.compile(",")), (_CASE_ODD_BIT, _CASE_ODD))


@cache
def _character_table() -> np.ndarray:
    """The table, memory-mapped from the array cache (built once per Python and patterns: about 50 ms)."""
    return unicode_table("unicode-characters", _CHARACTER_PATTERNS)


def _character_counts(texts: list[str], lengths: np.ndarray) -> dict[int, np.ndarray]:
    """Per text: its characters :data:`_PUNCT`, :data:`_DIGIT`, :data:`_UPPER` and "," match, the sentences
    :data:`_SENTENCE` finds and its words (``len(text.split())``), keyed by those bits (words: 0)."""
    flags = _character_table()[np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)]
    ends = np.cumsum(lengths, dtype=np.intp)
    starts = ends - lengths.astype(np.intp)
    first = np.zeros(len(flags), dtype=bool)
    first[starts[starts < len(flags)]] = True
    last = np.zeros(len(flags), dtype=bool)
    last[ends[ends > 0] - 1] = True
    space = (flags & _SPACE_BIT) != 0
    after_space = np.concatenate([[True], space[:-1]]) | first
    before_space_or_end = np.concatenate([space[1:], [True]]) | last
    columns = {bit: (flags & bit) != 0 for bit in (_PUNCT_BIT, _DIGIT_BIT, _UPPER_BIT, _COMMA_BIT, _CASE_ODD_BIT)}
    columns[_STOP_BIT] = ((flags & _STOP_BIT) != 0) & before_space_or_end
    columns[0] = ~space & after_space  # a word starts here
    counts = {}
    for key, column in columns.items():
        total = np.concatenate([[0], np.cumsum(column, dtype=np.int64)])
        counts[key] = (total[ends] - total[starts]).astype(np.float64)
    return counts


def _bits(masks: list[int], width: int) -> np.ndarray:
    """Each mask's low ``width`` bits as 0/1 columns."""
    return ((np.asarray(masks, dtype=np.int64)[:, None] >> np.arange(width)) & 1).astype(np.float64)


def features(blocks: list[Block], segmenter: Segmenter, title: str, lead: str, ld_body: str) -> np.ndarray:
    """One row of :data:`FEATURES` per block."""
    n = len(blocks)
    texts = [b.text for b in blocks]
    lengths = np.asarray([len(t) for t in texts], dtype=np.float64)
    total_chars = float(lengths.sum()) or 1.0
    ld_tokens = " ".join(_tokens(ld_body)) if ld_body else ""
    counts = Counter(texts)
    own_tag = {tag: i for i, tag in enumerate(_OWN_TAGS)}
    links = np.minimum(np.asarray([b.link_chars for b in blocks], dtype=np.float64), lengths)
    link_density = np.minimum(links / np.maximum(lengths, 1), 1.0)
    # Running text: long enough, few links. A container's share of it finds the article's container.
    running = np.where((lengths >= 80) & (links < 0.3 * lengths), lengths, 0.0)
    score: dict[int, float] = {}
    for block, chars in zip(blocks, running.tolist(), strict=True):
        if chars:
            for distance, index in enumerate(reversed(block.ancestors[-4:])):
                score[index] = score.get(index, 0.0) + chars / (1 + distance)
    best = max(score, key=score.__getitem__) if score else -1
    best_depth = next((len(b.ancestors) for b in blocks if best in b.ancestors), 0)
    best_text = segmenter.elements[best] if best >= 0 else 0
    title_set = set(_tokens(title))
    # Each block's words, read once for the title, the lead and the declared body that compare with them.
    words: list[list[str] | None] = [None] * n

    def tokens(i: int) -> list[str]:
        found = words[i]
        if found is None:
            found = words[i] = _tokens(texts[i])
        return found

    # The headline: the first block that is the title, else the first <h1>.
    shares: list[float | None] = [None] * n  # each block's share of the title's words, read once

    def title_share(i: int) -> float:
        found = shares[i]
        if found is None:
            found = shares[i] = _share(tokens(i), title_set)
        return found

    title_index = next((i for i, t in enumerate(texts) if title and len(t) < 4 * len(title) + 20
                        and title_share(i) > 0.8 and _similar(title, set(tokens(i))) > 0.8), None)
    if title_index is None:
        title_index = next((i for i, b in enumerate(blocks) if b.tag == "h1"), -1)
    lead_set = set(_tokens(lead))
    counts_of = _character_counts(texts, lengths)
    odd = counts_of[_CASE_ODD_BIT].tolist()
    nwords = np.maximum(counts_of[0], 1.0)
    basic = np.empty((n, 18))
    basic[:, 0] = nwords
    basic[:, 1] = lengths / nwords
    basic[:, 2] = counts_of[_PUNCT_BIT] / lengths
    basic[:, 3] = counts_of[_DIGIT_BIT] / lengths
    basic[:, 4] = counts_of[_UPPER_BIT] / lengths
    basic[:, 6] = counts_of[_COMMA_BIT] / nwords
    basic[:, 7] = counts_of[_STOP_BIT]
    # Column by column, each a list numpy reads in one go (booleans as 0 and 1): no row built per block.
    basic[:, 5] = [_ends_sentence(text) for text in texts]
    basic[:, 8] = [len(text) < 300 and _boiler_known(text, o) for text, o in zip(texts, odd, strict=True)]
    basic[:, 9] = [text[:1].isupper() for text in texts]
    basic[:, 10] = ["|" in text for text in texts]
    basic[:, 11] = [block.hidden for block in blocks]
    basic[:, 12] = [block.depth for block in blocks]
    basic[:, 13] = [title_share(i) if len(text) < 400 else 0.0 for i, text in enumerate(texts)] if title_set else 0.0
    basic[:, 14] = [(_share(tokens(i), lead_set) if lead_set else 0.0) if len(text) < 1000 else -1.0
                    for i, text in enumerate(texts)] if lead else -1.0
    basic[:, 15] = [_overlap(tokens(i), ld_tokens) for i in range(n)] if ld_tokens else -1.0
    basic[:, 16] = [counts[text] > 1 for text in texts]
    basic[:, 17] = [own_tag.get(block.tag, -1) for block in blocks]
    position = np.arange(n, dtype=np.float64)
    chars_before = np.concatenate([[0.0], np.cumsum(lengths)[:-1]])
    sentence_end = basic[:, 5]
    if title_index >= 0:
        title_cols = [(position == title_index).astype(np.float64), (position > title_index).astype(np.float64),
                      np.clip(position - title_index, -50, 200)]
    else:
        title_cols = [np.zeros(n), np.zeros(n), np.full(n, -100.0)]
    tag_onehot = np.zeros((n, len(_OWN_TAGS)))
    tag_index = basic[:, 17].astype(np.intp)
    has_tag = tag_index >= 0
    tag_onehot[np.nonzero(has_tag)[0], tag_index[has_tag]] = 1.0
    # Containers 1-4 levels up: their share of the page's text, link density and size.
    up = np.empty((n, 12))
    elements = np.asarray(segmenter.elements, dtype=np.float64)
    link_elements = np.asarray(segmenter.link_elements, dtype=np.float64)
    # Column k: each block's k-th nearest block-level ancestor (0: its own element), -1 where there is none.
    pad = (-1, -1, -1, -1, -1)
    nearest = np.fromiter(chain.from_iterable((b.ancestors[:-6:-1] + pad)[:5] for b in blocks), dtype=np.intp,
                          count=5 * n).reshape(n, 5)
    for k in (1, 2, 3, 4):
        ancestor = nearest[:, k]
        present = ancestor >= 0
        sub = np.where(present, elements[ancestor] if len(elements) else 0.0, total_chars)
        sub_links = np.where(present, link_elements[ancestor] if len(elements) else 0.0, 0.0)
        up[:, 3 * (k - 1)] = np.where(present, sub / total_chars, 1.0)
        up[:, 3 * (k - 1) + 1] = np.where(present, sub_links / np.maximum(sub, 1), 0.0)
        up[:, 3 * (k - 1) + 2] = np.log1p(sub)
    inside = np.asarray([best >= 0 and best in b.ancestors for b in blocks], dtype=bool)
    depth_diff = np.asarray([len(b.ancestors) for b in blocks], dtype=np.float64) - best_depth
    parents = nearest[:, 1]
    log_chars = np.log1p(lengths)
    neighbours = []
    for step in (-1, -2, 1, 2):
        j = np.arange(n) + step
        valid = (j >= 0) & (j < n)
        jj = np.clip(j, 0, max(n - 1, 0))
        same = ((parents[jj] == parents) & (parents >= 0) & (parents[jj] >= 0)).astype(np.float64)
        for column in (log_chars[jj], link_density[jj], sentence_end[jj], same):
            neighbours.append(np.where(valid, column, -1.0))
    # Blocks of the same tag and class: a paragraph style the article uses throughout, or a teaser repeated.
    signatures = [b.style for b in blocks]
    signature_count = Counter(signatures)
    signature_chars: Counter[tuple[str, str]] = Counter()
    for signature, chars in zip(signatures, lengths.tolist(), strict=True):
        signature_chars[signature] += chars
    is_running = (running > 0).astype(np.float64)
    cumulative = np.concatenate([[0.0], np.cumsum(is_running)])
    window = cumulative[np.minimum(np.arange(n) + 4, n)] - cumulative[np.maximum(np.arange(n) - 3, 0)]
    # A subheading opens a section of the article; a heading over a list of links opens a teaser box.
    heading = np.asarray([b.tag in _HEADINGS for b in blocks], dtype=np.float64)
    prev_heading = np.concatenate([[0.0], heading[:-1]])
    next_heading = np.concatenate([heading[1:], [0.0]])
    columns = [
        log_chars, np.log1p(basic[:, 0]), link_density, basic[:, 1], basic[:, 2], basic[:, 3], basic[:, 4],
        sentence_end, basic[:, 6], basic[:, 7], basic[:, 8], basic[:, 9], basic[:, 10], basic[:, 11], basic[:, 12],
        position / max(n, 1), chars_before / total_chars, basic[:, 13], *title_cols, basic[:, 14], basic[:, 15],
        basic[:, 16],
    ]
    width = len(_CLASS_WORDS)
    return np.hstack([
        np.stack(columns, axis=1),
        _bits([b.own_mask for b in blocks], width), _bits([b.parent_mask for b in blocks], width),
        _bits([b.ancestor_mask for b in blocks], width), tag_onehot,
        _bits([b.context for b in blocks], len(_CONTEXT_TAGS)), up,
        np.stack([np.full(n, best_text / total_chars), inside.astype(np.float64),
                  np.where(inside, depth_diff, -1.0)], axis=1),
        np.stack(neighbours, axis=1),
        np.stack([window, np.full(n, math.log1p(total_chars)), np.full(n, math.log1p(n)),
                  np.log1p([signature_count[sig] for sig in signatures]),
                  np.asarray([signature_chars[sig] for sig in signatures]) / total_chars, prev_heading,
                  next_heading], axis=1),
    ]) if n else np.zeros((0, len(FEATURES)))


def _overlap(tokens: list[str], ld_tokens: str) -> float:
    """Whether a block's words (``tokens``) are in the page's declared article body (JSON-LD ``articleBody``)."""
    if not tokens:
        return 0.0
    if len(tokens) <= 8:
        return float(" ".join(tokens) in ld_tokens)
    # Sample a few runs of four words: cheap, and exact enough.
    runs = [" ".join(tokens[k:k + 4]) for k in range(0, len(tokens) - 3, max(1, (len(tokens) - 3) // 6))]
    return sum(run in ld_tokens for run in runs) / len(runs)
