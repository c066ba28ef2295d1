"""Person names from a byline: "By A and B", "Автор: А и Б", "A, Staff Writer | Dec 3, 2025".

A byline found anywhere (JSON-LD, meta, the page's byline element, a "By …" line) is cut where its
names end (a date, a bar, "Updated …"), split into names ("A and B", "A, B", "A & B", "A и B",
"A va B"), and each name kept only if it reads as a person's: no role ("Staff Writer",
"корреспондент"), credential ("MD", "PhD"), organisation or site name, date, e-mail or URL. The
page's stated author is kept too when it is a team or desk named as one ("Podium Staff", "Daryo
tahririyati"), or a desk alone in an author field or after "Posted by"/"Автор:" ("Staff", "Редакция");
the site's own name never is. The article's byline wins over structured data when it shows the same
names and more (co-authors, "Dr"), and a "By …" line wins over a declared name the page never shows or
that is the site's host name (the account that posted the article, not its writer). A label alone on its line
introduces the names below it ("Article written by:"), all of a list's when it is plural ("Authors:", "Авторы:");
an acronym after the last of several names is the outlet ("…, Adam Renton, CNN"). With nothing else, the header's
meta line that starts with the date names the authors ("2025-12-17 · Trond Teigen", read beside the headline
only), and so does an author link's address ("/authors/juliette-carreiro") whose name the page shows. A reviewer,
editor, photographer or translator ("Reviewed by …", "Перевела …") is no author, nor is the author of a work cited
in italics ("<i>Title</i> by …"); a site named after its writer, and with nothing else a personal site's owner on a
page in the first person, is. Byline elements are found in one pass over the page's attributes; what the page shows
is :mod:`crawler.extract.shown_text`.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from functools import cache, cached_property
from itertools import islice, takewhile
from typing import Any
from urllib.parse import urlsplit

from lxml import etree
from lxml.html import HtmlElement

from crawler.extract.boilerplate import MAX_BYLINE_LINE_CHARS, is_not_a_person
from crawler.extract.header_date import HeaderZone, header_date
from crawler.extract.page import ORGANIZATION_TYPES, PageView, declared_organisations, declared_site_names
from crawler.extract.page_regions import MarkedAncestry, has_comment_word, has_sidebar_class, is_credit
from crawler.extract.shown_text import NOT_SHOWN, bounded_text, shown_text
from crawler.extract.structured import names, strings
from crawler.extract.titles import SECTIONS, site_name_keys
from crawler.limits import MAX_JSON_LD_VALUES
from crawler.text import normalize_text

Found = tuple[Any, str] | None  # (value, method) or nothing

MAX_BYLINE_LINES = 6  # "About the author" / initials / the name: a byline's lines read for its names
MAX_BYLINE_WORDS = 12  # a "By …" text longer than this is a sentence ("By using this site you agree …")
MAX_BYLINE_CHARS = 300  # a byline longer than this is an author box or a paragraph, not a byline
MAX_BYLINE_CANDIDATES = 500  # elements read for bylines (a listing page can link every author it has)

# "By", "Автор:", "Муаллиф:", "Автор материала:", "Авторы:", "Written by", "Posted by", "Text:".
# "Текст и фото:", "Photo and text:": the writer took the pictures too (a photographer's label alone names no author).
_TEXT_AND_PHOTO = (r"(?:(?:текст|матн|matn|мәтін|text|words)\s+(?:и|va|ва|және|жана|and|&)\s+"
                   r"(?:фото|foto|photos?|surat|сурат|сурет|сүрөт)|(?:фото|foto|photos?|surat|сурат|сурет|сүрөт)\s+"
                   r"(?:и|va|ва|және|жана|and|&)\s+(?:текст|матн|matn|мәтін|text|words))(?=\s*:)")
_TEXT_AND_PHOTO_LABEL = re.compile(_TEXT_AND_PHOTO, re.IGNORECASE)
_PREFIX = re.compile(
    rf"^(?:{_TEXT_AND_PHOTO}|(?:(?:article|post|story)\s+)?(?:written|authored)\s+by|"
    r"(?:posted|reported|words|story|text|article|published)\s+by|by|from|"
    r"автор(?:ы|лар)?(?:\s+(?:материала|статьи|текста))?|(?:материал\s+)?подготовил[аи]?|дайындаған|даярдаган|"
    r"tayyorladi|тайёрлади|автору|муаллиф(?:он|лар)?|muallif(?:lar)?|avtor|awtor|"
    # Tajik "prepared by", Turkmen "written by" and "prepared by", Uzbek "interviewed by"
    r"таҳия(?:и|гар)|ýazan|taýýarla(?:n|dy)|suhbatlashdi|"
    r"текст|матн|matn|мәтін|tekst(?=\s*:)|author\(s\)|author(?:s)?|contributors?|written|(?:words|text)(?=\s*:))(?:\b|(?<=\(s\)))\s*[:\-–—]?\s*",
    re.IGNORECASE,
)
_BRACKET_TAIL = re.compile(r"\s\([^()]{1,40}\)\s*$")
# Where the names end: a bar or bullet, a date, "Updated"/"Published", "on <date>", a newline.
_END = re.compile(
    r"\s*(?:[|•·]|\s[-–—]\s|\n|\b(?:updated|published|posted|last updated|modified|reviewed|fact[- ]checked|"
    r"(?:edited|translated|illustrated|photographed)\s+by|"
    r"обновлено|опубликовано)\b|\b(?:on|at)\s+(?=\w+\s+\d)|\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b|"
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b|\b\d{4}-\d{2}-\d{2}\b|"
    r"\b\d+\s+(?:min|minute|minutes|hours?|days?)\b|\s@\w|\b\d{1,2}:\d{2}\b|"
    r"\s(?:for|from)\s+(?-i:[A-ZА-ЯЁ])|"
    # another label after the name's sentence ("Айгуль Садыкова. Фото: …"), the outlet after a slash
    # ("Айгуль Садыкова / Kaktus.media")
    r"\.\s+(?-i:[A-ZА-ЯЁ])\w*\s*:|\s/\s(?=\S*\.\w)).*",
    re.IGNORECASE | re.DOTALL,
)
# A date, then a bar or bullet, before the names: "Dec. 19, 2025 · Niko Matsakis", "2025-12-17 | By Anna".
_LEADING_DATE = re.compile(
    r"^\s*(?:\w+\.?\s+\d{1,2},?\s+\d{4}|\d{1,2}\s+\w+\.?,?\s+\d{4}|\d{1,2}[./]\d{1,2}[./]\d{2,4}|\d{4}-\d{2}-\d{2})"
    r"\s*[|•·–—]\s*(?:by\b\s*:?\s*)?",
    re.IGNORECASE,
)
_SPLIT = re.compile(r"\s*(?:,|;|&|\band\b|\bund\b|\bи\b|\bva\b|\bва\b|\bжана\b|\bжәне\b|\bwith\b)\s*", re.IGNORECASE)
# Words that make a byline piece a role or an organisation rather than a person.
_ROLE_WORDS = frozenset(" ".join((
    """writer writers editor editors contributor contributors correspondent correspondents reporter reporters staff
team desk newsroom columnist producer director manager officer founder ceo cto cfo president chief head
senior associate assistant deputy executive specialist expert analyst consultant journalist author photographer
photo photos video images image illustration illustrations graphics getty reuters ap afp agency press
service services company inc llc ltd corp group media news blog magazine network association foundation
clinic hospital university institute center centre department office marketing admin administrator
корреспондент корреспонденты редактор редакция обозреватель журналист фотограф фото видео пресс-служба
служба агентство мухбир муҳаррир хабарнигор сурат акс мухбири
kabar кабар tass тасс ria риа interfax интерфакс sputnik спутник kazinform казинформ uza уза khovar ховар
azattyk азаттык азаттық akipress акипресс xinhua синьхуа anadolu""",
)).split())
# Credentials printed after a name ("Jane Doe, MD", "John Roe, PhD, RD").
_CREDENTIAL = re.compile(r"(?:[A-Z]{2,6}|Ph\.?\s?D\.?|M\.?D\.?|Jr\.?|Sr\.?|[A-Z][a-z]?[A-Z]{1,4})", re.ASCII)
_GLUED_BY = re.compile(r"^By(?=[A-ZА-ЯЁ][a-zа-яё])")  # "By" and the name in adjacent elements: "ByDaryl Austin"
_NAME_CHARS = re.compile(r"[^\W\d_][\w.'’‘\-]*")


def byline_text(node: HtmlElement) -> str:
    """A byline element's text, with a line break where a block child or ``<br>`` breaks it, scripts and the
    author's job (:data:`_DETAIL_CLASS`) left out, and a separator between separate items that the markup puts
    side by side without a space (:func:`_item_separator`: "<a>Anvar Karimov</a><span class='date'>…"), and
    without the source's indentation and blank lines (a byline's length is what it shows). Read
    to :data:`MAX_BYLINE_CHARS` three times over or :data:`MAX_BYLINE_STEPS` nodes (a byline element can hold
    100,000 empty ones)."""
    text = bounded_text(node, MAX_BYLINE_CHARS * 3, max_steps=MAX_BYLINE_STEPS, breaks=_BLOCKS, space="\n",
                        hidden=NOT_SHOWN, skip=_is_detail, separator=_item_separator)
    return _INDENT.sub("\n", text)  # the source's indentation is no part of a byline's length (block breaks stay)


_INDENT = re.compile(r"[ \t\r\f\v]*\n\s*")  # a line break and the blank lines and indentation around it


MAX_BYLINE_STEPS = 3000  # nodes of a byline element read (start and end events)
_BLOCKS = frozenset({"br", "div", "p", "li", "time", "ul", "section", "figure", "img"})
# A byline's part that says what the author does, not who: a class word ending so ("author-role", "author__job",
# "news-detail-author-post", "authorPosition", "role"; the whole attribute searched at once) or schema.org's
# jobTitle. Its capitalised words ("Staff Writer", "Корреспондент", "Тілші") read like a name, and glued to the
# name they change it. Not "description" (:data:`_AUTHOR_DETAIL` reads it of a candidate itself): inside a
# byline, a "byline-author__description" holds the "By …" line.
_DETAIL_CLASS = re.compile(r"(?:(?:^|[-_\s]|author)(?:role|job|job-?title|position|designation|occupation)|"
                           r"author[-_]*post)(?=\s|$)", re.IGNORECASE)
# Parts of one name that schema.org markup may print side by side ("<span itemprop='givenName'>Jane</span>…").
_NAME_PARTS = frozenset({"givenName", "familyName", "additionalName", "honorificPrefix", "honorificSuffix"})
# The same parts marked by class ("<span class='first-name'>Jane</span><span class='last-name'>Doe</span>").
_NAME_PART_CLASS = re.compile(r"(?:^|[-_\s])(?:first|last|given|family|middle|sur|f|l)[-_]?name(?=[-_\s]|$)",
                              re.IGNORECASE)
# A class naming a name ("name", "author__name"): beside a part's ("surname"), the two are one name's parts.
_NAME_CLASS = re.compile(r"name(?=[-_\s]|$)", re.IGNORECASE)


def _is_detail(element: HtmlElement) -> bool:
    """Whether ``element`` inside a byline is the author's job (:data:`_DETAIL_CLASS`), not their name."""
    classes = element.get("class")
    return bool(classes and _DETAIL_CLASS.search(classes)) or "jobTitle" in (element.get("itemprop") or "")


