"""The headline as the page shows it: the visible ``<h1>`` weighed against the declared titles.

Declared titles (JSON-LD ``headline``, ``og:title``, ``twitter:title``, ``<title>``) often carry the
site's name ("… | Site", "Site — …", "site.uz …"), its tagline ("… - Новости Таджикистана ASIA-Plus"), a section
("… - Политика - …", "… | District": one capitalised word after a bar) or a CMS label ("… | Photo", "(фото,
видео)"); the visible headline does not, but
a page can have several ``<h1>`` (the logo, "Menu", a sidebar). So each headline candidate is stripped
of site names and labels, and the ``<h1>`` that agrees with a declared title wins; with no agreement,
the first plausible ``<h1>`` (one a declared title starts with first), unless it is about something else
(shares few words with every declared title while two agree on a headline the page shows), else the
declared title most candidates agree on; a banner ``<h1>`` of a word or three gives way to a headline all three
declared titles agree on. When no ``<h1>`` agrees, the first element marked as a headline by class or microdata
(``entry-title``, ``td-post-title``; never a teaser's link) is a candidate too, and a visible headline about what
the declared titles say comes before one about something else (a widget's ``<h1>``). A headline shown in
capitals or lower case takes the declared case, one with "?" for letters the page's charset lacked is read
from the declared title, and text that was UTF-8 read as Latin-1 is decoded again. Curly apostrophes a theme
printed ("Beginner’s") are straight where the declared titles saying the same words write them so.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from lxml import etree
from lxml.html import HtmlElement

from crawler.extract.page import PageView, declared_site_names
from crawler.extract.shown_text import NOT_SHOWN, bounded_text
from crawler.text import CharMap, normalize_text, past_cap

# Separators between a headline and a site name or label: a bar, dash, bullet or guillemet with space
# around it (a hyphen inside a word, "Long-Distance", or a quote's «, which a word follows, is not one); a bar
# needs no space.
_SEPARATOR = re.compile(r"\s*\|\s*|\s+[-–—•·«»›:/~]\s+|\s+::\s+")
# Labels a CMS appends or prepends to a headline: the kind of page, not part of the headline.
_KINDS = frozenset((
    "opinion", "video", "videos", "photo", "photos", "gallery", "photo gallery", "infographic", "podcast", "audio",
    "live", "blog", "news", "analysis", "editorial", "interview", "review", "column", "commentary", "explainer",
    "exclusive", "watch", "listen", "фото", "видео", "фоторепортаж", "мнение", "интервью", "новости", "блог",
    "аналитика", "колонка", "комментарий", "инфографика", "сурат", "акс", "мусоҳиба",
))
# A page-kind tail a declared title carries: "(video)", "[ФОТО]", "(фото, видео)", "(Photos + Video)".
_TAIL_LABEL = re.compile(r"\s*[\[(](?:{0})(?:\s*(?:,|\+|&|/|\band\b|\bи\b)\s*(?:{0}))*[\])]$".format(
    "|".join(map(re.escape, sorted(_KINDS, key=len, reverse=True)))), re.IGNORECASE)
# Sections a site names after the headline ("… - Политика - Kaktus.media"), in the outlets' languages.
SECTIONS = frozenset((
    "politics", "world", "business", "economy", "society", "sport", "sports", "culture", "health", "science",
    "technology", "tech", "entertainment", "lifestyle", "politika", "политика", "экономика", "общество", "в мире",
    "мир", "спорт", "культура", "происшествия", "регионы", "наука", "здоровье", "технологии", "саясат", "қоғам",
    "әлем", "коом", "дүйнө", "сиёсат", "иқтисодиёт", "жамият", "дунё", "siyosat", "iqtisodiyot", "jamiyat",
    "dunyo", "иқтисод", "ҷомеа", "ҷаҳон", "варзиш", "syýasat", "ykdysadyýet", "jemgyýet", "dünýä",
))
# "News" in the outlets' languages: a segment made of it and a word or two ("Новости Таджикистана", "Latest
# news", "Хабарҳо") is the site's tagline, not the headline.
_NEWS_WORDS = frozenset(("news", "новости", "новость", "хабарҳо", "хабарлар", "жаңалықтар", "жаңылыктар",
                         "yangiliklar", "янгиликлар", "habarlar", "xabarlar"))
MAX_TAGLINE_WORDS = 3
_QUOTES = CharMap({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "“": '"', "”": '"', "«": '"', "»": '"',
                    "–": "-", "—": "-", "…": "..."})
_DATE_WORD = re.compile(r"(?:19|20)\d\d|jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|"
                        r"april|june|july|august|september|october|november|december")
_LEAD_LABEL = re.compile(r"^\w+(?: \w+)?:(?!\d)\s?")  # "Blog: …", "Opinion: …", "Title:…" (a label element)
_WORD = re.compile(r"\w+")
_LOST_RUN = re.compile("([?\ufffd]+)")  # what characters the page's charset lacked are shown as
MAX_LOST_RUNS = 20  # a headline with more runs of "?" is compared with nothing (each run is a quantifier)
_ENTITY = re.compile(r"&(?:#\d{2,7}|#x[0-9a-f]{2,6}|[a-z]{2,8});", re.IGNORECASE)
_DOMAIN = re.compile(r"(?:[\w-]+\.)+[^\W\d_]{2,}")  # "davidbau.com", "Kun.uz", "24.kg"
_BREAKS = frozenset({"br", "div", "p"})
MAX_SEGMENTS = 8  # a title of a thousand "|" has no headline segment worth a million comparisons
MAX_TITLE_CHARS = 1_000  # a candidate is read this far: a headline can be megabytes of JSON-LD
MAX_TITLE_READ = 64 * MAX_TITLE_CHARS  # an element's text read at most, however much of it is blank
MAX_PAGE_TEXT_CHARS = 200_000  # read this far to find a declared headline shown on the page
MAX_H1 = 8  # headline elements weighed per page (a page can print one per teaser)
# A visible headline sharing less than this share of its words with every declared title is about something
# else: the site's or a section's name ("Our BLOG", "M&A Updates"), a widget ("Contact Us", "Select an option").
MIN_SHARED_WORDS = 0.25
STEM_CHARS = 5
MAX_BANNER_WORDS = 3  # a visible headline this short is a banner when all three declared titles say another
MIN_BANNER_AGREEING = 3
MAX_HEADLINE_WORDS = 30  # the longest headlines run to about 25 words; past this it is a paragraph
# Text that was UTF-8 read as Latin-1 ("Investorâ\x80\x99s", "JOHNSONâ\x80\x99SÂ®"): a lead byte shown as
# "Â"-"ï" followed by a continuation byte shown as a C1 control or a Latin-1 sign.
_MOJIBAKE = re.compile("[\u00c2-\u00ef][\u0080-\u00bf]")


@dataclass(frozen=True)
class Candidate:
    """One headline text and where it came from (``jsonld``, ``meta``, ``site``, ``generic``)."""

    text: str
    source: str
    visible: bool  # shown on the page (an ``<h1>`` or the site's headline selector), not declared
    # The headline as the page prints it, where ``text`` adds to it (a year the declared titles give): what the body
    # looks for (the headline's line, not repeated as its first paragraph).
    shown: str | None = None


def key(text: str) -> str:
    """A headline's comparable form: case, quotes, dashes and punctuation left out."""
    return " ".join(_WORD.findall(_QUOTES(text).casefold()))


