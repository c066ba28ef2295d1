"""Generic body for pages the site rules do not cover: a learned block classifier.

The parsed page is cut into text blocks (:mod:`crawler.extract.blocks`, one walk of the tree the
article extractor already has) and two gradient-boosted tree models, trained by
``scripts/train_body_model.py`` on the article-extraction benchmark's dev sets and shipped as
``body_model.json``, score each block: the first from the block's own features, the second also from
what the first thinks of its neighbours, containers, look-alikes (same tag and class) and the run of
text it sits in. Blocks scored at least :data:`THRESHOLD` are the body, in page order, without the
headline repeated first, the kept cells of a table row on one line. The trees are evaluated with numpy, so
no model library is needed at run time. When the model keeps nothing, trafilatura (precision mode,
balanced mode when precision lost more than 30 % of the text) is the fallback.

trafilatura's work grows faster than the page on some shapes (a minute for
100,000 links or 50,000 paragraphs), so a page larger than any real article
page is cut to its first :data:`~crawler.limits.GENERIC_MAX_ELEMENTS` elements
and :data:`~crawler.limits.GENERIC_MAX_CHARS` characters of text first, and
read by trafilatura in one pass without fallbacks.
"""

from __future__ import annotations

import json
import logging
import re
from copy import deepcopy
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from itertools import chain
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from lxml import etree
from lxml.html import HtmlElement

from crawler.extract.blocks import FEATURES, Block, features, segment, table_rows
from crawler.limits import GENERIC_MAX_CHARS, GENERIC_MAX_ELEMENTS, GENERIC_MAX_HTML_CHARS
from crawler.text import CharMap, normalize_text

MODEL_PATH = Path(__file__).with_name("body_model.json")
THRESHOLD = 0.5
GAP_THRESHOLD = 0.3

KEEP_PRECISE_RATIO = 0.7
_NOT_TEXT = ("script", "style", "noscript", "template", "svg", "iframe", "object", "embed", "head")

# Scrapy leaves the root logger at NOTSET, so these libraries' debug records (thousands
# per page) were built and then thrown away: a few per cent of a crawl's CPU.
for _name in ("trafilatura", "readability_lxml", "htmldate", "courlan", "justext"):
    logging.getLogger(_name).setLevel(logging.INFO)


def _trafilatura(html: str, url: str, favor_precision: bool, fast: bool = False) -> list[str]:
    # Imported on the first page the body model keeps nothing of: most workers never need it (a twentieth of a
    # second of each worker's start).
    import trafilatura

    text = trafilatura.extract(
        html, url=url, output_format="txt", include_comments=False, include_tables=True,
        include_images=False, favor_precision=favor_precision, deduplicate=False, fast=fast,
    )
    # trafilatura marks list items with "- "; the site rules keep items without it.
    return [p for p in (normalize_text(line).removeprefix("- ") for line in (text or "").splitlines()) if p]


def generic_paragraphs(html: str, url: str, root: etree._Element | None = None, title: str | None = None,
                       lead: str | None = None, ld_body: str | None = None) -> list[str]:
    """Main-text paragraphs of ``html`` (parsed as ``root``), or an empty list: the blocks the body model
    keeps, else (it kept none) trafilatura's text."""
    if root is not None:
        found = classified_paragraphs(root, title, lead, ld_body)
        if found:
            return found
    return trafilatura_paragraphs(html, url)


def trafilatura_paragraphs(html: str, url: str) -> list[str]:
    """trafilatura's main text of ``html``: precision mode unless it lost much of the balanced mode's."""
    balanced = _trafilatura(html, url, favor_precision=False)
    precise = _trafilatura(html, url, favor_precision=True)
    if sum(map(len, precise)) >= KEEP_PRECISE_RATIO * sum(map(len, balanced)):
        return precise
    return balanced


def oversized_page_paragraphs(root: HtmlElement, url: str) -> list[str]:
    """Main-text paragraphs of a page larger than any real article page (parsed as ``root``): from a
    bounded copy of it, in one pass without trafilatura's fallback extractors (a third of the work)."""
    return _trafilatura(bounded_html(root), url, favor_precision=False, fast=True)