def _item_separator(element: HtmlElement, parts: list[str]) -> str:
    """What goes between ``element`` and the element just before it when nothing does and the text read so far
    (``parts``) ends in a letter: ", " between separate items (either is a link, or each has its own class: a
    name and a date, two authors' links), a space between the parts of one name (:data:`_NAME_PARTS`, classes
    naming them, classed spans inside one link) or after a "By" label; nothing between inline parts of one text
    ("<b>Jane</b>Doe", a drop cap "<span>А</span>нна")."""
    before = element.getprevious()
    if before is None or not isinstance(before.tag, str) or before.tail or before.tag in _BLOCKS:
        return ""
    last = next((part for part in reversed(parts) if part), "")
    if not last or last[-1].isspace() or (len(before) == 0 and len((before.text or "").strip()) == 1):
        return ""  # a drop cap ("<span class='dropcap'>А</span><span class='rest'>нна</span>") starts a word
    props = {before.get("itemprop"), element.get("itemprop")}
    classes = before.get("class"), element.get("class")
    if props <= _NAME_PARTS or (any(_NAME_PART_CLASS.search(cls or "") for cls in classes)
                                and all(_NAME_CLASS.search(cls or "") for cls in classes)):
        return " "  # "<span class='name'>Анна</span><span class='surname'>Ким</span>"
    if "a" not in (before.tag, element.tag) and not (all(classes) and classes[0] != classes[1]):
        return ""
    parent = element.getparent()
    if parent is not None and parent.tag == "a" and "a" not in (before.tag, element.tag):
        return " "  # one link is one item: its classed spans are one name's parts ("<a><span class='first'>…")
    line = "".join(parts).rsplit("\n", 1)[-1].strip()
    return " " if _PREFIX.fullmatch(line) else ", "


# Who did something else to the text than write it: a reviewer, editor, fact-checker, photographer, illustrator or
# translator ("Medically reviewed by …", "Edited by …", "Перевела …", "Tarjimon: …") names no author.
_OTHER_ROLE = re.compile(
    r"(?:(?:medically|clinically|expert|peer|legally)[- ])?(?:reviewed|edited|copy[- ]?edited|fact[- ]?checked|checked|"
    r"verified|proofread|photographed|illustrated|translated|narrated)(?:\s+and\s+\w+)?\s+by\b|"
    r"(?:photos?|photography|pictures?|illustrations?|images?|graphics|artwork|translation|editing)\s+by\b|"
    r"(?:переве[лд]\w*|отредактирова\w*|провери\w*|редактор|фотограф\w*|фото|иллюстрац\w*|рисун\w*|"
    r"аударған|аударма|аударган|которгон|tarjim\w*|таржим\w*|muharrir|муҳаррир|foto|surat\w*|сурат\w*)(?!\w)",
    re.IGNORECASE)


def names_in(byline: str, strict: bool = False, element: bool = False) -> list[str]:
    """The person names a byline gives, in order: its "By"/"Автор:" prefix, roles, dates and credits out.

    A prefix alone on its line ("By", "Posted by:") introduces the next line, and a line led by another label
    ("Photo:", "design:") names no author. One word, or a desk, alone is the author where
    :func:`_stands_alone` says so ("Posted by David", "by ibby", "By News Desk", an element's "Newsdesk"),
    and in an author field (not ``strict``: "Staff", "Редакция")."""
    lines = [_plain(line) for line in html.unescape(byline)[: MAX_BYLINE_CHARS * 3].split("\n")]
    lines = [line for line in lines if line][:MAX_BYLINE_LINES]
    carried = ""
    other_role = False  # the line before was a reviewer's or an editor's label alone ("Reviewed by")
    for n, line in enumerate(lines):
        bare = line.strip(" \"'“”«»")
        role = None if _TEXT_AND_PHOTO_LABEL.match(bare) else _OTHER_ROLE.match(bare)
        if role is not None or other_role:
            other_role = role is not None and not bare[role.end():].strip(" :-–—")
            carried = ""
            continue
        labelled = bool(carried)
        plural = labelled and _PLURAL.match(carried) is not None
        line = carried + line.strip(" \"'“”«»")
        inside = None if _PREFIX.match(line) else _WRITTEN_BY.search(line)
        line = line[inside.start():] if inside else line  # "This post was written by Anna Karimova, …"
        prefix = _PREFIX.match(line)
        if prefix and prefix.end() == len(line):
            carried = line + " "
            continue
        carried = ""
        text = _END.sub("", _LEADING_DATE.sub("", line[prefix.end():] if prefix else line))[:MAX_BYLINE_CHARS]
        if strict:  # a line shown on the page: its outlet or place in brackets at the end ("Анна Ким (24.kg)")
            text = _BRACKET_TAIL.sub("", text)
        pieces = _SPLIT.split(text)
        if _LABELLED.match(pieces[0]) and not _PREFIX.match(pieces[0].strip()):  # "design: A, code: B"
            continue
        lone = len(pieces) == 1 and (not strict or _stands_alone(prefix.group().strip() if prefix else None,
                                                                 text.strip(), element))
        found = list(_credited_names(pieces, strict, lone))
        if found and plural:  # "Authors:" alone on its line, then a list of them, a name a line
            for more in lines[n + 1:]:
                listed = _listed_names(more, strict)
                if not listed:
                    break
                found += listed
        elif found and labelled and _described(text.strip()):
            found += _described_names(lines[n + 1:], strict)
        if found:
            return list(_unique(found))
    return []


# A name, then what the person does or knows, in lower case ("Adrien Ramirez, 4+ years covering hardware",
# "Анна Ким, корреспондент"): a photo credit's ("Тимур Алиев, фотограф") names no author.
_DESCRIBED = re.compile(r"([^\W\d_][^,\d]{1,58}),\s+(\w.*)", re.DOTALL)
_PHOTO_CREDIT = re.compile(r"(?:photo|foto|фото|сурат|surat|акс)", re.IGNORECASE)


def _described(line: str) -> str | None:
    """The name of a "Name, what they do" line, the description in lower case in any script ("žurnalist",
    "муҳаррир") or starting with a number; None for another line or a photographer's."""
    match = _DESCRIBED.fullmatch(line)
    about = match.group(2) if match else ""
    if not about or not (about[0].islower() or about[0].isdigit()) or _PHOTO_CREDIT.match(about):
        return None
    return match.group(1) if match else None


def _described_names(lines: list[str], strict: bool) -> list[str]:
    """The names of the lines after a label's first "Name, what they do" line, each written the same way: a
    list of authors a line each, each with a word about them ("Written by" / "A, 4+ years covering laptops" /
    "B, senior editor"). The first line of another shape ends it (a date, "Updated …", "Photo: …")."""
    found = []
    for line in lines:
        head = None if _PREFIX.match(line) else _described(line.strip(" \"'“”«»"))
        name = _clean_name(head, strict) if head and _END.sub("", head) == head else None
        if name is None:
            break
        found.append(name)
    return found


# A plural label ("Authors:", "Author(s)", "Авторы:", "Mualliflar:") alone on its line introduces a list.
_PLURAL = re.compile(r"(?:authors|author\(s\)|contributors|авторы|авторлар|муаллифон|муаллифлар|mualliflar)(?!\w)",
                     re.IGNORECASE)


def _listed_names(line: str, strict: bool) -> list[str]:
    """The names of one line of a list after a plural label: the line is names only, no label, date or credit."""
    line = line.strip(" \"'“”«»")
    if _PREFIX.match(line) or _LABELLED.match(line):
        return []
    text = _END.sub("", line)[:MAX_BYLINE_CHARS]
    return [] if text != line else list(_credited_names(_SPLIT.split(text), strict))


# What may follow a byline line's names: a bar or bullet, the outlet after a slash, another label ("Фото: …"), a date.
_BYLINE_LINE_TAIL = re.compile(r"\s*(?:[|•·]|/\s|[.,]?\s*[^\W\d_]+(?:\s[^\W\d_]+)?\s*:|[.,]?\s*\d)")
# What may stand between a byline line's names: commas, "&", "и", "va", "жана" …
_BETWEEN_NAMES = re.compile(r"(?:[\s,;&.]|\b(?:и|va|ва|жана|және|and|und|with)\b)*", re.IGNORECASE)


def byline_line_names(paragraph: str) -> list[str]:
    """The names of a body paragraph that is a labelled byline and nothing else ("Автор: Иван Петров", "Таҳияи
    Фарзона Раҳимова", "Текст: А. Фото: Б"), else none: a sentence that names an author ("Автор: Иван Петров считает
    …") or a line that does not start with the label ("— Автор ответа …") gives none."""
    line = _plain(paragraph)
    prefix = _PREFIX.match(line) if len(line) <= MAX_BYLINE_LINE_CHARS else None
    if prefix is None or not prefix.group().strip():
        return []
    found = names_in(line, strict=True)
    rest = line[prefix.end():]
    head = _END.sub("", rest)
    tail = rest[len(head):]
    if not found or (tail and not _BYLINE_LINE_TAIL.match(tail)):
        return []
    between = _BRACKET_TAIL.sub("", head)
    for name in found:
        between = between.replace(name, " ", 1)
    return found if _BETWEEN_NAMES.fullmatch(between.strip(" \"'“”«»")) else []