def repair_mojibake(text: str) -> str:
    """``text`` with UTF-8 that was read as Latin-1 decoded again ("â\x80\x99" is "’"); any other text as is."""
    if not _MOJIBAKE.search(text):
        return text
    try:
        return text.encode("latin-1").decode("utf-8")
    except UnicodeError:  # real Latin-1 text, or mixed with characters Latin-1 has not
        return text


def unescape(text: str) -> str:
    """``text`` with its HTML entities decoded, twice when the CMS escaped them twice ("&amp;#8217;" is "’")."""
    once = html.unescape(text)
    return html.unescape(once) if _ENTITY.search(once) else once


def _content_words(text: str) -> set[str]:
    """The words that say what a headline is about (three letters or more, or a number), cut to their first
    five letters: "Costs" is "Cost", "Казахстана" is "Казахстан" (inflection changes the ending)."""
    return {w[:STEM_CHARS] for w in _WORD.findall(text.casefold()) if len(w) >= 3 or w.isdigit()}


def _shares_words(shown: str, declared: Iterable[str]) -> bool:
    """Whether a visible headline shares at least :data:`MIN_SHARED_WORDS` of its words with a declared title."""
    words = _content_words(shown)
    return not words or any(len(words & _content_words(d)) >= MIN_SHARED_WORDS * len(words) for d in declared)


def _compact(text: str) -> str:
    return "".join(_WORD.findall(text.casefold()))


def site_name_keys(names: Iterable[str], url: str) -> set[str]:
    """Compact forms of the site's names, plus its host's labels ("supermove" for www.supermove.com)."""
    found = {_compact(n) for n in names if n}
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    if host:
        found |= {_compact(host), _compact(host.rsplit(".", 1)[0])}
        found |= {_compact(label) for label in host.split(".")[:-1] if len(label) >= 4}
    return {f for f in found if f}


