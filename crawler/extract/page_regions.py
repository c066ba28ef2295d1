"""What marks one element as page chrome or as outside the article: the vocabularies and one-element tests.

Navigation, forms, teaser lists, comments, asides and figure credits are not the article's, whatever date
or byline they print. The words for them live here once; each caller keeps its own walk (the header's
memoised walk up, the date search's drop in document order, the byline candidates' test), because the walks
differ on purpose. Where one caller reads a mark the others do not, the difference is named here.

Tags are compared as lxml.html's parser gives them: in lower case (it folds ``<NAV>`` to ``nav``).

Pure: lxml elements in, booleans out; no Scrapy.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection

from lxml.html import HtmlElement

__all__ = ["COMMENT_WORD", "CREDIT_TAGS", "OUTSIDE_ARTICLE_TAGS", "SIDEBAR_CLASS_WORD", "SKIPPED_TAGS", "TEASER_CLASS",
           "MarkedAncestry", "has_comment_word", "has_sidebar_class", "is_chrome_mark", "is_comment_mark", "is_credit",
           "is_outside_article_tag", "is_teaser_card"]

# Never read for a date or a byline: code, navigation, forms and photo captions.
SKIPPED_TAGS = frozenset({"script", "style", "noscript", "template", "nav", "form", "button", "select", "option",
                          "figcaption", "textarea"})
# An <aside> or a <footer> can hold the article's own date line: the header's date reading reads them, its byline
# zone leaves them out unless they hold the headline, the date search drops them outside <article>/<main>.
OUTSIDE_ARTICLE_TAGS = frozenset({"aside", "footer"})
# Blocks of other articles' links that a template can put anywhere. Not "widget", "share" or "meta":
# page builders wrap everything in widgets, and a date line often shares a block with the share bar.
TEASER_CLASS = re.compile(r"related|teaser|also|recommend|popular|latest|most-?read|sidebar|ticker", re.IGNORECASE)
# The same words matched in lower case: on ASCII text (class names nearly always are) the two agree, and a pattern
# without re.IGNORECASE skips ahead to the letters its words start with.
_TEASER_LOWER = re.compile(TEASER_CLASS.pattern)
# A comment's text is the commenter's: the word in a class or an id.
COMMENT_WORD = "comment"
# A byline inside these is a photographer's credit (the byline test's only: a date in a figure is read).
CREDIT_TAGS = frozenset({"figure"})
# The byline test's sidebar: "sidebar" as a whole class word, as written (TEASER_CLASS, the header's, is wider:
# any "sidebar" in a class or an id, in any case).
SIDEBAR_CLASS_WORD = " sidebar "


def is_chrome_mark(node: HtmlElement) -> bool:
    """Whether ``node`` itself is page chrome: a :data:`SKIPPED_TAGS` tag, or a class or id that
    :data:`TEASER_CLASS` names (an ancestor's marks are its caller's walk to read)."""
    if node.tag in SKIPPED_TAGS:  # a comment's tag is a function: in no set of names
        return True
    classes, ids = node.get("class"), node.get("id")  # most elements have neither: nothing to search
    if not (classes or ids):
        return False
    marks = f"{classes or ''} {ids or ''}"
    return (_TEASER_LOWER.search(marks.lower()) if marks.isascii() else TEASER_CLASS.search(marks)) is not None


# A card whose whole face is one link (image, heading, date): another article's teaser, whatever its class says.
CARD_HEADINGS = ("h2", "h3", "h4", "h5", "h6")


def is_teaser_card(node: HtmlElement) -> bool:
    """Whether ``node`` is a link that holds a heading (:data:`CARD_HEADINGS`): a teaser card of a list that no
    class names. The article's own date links only its date ("Posted on <a href=permalink>14 May</a>")."""
    return node.tag == "a" and next(node.iter(*CARD_HEADINGS), None) is not None


def is_outside_article_tag(node: HtmlElement) -> bool:
    """Whether ``node`` is an ``<aside>`` or a ``<footer>`` (:data:`OUTSIDE_ARTICLE_TAGS`)."""
    return node.tag in OUTSIDE_ARTICLE_TAGS


def is_comment_mark(node: HtmlElement) -> bool:
    """Whether ``node``'s class or id says "comment", in any case ("Comments", "comment-list")."""
    classes, ids = node.get("class"), node.get("id")
    return bool((classes or ids) and COMMENT_WORD in f"{classes or ''} {ids or ''}".lower())


def has_comment_word(node: HtmlElement) -> bool:
    """Whether ``node``'s class or id holds "comment" as written, in lower case: the byline test's
    narrower reading of :func:`is_comment_mark` (a "Comments" id is not matched there)."""
    return COMMENT_WORD in (node.get("class") or "") or COMMENT_WORD in (node.get("id") or "")


def is_credit(node: HtmlElement) -> bool:
    """Whether ``node`` is a block whose byline is a credit, not an author's (:data:`CREDIT_TAGS`)."""
    return node.tag in CREDIT_TAGS


def has_sidebar_class(node: HtmlElement) -> bool:
    """Whether ``node``'s class has "sidebar" as a whole word, split on spaces only, as written."""
    return SIDEBAR_CLASS_WORD in f" {node.get('class') or ''} "


class MarkedAncestry:
    """Whether an element or one of its ancestors (up to, not into, ``stop``) is ``marked``, remembered per
    element for one page: asking about every candidate walks each block once, not once per candidate."""

    def __init__(self, marked: Callable[[HtmlElement], bool], stop: Collection[HtmlElement] = ()) -> None:
        self.marked = marked
        self.stop = stop
        self.known: dict[HtmlElement, bool] = {}

    def __call__(self, node: HtmlElement | None) -> bool:
        path: list[HtmlElement] = []  # walked up from ``node``, answer not known yet
        answer = False
        while node is not None and node not in self.stop:
            known = self.known.get(node)
            if known is not None:
                answer = known
                break
            path.append(node)
            if self.marked(node):
                answer = True
                break
            node = node.getparent()
        for walked in path:  # marked when it or anything above it is: the same answer for all
            self.known[walked] = answer
        return answer