# A nickname quoted inside a name ('Amanda "Tania Mae" Tan': kept as the outlet prints it, but no word of the name
# itself), and a handle of capitalised names ("Jenny_Smith").
_NICKNAME = re.compile(r"(?<=\w)\s+[\"“„][^\"“”„]{1,40}[\"”“]\s+(?=\w)")
_SNAKE_NAME = re.compile(r"(?<![\w@])[A-ZА-ЯЁ][a-zа-яё]+(?:_[A-ZА-ЯЁ][a-zа-яё]+)+(?!\w)")
# Emoji, dingbats, private use: no letter of a name (a credential's "®", below U+2000, stays).
_SYMBOLS = frozenset(("So", "Sk", "Cs", "Co", "Cn"))


def _plain(line: str) -> str:
    """A byline line without the emoji and symbols decorating a name ("Jenny Smith ❤️"), and with a handle of
    capitalised names ("Jenny_Smith") written as the name."""
    if not line.isascii():
        line = "".join(ch for ch in line if ch < "\u2000" or (unicodedata.category(ch) not in _SYMBOLS
                                                            and ch not in "\ufe0f\u200d"))
    line = _SNAKE_NAME.sub(lambda m: m.group().replace("_", " "), line) if "_" in line else line
    return normalize_text(line)


# A prefix that says who wrote the text ("Posted by", "Автор:"), not a "By" that also starts menus ("By Industry")
# or a heading ("Author Spotlight").
_WRITTEN_BY = re.compile(r"\b(?:written|authored)\s+by\b", re.IGNORECASE)  # inside a sentence
_STRONG_PREFIX = re.compile(r"\w\s+by\b|:", re.IGNORECASE)
# A byline element's whole text that is a desk or a handle ("Newsdesk", "MixmasterFred", "jsteinhardt"), unlike
# a capitalised word that labels a section ("Lifestyle").
_HANDLE = re.compile(r"[^\W\d_]*(?:desk|newsroom)|[a-z][\w.\-]*|[A-Z][a-z]+[A-Z]\w*")
# A byline piece led by a label that is not an authorship prefix ("Photo: A", "design: B").
_LABELLED = re.compile(r"\s*\w+(?:\s\w+)?\s*:\s*\S")


def _stands_alone(prefix: str | None, text: str, element: bool) -> bool:
    """Whether a byline's one piece ``text`` read off the page is its author's whole name, even one word or a
    desk: after a prefix that says who wrote it ("Posted by", "Автор:"), a lowercase "by" (menus capitalise
    theirs: "By Industry"), or a "By" in a byline ``element``; or a byline element's whole text that is a
    desk or a handle."""
    if prefix is None:
        return element and (_HANDLE.fullmatch(text) is not None or _DESK.fullmatch(text) is not None)
    return bool(_STRONG_PREFIX.search(prefix)) or prefix == "by" or (element and prefix.casefold() == "by")


def _credited_names(pieces: list[str], strict: bool, lone: bool = False) -> Iterator[str]:
    """The names among a byline's pieces, each with the credentials printed after it ("Jane Doe, MD, PhD"). One word
    after a full name is where the person writes from or works, not a second person ("Анара Ибраимова, Бишкек"); one
    in capitals is left to the credential and outlet rules ("CEPF®", "CNN")."""
    name = None
    full = False  # the first name has two words or more
    for n, piece in enumerate(pieces):
        piece = piece.strip()
        if name and not _CREDENTIAL.fullmatch(piece) and _CREDENTIAL.fullmatch(piece.rstrip(".")):
            piece = piece.rstrip(".")  # "Shelby Loos, DVM. Reviewed by …"
        if name and _CREDENTIAL.fullmatch(piece):
            name += ", " + piece
            continue
        if name:
            yield name
        name = _clean_name(piece, strict, lone, first=n == 0)
        if n == 0:
            full = name is not None and " " in name
        elif full and name is not None and " " not in name and not name.isupper():  # capitals: a credential's
            name = None
    if name:
        yield name


def _looks_like_a_name(words: list[str]) -> bool:
    """Two or more capitalised words ("Anna Karimova", "Jan van der Berg"), not a phrase or a label."""
    return (len(words) >= 2 and all(w[0].isupper() or w in _PARTICLES for w in words)
            and not all(w.isupper() for w in words if len(w) > 1)
            and not any(w.casefold() in _UI_WORDS for w in words))


# Words of links and labels next to a byline ("Follow Sarah", "Full Bio", "Learn More", "Open Menu").
_UI_WORDS = frozenset({"follow", "more", "menu", "bio", "share", "read", "view", "see", "learn", "open", "close",
                       "subscribe", "about", "contact", "home", "posts", "all", "profile", "type", "role", "guide",
                       "email", "print", "comments", "comment", "reply", "login", "sign"})


_PARTICLES = frozenset({"van", "der", "den", "de", "da", "di", "du", "del", "della", "von", "bin", "ibn", "al", "la",
                        "le", "y", "e", "dos", "das", "ter", "ten", "zu", "ugli", "qizi", "uly", "kyzy", "ogly"})


def _clean_name(piece: str, strict: bool = False, lone: bool = False, first: bool = False) -> str | None:
    """A person's name from one piece of a byline, or None for a role, credential or organisation;
    ``lone`` (the whole byline after "Posted by", or a whole author field) accepts a desk ("News Desk",
    "Редакция") and, in text read off the page, one word of letters ("David", "ibby"), where the
    ``first`` piece may end in its job ("Emma Ryan Writer")."""
    name = _PREFIX.sub("", piece.strip(" .,:;\"'“”«»[]"), count=1).strip(" .,:;\"'“”«»")
    name = name if name.count("(") == name.count(")") else name.strip("()")
    name = _GLUED_BY.sub("", name)
    if ":" in name or (" " not in name and "." in name and name.islower() and (strict or _placeholder(name))):
        return None  # "design: X", a template's "page.head.author"; an author field's handle ("sara.r.peter") stays
    if lone and _DESK.fullmatch(name):  # "By News Desk", "Автор: Редакция": the desk the page credits
        return name
    if not name or _CREDENTIAL.fullmatch(name) or is_not_a_person(name):
        return None
    words = name.split()
    if len(words) > 5 or len(name) > 60 or (strict and any(ch.isdigit() for ch in name)):
        return None
    if _named_group(words):  # "Podium Staff", "The Currency editors": the desk the page credits
        return name
    # The job printed after the name in the byline's first piece: "Emma Ryan Writer".
    while strict and first and len(words) > 2 and words[-1].casefold() in _PERSON_ROLES:
        words.pop()
    name = " ".join(words) if len(words) < len(name.split()) else name
    words = _NICKNAME.sub(" ", name).split() if '"' in name or "“" in name or "„" in name else words
    if any(w.casefold().strip(".,:") in _ROLE_WORDS for w in words):
        return None
    if strict and not (all(_NAME_CHARS.fullmatch(w) for w in words)
                       and (_looks_like_a_name(words) or (lone and _lone_name(words)))):
        return None
    return name


# Words of a template's placeholder left in an author field ("page.head.extra.author", "{{ post.author.name }}").
_TEMPLATE_WORDS = frozenset({"page", "head", "extra", "author", "authors", "name", "post", "article", "meta", "data",
                             "site", "item", "entry", "content", "user", "config", "byline", "node", "field"})


def _placeholder(name: str) -> bool:
    """Whether a dotted lower-case word is a template's placeholder ("page.head.author"), not a user's handle."""
    return any(part.strip("{}$ ") in _TEMPLATE_WORDS for part in name.split("."))


_DESK = re.compile(r"(?:the )?(?:staff|news ?desk|web desk|newsroom|editorial(?: team| board| staff)?|редакция|"
                   r"редакция сайта|редакциясы|таҳририят|tahririyat|redaksiýa)", re.IGNORECASE)


def _lone_name(words: list[str]) -> bool:
    """One word that can be a first name or a handle ("David", "ibby", "BeauHD"), not a label."""
    return (len(words) == 1 and 3 <= len(words[0]) <= 30 and words[0].isalpha()
            and words[0].casefold() not in _UI_WORDS)


# A team or desk credited as the author by its name ("Podium Staff", "TOI Lifestyle Desk", "EDB Team",
# "Редакция Azattyk"): the page's stated author, unlike a person's job ("Staff Writer") or a bare label
# ("Staff", "Редакция", "Our Editors") that names nobody.
_GROUP_WORDS = frozenset(" ".join((
    """team staff desk newsdesk newsroom editors editorial crew команда редакция редакциясы
таҳририят таҳририяти таҳририяи tahririyat tahririyati jamoasi жамоаси redaksiýa redaksiýasy""",)).split())
_PERSON_ROLES = frozenset(" ".join((
    """writer writers editor correspondent correspondents reporter reporters columnist producer
director manager officer founder ceo president chief head senior associate assistant deputy executive specialist
expert analyst consultant journalist author photographer contributor contributors admin administrator intern
photo photos video images image illustration illustrations graphics getty фото видео сурат акс
корреспондент корреспонденты редактор обозреватель журналист фотограф мухбир муҳаррир хабарнигор""",)).split())
_GROUP_FILLERS = frozenset(("the", "our", "of", "and", "a", "an", "news", "editorial", "content", "web", "site", "blog",
                            "online", "marketing", "наш", "наша"))


def _is_group(name: str) -> bool:
    """Whether an author name is a team's or a desk's (:func:`_named_group`, :data:`_DESK`), not a person's."""
    return _named_group(name.split()) or _DESK.fullmatch(name) is not None