def _is_site_name(segment: str, names: set[str]) -> bool:
    compact = _compact(segment)
    if not compact:
        return True
    if compact in names:
        return True
    # "Supermove Blog", "The Motley Fool", "Artlyst - Artlyst": the name plus a word or two of its own.
    if len(compact) >= 5 and any(compact in name for name in names):  # "DianaHR" of getdianahr.com
        return True
    return any(len(name) >= 4 and name in compact and len(compact) <= len(name) + 12 and len(segment.split()) <= 5
               for name in names)


def _is_tagline(segment: str, names: set[str], beside_site: bool) -> bool:
    """Whether a title segment is the site's tagline: "news" and a word or two ("Новости Таджикистана", "Latest
    news") with the site's name in it ("Новости Таджикистана ASIA-Plus") or beside it (``beside_site``): alone,
    "Tajikistan – Uzbekistan border news" or "плохие новости" end a headline."""
    every = segment.split()
    words = [w for w in every if not _is_site_name(w, names) or not _compact(w)]
    return ((beside_site or len(words) < len(every)) and 0 < len(words) <= MAX_TAGLINE_WORDS
            and (words[0].casefold() in _NEWS_WORDS or words[-1].casefold() in _NEWS_WORDS))


def _is_label(segment: str, names: set[str], beside_site: bool, shown: bool) -> bool:
    """Whether a segment at the start or end of a title is a label, not part of the headline: the page's kind
    ("Video"); in a declared title also the section or the tagline the site puts beside its name ("… - Политика
    - Kaktus.media"). A headline as shown keeps them: "Мир - это война", "Брексит — плохие новости"."""
    folded = segment.casefold()
    if folded in _KINDS:
        return True
    return not shown and ((beside_site and folded in SECTIONS) or _is_tagline(segment, names, beside_site))


def strip_title(title: str, names: set[str], shown: bool = False) -> str:
    """``title`` without the site names and page-kind labels before or after its separators; a declared
    title also without a "(video)" tail (a headline that shows one keeps it)."""
    title = normalize_text(title if shown else unescape(title))
    title = title if shown else _TAIL_LABEL.sub("", title)
    parts = _SEPARATOR.split(title)
    seps = _SEPARATOR.findall(title)
    if not shown:  # a headline as shown can name the site as its subject ("CABAR.asia Opens Applications")
        parts[0] = _without_host_word(parts[0], names, 0)
        parts[-1] = _without_host_word(parts[-1], names, -1)
    if len(parts) < 2:
        return parts[0]
    start, end = 0, len(parts)
    beside_site = False  # the segment just stripped was the site's name
    while end - start > 1:
        site = _is_site_name(parts[end - 1], names)
        if not site and not _is_label(parts[end - 1], names, beside_site, shown):
            break
        beside_site, end = site, end - 1
    beside_site = False
    while end - start > 1:
        site = _is_site_name(parts[start], names)
        if not site and not _is_label(parts[start], names, beside_site, shown):
            break
        beside_site, start = site, start + 1
    if not shown and end - start == 2 and (_trailing_name(parts[start], seps[start], parts[start + 1])
                                           or _trailing_word(parts[start], seps[start], parts[start + 1])):
        end -= 1
    return "".join(p + (seps[i] if i < end - 1 else "") for i, p in enumerate(parts[start:end], start)).strip()


_NAME_ARROWS = frozenset("»›")  # "Headline » Site": spaced on both sides, never a headline's own punctuation


def _trailing_name(head: str, separator: str, tail: str) -> bool:
    """Whether ``tail``, after a spaced "»" or "›", is a name the page declares nowhere else ("My Title » My Blog"):
    no longer than the headline before it, of a few capitalised words (a quote's «» have no space inside them)."""
    words = tail.split()
    return (separator.strip() in _NAME_ARROWS and len(words) <= MAX_TAGLINE_WORDS + 1
            and len(head.split()) >= 2 and len(words) <= len(head.split())
            and all(not w[0].isalpha() or w[0].isupper() for w in words))  # a name ("My Website"), no clause


MIN_HEADLINE_BEFORE_WORD = 4


def _trailing_word(head: str, separator: str, tail: str) -> bool:
    """Whether ``tail``, after a bar, is one capitalised word a declared title ends with: its section or site
    ("Headline of six words | District"), a bar being no headline's own punctuation."""
    return (separator.strip() == "|" and len(tail.split()) == 1 and tail[:1].isupper()
            and len(head.split()) >= MIN_HEADLINE_BEFORE_WORD)


def _without_host_word(part: str, names: set[str], end: int) -> str:
    """The first (``end`` 0) or last (-1) part of a title without the site's domain written at that end with no
    separator ("davidbau.com Vibe Coding", "Заголовок 24.kg")."""
    words = part.split(" ")
    if len(words) > 2 and _DOMAIN.fullmatch(words[end]) and _compact(words[end]) in names:
        del words[end]
    return " ".join(words)