def is_oversized(html: str, root: HtmlElement) -> bool:
    """Whether a page (``html`` parsed as ``root``) is larger than any real article page."""
    return len(html) > GENERIC_MAX_HTML_CHARS or int(root.xpath("count(//*)")) > GENERIC_MAX_ELEMENTS


MAX_ATTRIBUTE_CHARS = 1_000
_LONG_VALUED = etree.XPath(f"/descendant::*[@*[string-length() > {MAX_ATTRIBUTE_CHARS}]]")


def bounded_html(root: HtmlElement) -> str:
    """A copy of the page ``root`` without scripts and styles, cut to its first elements and
    characters of text in document order."""
    copy = deepcopy(root)
    # What the extractor throws away anyway must not use up the elements it is given.
    etree.strip_elements(copy, *_NOT_TEXT, with_tail=False)
    cut_after(copy, GENERIC_MAX_ELEMENTS, GENERIC_MAX_CHARS)
    # trafilatura tests class, id, style... of each element with a hundred XPath expressions: one 8 MB class
    # took 3.6 s. A value past MAX_ATTRIBUTE_CHARS is a hostile one; its start is enough to be matched.
    for element in _LONG_VALUED(copy):
        for name, value in element.items():
            if len(value) > MAX_ATTRIBUTE_CHARS:
                element.set(name, value[:MAX_ATTRIBUTE_CHARS])
    return str(etree.tostring(copy, encoding="unicode", method="html"))


def cut_after(root: HtmlElement, max_elements: int, max_chars: int) -> None:
    """Remove from ``root`` everything past its first ``max_elements`` nodes or ``max_chars`` characters of text."""
    chars = 0
    for count, node in enumerate(root.iter()):
        text_room = max_chars - chars
        chars += len(node.text or "") + len(node.tail or "")
        if count >= max_elements or chars > max_chars:
            break
    else:
        return
    if count < max_elements and node.text and text_room > 0:  # the cut falls in this node's text: keep its start
        node.text, node.tail = node.text[:text_room], None
        for child in list(node):
            node.remove(child)
        node = _next_in_order(node)
    _remove_from(node)


def _next_in_order(node: HtmlElement) -> HtmlElement | None:
    """The node after ``node`` and its descendants in document order."""
    while node is not None:
        following = node.getnext()
        if following is not None:
            return following
        node = node.getparent()
    return None


def _remove_from(node: HtmlElement | None) -> None:
    """Remove ``node`` and every node after it in document order (the root stays)."""
    while node is not None:
        parent = node.getparent()
        if parent is None:
            return
        for later in [node, *node.itersiblings()]:
            parent.remove(later)
        node = _next_in_order(parent)


# The deepest tree :class:`Forest` lays out (the training script caps them at 6 levels).
MAX_DEPTH = 12