def _named_group(words: list[str]) -> bool:
    """A team's or desk's name: a group word, a proper name beside it, and no person's job or photo credit."""
    folded = [w.casefold().strip(".,:") for w in words]
    return (len(words) <= 5 and any(w in _GROUP_WORDS for w in folded)
            and not any(w in _PERSON_ROLES for w in folded)
            and all(_NAME_CHARS.fullmatch(w) for w in words)
            and any(w[:1].isupper() and f not in _GROUP_WORDS and f not in _GROUP_FILLERS
                    for w, f in zip(words, folded, strict=True)))


def _unique(values: Iterable[str]) -> Iterator[str]:
    seen: set[str] = set()
    for value in values:
        if value.casefold() not in seen:
            seen.add(value.casefold())
            yield value


def _compact(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


# Words of a publication's name ("Radio Azattyk", "The Daily Post", "Türkmenistanyň Hronikasy", a country's or the
# region's name): a site named so is not a person.
_TITLE_WORDS = frozenset(" ".join((
    """radio tv television times daily weekly post journal herald gazette tribune channel portal online today world
review reviews report digest wire observer chronicle chronicles telegraph courier express mail star sun voice guide
guides kz uz kg tj tm the
solutions systems energy health healthcare insurance financial finance hospitals clinics community store shop depot
global international int usa uk labs studio studios consulting partners capital technologies software academy
school college realty dental coaching foods
радио тв газета вестник хроника новости вести известия газеты газетасы хабарлары жаңалықтары жаңылыктары
yangiliklari yangiliklar янгиликлари hronikasy habarlary habarlar gazeti gazetasi gazetasy axborot akhbor ахбор
asia central азия азии kazakhstan kyrgyzstan tajikistan turkmenistan uzbekistan türkmenistan türkmenistanyň
казахстан казахстана кыргызстан кыргызстана киргизия таджикистан таджикистана туркменистан туркменистана
узбекистан узбекистана қазақстан ўзбекистон тоҷикистон tojikiston ozbekiston""",
)).split())


_CAMEL_WORDS = re.compile(r"[A-ZА-ЯЁ][a-zа-яё]+")  # "ShawnHymel": a handle of a name's capitalised words


def personal_name(name: str, url: str, spelt: Iterable[str] = ()) -> bool:
    """A name that reads as one person's ("Rick Steves", "Anna Karimova"), not a publication's, on a site
    whose address carries it (ricksteves.com, sam.bossley.com): a personal site goes by its author's name,
    so the site's name declared as the author is still a person; so is the owner's handle ("ShawnHymel") where
    the site spells its name (``spelt``) as that name's words ("Shawn Hymel"; a brand writes its own glued)."""
    words = name.split() if " " in name else _CAMEL_WORDS.findall(name)
    if " " not in name and (len("".join(words)) != len(name) or " ".join(words) not in spelt):
        return False
    host = _compact(urlsplit(url).hostname or "")
    return _person_shaped(words) and any(len(w) >= 3 and _compact(w) in host for w in words)


_INITIAL = re.compile(r"[^\W\d_]\.")  # "C." of "Fernando C. Pereira"


def _person_shaped(words: list[str]) -> bool:
    """Two or three capitalised words of letters, none a publication's, a role's or a group's ("Eric Ries", not
    "Daily Post", "News Desk" or "Marketing Team")."""
    folded = [w.casefold() for w in words]
    return (2 <= len(words) <= 3 and all(w.replace("-", "").isalpha() or _INITIAL.fullmatch(w) for w in words)
            and _looks_like_a_name(words)
            and not any(w in _TITLE_WORDS or w in _ROLE_WORDS or w in _GROUP_WORDS for w in folded))


def self_named(name: str, spelt: Iterable[str], organisations: Iterable[str]) -> bool:
    """Whether the site's name that its author field declares (``name``) is its author's own: the site spells it
    (``spelt``, "Annette Thurmon" for the field's "annette thurmon") as a person's name, and the page declares no
    organisation by that name (a newsletter named after its writer, "Eric Ries"; a brand that is an
    organisation, "Quiet Light", stays the site's)."""
    key = _compact(name)
    if any(_compact(org) == key for org in organisations):
        return False
    return any(_compact(site) == key and _person_shaped(site.split()) for site in spelt)


def people(raw: Iterable[str], site_names: set[str], strict: bool = False, declared: str = "",
           element: bool = False, hosts: frozenset[str] = frozenset(),
           listed_sites: set[str] | frozenset[str] = frozenset(), spelt: Iterable[str] = (),
           organisations: Iterable[str] = ()) -> Iterator[str]:
    """Person names from raw author values (each one name or a whole byline), each once, site names out
    (unless the page's own author fields name a person the site at URL ``declared`` is named after);
    ``strict`` (text read off the page) also asks for capitalised words, ``element`` says the text is a
    byline element's, a one-word name that is a label of the host in ``hosts`` is the site's, and so is
    a name in ``listed_sites`` listed beside others ("A and B, The Commercial Appeal"); ``spelt`` are the site's
    names as it writes them and ``organisations`` the organisations it declares (:func:`personal_name`,
    :func:`self_named`)."""
    seen: set[str] = set()
    for value in raw:
        found = _without_list_outlet([_without_outlet(name, site_names | hosts | listed_sites)
                                      for name in names_in(value, strict, element)])
        for name in found:
            named_site = ((_compact(name) in site_names or (" " not in name and _compact(name) in hosts)
                           or (len(found) > 1 and _compact(name) in listed_sites))
                          and not (declared and (personal_name(name, declared, spelt)
                                                 or self_named(name, spelt, organisations))))
            if named_site or name.casefold() in seen:
                continue
            seen.add(name.casefold())
            yield name


# Wire agencies a byline credits after the names ("Jane Doe, AP"): printed in capitals like a credential.
_AGENCIES = frozenset({"ap", "afp", "upi", "dpa", "efe", "ansa", "pti", "ians", "ani", "tass", "ria", "kyodo"})


def _without_outlet(name: str, outlets: set[str] | frozenset[str]) -> str:
    """A name without the outlet or agency a byline credits after it ("Jane Doe, CNN" of "By A and Jane Doe,
    CNN"), which reads like a credential ("Jane Doe, MD")."""
    head, comma, last = name.rpartition(", ")
    if comma and (_compact(last) in outlets or last.casefold() in _AGENCIES):
        return _without_outlet(head, outlets)
    return name


_OUTLET_TAIL = re.compile(r", ([A-Z]{2,5})", re.ASCII)  # "Adam Renton, CNN": one acronym, no dots or lower case
# Degrees and licences written in capitals are a person's, whatever the names before them carry ("Jane Doe and
# John Roe, MD"); wire acronyms that look like them ("PA", "AP") stay outlets.
_CREDENTIALS = frozenset({"MD", "DO", "RN", "NP", "DDS", "DMD", "DVM", "JD", "MBA", "MPH", "MSN", "BSN", "APRN", "CPA",
                          "LCSW", "LPC", "DPT", "FACP", "FACS", "PHD", "MSC", "FRCP"})


def _without_list_outlet(found: list[str]) -> list[str]:
    """A list of names without the outlet printed once after the last of them ("A, B and Adam Renton, CNN"):
    credentials come with each name that has them, so an acronym after the last name alone, in a list of names
    none of which carries one, is the outlet's, not the last person's."""
    if len(found) < 2 or any(", " in name for name in found[:-1]):
        return found
    head, comma, tail = found[-1].partition(", ")
    outlet = comma and _OUTLET_TAIL.fullmatch(comma + tail) and tail not in _CREDENTIALS
    return [*found[:-1], head] if outlet else found


def _untagged(value: str) -> str:
    """A meta or JSON-LD value without the markup some CMSs leave in it ("By <a href=…>Jane Doe</a>"); what is left of
    a broken tag (``<svg/onload=…``) makes no name (:func:`crawler.extract.boilerplate.is_not_a_person`)."""
    return re.sub(r"<[^<>]*>", "", value) if "<" in value else value


_AUTHOR_META = ("author", "article:author", "og:author", "parsely-author", "sailthru.author", "dc.creator",
                "dcterms.creator", "byl", "cxenseparse:author")
_NAME_WORD = r"[^\W\d_][\w.'’\-]*"
_LAST_FIRST = re.compile(rf"({_NAME_WORD}(?: {_NAME_WORD})?), ({_NAME_WORD}(?: {_NAME_WORD}){{0,2}})")  # "Doe, Jane"


def _citation_authors(page: PageView) -> list[str]:
    """A scholarly page's authors: ``citation_author`` (Highwire, Google Scholar), else ``citation_authors``."""
    return page.data.all_meta("citation_author") or page.data.all_meta("citation_authors")


def _first_last(value: str) -> str:
    """A scholarly ``citation_author`` ("Kaufman, Jeff T.", "Jenny Smith and John Smith") as a byline: a name
    written last name first is turned round ("Jeff T. Kaufman")."""
    value = normalize_text(value)
    match = _LAST_FIRST.fullmatch(value)
    if match and not _SPLIT.search(match.group(1)) and not _CREDENTIAL.fullmatch(match.group(2)):
        return f"{match.group(2)} {match.group(1)}"
    return value


def _has_class(word: str) -> Callable[[HtmlElement], bool]:
    return lambda node: word in (node.get("class") or "").split()


def _class_has(part: str) -> Callable[[HtmlElement], bool]:
    return lambda node: part in (node.get("class") or "")


def _attr_is(name: str, value: str) -> Callable[[HtmlElement], bool]:
    return lambda node: node.get(name) == value


def _attr_word(name: str, word: str) -> Callable[[HtmlElement], bool]:
    return lambda node: word in (node.get(name) or "").split()


def _attr_folded_is(name: str, value: str) -> Callable[[HtmlElement], bool]:
    return lambda node: (node.get(name) or "").casefold() == value


def _attr_folded_has(name: str, part: str) -> Callable[[HtmlElement], bool]:
    return lambda node: part in (node.get(name) or "").casefold()


def _author_id(node: HtmlElement) -> bool:
    """``id="author"``, ``id="author-name"``: the one element of the page holding its author."""
    return (node.get("id") or "").casefold().replace("_", "-") in ("author", "author-name", "authorname", "byline")


# Author pages' paths: English, and the Russian/Uzbek/Turkmen transliterations ("/avtor/", "/muallif/"); a
# contributor's page, and The Conversation's "/profiles/" that the outlets republishing its articles link to.
_AUTHOR_PATHS = ("/author/", "/authors/", "/avtor/", "/avtory/", "/avtori/", "/autor/", "/muallif/", "/awtor/",
                 "/contributor/", "/contributors/", "/profiles/")


def _author_link(node: HtmlElement) -> bool:
    href = node.get("href") or ""
    return node.tag == "a" and any(path in href for path in _AUTHOR_PATHS)


_IN_AUTHOR = etree.XPath("boolean(ancestor::*[contains(concat(' ', normalize-space(@itemprop), ' '), ' author ')])")
# Byline elements, most specific first, as tests of one element (the CSS they stand for beside each);
# one in a comment or the page footer is not the article's. ``itemprop`` holds a list of properties
# ("author name"): matched as a word of it.
_BYLINES: tuple[Callable[[HtmlElement], bool], ...] = (
    lambda node: "name" in (node.get("itemprop") or "").split() and bool(_IN_AUTHOR(node)),  # … [itemprop~=name]
    _attr_word("itemprop", "author"),  # [itemprop~=author]
    _attr_is("rel", "author"),  # [rel=author]
    _has_class("byline"),  # .byline
    _class_has("byline"),  # [class*=byline]
    _class_has("author-name"), _class_has("author_name"), _class_has("authorName"),
    _has_class("post-author"), _has_class("entry-author"), _has_class("author"),
    _author_id,  # #author, #author-name
    _attr_folded_is("data-component", "byline"),  # [data-component=Byline]
    _attr_folded_has("data-testid", "author"),  # [data-testid*=author]
    lambda node: node.tag == "author",  # <author>
    _class_has("writer"),  # [class*=writer]: "article__writer"
    _class_has("submitted-by"),  # Drupal's "Submitted by …"
)
# After the "By …" lines: these match author boxes too ([class*=author], a[href*='/author/'], '/authors/').
_LOOSE_BYLINES: tuple[Callable[[HtmlElement], bool], ...] = (_class_has("author"), _author_link)
# Every element one of those tests can pass (and more: any attribute saying "author"), found in one pass over
# the page's attributes (one XPath per test was the biggest cost of reading authors).
# The words an attribute value holds to make its element a candidate (case-sensitive, as contains() reads them):
# both the XPath and the Python scan of _byline_candidates are made from this one list.
_BYLINE_WORD_LIST = ("author", "byline", "Author", "Byline", "writer", "submitted-by", "avtor", "autor", "muallif",
                     "awtor", "/contributor", "/profiles/")
_BYLINE_CANDIDATES = etree.XPath(
    f"(//@*[{' or '.join(f'contains(., {word!r})' for word in _BYLINE_WORD_LIST)}"
    " or (name() = 'itemprop' and contains(., 'name'))]/.. | //author)"
    f"[position() <= {MAX_BYLINE_CANDIDATES}]")
# Every attribute value in document order, as plain strings.
_ATTRIBUTE_VALUES = etree.XPath("//@*", smart_strings=False)
MAX_MATCHES_PER_TEST = 10  # elements of one kind read for bylines
_BY_WORDS = ("by", "By", "BY", "Автор", "автор", "Авторы", "Муаллиф", "Muallif", "Awtor", "Written by", "Posted by",
             "Article by", "Article written by", "Post written by", "Author", "Authors", "Author(s)", "Contributor",
             "Contributors",
             # "Prepared by" in Russian, Kazakh, Kyrgyz and Uzbek: "Подготовила Анна Ким", "Дайындаған: …".
             "Подготовил", "Подготовила", "Подготовили", "Материал подготовил", "Материал подготовила",
             "Материал подготовили", "Дайындаған", "Даярдаган", "Tayyorladi", "Тайёрлади",
             "Таҳияи", "Таҳиягар", "Ýazan", "Taýýarlan", "Taýýarlady", "Suhbatlashdi", "Tekst:",
             # Who wrote the text, with the colon only ("Text" alone starts sentences): "Text: Anna Kim".
             "Text:", "Текст:", "Matn:", "Матн:", "Мәтін:", "Words:")
# Text nodes whose first word (spaces stripped as XPath's normalize-space() strips them) is a byline word's, as
# "|"-joined words; _BY_START checks the rest. Found without an XPath test per node: the body's text nodes as
# plain strings, a search for the nodes that may start with a byline word, the first-word test on those alone in
# Python, then one look-up of the matching nodes by their places in the same list (numbers compared, no string
# built per node).
_FIRST_WORDS = "|" + "|".join(sorted({w.split()[0] + end for w in _BY_WORDS for end in ("", ":")})) + "|"
MAX_BY_LINES = 20  # "By …" text nodes read, matching or not the full test
_BODY_TEXTS = etree.XPath("//body//text()", smart_strings=False)
_FIRST_WORD_STARTS = sorted({w.split()[0] for w in _BY_WORDS}, key=len, reverse=True)
# Where a node (after the "\x00" that joins it to the one before) opens with a first word's start: every node whose
# first word is in _FIRST_WORDS does ("by|By", a run of the list's words, starts with one of them). The
# look-ahead on the first letter turns most nodes away before the alternatives are tried.
_MAY_START = re.compile("\x00[ \t\n\r]*(?=[{}])(?:{})".format(
    re.escape("".join(sorted({w[0] for w in _FIRST_WORD_STARTS}))), "|".join(map(re.escape, _FIRST_WORD_STARTS))))
_XPATH_FIRST_WORD = re.compile("[ \t\n\r]*([^ \t\n\r]*)")  # normalize-space() strips these four only
_BY_START = re.compile(r"\s*(?:{})(?:[\s:]|$)".format("|".join(map(re.escape, _BY_WORDS))))
# A line of shown_text (a text node) starting so; its literal "\n" lets the search skip ahead fast.
_BY_SHOWN = re.compile(r"\n[ \t\r\f\v]*(?:{})(?:[\s:]|$)".format("|".join(map(re.escape, _BY_WORDS))))


def page_authors(page: PageView) -> Found:
    """Person names, each once, in page order: JSON-LD, site rules, meta, then the page's byline."""
    # The names the site declares, not its host's: a personal site is named after its author.
    spelt = declared_site_names(page)
    site_names = site_name_keys(spelt, "")
    organisations = declared_organisations(page)

    def found(raw: Iterable[str], method: str, skip: set[str] = site_names) -> Found:
        declared = page.url if method in ("jsonld", "meta") else ""
        authors = list(islice(people(raw, skip, declared=declared, listed_sites=site_names, spelt=spelt,
                                     organisations=organisations), page.limits.list_items + 1))
        return (authors, method) if authors else None

    scans = _Scans(page)

    def first_shown(naming: str, prefixed: bool, zone: HeaderZone | None,
                    person: bool = False) -> tuple[list[str], bool, HtmlElement, str] | None:
        hosts = frozenset(site_name_keys((), page.url))
        for byline, element, node in _byline(page, zone=zone, scans=scans):
            if prefixed and not _PREFIX.match(byline.strip()):
                continue
            authors = list(islice(people([byline], site_names, strict=True, element=element, hosts=hosts),
                                  page.limits.list_items + 1))
            if person and (all(map(_is_group, authors)) or scans.outside(node)):
                continue  # asked for a person: a desk's byline, or a commenter's "Posted by"
            if authors and (not naming or any(_same_person(a, naming) for a in authors)):
                return authors, element, node, byline
        return None

    def shown(naming: str = "", prefixed: bool = False) -> Found:
        # The first byline with a name is the article's (later ones are teasers' and author boxes'), or
        # the first naming the declared author; text read off the page is held to look like names. One
        # that overrules the declared authors (``prefixed``) must stand in the article's header, and one found
        # outside the header gives way to the header's ("Authors: …" quoted in the body before the header's
        # author link, a related post's byline element); but an unquoted labelled line ("Автор: …" ending the
        # article) gives way only to a labelled one there or one the page marks (an avatar, an author class): a
        # bare author link there may be a previous post's above the headline, an editor's, a tag list's. A team or
        # desk credited so ("By Team Tiger Data", "Редакция Kaktus") gives way to a person a labelled line names
        # ("Written by …", "Автор: …" ending the article): the desk posted what the person wrote.
        first = first_shown(naming, prefixed, scans.zone if prefixed else None)
        if first is not None and not (prefixed or first[1]) and first[2] not in scans.zone:
            header = first_shown(naming, False, scans.zone)
            if header is not None and (_PREFIX.match(header[3].strip()) or not _PREFIX.match(first[3].strip())
                                       or _quoted(first[2]) or _marked(header[2])):
                first = header
        if first is not None and all(map(_is_group, first[0])):
            first = first_shown(naming, True, None, person=True) or first
        return (first[0], "generic") if first is not None else None

    declared = _first_found(
        lambda: found(_jsonld_authors(page, site_names), "jsonld",
                      site_name_keys(declared_site_names(page, structured=False), "")),
        lambda: found(page.site_values("authors", skip=_after_other_role), "site"),  # not "фото: <a>…</a>"
        lambda: found((v for v in map(_untagged, (v for key in _AUTHOR_META for v in page.data.all_meta(key)))
                       if "://" not in v), "meta"),
        lambda: found(map(_first_last, _citation_authors(page)), "meta"),
        lambda: found(_labelled_meta(page), "meta"),
    )
    # A creator field often names the first author only ("dc.creator"): a scholarly list that starts with the same
    # names and goes on is the fuller list.
    cited = found(map(_first_last, _citation_authors(page)), "meta") if declared else None
    if declared and cited and _extends(cited[0], declared[0]):
        declared = cited
    if declared is None or declared[1] == "site":
        return (declared or shown() or _dated_byline(page, site_names, scans.zone) or _written_by_sentence(page)
                or _site_owner(page, declared_organisations(page)))
    if _not_the_writer(page, declared[0]):
        # A CMS declares the account that posted the article ("KatieS", an editor) or the site itself: a
        # "By …" line naming someone is the writer the page credits.
        by_line = shown(prefixed=True) if _shows_a_by_line(page) else None
        # A login the page never shows ("andrew.keaveney") is the account that posted: the byline names the writer.
        return by_line or (shown() if all(map(_is_login, declared[0])) else None) or declared
    # Structured data often names only the first author, or a name without its title ("Dr") or
    # credentials ("MD"): the article's byline that shows those names and more is the fuller list.
    byline = shown(declared[0][0])
    return byline if byline and _extends(byline[0], declared[0]) else declared


# The site's name after the headline in the page's <title> ("Go ahead, self-host Postgres | Pierce Freeman").
_TITLE_TAIL = re.compile(r"(?:\s*\|\s*|\s+[-–—•·]\s+)([^|–—•·]{3,60})$")
# The holder of the page's copyright ("© 2025 Toby Hede. All rights reserved."), up to the sentence's end.
_COPYRIGHT_HOLDER = re.compile(r"(?:©|\(c\)|copyright)\s*(?:\d{4}(?:\s*[-–]\s*\d{4})?)?\s*,?\s*"
                               r"([^\W\d_][^\W\d_'’\-]*(?: [^\W\d_][^\W\d_'’\-]*){1,2})\s*(?:[.,|]|$)",
                               re.IGNORECASE | re.MULTILINE)
MAX_COPYRIGHT_CHARS = 2000  # the end of the page's shown text searched for its copyright line
# Who writes: "I", "my" (a person), "we", "our" (a company or a team), in the page's shown text.
_FIRST_PERSON = re.compile(r"\b(?:(I)(?:'m|’m|'ve|’ve|'d|’d|'ll|’ll)?|(my|me)|(we|our|us)(?:'re|’re|'ve|’ve)?)\b",
                           re.IGNORECASE)
MIN_FIRST_PERSON = 5  # times a page says "I" or "my" to be one person's writing


def _site_owner(page: PageView, organisations: list[str]) -> Found:
    """With nothing else naming an author, a personal site's owner: the site's name (``og:site_name``, the
    ``<title>``'s tail, the copyright's holder) where it reads as a person's, the site's address carries it ("Polly
    Barks" on pollybarks.com, "Pierce Freeman" on pierce.dev), no organisation is declared by it, and the page is
    written in the first person singular (a brand's blog writes "we")."""
    text = shown_text(page)
    title = page.css("title::text", 1).get() or ""
    tail = _TITLE_TAIL.search(normalize_text(title[:MAX_BYLINE_CHARS]))
    copyrights = _COPYRIGHT_HOLDER.findall(text[-MAX_COPYRIGHT_CHARS:])
    candidates = ((page.data.first_meta("og:site_name"), "meta"), (tail.group(1) if tail else None, "generic"),
                  (copyrights[-1] if copyrights else None, "generic"))
    for raw, method in candidates:
        name = normalize_text(raw or "")
        if (name and personal_name(name, page.url) and not any(_compact(o) == _compact(name) for o in organisations)
                and _first_person_singular(text)):
            return [name], method
    return None


def _first_person_singular(text: str) -> bool:
    """Whether ``text`` says "I" or "my" at least :data:`MIN_FIRST_PERSON` times and no less than "we" or "our"."""
    singular = plural = 0
    for match in _FIRST_PERSON.finditer(text):
        if match.group(1) == "I" or match.group(2):
            singular += 1
        elif match.group(3):
            plural += 1
    return singular >= MIN_FIRST_PERSON and singular >= plural


# "This post was written by …", "The following article was authored by …": a note at the article's start or end.
_WRITTEN_BY_SENTENCE = re.compile(
    r"(?:^|(?<=[.!?:]\s))(?:This|The(?: following)?)\s+(?:guest\s+|blog\s+)?(?:post|article|story|piece|column|blog)\s+"
    r"(?:was|is|has been)\s+(?:written|authored|co-written|contributed)\s+by\s+", re.MULTILINE)
MAX_SENTENCE_CHARS = 200  # read after "… was written by" for the names


def _written_by_sentence(page: PageView) -> Found:
    """The names a note in the text gives when nothing else names an author ("This post was written by Vanessa
    Mendez, MD, gastroenterologist, Parkview Health."): the names before the first comma ("A and B") and the
    credentials after them, not what the person does or where ("Managing Principal, Method Architecture")."""
    text = shown_text(page)
    match = _WRITTEN_BY_SENTENCE.search(text)
    if match is None:
        return None
    rest = _SENTENCE_END.split(text[match.end():match.end() + MAX_SENTENCE_CHARS], 1)[0].replace("\n", "")
    head, *after = _END.sub("", rest).split(",")
    kept = [head, *takewhile(lambda piece: _CREDENTIAL.fullmatch(piece.strip()) is not None, after)]
    authors = names_in(",".join(kept), strict=True)
    return (authors, "generic") if authors else None


_SENTENCE_END = re.compile(r"\.(?:\s|$)")  # the shown text's nodes end in a line break: one is read at a time


# The date that opens a header's meta line, then a bar or bullet (or nothing: two texts side by side) before the
# names: "2025-12-17 · Trond Teigen", "Dec 26, 2025 • Mahua Das in Project Management", "14.03.2025 | Анна Ким".
_DATE_FIRST = re.compile(
    r"^(?:\w+\.?\s+\d{1,2},?\s+\d{4}|\d{1,2}\s+\w+\.?,?\s+\d{4}(?:\s*(?:г\.|ж\.|y\.|yil))?|"
    r"\d{1,2}[./]\d{1,2}[./]\d{2,4}|\d{4}-\d{2}-\d{2})(?:,?\s+\d{1,2}:\d{2})?\s*(?:[|•·–—/]\s*)?(?:by\b\s*:?\s*)?",
    re.IGNORECASE)
# Names, then the date, opening the header's meta line: "Elliot Raba 23.07.2025 6 min read", "A, B, C 4/24/2000";
# not a dateline's place and a comma ("New York, Dec 3, 2025").
_NAMES_THEN_DATE = re.compile(
    r"([^\W\d_][^\d|•·]{2,80}?)(?<!,)\s*[|•·]?\s+(?:\d{1,2}[./]\d{1,2}[./]\d{2,4}|\d{4}-\d{2}-\d{2}|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}|\d{1,2}\s+[^\W\d_]+\.?,?\s+\d{4})",
    re.IGNORECASE)
# "… in <Category>" ends the names of a blog's meta line ("Posted on DATE by NAME in News").
_IN_CATEGORY = re.compile(r"\s+(?:in|в)\s+\S.*$", re.DOTALL)
MAX_DATE_LINE_CHARS = 120
# "14.03.2025 | Центральная Азия" is a date and a region, "5 марта 2025 · Новости Казахстана" a date and a
# section: a line names a person only where the page marks one beside the name (an author class on the way up,
# an avatar or the name's own photo).
_PERSON_MARK = re.compile(r"author|byline|avatar|writer|autor|avtor|muallif|awtor|reporter|journalist|userpic",
                          re.IGNORECASE)
# The texts showing a name's first word (a name is found in them however the page spaces it: "Анна&nbsp;Ким", a
# line break between the names, or split by inline tags: "<b>Анна</b> Ким"); the first word finds them cheaply.
_FIRST_NAME_TEXTS = etree.XPath("(//body//text()[contains(., $first)])[position() <= $most]")
MAX_NAME_TEXTS = 20  # texts of a name's first word read: the header's come early in the page
MAX_NAME_ELEMENTS = 10  # elements showing the name weighed, whole in one text, then split
PERSON_MARK_LEVELS = 4
MAX_NAME_ELEMENT_CHARS = 240  # an element's text read for a split name (a date line is shorter)
MAX_NAME_ELEMENT_STEPS = 400  # nodes walked for it: a date line's block holds a few dozen


def _dated_byline(page: PageView, site_names: set[str], zone: HeaderZone) -> Found:
    """The names of the article's meta line that starts or ends with its date, read beside its headline only
    (:func:`header_date`'s neighbourhood, never the page: ``zone``), when nothing else names an author: every piece
    after the date must read as a person's name ("2025-12-17 · Trond Teigen") and the page mark one as a person's
    (:func:`_marked_as_person`), or every piece before it must have a person's name's shape ("Elliot Raba
    23.07.2025 · 6 min read"); one word, a section ("Политика"), or a name with more words after it ("Trond Teigen
    Share") names nobody."""

    def parse(text: str) -> tuple[list[str], bool] | None:
        match = _DATE_FIRST.match(text[:MAX_DATE_LINE_CHARS + 1])
        if match is not None and len(text) <= MAX_DATE_LINE_CHARS:
            rest, shaped = _IN_CATEGORY.sub("", text[match.end():]).strip(), False
        elif (before := _NAMES_THEN_DATE.match(text[:MAX_DATE_LINE_CHARS + 1])) is not None:
            rest, shaped = before.group(1), True
        else:
            return None
        pieces = [p for p in _SPLIT.split(rest) if p.strip()]
        if not pieces or (shaped and not all(_person_shaped(p.split()) for p in pieces)):
            return None
        found = [_clean_name(piece, strict=True) for piece in pieces]
        if not all(found) or any(_is_section(name) for name in found if name):
            return None
        authors = list(people([", ".join(n for n in found if n)], site_names, strict=True))
        return (authors, shaped) if len(authors) == len(found) else None

    dated = header_date(page.sel.root, parse, zone)
    if dated is None or not (dated[1] or _marked_as_person(page, dated[0][0], zone)):
        return None
    return dated[0], "generic"


def _marked_as_person(page: PageView, name: str, zone: HeaderZone) -> bool:
    """Whether an element showing ``name`` is marked as a person's: it or one of its nearest ancestors is
    classed as an author's (``dateAndAuthorContainer``), or holds an avatar or an image of that name. Only
    where the article's header is: the name in an author box, a comment or a teaser elsewhere ("Central Asia"
    in a reporter's bio) marks nothing of the header's line."""
    return any(node in zone and _marks_person(node, name) for node in _name_elements(page.sel.root, name.split()))


def _name_elements(root: HtmlElement, words: list[str]) -> Iterator[HtmlElement]:
    """The elements showing a name: each text's holding it whole, then, for a name that inline tags split
    ("<b>Jane</b> Doe"), the nearest element above a text of its first word whose text holds it whole."""
    if not words:
        return
    name = " ".join(words)
    texts = _FIRST_NAME_TEXTS(root, first=words[0], most=MAX_NAME_TEXTS)
    whole = [name in " ".join(text.split()) for text in texts]
    for text in islice((t for t, w in zip(texts, whole, strict=True) if w), MAX_NAME_ELEMENTS):
        node = text.getparent()
        if node is not None and isinstance(node.tag, str):
            yield node
    if len(words) < 2:
        return
    for text in islice((t for t, w in zip(texts, whole, strict=True) if not w), MAX_NAME_ELEMENTS):
        node = text.getparent()
        node = node.getparent() if text.is_tail and node is not None else node
        for _ in range(PERSON_MARK_LEVELS):
            if node is None or not isinstance(node.tag, str):
                break
            if name in _bounded_text(node):
                yield node
                break
            node = node.getparent()


def _bounded_text(node: HtmlElement) -> str:
    """An element's first :data:`MAX_NAME_ELEMENT_CHARS` of text, spaces made plain, read from its first
    :data:`MAX_NAME_ELEMENT_STEPS` nodes."""
    text = bounded_text(node, MAX_NAME_ELEMENT_CHARS, max_steps=MAX_NAME_ELEMENT_STEPS)
    return " ".join(text[:MAX_NAME_ELEMENT_CHARS].split())


def _marks_person(node: HtmlElement, name: str) -> bool:
    """Whether ``node`` or one of its nearest ancestors is classed as an author's or holds an avatar or an
    image of ``name``."""
    for _ in range(PERSON_MARK_LEVELS):
        if node is None or not isinstance(node.tag, str):
            break
        if _PERSON_MARK.search(f"{node.get('class') or ''} {node.get('id') or ''}"):
            return True
        images = [node] if node.tag == "img" else node.iterchildren("img")  # children only: no subtree walk
        if any(img.get("alt", "").strip() == name or _PERSON_MARK.search(img.get("class") or "")
               for img in islice(images, 5)):
            return True
        node = node.getparent()
    return False


def _is_section(name: str) -> bool:
    """Whether a "name" is a run of section names ("Политика Экономика"), not a person."""
    return any(word.casefold() in SECTIONS for word in name.split())


def _not_the_writer(page: PageView, declared: list[str]) -> bool:
    """Whether the declared authors may be who posted rather than who wrote: the page never shows the first
    of them, or it is the site's own host name ("One Tree Planted" on onetreeplanted.org)."""
    return not _shows_name(page, declared) or _compact(declared[0]) in site_name_keys((), page.url)


def _is_login(name: str) -> bool:
    """Whether a declared author is a CMS login ("andrew.keaveney", "sara_peter"), not a name as people write it."""
    return " " not in name and name.islower() and any(mark in name for mark in "._")


def _shows_name(page: PageView, declared: list[str]) -> bool:
    """Whether the page's body shows the first declared name (spaces and case aside) outside its scripts, as a
    byline that extends the declared names must: it spares a page with no byline the byline search."""
    words = declared[0].split() if declared else []
    if not words:
        return False
    text = shown_text(page).lower()
    if words[0].lower() not in text:  # most pages that do not show the name: no pattern to build
        return False
    return re.search(r"\s+".join(re.escape(w.lower()) for w in words), text) is not None


def _shows_a_by_line(page: PageView) -> bool:
    """Whether a text node the page shows starts with a byline word ("By", "Автор:", "Written by")."""
    text = shown_text(page)
    return bool(_BY_START.match(text) or _BY_SHOWN.search(text))


def _same_person(shown: str, declared: str) -> bool:
    """Whether a byline's name is the declared one, whole or with a title or credentials around it."""
    shown, declared = shown.casefold(), declared.casefold()
    return shown == declared or shown.endswith(" " + declared) or shown.startswith(declared + ",")


def _extends(shown: list[str], declared: list[str]) -> bool:
    """True when ``shown`` has each declared name, in order, whole or with a title or credentials around
    it ("Dr Marna van der Merwe", "Jane Doe, MD"), and is not the same list."""
    if shown == declared or len(shown) < len(declared):
        return False
    rest = iter(shown)
    return all(any(_same_person(s, d) for s in rest) for d in declared)


def _labelled_meta(page: PageView) -> Iterator[str]:
    """The author of Slack-style labelled meta (``twitter:label1`` "Written by", ``twitter:data1`` the name)."""
    for n in range(1, 5):
        label = page.data.first_meta(f"twitter:label{n}") or ""
        if re.fullmatch(r"(?:written by|author|автор)\s*:?", label.strip(), re.IGNORECASE):
            yield page.data.first_meta(f"twitter:data{n}") or ""


def _jsonld_authors(page: PageView, site_names: set[str]) -> Iterator[str]:
    """Names of the article's JSON-LD authors that are people: an Organization author is the site; an
    untyped one named as the site is too, but a Person keeps a name its own newsletter goes by (only
    the configured names and ``og:site_name`` are the site's then). A page with no Article node may put its
    author on its WebPage node (beehiiv, as SEO plugins put dates there)."""
    value = page.data.article.get("author") or page.data.webpage.get("author")
    for item in islice(value if isinstance(value, list) else [value], MAX_JSON_LD_VALUES):
        item = page.data.resolve(item)
        types = set(strings(item.get("@type"))) if isinstance(item, dict) else set()
        if types & ORGANIZATION_TYPES:
            continue
        for name in map(_untagged, names(item, page.data)):  # "<b>Jane Doe</b>", as in a meta value
            named_site = any(_compact(n) in site_names for n in names_in(name))
            if "Person" in types or personal_name(name, page.url) or not named_site:
                yield name


def _is_site_chrome(node: HtmlElement) -> bool:
    """Whether ``node`` is a ``<nav>``, or a ``<header>`` or ``<footer>`` in no ``<article>`` or ``<main>``."""
    if node.tag == "nav":
        return True
    return node.tag in ("header", "footer") and not any(a.tag in ("article", "main") for a in node.iterancestors())


class _Scans:
    """A page's byline candidates, "By …" text nodes and article header, each found once, when first asked for
    (the header's reading of the bylines after the whole page's reuses them)."""

    def __init__(self, page: PageView) -> None:
        self.page, self.root = page, page.sel.root

    @cached_property
    def candidates(self) -> list[HtmlElement]:
        return _byline_candidates(self.root)

    @cached_property
    def zone(self) -> HeaderZone:
        return self.page.header_zone

    @cached_property
    def outside(self) -> _OutsideArticle:
        """Which byline elements are not the article's (:class:`_OutsideArticle`), asked outside a byline walk."""
        return _OutsideArticle(self.in_other_post)

    @cached_property
    def in_other_post(self) -> MarkedAncestry:
        """Whether an element lies in another post's card (:func:`_is_post_card`), the headline's blocks never one."""
        return MarkedAncestry(_is_post_card, stop=self.zone.above)

    @cached_property
    def in_site_chrome(self) -> MarkedAncestry:
        """Whether an element lies in the site's own navigation, header or footer: a ``<nav>``, or a ``<header>``
        or ``<footer>`` outside any ``<article>`` or ``<main>`` that does not hold the headline ("By Ovolo
        Collective Hotels" heads the site menu's list of hotels); an article's own header or footer is its."""
        return MarkedAncestry(_is_site_chrome, stop=self.zone.above)

    @cached_property
    def by_lines(self) -> list[Any]:
        return list(islice((t for t in _by_lines(self.root) if _BY_START.match(t)), 5))


def _byline(page: PageView, zone: HeaderZone | None = None,
            scans: _Scans | None = None) -> Iterator[tuple[str, bool, HtmlElement]]:
    """Byline texts in the order they are trusted, each with whether a byline element holds it and the element
    it was read from: byline elements, "By …" lines (with the element holding the name when "By" stands alone),
    then elements that merely mention an author. Given the article's header (``zone``), those in it only: asked
    of the elements a byline test picks, not of every candidate."""
    scans = scans or _Scans(page)
    candidates = scans.candidates
    outside: Callable[[HtmlElement], bool] = _OutsideArticle(scans.in_other_post)
    if zone is not None:
        outside = _OutsideZone(outside, zone)
    yield from ((text, True, node) for text, node in _byline_elements(candidates, _BYLINES, outside))
    for text in scans.by_lines:
        parent = text.getparent()
        if parent is None or len(text.split()) > MAX_BYLINE_WORDS or _mid_sentence(text, parent):
            continue  # "By using this site you agree …", "billing clients <a>by project</a>"
        if text.is_tail and _names_a_work(parent):
            continue  # "<i>Wakoku Chiyekurabe</i> by Kan Chu Sen, 1721": a citation of a book, film or paper
        if zone is not None and parent not in zone:
            continue  # a teaser's, a comment's or an author box's "By …"
        if scans.in_other_post(parent) or scans.in_site_chrome(parent):
            continue  # the "by …" of a post listed under the article ("Read next"), or of the site's menu
        line = byline_text(parent)
        if len(line) <= MAX_BYLINE_CHARS:
            yield line, False, parent
        if not names_in(line) and parent.getparent() is not None:  # "Written by" alone: the name is beside it
            beside = byline_text(parent.getparent())
            if len(beside) <= MAX_BYLINE_CHARS:
                yield beside, False, parent
    yield from ((text, False, node) for text, node in _byline_elements(candidates, _LOOSE_BYLINES, outside))
    yield from ((name, False, node) for name, node in _slug_names(page, candidates, outside))


def _by_lines(root: HtmlElement) -> list[Any]:
    """The body's text nodes whose first word, spaces normalised, is a byline word's (the first
    :data:`MAX_BY_LINES`), in page order, as the same strings that know their element."""
    texts: list[str] = _BODY_TEXTS(root)
    joined = "\x00" + "\x00".join(texts)  # text nodes hold no NUL
    places: list[int] = []
    node = 0  # the place (from 1) of the node the last match opened
    last = 0  # just past that match's "\x00": the ones up to the next match's count the nodes between
    for match in _MAY_START.finditer(joined):
        node += joined.count("\x00", last, match.start() + 1)
        last = match.start() + 1
        if f"|{_XPATH_FIRST_WORD.match(texts[node - 1])[1]}|" in _FIRST_WORDS:  # type: ignore[index]
            places.append(node)
            if len(places) == MAX_BY_LINES:
                break
    if not places:
        return []
    found: list[Any] = _body_texts_at(len(places))(root, **{f"p{n}": place for n, place in enumerate(places)})
    return found


@cache
def _body_texts_at(count: int) -> etree.XPath:
    """The body's text nodes at ``count`` places ($p0, $p1, …) of :data:`_BODY_TEXTS`' list (from 1)."""
    return etree.XPath("(//body//text())[{}]".format(" or ".join(f"position() = $p{n}" for n in range(count))))


MAX_SLUG_LINKS = 5  # author links whose address is read for a name
_SLUG_WORDS = re.compile(r"[^\W\d_]+(?:[-_][^\W\d_]+){1,3}")  # "juliette-carreiro", "anna_kim"


def _slug_names(page: PageView, candidates: list[HtmlElement],
                outside: Callable[[HtmlElement], bool]) -> Iterator[tuple[str, HtmlElement]]:
    """The names in author links' addresses ("/blog/authors/juliette-carreiro" whose text is "Articles") that the
    page shows as a whole text of their own ("Juliette Carreiro"), spelt as shown; an address alone is no name."""
    links = (n for n in candidates if _author_link(n) and not outside(n))
    for link in islice(links, MAX_SLUG_LINKS):
        slug = (link.get("href") or "").split("?")[0].rstrip("/").rsplit("/", 1)[-1]
        if _SLUG_WORDS.fullmatch(slug):
            pattern = r"\s+".join(map(re.escape, re.split("[-_]", slug)))
            shown = re.search(rf"^[ \t]*({pattern})[ \t]*$", shown_text(page), re.IGNORECASE | re.MULTILINE)
            if shown:
                yield shown.group(1), link


def _byline_candidates(root: HtmlElement) -> list[HtmlElement]:
    """The elements :data:`_BYLINE_CANDIDATES` selects, in page order, at most :data:`MAX_BYLINE_CANDIDATES`."""
    if next(root.getroottree().iter("author"), None) is not None:
        return _BYLINE_CANDIDATES(root)  # type: ignore[no-any-return]
    # The page's attribute values as plain strings (a third of the cost of strings that know their element)
    # say which of the words it holds; the XPath then tests only those, or nothing is read.
    values = "\x00".join(_ATTRIBUTE_VALUES(root))
    words = tuple(word for word in _BYLINE_WORD_LIST if word in values)
    itemprop = "name" in values
    if not words and not itemprop:
        return []
    return _candidates_holding(words, itemprop)(root)  # type: ignore[no-any-return]


@cache
def _candidates_holding(words: tuple[str, ...], itemprop: bool) -> etree.XPath:
    """:data:`_BYLINE_CANDIDATES` without ``<author>`` elements, testing only ``words`` (and ``itemprop``)."""
    paths = [f"//@*[{' or '.join(f'contains(., {word!r})' for word in words)}]/.."] if words else []
    if itemprop:  # the attribute's name tested by the step (name() in a predicate costs a string per attribute)
        paths.append("//@itemprop[contains(., 'name')]/..")
    return etree.XPath(f"({' | '.join(paths)})[position() <= {MAX_BYLINE_CANDIDATES}]")


_INLINE = frozenset({"a", "span", "em", "strong", "b", "i", "u", "small", "font", "abbr", "cite", "mark"})


def _mid_sentence(text: str, parent: HtmlElement) -> bool:
    """Whether the "by" text continues a sentence of its paragraph (a link "by project" in "… billing
    clients by project."), rather than starting its block as a byline does."""
    block = parent
    while block is not None and block.tag in _INLINE:
        block = block.getparent()
    if block is None or block is parent or block.tag != "p":
        return False
    start = normalize_text(text)
    # Only the paragraph's start is compared (a hostile page's paragraph can be megabytes long).
    return not normalize_text(block.xpath("string()").lstrip()[: len(text) + MAX_BYLINE_CHARS]).startswith(start)


_WORK_TITLE_TAGS = frozenset({"i", "em", "cite", "q"})  # how a page sets a book's, film's or paper's title


def _names_a_work(node: HtmlElement) -> bool:
    """Whether ``node``, the element a "by …" text follows, is a work's title set in italics or as a citation
    ("<i>Title</i> by Author", "<a><em>Title</em></a> by Author"): the name after it is that work's author. An
    icon's empty ``<i>`` or an emphasised label ("<em>Posted</em> by") is the byline's own."""
    if node.tag not in _WORK_TITLE_TAGS:
        if node.tag not in _INLINE or len(node) != 1 or (node.text or "").strip():
            return False
        if node[0].tag not in _WORK_TITLE_TAGS or (node[0].tail or "").strip():
            return False
    title = normalize_text(bounded_text(node, MAX_BYLINE_CHARS, max_steps=MAX_NAME_ELEMENT_STEPS))
    return bool(title) and not _PREFIX.fullmatch(f"{title} by")


def _quoted(node: HtmlElement) -> bool:
    """Whether ``node`` stands in a quotation (another text's credit line quoted in the article)."""
    return any(element.tag in ("blockquote", "q") for element in (node, *node.iterancestors()))


_MARK = re.compile(r"author|byline", re.IGNORECASE)


def _marked(node: HtmlElement) -> bool:
    """Whether the page marks ``node`` as a byline: an avatar in it (its first elements), an author or byline
    class or id on it or its parent."""
    if any(element.tag == "img" for element in islice(node.iter(), 50)):
        return True
    return any(_MARK.search(f"{element.get('class') or ''} {element.get('id') or ''}")
               for element in (node, node.getparent()) if element is not None)


class _OutsideZone:
    """Which byline elements are outside the article (``outside``) or its header (``zone``), the header asked
    once per element."""

    def __init__(self, outside: Callable[[HtmlElement], bool], zone: HeaderZone) -> None:
        self.outside, self.zone = outside, zone
        self.known: dict[HtmlElement, bool] = {}

    def __call__(self, node: HtmlElement) -> bool:
        known = self.known.get(node)
        if known is None:
            known = self.known[node] = self.outside(node) or node not in self.zone
        return known


class _OutsideArticle:
    """Which byline elements are not the article's: a comment's (it or a block above is marked so: the
    commenter's name), in a figure (the photographer's credit), in a sidebar, or in another post's card
    (``in_other_post``). One per page: what is known of each block above is remembered, so asking about every
    candidate walks each block once."""

    def __init__(self, in_other_post: Callable[[HtmlElement], bool] | None = None) -> None:
        self._within = MarkedAncestry(lambda node: has_comment_word(node) or is_credit(node) or has_sidebar_class(node))
        self._in_other_post = in_other_post

    def __call__(self, node: HtmlElement) -> bool:
        return (has_comment_word(node) or self._within(node.getparent())
                or (self._in_other_post is not None and self._in_other_post(node)))


POST_CARD_SIBLINGS = 3  # siblings looked at each way for another <article> (a list's cards stand side by side)


def _is_post_card(node: HtmlElement) -> bool:
    """Whether ``node`` is one post's card in a list of them (related posts, "Read next", an archive): an
    ``<article>`` beside another ``<article>``. Its byline is that post's, not the page's article's."""
    if node.tag != "article":
        return False
    return any(sibling.tag == "article" for sibling in (*islice(node.itersiblings(), POST_CARD_SIBLINGS),
                                                        *islice(node.itersiblings(preceding=True), POST_CARD_SIBLINGS)))


# The parts of an author box that say what the author does, not who ("author-description": "Licensed Q Arabica
# Grader, M.A. Journalism"; "author__role", "author-job"): their capitalised words read like names (a bio is read:
# "This post was written by …").
_AUTHOR_DETAIL = re.compile(r"author[-_]*(?:description|role|job|position)", re.IGNORECASE)


def _named_by(node: HtmlElement) -> HtmlElement | None:
    """The element naming the author of a byline candidate: itself, or for an author's detail (the element of
    their job), the element just before it, where author boxes print the name; None when there is none."""
    if not _AUTHOR_DETAIL.search(node.get("class") or ""):
        return node
    before = node.getprevious()
    return before if before is not None and isinstance(before.tag, str) else None


_OTHER_ROLE_BEFORE = re.compile(rf"(?:^|\s)(?:{_OTHER_ROLE.pattern})\s*[:\-–—]?\s*$", re.IGNORECASE)
OTHER_ROLE_LEVELS = 2  # elements up from a byline candidate whose text before it is read for a role label


def _after_other_role(node: HtmlElement) -> bool:
    """Whether the text just before ``node`` labels someone who did not write the article ("Reviewed by
    <a class='author-link'>…</a>", "Фото: <span class='author'>…</span>"), on its line or its parent's."""
    for _ in range(OTHER_ROLE_LEVELS):
        before = node.getprevious()
        text = (before.tail if before is not None else node.getparent().text if node.getparent() is not None
                else None) or ""
        if text.strip():
            return _OTHER_ROLE_BEFORE.search(text[-60:]) is not None
        if before is not None or node.getparent() is None:
            return False
        node = node.getparent()
    return False


def _byline_elements(candidates: list[HtmlElement], tests: Iterable[Callable[[HtmlElement], bool]],
                     outside: Callable[[HtmlElement], bool]) -> Iterator[tuple[str, HtmlElement]]:
    """The text of each test's first matches among ``candidates`` (in page order) outside comments, sibling
    matches together (two ``rel=author`` links in one byline are one byline of two names), each with the first
    element of it."""
    for test in tests:
        groups: dict[Any, tuple[HtmlElement, list[str]]] = {}
        matches = (_named_by(n) for n in candidates if test(n) and not outside(n) and not _after_other_role(n))
        for node in islice((n for n in matches if n is not None), MAX_MATCHES_PER_TEST):
            groups.setdefault(node.getparent(), (node, []))[1].append(byline_text(node))
        yield from ((", ".join(texts), first) for first, texts in groups.values())


def _first_found(*candidates: Callable[[], Found]) -> Found:
    for candidate in candidates:
        found = candidate()
        if found is not None:
            return found
    return None