def _before_bar(shown: str, names: set[str]) -> str:
    """A visible headline without what follows a bar: "Headline | Top 19 Companies" is a page printing its
    SEO title, the bar no headline's punctuation (site names and labels around it are stripped already)."""
    head = shown.split(" | ", 1)[0]
    return head if head != shown and _plausible(head, names) else shown


def _segments(title: str) -> set[str]:
    """Keys of every run of consecutive segments of a declared title ("A | B | C": A, A|B, B, ...)."""
    parts = _SEPARATOR.split(title)[:MAX_SEGMENTS]
    return {key(" ".join(parts[i:j])) for i in range(len(parts)) for j in range(i + 1, len(parts) + 1)}


def shown_text(node: HtmlElement) -> str:
    """The text of an element as shown: a ``<br>`` or a block child is a space, scripts are nothing;
    read only to :data:`MAX_TITLE_CHARS` once normalised (an ``<h1>`` can hold a whole page), and no further than
    :data:`MAX_TITLE_READ` characters as written."""
    chars = MAX_TITLE_CHARS
    while True:
        read = bounded_text(node, chars, breaks=_BREAKS, hidden=NOT_SHOWN)
        text = normalize_text(read)
        # Blanks (spaces, soft hyphens) normalisation takes out would leave a headline past the cap short of it.
        if len(text) > MAX_TITLE_CHARS or len(read) <= chars or chars >= MAX_TITLE_READ:
            return text
        chars *= 2


def _plausible(text: str, names: set[str]) -> bool:
    """A visible headline that could be the article's: words, not the site's name or a label, nor a paragraph
    set in a headline's type (more than :data:`MAX_HEADLINE_WORDS` words)."""
    return (len(text) >= 8 and 2 <= len(text.split()) <= MAX_HEADLINE_WORDS and not _is_site_name(text, names)
            and len(text) <= 300)


def choose_title(candidates: list[Candidate], names: set[str], page_text: Callable[[], str] | None = None,
                 marked: Callable[[], list[Candidate]] | None = None) -> Candidate | None:
    """The headline: a visible one that a declared title agrees with, else the first plausible visible one
    (unless it is about something else, see :func:`_off_topic`), else the declared title the others agree
    with most. ``page_text`` gives the page's shown text, read only to check an off-topic ``<h1>``; ``marked``
    the headlines marked by class or microdata, read only when no visible one agrees with a declared title."""
    declared = [c for c in candidates if not c.visible and c.text.strip()]
    declared_keys = [key(strip_title(c.text, names)) for c in declared]
    segments = set().union(*(_segments(unescape(c.text)) for c in declared)) if declared else set()
    visible = _visible([c for c in candidates if c.visible], names)
    for candidate in visible:
        if key(candidate.text) in declared_keys or key(candidate.text) in segments:
            return _credited(candidate, declared, names)
    for candidate in _visible(marked() if marked else [], names):
        if key(candidate.text) in declared_keys or key(candidate.text) in segments:
            return _credited(candidate, declared, names)
        visible.append(candidate)
    for candidate in visible:
        inner = _declared_inside(candidate.text, declared, names) or _undamaged(candidate.text, declared, names)
        if inner is not None:
            return inner
    # Of several headlines none agrees with, the one a declared title starts with ("Problem" of "Problem (Author)").
    starts = [k.split() for k in declared_keys + [key(unescape(c.text)) for c in declared]]
    visible.sort(key=lambda c: not _starts_one(key(c.text).split(), starts))
    # Then the headlines about what the declared titles say before one about something else (a widget's or a
    # banner's <h1> before the article's headline set in another element).
    stripped = [strip_title(c.text, names) for c in declared]
    visible.sort(key=lambda c: not _shares_words(c.text, stripped))
    best = _best_declared(declared, declared_keys)
    if not visible:
        return Candidate(strip_title(best.text, names), best.source, False) if best else None
    if best and (_off_topic(visible[0].text, best, declared, declared_keys, names, page_text)
                 or _banner(visible[0].text, best, declared_keys, names)):
        return Candidate(strip_title(best.text, names), best.source, False)
    return _restyled(visible[0], declared, names)


def _visible(candidates: list[Candidate], names: set[str]) -> list[Candidate]:
    """The plausible ones of visible headlines, without site names, labels and a bar's tail."""
    stripped = [Candidate(strip_title(c.text, names, shown=True), c.source, True) for c in candidates]
    return [Candidate(_before_bar(c.text, names), c.source, True) for c in stripped if _plausible(c.text, names)]