class Forest:
    """Gradient-boosted trees (exported by ``scripts/train_body_model.py``) scored with numpy: every
    tree walks every block at once, one level per step. Each level of all trees is one array, tree by tree,
    ``2 ** level`` slots per tree in the order of a complete binary tree, so a slot's children are at twice
    its index (plus one for the right one) in the next level's array: no child look-up. A leaf above the
    last level fills every slot under it with its value, so a walk that reached it goes on to the same
    value."""

    def __init__(self, model: dict[str, Any], second: bool = False) -> None:
        if list(model["features"]) != [*FEATURES, *(CONTEXT_FEATURES if second else ())]:
            raise ValueError("the body model was trained on other features: run scripts/train_body_model.py")
        trees = model["trees"]
        self.depth = max((_depth(tree) for tree in trees), default=0)
        if self.depth > MAX_DEPTH:  # each level doubles the slots of every tree
            raise ValueError(f"the body model's trees are {self.depth} levels deep, more than {MAX_DEPTH}")
        self.roots = np.arange(len(trees), dtype=np.intp)  # tree t's root: slot t of the first level
        # Per level: each slot's feature and threshold (a slot under a leaf tests feature 0, either way).
        feature = [np.zeros(len(trees) << d, dtype=np.intp) for d in range(self.depth)]
        threshold = [np.zeros(len(trees) << d, dtype=np.float64) for d in range(self.depth)]
        self.value = np.zeros(len(trees) << self.depth, dtype=np.float64)
        for t, tree in enumerate(trees):
            nodes = [0]  # the node of each slot of tree t at this level
            for d in range(self.depth + 1):
                below: list[int] = []
                for h, k in enumerate(nodes):
                    slot = (t << d) + h
                    if d == self.depth:
                        self.value[slot] = tree["value"][k]
                    elif tree["feature"][k] >= 0:
                        feature[d][slot], threshold[d][slot] = tree["feature"][k], tree["threshold"][k]
                        below += [tree["left"][k], tree["right"][k]]
                    else:
                        below += [k, k]
                nodes = below
        self.feature = feature
        self.threshold = [_float32_below(level) for level in threshold]

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The probability that each row of ``X`` is body text."""
        n, width = X.shape
        if n == 0:
            return np.zeros(0)
        # LightGBM compares float32 inputs: ``x <= t`` of a float32 ``x`` is ``x <= t'`` with ``t'`` the
        # largest float32 not above ``t`` (see :func:`_float32_below`), so the walk reads float32 only.
        x32 = X.astype(np.float32)
        if self.depth == 0:
            slot = np.repeat(self.roots[:, None], n, axis=1)
        else:
            # The first level's slot of a tree is its root: its feature is one column of every block.
            # Not ``x > threshold``: a NaN goes right, as it went in LightGBM's ``x <= threshold`` test.
            at_root = x32[:, self.feature[0]].T
            slot = (~(at_root <= self.threshold[0][:, None])).astype(np.intp)
            slot += 2 * self.roots[:, None]
        flat = x32.ravel()
        row_start = np.arange(0, n * width, width, dtype=np.intp)
        # One buffer each for the whole walk (a level's arrays are all the same size). Every index is in range:
        # "clip" changes none, and unlike the default it writes into ``out`` without copying it first.
        index = np.empty_like(slot)
        value, bound = np.empty(slot.shape, dtype=np.float32), np.empty(slot.shape, dtype=np.float32)
        right = np.empty(slot.shape, dtype=bool)
        for feature, threshold in zip(self.feature[1:], self.threshold[1:], strict=True):
            feature.take(slot, out=index, mode="clip")
            index += row_start
            flat.take(index, out=value, mode="clip")
            threshold.take(slot, out=bound, mode="clip")
            np.less_equal(value, bound, out=right)
            np.invert(right, out=right)
            slot += slot
            slot += right
        margin: np.ndarray = self.value.take(slot).sum(axis=0)
        probability: np.ndarray = 1.0 / (1.0 + np.exp(-margin))
        return probability


def _float32_below(threshold: np.ndarray) -> np.ndarray:
    """Per threshold ``t``, the largest float32 not above it: for a float32 ``x``, ``x <= t`` exactly when
    ``x`` is at most that float32 (NaN fails both)."""
    # Beyond float32's range the cast gives +-inf: one step down from +inf is the largest float32, -inf stays.
    with np.errstate(over="ignore"):
        below = threshold.astype(np.float32)
        over = below.astype(np.float64) > threshold
        below[over] = np.nextafter(below[over], np.float32(-np.inf))
    return below


def _depth(tree: dict[str, list[Any]]) -> int:
    """The number of levels of inner nodes on the longest path from the root of ``tree`` to a leaf."""
    depth, level = 0, [0]
    while level := [child for k in level if tree["feature"][k] >= 0 for child in (tree["left"][k], tree["right"][k])]:
        depth += 1
    return depth


@cache
def forests() -> tuple[Forest, Forest]:
    """The shipped body model: the block model, and the one that also reads its view of the context."""
    # Read through importlib.resources: under Scrapyd the package is a zipped egg, not files.
    model = json.loads(resources.files(__package__).joinpath(MODEL_PATH.name).read_text(encoding="utf-8"))
    return Forest(model["first"]), Forest(model["second"], second=True)


def body_probabilities(blocks: list[Block], rows: np.ndarray) -> np.ndarray:
    """The probability that each block is body text."""
    first, second = forests()
    X = np.asarray(rows, dtype=np.float64)
    return second.predict(np.hstack([X, context_features(first.predict(X), layout_of(blocks))]))


CONTEXT_FEATURES = ("p", *(f"p_{side}{k}" for side in ("prev", "next") for k in (1, 2)), "p_window_max",
                    "p_window_mean", *(f"p_up{k}" for k in (1, 2, 3, 4)), "p_rank",
                    "p_same_style", "p_around5", "p_around10", "p_mass_before", "p_mass_after",
                    "p_gap_before", "p_gap_after", "p_in_span")
# A block the first model is sure of: what the distance and span features measure from.
_SURE = 0.5
_SURE_CHARS = 40
_FAR = 60.0


class Layout(NamedTuple):
    """Where a page's blocks sit, for :func:`context_features`."""

    chars: np.ndarray  # each block's length
    ancestors: np.ndarray  # its four nearest block-level ancestors (``-1`` where there are fewer)
    style: np.ndarray  # a number per distinct (tag, class) of its element