def _banner(shown: str, best: Candidate, declared_keys: list[str], names: set[str]) -> bool:
    """Whether a visible headline of a word or three ("M&A Updates", "VPN Services", "Toddler Sleep Training")
    is a section's or a topic's banner: the page's three declared titles all agree on a longer headline, which does
    not end with it (the blog's name before the headline: "Garnix Blog: Hardware-Attested Nix Builds")."""
    wanted, shown_key = key(strip_title(best.text, names)), key(shown)
    return (len(shown.split()) <= MAX_BANNER_WORDS and declared_keys.count(wanted) >= MIN_BANNER_AGREEING
            and len(wanted.split()) > len(shown_key.split()) and not wanted.endswith(" " + shown_key))


def _starts_one(words: list[str], titles: list[list[str]]) -> bool:
    """Whether ``words`` begin one of ``titles`` and make at least half of it."""
    return bool(words) and any(t[: len(words)] == words and 2 * len(words) >= len(t) for t in titles)


def _best_declared(declared: list[Candidate], declared_keys: list[str]) -> Candidate | None:
    """The declared title most others agree with; trusted order breaks ties."""
    if not declared:
        return None
    return declared[max(range(len(declared)), key=lambda i: (declared_keys.count(declared_keys[i]), -i))]


def _off_topic(shown: str, best: Candidate, declared: list[Candidate], declared_keys: list[str], names: set[str],
               page_text: Callable[[], str] | None) -> bool:
    """Whether a visible headline is about something else than the page ("Our BLOG", "Contact Us", a
    section's banner): it shares few words with every declared title, while two declared sources agree on
    a headline the page shows in its text (a stale or site-wide ``og:title`` alone never overrules it)."""
    if _shares_words(shown, (strip_title(c.text, names) for c in declared)):
        return False
    stripped = strip_title(best.text, names)
    wanted = key(stripped)
    return (declared_keys.count(wanted) >= 2 and _plausible(stripped, names) and page_text is not None
            and wanted in key(page_text()))


# The source an aggregator prints after a linked story's headline, and the count of its comments: "Title
# (latimes.com) 87", "Title (github.com)".
_SOURCE_TAIL = re.compile(r"\s+\((?:www\.)?[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}\)(?:\s+\d{1,6})?\s*$")


def _declared_inside(shown: str, declared: list[Candidate], names: set[str]) -> Candidate | None:
    """The declared title that a visible headline holds plus the post's date line, a "Label:" or the linked
    story's source it swallowed ("Dec 18 2025 Title", "Title Posted on July 1, 2024 by X", "Blog: Title",
    "Title (latimes.com) 87")."""
    shown_words = key(shown).split()
    source = _SOURCE_TAIL.search(shown)
    for candidate in declared:
        text = strip_title(candidate.text, names)
        words = key(text).split()
        if not words or len(words) >= len(shown_words):
            continue
        if source and key(shown[: source.start()]) == key(text):
            return Candidate(text, candidate.source, False)
        if shown_words[: len(words)] == words:
            extra = shown_words[len(words):]
        elif shown_words[-len(words):] == words:
            extra = shown_words[: -len(words)]
            if _LEAD_LABEL.match(shown) and len(extra) <= 2:
                return Candidate(text, candidate.source, False)
        else:
            continue
        if len(extra) >= 3 and any(_DATE_WORD.fullmatch(w) for w in extra) and len(extra) <= len(words):
            return Candidate(text, candidate.source, False)
    return None


def _undamaged(shown: str, declared: list[Candidate], names: set[str]) -> Candidate | None:
    """The declared title that a visible headline says with "?" or U+FFFD in place of letters the site's
    charset lacked (Kazakh "қ", "ә" on a cp1251 page; "’s"): the same text, undamaged."""
    if "?" not in shown and "\ufffd" not in shown:
        return None
    pieces = _LOST_RUN.split(shown)  # text, a run of lost characters, text, ...
    if len(pieces) > 2 * MAX_LOST_RUNS:
        return None
    for candidate in declared:
        text = strip_title(candidate.text, names)
        if text != shown and _repairs(pieces, text):
            return Candidate(text, candidate.source, False)
    return None


def _repairs(pieces: list[str], text: str) -> bool:
    """Whether ``text`` is the shown headline split into ``pieces`` (text, a run of k lost characters, text, ...)
    with each run standing for k to 2k non-space characters: the positions each piece can end at, carried
    along (a regex of one quantifier per run backtracks through every combination of run lengths)."""
    ends = {0}
    for i, piece in enumerate(pieces):
        if i % 2 == 0:
            ends = {at + len(piece) for at in ends if text.startswith(piece, at)}
        else:
            k = len(piece)
            ends = {at + n for at in ends for n in range(k, 2 * k + 1)
                    if at + n <= len(text) and not any(c.isspace() for c in text[at:at + n])}
        if not ends:
            return False
    return len(text) in ends