def layout_of(blocks: list[Block]) -> Layout:
    """The :class:`Layout` of ``blocks``."""
    pad = (-1, -1, -1, -1)
    # Read flat (numpy reads a list of tuples at half the speed).
    ancestors = np.fromiter(chain.from_iterable((b.ancestors[:-5:-1] + pad)[:4] for b in blocks), dtype=np.intp,
                            count=4 * len(blocks)).reshape(-1, 4)
    styles: dict[tuple[str, str], int] = {}
    style = np.asarray([styles.setdefault(b.style, len(styles)) for b in blocks], dtype=np.intp)
    return Layout(np.asarray([len(b.text) for b in blocks], dtype=np.float64), ancestors, style)


def _group_share(index: np.ndarray, weight: np.ndarray, chars: np.ndarray) -> np.ndarray:
    """Per row, its group's (``index``) ``weight`` over its characters."""
    mass = np.bincount(index, weights=weight)
    total = np.bincount(index, weights=chars)
    share: np.ndarray = mass[index] / np.maximum(total[index], 1)
    return share


def _around(weight: np.ndarray, chars: np.ndarray, k: int) -> np.ndarray:
    """The character-weighted mean of ``p`` over the ``k`` blocks either side (and the block)."""
    n = len(chars)
    cw, cc = np.concatenate([[0.0], np.cumsum(weight)]), np.concatenate([[0.0], np.cumsum(chars)])
    lo, hi = np.maximum(np.arange(n) - k, 0), np.minimum(np.arange(n) + k + 1, n)
    mean: np.ndarray = (cw[hi] - cw[lo]) / np.maximum(cc[hi] - cc[lo], 1)
    return mean