def _credited(shown: Candidate, declared: list[Candidate], names: set[str]) -> Candidate:
    """The shown headline, credited to the most trusted declared source that says the same; a headline
    shown in capitals or in lower case ("WEEKEND CODING AGENT", "history of coffee": a style, which CSS may
    change again) or in sentence case where the declared title capitalises its words (:func:`_capitalises`) takes
    the case of the declared title (or the part of it) it matches."""
    stripped = [strip_title(candidate.text, names) for candidate in declared]  # once each: a title can be long
    for candidate, text in zip(declared, stripped, strict=True):
        if shown.text in (normalize_text(unescape(candidate.text)), text):
            return Candidate(_declared_quotes(shown.text, stripped), candidate.source, False)
    styled = shown.text.isupper() or shown.text.islower()
    for candidate, text in zip(declared, stripped, strict=True):
        for part in (text, *_SEPARATOR.split(text)[:MAX_SEGMENTS]):
            if key(part) != key(shown.text):
                continue
            if (styled and not part.isupper() and not part.islower()) or _capitalises(shown.text, part):
                return Candidate(_declared_quotes(part, stripped), candidate.source, False)
    return Candidate(_declared_quotes(shown.text, stripped), shown.source, shown.visible)


_CURLY_SINGLE = CharMap({"’": "'", "‘": "'"})


def _declared_quotes(text: str, stripped: list[str]) -> str:
    """``text`` with straight apostrophes and single quotes where it shows curly ones ("Beginner’s") and the
    declared titles that say the same words write them straight, none curled ("Beginner's"): the headline as the
    site wrote it (the form its ``og:title`` and ``<title>`` show), which a theme's typography filter curled where
    it prints it in the page."""
    if "’" not in text and "‘" not in text:
        return text
    wanted = key(text)
    saying = [p for t in stripped for p in {t, *_SEPARATOR.split(t)[:MAX_SEGMENTS]} if key(p) == wanted]
    if not any("'" in p for p in saying) or any("’" in p or "‘" in p for p in saying):
        return text
    return _CURLY_SINGLE(text)


MIN_CAPITALISED_LETTERS = 4  # "For", "In", "And" capitalised or not is a house style of title case


def _capitalises(shown: str, declared: str) -> bool:
    """Whether ``declared`` is the headline ``shown`` in sentence case ("How much should I pay for cleaning")
    with words capitalised, one of them of :data:`MIN_CAPITALISED_LETTERS` letters or more ("How Much Should I
    Pay For Cleaning"): the title case the site wrote, which its stylesheet or template lowered."""
    pairs = list(zip(shown.split(), declared.split(), strict=False))
    if len(pairs) != len(shown.split()) or len(pairs) != len(declared.split()):
        return False
    changed = [(s, d) for s, d in pairs if s != d]
    return (all(s[:1].islower() and d == s[:1].upper() + s[1:] for s, d in changed)
            and any(sum(c.isalpha() for c in s) >= MIN_CAPITALISED_LETTERS for s, _ in changed))


def _restyled(shown: Candidate, declared: list[Candidate], names: set[str]) -> Candidate:
    """A headline shown in capitals or lower case that no declared title says word for word: the declared title
    with the same words, a short one ("in", "a") aside, as the site wrote it before styling it."""
    if not (shown.text.isupper() or shown.text.islower()):
        return shown
    words = _content_words(shown.text)
    for candidate in declared:
        text = strip_title(candidate.text, names)
        if _content_words(text) == words and not text.isupper() and not text.islower():
            return Candidate(text, candidate.source, False)
    return shown


def headline_parts(h1: HtmlElement) -> list[str]:
    """The texts of a composite ``<h1>``'s element children: a page can set the headline beside its site's
    name ("<span>Headline</span><a>Site</a>", shown glued) or its byline ("Headline<br>Editor Name"), so a
    part, not the whole, is the headline a declared title agrees with."""
    parts = [text for child in h1 if isinstance(child.tag, str) and (text := shown_text(child))]
    return parts if len(parts) >= 2 else []


def declared_headline(article: dict[str, Any], others: Callable[[], Iterable[str]] = tuple,
                      names: set[str] | None = None) -> Any:
    """The JSON-LD article's ``headline``, or its ``name`` where the headline is a description set as one (a
    lower-case phrase, "psychological phenomenon in which …", beside the capitalised name, "Semantic satiation"):
    a headline, like a name, starts with a capital in a script that has them. Not where the headline is a
    headline that starts in lower case: one whose first word is a mixed-case name ("iPhone 17 review", "eBay
    sells"), one that ``others()`` (the page's other declared and shown titles) agree with, or one beside a
    ``name`` that is the site's ("Reuters", "Example Tech"; ``names`` as :func:`site_name_keys` gives them)."""
    headline, name = article.get("headline"), article.get("name")
    if not (isinstance(headline, str) and isinstance(name, str) and headline.strip()[:1].islower()
            and name.strip()[:1].isupper()):
        return headline
    names = names or set()
    if any(c.isupper() for c in headline.split()[0]) or _is_site_name(name, names):
        return headline
    said = key(strip_title(headline, names))
    if any(key(strip_title(other, names)) == said for other in others()):
        return headline
    return name


def page_title(page: PageView) -> Candidate | None:
    """The page's headline as shown, credited to the most trusted source that says it."""
    h1s, mastheads = _headings(page, "h1", MAX_H1)
    names = site_name_keys([*declared_site_names(page), *_masthead_names(mastheads)], page.url)
    shown = [Candidate(v, "site", True) for v in page.site_values("title")[:1]]
    headline = declared_headline(page.data.article, lambda: [
        *(v for v in (page.data.first_meta("og:title"), page.data.first_meta("twitter:title")) if v),
        *page.css("title::text", 1).getall(), *(shown_text(h1) for h1 in h1s)], names)
    shown += [Candidate(shown_text(h1), "generic", True) for h1 in h1s]
    # After the whole headlines (which win when they agree): the parts of composite ones.
    shown += [Candidate(part, "generic", True) for h1 in h1s for part in headline_parts(h1)]
    declared = [Candidate(headline, "jsonld", False)] if isinstance(headline, str) else []
    declared += [Candidate(v, "meta", False) for v in (
        page.data.first_meta("og:title"), page.data.first_meta("twitter:title"),
        page.data.first_meta("headline", "dc.title", "dcterms.title")) if v]
    declared += [Candidate(v, "generic", False) for v in page.css("title::text", 1).getall()]
    candidates = [Candidate(repair_mojibake(past_cap(c.text, MAX_TITLE_CHARS)), c.source, c.visible)
                  for c in shown + declared]
    body = page.sel.root.find("body")

    def page_text() -> str:
        return bounded_text(body, MAX_PAGE_TEXT_CHARS, breaks=_BREAKS, hidden=NOT_SHOWN) if body is not None else ""

    # A page can mark its headline by class or microdata, with no <h1> or beside one about something else (a
    # widget's, a banner's); read only when no <h1> agrees with a declared title (a walk over the page), and once.
    marked_nodes = cache(lambda: _marked_headline(page))

    def marked() -> list[Candidate]:
        return [Candidate(repair_mojibake(shown_text(node)), "generic", True) for node in marked_nodes()]

    chosen = choose_title(candidates, names, page_text, marked)
    # A site's own title rule is trusted as it is.
    chosen = _with_declared_year(chosen, declared, names) if chosen and chosen.source != "site" else chosen
    if chosen is None and not any(c.text.strip() for c in declared):
        chosen = (_first_heading([*h1s, *marked_nodes()], names)
                  or _first_heading(_headings(page, "h2", MAX_H1)[0], names))
    if not chosen or not chosen.text:
        return None
    as_shown = ascii_marks(chosen.shown) if chosen.shown else None
    return Candidate(ascii_marks(chosen.text), chosen.source, chosen.visible, as_shown)


_YEAR_WORD = re.compile(r"(?:19|20)\d\d")
# Kinds of declared title (JSON-LD, meta, <title>) that must agree on the year a shown headline leaves out, the
# JSON-LD headline among them: og:title and <title> come from one SEO template (a "%%currentyear%%" one dates a 2019
# article by the year it is read in), and an SEO plugin copies og:title to twitter:title, so two metas are one voice.
MIN_DATED_DECLARED = 2
# The only form taken: the shown headline, a space, at most one of these words and a space, and a year that ends it
# ("... in 2025", "... 2025", "... в 2025"); a separator ("| 2026", ", 2026", "(2026)") or another word ("от 2019",
# "№2019") marks a template's date or a number, not the headline's year.
_YEAR_LINK = "(?i:in|of|for|в|за)"
_DECLARED_YEAR = re.compile(rf" (?:{_YEAR_LINK} )?{_YEAR_WORD.pattern}")


def _with_declared_year(chosen: Candidate, declared: list[Candidate], names: set[str]) -> Candidate:
    """The headline with the year the declared titles give it ("Best Travel Insurance for Seniors in 2025") where
    the shown one, yearless, is exactly their text before " in 2025" and the JSON-LD headline and another kind of
    declared title write it the same: the year is the headline's, which a headline element too narrow for it leaves
    out."""
    shown = " ".join(chosen.text.split())
    if not shown or any(_YEAR_WORD.fullmatch(w) for w in key(shown).split()):
        return chosen
    dated: dict[str, list[Candidate]] = {}
    for candidate in declared:
        text = " ".join(strip_title(candidate.text, names).split())
        # The shown text, then the year: a pattern of the headline compiled per page cost 0.1 ms (and pushed
        # the patterns of every other page out of re's cache).
        if text.startswith(shown) and _DECLARED_YEAR.fullmatch(text, len(shown)):
            dated.setdefault(text, []).append(candidate)
    agreed = [(text, found) for text, found in dated.items()
              if len({c.source for c in found}) >= MIN_DATED_DECLARED and any(c.source == "jsonld" for c in found)]
    return Candidate(agreed[0][0], agreed[0][1][0].source, False, chosen.text) if len(agreed) == 1 else chosen