def _gaps(sure: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Blocks back to the previous sure block and on to the next one (:data:`_FAR` when there is none)."""
    n = len(sure)
    position = np.arange(n)
    last = np.maximum.accumulate(np.where(sure, position, -1))
    before = np.concatenate([[-1], last[:-1]])
    following = np.minimum.accumulate(np.where(sure, position, n)[::-1])[::-1]
    after = np.concatenate([following[1:], [n]])
    return (np.where(before >= 0, np.minimum(position - before, _FAR), _FAR),
            np.where(after < n, np.minimum(after - position, _FAR), _FAR))


def context_features(p: np.ndarray, layout: Layout) -> np.ndarray:
    """What the first model thinks of a block's neighbours, containers, look-alikes and the run of text
    it sits in (:data:`CONTEXT_FEATURES`)."""
    # From the scores as float32: numpy's exp differs from CPU to CPU in the last bits of a float64, which sums
    # and differences here would carry into the second model's inputs (and its training).
    p = p.astype(np.float32).astype(np.float64)
    n = len(p)
    chars, ancestors = layout.chars, layout.ancestors
    padded = np.concatenate([np.full(2, -1.0), p, np.full(2, -1.0)])
    shifted = [padded[2 + k: 2 + k + n] for k in (-1, -2, 1, 2)]
    window = np.stack([padded[k: k + n] for k in range(5)])
    valid = window >= 0
    window_mean = np.where(valid, window, 0).sum(axis=0) / valid.sum(axis=0)
    columns = [p, *shifted, window.max(axis=0), window_mean]
    weight = chars * p
    size = int(ancestors.max()) + 2 if n else 1
    for level in range(4):
        index = np.where(ancestors[:, level] >= 0, ancestors[:, level], size - 1)
        columns.append(np.where(ancestors[:, level] >= 0, _group_share(index, weight, chars), -1.0))
    # The share of blocks scored higher: equal scores rank equal. (Ranked by argsort, their order was the sort
    # kernel's, and numpy sorts with its own on a CPU with AVX-512: the model differed from machine to machine.)
    columns.append(np.searchsorted(np.sort(-p), -p, side="left") / max(n, 1))
    columns.append(_group_share(layout.style, weight, chars))
    columns += [_around(weight, chars, 5), _around(weight, chars, 10)]
    # The total is the running sum's last, so the mass after the last block is 0, not the rounding left of
    # total - before - weight (noise of the size of the scores' last bits, large next to 0).
    running = np.cumsum(weight)
    total = (float(running[-1]) if n else 0.0) or 1.0
    before = np.concatenate([[0.0], running[:-1]])
    columns += [before / total, (total - running) / total]
    sure = (p >= _SURE) & (chars >= _SURE_CHARS)
    gap_before, gap_after = _gaps(sure)
    columns += [gap_before, gap_after, ((gap_before < _FAR) & (gap_after < _FAR)).astype(np.float64)]
    return np.stack(columns, axis=1)


_LINK_DENSITY = FEATURES.index("link_density")
EDGE_LINK_DENSITY = 0.9
# A heading that opens the readers' comments ("Comments", "[ 167 comments ]", "Leave a reply", "Комментарии"):
# kept blocks after it are comments shaped like paragraphs, once most of the kept text is behind it (a short
# "Comments" line near the top is a link to them, not the end of the article).
_COMMENTS_HEADING = re.compile(
    r"^\W*(?:\d+\s+)?(?:comments?|leave a (?:reply|comment)|add a comment|post a comment|комментари[иейя]|"
    r"оставить комментарий|коментарі|пікірлер|izohlar|comentários|comentarios|kommentare|commentaires)\W*$",
    re.IGNORECASE)
COMMENTS_MAX_CHARS = 60
COMMENTS_AFTER_SHARE = 0.6


_STRAIGHT_QUOTES = CharMap({"’": "'", "‘": "'"})


def _headline_form(text: str) -> str:
    """A headline as compared with a block: case and curly apostrophes left out (the title takes the declared
    titles' straight ones where the page prints curly ones)."""
    return _STRAIGHT_QUOTES(normalize_text(text).casefold())


def choose(texts: list[str], probabilities: np.ndarray, title: str | None, rows: np.ndarray,
           table_row: list[int] | None = None) -> list[str]:
    """The blocks judged body text, in page order (``rows`` are their features), without the headline
    repeated first and without lines that are all links at either end (tags, teasers, "next story"); the
    kept cells of one table row (``table_row``, see :func:`~crawler.extract.blocks.table_rows`) make one line."""
    sure = probabilities >= THRESHOLD
    # A block the model half believes between two it keeps is a paragraph of the article with an odd shape
    # more often than chrome: a gap of one block is closed (the threshold chosen by the held-out F1).
    between = np.zeros_like(sure)
    between[1:-1] = sure[:-2] & sure[2:] & (probabilities[1:-1] >= GAP_THRESHOLD)
    kept = np.nonzero(sure | between)[0].tolist()
    if kept and title and _headline_form(texts[kept[0]]) == _headline_form(title):
        kept = kept[1:]  # the headline is the record's title, not its first paragraph

    def link_line(i: int) -> bool:
        return bool(rows[i, _LINK_DENSITY] >= EDGE_LINK_DENSITY)

    while kept and link_line(kept[-1]):
        kept.pop()
    while kept and link_line(kept[0]):
        kept.pop(0)
    return _join_rows(texts, _before_comments(texts, kept), table_row)


def _before_comments(texts: list[str], kept: list[int]) -> list[int]:
    """``kept`` without the blocks after a comments heading that most of the kept text comes before."""
    if not kept:
        return kept
    total = sum(len(texts[i]) for i in kept)
    before, following = 0, iter(kept)
    next_kept = next(following)
    for j in range(kept[0], kept[-1] + 1):
        if (len(texts[j]) < COMMENTS_MAX_CHARS and before >= COMMENTS_AFTER_SHARE * total
                and _COMMENTS_HEADING.match(texts[j])):
            return [i for i in kept if i < j]
        if j == next_kept:
            before += len(texts[j])
            next_kept = next(following, -1)
    return kept


CELL_SEPARATOR = " | "


def _join_rows(texts: list[str], kept: list[int], table_row: list[int] | None) -> list[str]:
    """The kept blocks' texts, a table row's adjacent cells joined by :data:`CELL_SEPARATOR` into one line."""
    lines: list[str] = []
    previous = -1
    for i in kept:
        row = table_row[i] if table_row is not None else -1
        if row >= 0 and row == previous:
            lines[-1] += CELL_SEPARATOR + texts[i]
        else:
            lines.append(texts[i])
        previous = row
    return lines


def page_blocks(root: etree._Element, title: str, lead: str, ld_body: str) -> tuple[list[Block], np.ndarray]:
    """The page's blocks and their feature rows."""
    blocks, segmenter = segment(root)
    return blocks, features(blocks, segmenter, title, lead, ld_body)


def classified_paragraphs(root: etree._Element, title: str | None, lead: str | None, ld_body: str | None,
                          ) -> list[str]:
    """Main-text paragraphs of the page ``root``, chosen block by block by the body model."""
    blocks, rows = page_blocks(root, title or "", lead or "", ld_body or "")
    if not blocks:
        return []
    probabilities = body_probabilities(blocks, rows)
    for i in np.nonzero(probabilities >= GAP_THRESHOLD)[0]:
        if is_caption(blocks[i].element):
            probabilities[i] = 0.0
    return choose([b.text for b in blocks], probabilities, title, rows, table_rows(blocks))


def is_caption(element: etree._Element) -> bool:
    """Whether a block is (in) an image's ``<figcaption>``: the image's caption, never a body paragraph."""
    return element.tag == "figcaption" or next(element.iterancestors("figcaption"), None) is not None


def page_inputs_for_training(html: str, url: str) -> tuple[str, list[Block], np.ndarray, str]:
    """What :func:`classified_paragraphs` reads of a page, as the article extractor gives it, and the type
    the page declares itself (``article``, ``listing``, ``unknown``)."""
    from crawler.extract.article import _first, _jsonld, _meta, _Page, _title, page_type
    from crawler.limits import RecordLimits

    page = _Page(html, url, None, datetime.now(UTC), RecordLimits())
    title, shown = _title(page)  # the body reads the headline as the page prints it
    lead = _first(lambda: _meta(page, "og:description", "description", "twitter:description"),
                  lambda: _jsonld(page, "description"))
    ld_body = page.data.article.get("articleBody")
    title_text = shown or (title[0] if title else "")
    blocks, rows = page_blocks(page.sel.root, title_text, lead[0] if lead else "",
                               ld_body if isinstance(ld_body, str) else "")
    return title_text, blocks, rows, page_type(page.data)