# Chinese, Japanese and Korean letters, whose text sets "？" and "！" full width as its own punctuation.
_CJK = re.compile("[\u1100-\u11ff\u2e80-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\uff66-\uff9f]")
_FULLWIDTH_MARKS = CharMap({"？": "?", "！": "!"})


def ascii_marks(text: str) -> str:
    """``text`` with a fullwidth "？" or "！" (an input method's, in a Latin or Cyrillic headline) as "?" and "!",
    unless the text is Chinese, Japanese or Korean."""
    if ("？" not in text and "！" not in text) or _CJK.search(text):
        return text
    return _FULLWIDTH_MARKS(text)


# The article's headline marked by microdata or by a CMS's class ("entry-title", "td-post-title", "sa-post-title"):
# the attributes that may say so, read once (parsel's class test builds a string per element of the page).
_HEADLINE_MARKS = etree.XPath("descendant-or-self::*/@itemprop[contains(., 'headline')]"
                              " | descendant-or-self::*/@class[contains(., '-title')]")
_HEADLINE_CLASS = re.compile(r"(?:^|-)(?:post|entry|article|story)-title$")


def _marked_headline(page: PageView) -> list[HtmlElement]:
    """The page's first element marked as a headline by microdata or class that is no link (a teaser's), unless
    it is in a menu or the footer."""
    for attribute in _HEADLINE_MARKS(page.sel.root):
        node, tokens = attribute.getparent(), str(attribute).split()
        marked = "headline" in tokens if attribute.attrname == "itemprop" else any(
            _HEADLINE_CLASS.search(t) for t in tokens)
        if marked and node.tag != "a":
            return [] if node.xpath("ancestor::nav or ancestor::footer") else [node]
    return []


# In a menu or the footer; an <article> or <main> inside the menu, where broken markup (a menu's unclosed <li>
# or <div>) nests the rest of the page, is the page's own.
_IN_CHROME = etree.XPath("ancestor::footer or (ancestor::nav and not(ancestor::*[self::article or self::main]"
                         "[ancestor::nav]))")


# A heading a theme sets the site's logo or name in ("logo", "site-logo", "logoImage", "site-title", "siteName",
# WordPress's "wp-block-site-title"), read from its class and id: the masthead, which can name a parent
# organisation ("Georgia Institute of Technology" above ml.gatech.edu's page), never the article's headline.
_BRANDING = re.compile(r"^logo|logo$|[-_]logo[-_]|site-?(?:title|name|logo)$|^branding$", re.IGNORECASE)


def _branding(node: HtmlElement) -> bool:
    """Whether a heading is the site's masthead by its class or id."""
    return any(_BRANDING.search(t) for t in f"{node.get('class') or ''} {node.get('id') or ''}".split())


def _headings(page: PageView, css: str, limit: int) -> tuple[list[HtmlElement], list[HtmlElement]]:
    """The page's first ``limit`` elements matching ``css`` outside its menus and footer: the headings, and
    apart from them the site's mastheads."""
    nodes = [node.root for node in page.css(css, limit) if not _IN_CHROME(node.root)]
    return [n for n in nodes if not _branding(n)], [n for n in nodes if _branding(n)]


def _masthead_names(mastheads: list[HtmlElement]) -> list[str]:
    """The names a masthead shows: its text and its logo's ``alt`` ("ML (Machine Learning) at Georgia Tech"), which
    a declared title then gives without ("The Agency | ML (Machine Learning) at Georgia Tech")."""
    alts = [str(alt) for node in mastheads for alt in node.xpath(".//img/@alt")[:2]]
    return [name for name in (*(shown_text(node) for node in mastheads), *alts) if name.strip()]


def _first_heading(nodes: list[HtmlElement], names: set[str]) -> Candidate | None:
    """A page that declares no title at all: its first heading with text, even a word ("Ceasefire") or a
    heading's (``<h2>``) when it has no ``<h1>``, that is not the site's name nor a paragraph."""
    for node in nodes:
        text = shown_text(node)
        if text and not _is_site_name(text, names) and len(text.split()) <= MAX_HEADLINE_WORDS:
            return Candidate(text, "generic", True)
    return None
