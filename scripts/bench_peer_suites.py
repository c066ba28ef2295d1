"""Run our extraction against the test suites that newspaper4k, trafilatura and htmldate ship in their sdists.

``python scripts/bench_peer_suites.py --src DIR [--suites newspaper4k,trafilatura,htmldate,realworld] [--misses]``

``DIR`` holds the peers' unpacked source distributions, fetched and unpacked once with::

    pip download --no-deps --no-binary :all: newspaper4k==0.9.6 trafilatura==2.0.0 htmldate==1.11.0
    for f in *.tar.gz; do tar -xzf "$f"; done

Everything is read from ``DIR`` at run time; no page, expectation or code of a peer is stored here.

- newspaper4k: its real pages (``tests/data/html``) against their expected metadata (``metadata/*.json``:
  title, authors, publish_date, exact after whitespace is collapsed) and text (``txt/*.txt``: a body passes
  at F1 >= 0.9 with the benchmark's token scoring). The peer column is the installed ``newspaper``.
- trafilatura ``tests/metadata_tests.py`` (title, author, date tests) and htmldate ``tests/unit_tests.py``
  (``find_date`` tests): the module is parsed, each assert about the extractor becomes one recorded check
  (other asserts are dropped), and each test function runs twice: with the module's own extractor (the
  installed peer, which the module imports) and with ours swapped in. Calls asking for an option we have no
  counterpart for (an output format, a date range, a caller's author block list) are "n/a".
- realworld: trafilatura's ``tests/realworld_tests.py`` with its ``cache/`` pages, found in a git checkout of
  trafilatura in ``DIR`` (a folder ``trafilatura`` or ``trafilatura-*`` holding them; the sdist has neither).
  The module is read as data, never imported: the ``MOCK_PAGES`` table (URL -> file in ``cache/``), the
  ``"text" in result`` / ``not in result`` assertions of ``test_extract`` (fields ``contains`` and
  ``excludes``; those under an ``if`` only when the condition holds for plain-text output) and the
  ``metadata.title`` / ``metadata.author`` equalities of ``test_pages``. A page whose file is missing is
  skipped. The peer column is the installed ``trafilatura``.

Our failures that a rule of ours decides on purpose are counted as "design" (``BY_DESIGN``, one reason
each), apart from real failures. ``--misses`` lists every failure and design case of ours. The repository's
own pytest suite never imports these modules: this is a benchmark, run by hand.
"""

from __future__ import annotations

import argparse
import ast
import importlib.metadata
import json
import logging
import operator
import re
import sys
import unicodedata
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree
from lxml import html as lxml_html

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_URL = "https://example.org/"
BODY_PASS_F1 = 0.9


@dataclass
class Call:
    """What our extractor was last asked: the page and the peer API's options."""

    html: str = ""
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Check:
    """One expectation of a suite and how an extractor met it."""

    suite: str
    key: str
    field: str
    outcome: str  # "pass", "fail", "n/a", "design" or "error:<Exception>"
    want: Any = None
    got: Any = None
    call: Call | None = None
    reason: str = ""


class NotApplicable(Exception):
    """A call with an option of the peer's API that our record has no counterpart for."""


class Unanswered:
    """Stands for a not-applicable answer given outside an assert: any use of it is not applicable."""

    def __getattr__(self, name: str) -> Any:
        raise NotApplicable

    def __eq__(self, other: object) -> bool:
        raise NotApplicable

    __hash__ = None  # type: ignore[assignment]


# --- our extraction --------------------------------------------------------------------------------------


def ours(html: str, url: str) -> dict[str, Any]:
    """Body text, title, authors and publication day of our generic extraction."""
    from crawler.bench.extraction import cleaned, local_day
    from crawler.extract.article import extract_article
    from crawler.sites import GENERIC

    extraction = extract_article(html, url, GENERIC)
    return {"body": "\n".join(cleaned(extraction)), "title": extraction.title or "",
            "authors": list(extraction.authors), "date": local_day(extraction.published, extraction.published_raw)}


def newspaper4k(html: str, url: str) -> dict[str, Any]:
    """The same fields from the installed newspaper4k."""
    import newspaper

    config = newspaper.Config()
    config.fetch_images = False
    config.memoize_articles = False
    article = newspaper.Article(url or "http://example.com/", config=config)
    article.download(input_html=html)
    article.parse()
    day = article.publish_date.date().isoformat() if article.publish_date else None
    return {"body": article.text or "", "title": article.title or "", "authors": list(article.authors), "date": day}


def f1(pred: str, truth: str) -> float:
    """The benchmark's token F1 of a body against the expected text."""
    from crawler.bench.scoring import Score

    score = Score()
    score.add(pred, truth)
    return float(score.f1)


# --- by design ------------------------------------------------------------------------------------------

MODIFIED = re.compile(r"modif|updat|last-?mod", re.I)
COPYRIGHT = re.compile(r"©|&copy;|copyright", re.I)
MONTHS = re.compile(r"^(on )?(january|february|march|april|may|june|july|august|september|october|november|"
                    r"december)\b", re.I)


def _tree(html: str) -> Any:
    try:
        return lxml_html.fromstring(html or "<html></html>")
    except (etree.ParserError, ValueError):
        return lxml_html.fromstring("<html></html>")


def _names(value: Any) -> list[str]:
    """Author names from a list or a "; "-joined string."""
    if isinstance(value, list):
        return [str(v) for v in value]
    return [n.strip() for n in str(value or "").split(";") if n.strip()]


def _modified_only(check: Check, tree: Any) -> bool:
    """The wanted date stands in a modified/updated field of the page."""
    want = str(check.want or "")
    return bool(want) and any(
        MODIFIED.search(" ".join(str(v) for v in el.attrib.values()))
        and (el.get("content") or el.get("datetime") or "").startswith(want)
        for el in tree.iter() if isinstance(el.tag, str))


def _copyright_year(check: Check, tree: Any) -> bool:
    return str(check.want or "").endswith("-01-01") and bool(COPYRIGHT.search(check.call.html if check.call else ""))


def _image_folder(check: Check, tree: Any) -> bool:
    want = str(check.want or "")
    return bool(want) and any(want in (img.get("src") or "") for img in tree.iter("img"))


def _user_name(check: Check, tree: Any) -> bool:
    """The wanted author is a user name (a comment's signature), not a byline."""
    wanted = _names(check.want)
    return any(re.search(r"user|comment", el.get("class", "") + el.get("id", ""), re.I)
               and (el.text_content() or "").strip() in wanted for el in tree.iter() if isinstance(el.tag, str))


def _kept_nickname(check: Check, tree: Any) -> bool:
    """We keep a quoted nickname the outlet prints inside the name; the peer drops it."""
    return [re.sub(r'\s*"[^"]+"\s*', " ", n) for n in _names(check.got)] == _names(check.want) != _names(check.got)


def _outlet_or_debris(check: Check, tree: Any) -> bool:
    """Every wanted name we lack is the outlet (an acronym, a domain, the site's name) or no name at all."""
    site = " ".join((tree.xpath("//meta[@property='og:site_name']/@content") or [""])[:1]).strip()
    title_tail = re.split(r"\s[-|:：»]\s?|：", " ".join(tree.xpath("//title//text()")).strip())[-1].strip()
    lacking = set(_names(check.want)) - set(_names(check.got))
    return bool(lacking) and all(
        re.fullmatch(r"[A-Z]{2,6}|\S+\.\S+", n) or MONTHS.match(n) or n[:1].islower() or n in {"Print"}
        or (site and n.startswith(site)) or (title_tail and n.startswith(title_tail)) for n in lacking)


def _visible_headline(check: Check, tree: Any) -> bool:
    """We give the page's visible <h1> (or cut a site-name tail) where the peer wants <title>/og:title whole."""
    got, want = _collapse(str(check.got or "")), _collapse(str(check.want or ""))
    declared = {_collapse(t) for t in tree.xpath("//title//text()|//meta[contains(@property, 'title') or "
                                                  "contains(@name, 'title')]/@content")}
    headings = {_collapse(h.text_content()) for h in tree.iter("h1")}
    stated = bool(want) and any(d.startswith(want) for d in declared)  # the peer's cut of a declared title
    return bool(got) and stated and (got in headings or want.startswith(got))


def _year_from_impossible_day(check: Check, tree: Any) -> bool:
    """The peer falls back to the 1st of January of a date that does not exist (30 February); we give none."""
    return check.got is None and str(check.want or "").endswith("-01-01") and bool(
        re.search(r"\b3[01]\.? (February|Februar|février|февраля)\b|\b31\.? (April|June|September|November)\b",
                  check.call.html if check.call else "", re.I))


def _fast_mode(check: Check, tree: Any) -> bool:
    """The peer's ``extensive_search=False`` skips free text; we always read the whole page."""
    return check.want is None and check.call is not None and check.call.options.get("extensive") is False


def _long_title(check: Check, tree: Any) -> bool:
    return check.call is not None and len(" ".join(tree.xpath("//title//text()"))) > 10_000


def _one_word_banner(check: Check, tree: Any) -> bool:
    """The peer wants a one-word ``<h1>`` ("First") where the page declares another title, which we give."""
    want, got = _collapse(str(check.want or "")), _collapse(str(check.got or ""))
    headings = {_collapse(h.text_content()) for h in tree.iter("h1")}
    declared = {_collapse(t) for t in tree.xpath("//title//text()")}
    return len(want.split()) == 1 and want in headings and got in declared


def _declared_apostrophes(check: Check, tree: Any) -> bool:
    """We give the headline with straight apostrophes where the declared titles saying its words write them so."""
    got, want = str(check.got or ""), str(check.want or "")
    declared = {_collapse(t) for t in tree.xpath("//meta[contains(@property, 'title') or contains(@name, 'title')]"
                                                  "/@content")}
    return got != want and got.replace("\u2019", "'") == want.replace("\u2019", "'") and _collapse(got) in declared


def _placeholder(check: Check, tree: Any) -> bool:
    """Every wanted name we lack is a template's placeholder ("AUTHOR NAME"), no person's name."""
    lacking = set(_names(check.want)) - set(_names(check.got))
    return bool(lacking) and all(re.fullmatch(r"author\s+name", n.strip(), re.I) for n in lacking)


def _declared_authors(tree: Any) -> set[str]:
    """The author names the page's metadata declares: meta fields named for an author, JSON-LD authors."""
    names = {_collapse(v) for v in tree.xpath("//meta[contains(@name, 'author') or contains(@property, 'author')]"
                                              "/@content")}

    def walk(node: Any, inside: bool) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if inside and key == "name" and isinstance(value, str):
                    names.add(_collapse(value))
                walk(value, key in {"author", "creator"})
        elif isinstance(node, list):
            for item in node:
                walk(item, inside)
        elif inside and isinstance(node, str):
            names.add(_collapse(node))

    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        try:
            walk(json.loads(script), False)
        except ValueError:
            continue
    return names


def _metadata_authors(check: Check, tree: Any) -> bool:
    """We give some of the wanted authors (or the peer wants none), each one the page's metadata declares, and no
    name we lack is declared: the peer's others are teasers' bylines or debris; where it wants none, it missed the
    declared author."""
    got, want = set(_names(check.got)), set(_names(check.want))
    declared = _declared_authors(tree)
    return bool(got) and (got < want or not want) and all(_collapse(n) in declared for n in got) and not any(
        _collapse(n) in declared for n in want - got)


_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                "November", "December")


def _printed_date(check: Check, tree: Any) -> bool:
    """The peer's snapshot has no date where the page prints the one we give ("14 May 2020", "08/01/2014")."""
    got = str(check.got or "")
    if check.want is not None or not re.fullmatch(r"\d{4}-\d\d-\d\d", got):
        return False
    year, month, day = got.split("-")
    forms = {got, f"{day}/{month}/{year}", f"{int(day)} {_MONTH_NAMES[int(month) - 1]} {year}",
             f"{_MONTH_NAMES[int(month) - 1]} {int(day)}, {year}"}
    text = " ".join(t for t in tree.xpath("//body//text()[not(ancestor::script) and not(ancestor::style)]"))
    return any(form in text for form in forms)


@dataclass(frozen=True)
class Rule:
    """A kind of case where our rules deliberately differ from the peer's expectation."""

    fields: frozenset[str]
    reason: str
    applies: Callable[[Check, Any], bool]


BY_DESIGN: tuple[Rule, ...] = (
    Rule(frozenset({"date"}), "a modified/updated date is never the publication date we record", _modified_only),
    Rule(frozenset({"date"}), "a copyright year dates the site, not the story", _copyright_year),
    Rule(frozenset({"date"}), "a date in an image's path is its upload folder, not the story's date", _image_folder),
    Rule(frozenset({"date"}), "a day that does not exist gives no date, not its year's 1st of January",
         _year_from_impossible_day),
    Rule(frozenset({"date"}), "free text is always searched (the peer's extensive_search=False has no counterpart)",
         _fast_mode),
    Rule(frozenset({"author", "authors"}), "a user name (a comment's signature) is no byline", _user_name),
    Rule(frozenset({"author", "authors"}), "a quoted nickname stays in the name as the outlet prints it",
         _kept_nickname),
    Rule(frozenset({"author", "authors"}), "site names, wire acronyms and byline debris are no authors",
         _outlet_or_debris),
    Rule(frozenset({"title"}), "the title is the headline as the page shows it, without the site's name",
         _visible_headline),
    Rule(frozenset({"title"}), "a title is kept whole, not cut at the peer's 10,000 characters", _long_title),
    Rule(frozenset({"title"}), "a one-word <h1> the declared title does not say is a section's banner",
         _one_word_banner),
    Rule(frozenset({"title"}), "apostrophes as the declared titles saying the headline's words write them",
         _declared_apostrophes),
    Rule(frozenset({"author", "authors"}), "a template's placeholder (\"AUTHOR NAME\") is no person's name",
         _placeholder),
    Rule(frozenset({"author", "authors"}), "the authors the page's metadata declares are the article's",
         _metadata_authors),
    Rule(frozenset({"date"}), "the peer's snapshot has no date where the page prints the one we give",
         _printed_date),
)


def classify(check: Check) -> Check:
    """Turn a failure of ours into a design case when a rule of ours explains it."""
    if check.outcome != "fail":
        return check
    tree = _tree(check.call.html if check.call else "")
    for rule in BY_DESIGN:
        if check.field in rule.fields and rule.applies(check, tree):
            check.outcome, check.reason = "design", rule.reason
            break
    return check


# --- newspaper4k: data files ------------------------------------------------------------------------------


def _collapse(text: str | None) -> str:
    return unicodedata.normalize("NFC", re.sub(r"\s+", " ", text or "").strip())


def _newspaper4k_page(data: Path, name: str) -> tuple[str, dict[str, Any] | None, str | None]:
    meta, txt = data / "metadata" / f"{name}.json", data / "txt" / f"{name}.txt"
    return ((data / "html" / f"{name}.html").read_text(encoding="utf-8"),
            json.loads(meta.read_text(encoding="utf-8")) if meta.exists() else None,
            txt.read_text(encoding="utf-8") if txt.exists() else None)


def _extract_or_empty(extract: Callable[[str, str], dict[str, Any]], html: str, url: str) -> tuple[dict[str, Any], str]:
    try:
        return extract(html, url), ""
    except Exception as exc:  # the peer without its optional language packages: an empty answer, counted
        return {"body": "", "title": "", "authors": [], "date": None}, f"{type(exc).__name__}: {exc}"[:120]


def _newspaper4k_checks(name: str, html: str, meta: dict[str, Any] | None, txt: str | None,
                        result: dict[str, Any]) -> Iterator[Check]:
    call = Call(html)
    if txt is not None:
        score = f1(result["body"], txt)
        yield Check("newspaper4k", name, "body", "pass" if score >= BODY_PASS_F1 else "fail", txt[:60], score, call)
    if meta is None:
        return
    expected = (("title", _collapse(meta["title"]), _collapse(result["title"])),
                ("authors", sorted(map(_collapse, meta["authors"])), sorted(map(_collapse, result["authors"]))),
                ("date", (meta["publish_date"] or "")[:10] or None, result["date"]))
    for kind, want, got in expected:
        yield Check("newspaper4k", name, kind, "pass" if want == got else "fail", want, got, call)


def newspaper4k_suite(data: Path, extract: Callable[[str, str], dict[str, Any]]) -> list[Check]:
    """Checks of newspaper4k's real pages for one extractor."""
    checks: list[Check] = []
    for path in sorted((data / "html").glob("*.html")):
        html, meta, txt = _newspaper4k_page(data, path.stem)
        if meta is None and txt is None:
            continue
        result, error = _extract_or_empty(extract, html, (meta or {}).get("url") or "http://www.test.com/")
        for check in _newspaper4k_checks(path.stem, html, meta, txt, result):
            check.reason = error
            checks.append(check)
    return checks


# --- trafilatura and htmldate: asserts of a test module ---------------------------------------------------

COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Is: operator.is_, ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b}


def _fields_in(node: ast.AST, fields: set[str]) -> set[str]:
    return {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute) and n.attr in fields}


def _calls(node: ast.AST, target: str) -> bool:
    return any(isinstance(n, ast.Call) and getattr(n.func, "id", None) == target for n in ast.walk(node))


def _lambda(body: ast.expr) -> ast.Lambda:
    return ast.Lambda(ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[]), body)


class Rewriter(ast.NodeTransformer):
    """Turns each assert about TARGET or FIELDS into ``__check(line, field, op, got_left, lambda: (l, r))``."""

    def __init__(self, fields: set[str], target: str, default_field: str) -> None:
        self.fields, self.target, self.default_field = fields, target, default_field

    def visit_Assert(self, node: ast.Assert) -> ast.stmt:
        test, fields = node.test, _fields_in(node.test, self.fields)
        if not fields and not _calls(test, self.target):
            return ast.Pass()
        op, pair, got_left = "", ast.Tuple([test, ast.Constant(None)], ast.Load()), True
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and type(test.ops[0]) in COMPARE:
            left, right = test.left, test.comparators[0]
            op, pair = type(test.ops[0]).__name__, ast.Tuple([left, right], ast.Load())
            got_left = bool(_fields_in(left, self.fields) or _calls(left, self.target))
        name = min(fields) if fields else self.default_field
        args = [ast.Constant(node.lineno), ast.Constant(name), ast.Constant(op), ast.Constant(got_left), _lambda(pair)]
        return ast.copy_location(ast.Expr(ast.Call(ast.Name("__check", ast.Load()), args, [])), node)


@dataclass
class Recorder:
    """Runs the rewritten asserts of one suite for one extractor and keeps their checks."""

    suite: str
    last: Call | None = None
    inside: bool = False
    function: str = ""
    checks: list[Check] = field(default_factory=list)
    seen: Counter[tuple[str, int]] = field(default_factory=Counter)

    def __call__(self, line: int, name: str, op: str, got_left: bool, pair: Callable[[], tuple[Any, Any]]) -> None:
        self.seen[(self.function, line)] += 1
        check = Check(self.suite, f"{self.function}:{line}#{self.seen[(self.function, line)]}", name, "fail")
        self.inside = True
        try:
            left, right = pair()
            check.outcome = "pass" if (COMPARE[getattr(ast, op)](left, right) if op else left) else "fail"
            check.got, check.want = (left, right) if got_left else (right, left)
        except NotApplicable:
            check.outcome = "n/a"
        except Exception as exc:  # the extractor crashed or answered something the assert cannot use
            check.outcome = f"error:{type(exc).__name__}"
        finally:
            self.inside = False
        check.call = self.last
        self.checks.append(check)

    def not_applicable(self) -> Any:
        """Raise inside an assert; outside one, an answer any later use of which is not applicable."""
        if self.inside:
            raise NotApplicable
        return Unanswered()


# A factory for our stand-in of the suite's target, given the recorder that notes each call.
Extractor = Callable[[Recorder], Callable[..., Any]]


@dataclass(frozen=True)
class ModuleSuite:
    """A peer's test module and the parts of it we run."""

    name: str
    module: str
    functions: tuple[str, ...]
    target: str
    fields: frozenset[str]
    default_field: str  # the field of an assert that reads none
    extractor: Extractor


def run_module(path: Path, suite: ModuleSuite, extractor: Extractor | None) -> list[Check]:
    """The checks of SUITE's functions in the module at PATH, its target replaced by EXTRACTOR when given."""
    rewriter = Rewriter(set(suite.fields), suite.target, suite.default_field)
    tree = ast.fix_missing_locations(rewriter.visit(ast.parse(path.read_text(encoding="utf-8"))))
    recorder = Recorder(suite.name)
    namespace: dict[str, Any] = {"__name__": "peer_suite", "__file__": str(path)}
    exec(compile(tree, str(path), "exec"), namespace)  # the peer's own module, read at run time
    namespace["__check"] = recorder
    if extractor is not None:
        namespace[suite.target] = extractor(recorder)
    for name in (f for f in suite.functions if f in namespace):  # a newer or older module may lack one
        recorder.function = name
        try:
            namespace[name]()
        except Exception as exc:  # a crash outside an assert loses the function's remaining checks: counted
            crash = Check(suite.name, f"{name}:crash", "-", f"error:{type(exc).__name__}", got=repr(exc))
            recorder.checks.append(crash)
    return recorder.checks


def _html_of(document: Any) -> str:
    if document is None or isinstance(document, bytes):
        return document.decode("utf-8", "replace") if document else ""
    return document if isinstance(document, str) else etree.tostring(document, encoding=str)


class Metadata:
    """Our answer in the shape of trafilatura's ``Document``: the fields we have no counterpart for are None."""

    __slots__ = ("author", "categories", "date", "description", "image", "license", "pagetype", "sitename",
                 "tags", "title", "url")

    def __init__(self, title: str | None, author: str | None, date: str | None) -> None:
        for name in self.__slots__:
            setattr(self, name, None)
        self.title, self.author, self.date = title, author, date


def ours_extract_metadata(recorder: Recorder) -> Callable[..., Any]:
    """Our extraction behind trafilatura's ``extract_metadata(filecontent, default_url=None, ...)``."""

    def extract_metadata(filecontent: Any, default_url: str | None = None, date_config: Any = None,
                         extensive: bool = True, author_blacklist: Any = None, **options: Any) -> Any:
        html = _html_of(filecontent)
        recorder.last = Call(html, {"extensive": extensive, **options})
        if author_blacklist:  # the caller's own block list: no question about extraction
            return recorder.not_applicable()
        result = ours(html or "<html></html>", default_url or DEFAULT_URL)
        return Metadata(result["title"] or None, "; ".join(result["authors"]) or None, result["date"])

    return extract_metadata


def ours_find_date(recorder: Recorder) -> Callable[..., Any]:
    """Our extraction behind htmldate's ``find_date(htmlobject, extensive_search=True, ...)``."""

    def find_date(htmlobject: Any, extensive_search: bool = True, original_date: bool = False,
                  outputformat: str = "%Y-%m-%d", url: str | None = None, min_date: Any = None,
                  max_date: Any = None, **options: Any) -> Any:
        html = _html_of(htmlobject)
        if html.startswith("http") and " " not in html and "<" not in html:
            url, html = html, "<html><body></body></html>"
        recorder.last = Call(html, {"original_date": original_date, "extensive": extensive_search})
        if outputformat != "%Y-%m-%d" or min_date or max_date or options.keys() - {"verbose", "deferred_url_extractor"}:
            return recorder.not_applicable()  # output formats and date ranges: options of the peer's API
        return ours(html or "<html></html>", url or DEFAULT_URL)["date"]

    return find_date


MODULE_SUITES = (
    ModuleSuite("trafilatura", "tests/metadata_tests.py", ("test_titles", "test_authors", "test_dates", "test_meta"),
                "extract_metadata", frozenset({"title", "author", "date"}), "-", ours_extract_metadata),
    ModuleSuite("htmldate", "tests/unit_tests.py", ("test_no_date", "test_exact_date", "test_free_text_timezone",
                "test_1990s_dates", "test_fast_mode_bare_date", "test_idiosyncrasies", "test_url"),
                "find_date", frozenset(), "date", ours_find_date),
)


def run_module_suite(suite: ModuleSuite, root: Path, extractor: str) -> list[Check]:
    """One extractor's checks of a module suite, with the peer's logging set up by the module kept quiet."""
    root_logger = logging.getLogger()
    handlers, level = list(root_logger.handlers), root_logger.level
    logging.disable(logging.CRITICAL)
    try:
        use = suite.extractor if extractor == "ours" else None
        return run_module(root / suite.module, suite, use)
    finally:
        logging.disable(logging.NOTSET)
        root_logger.handlers[:], root_logger.level = handlers, level


# --- running and reporting --------------------------------------------------------------------------------


# --- trafilatura's real-world suite (a git checkout) ----------------------------------------------------

# The conditions of trafilatura's parametrised test, set for plain text output.
CONDITION_NAMES = {"xmloutput": False, "formatting": False}


@dataclass
class Case:
    kind: str  # "contains", "excludes", "title" or "author"
    value: str


@dataclass
class SuitePage:
    url: str
    path: Path
    cases: list[Case] = field(default_factory=list)


def _string_constant(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _mock_pages(tree: ast.Module) -> dict[str, str]:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "MOCK_PAGES" for t in node.targets):
            return {str(k): str(v) for k, v in ast.literal_eval(node.value).items()}
    raise ValueError("no MOCK_PAGES table in realworld_tests.py")


def _holds(test: ast.expr) -> bool:
    """Whether an ``if`` of the test function holds for plain text without formatting."""
    try:
        return bool(eval(compile(ast.Expression(test), "<if>", "eval"), {"__builtins__": {}}, dict(CONDITION_NAMES)))
    except Exception:  # an unknown name: the branch is not for our output
        return False


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements run for plain-text output, ``if`` branches resolved."""
    for node in body:
        if isinstance(node, ast.If):
            yield from _statements(node.body if _holds(node.test) else node.orelse)
        else:
            yield node


def _called_url(node: ast.AST) -> str | None:
    """The URL literal a ``do_load_page(...)`` / ``load_mock_page_meta(...)`` call (however nested) loads."""
    for call in ast.walk(node):
        loader = getattr(getattr(call, "func", None), "id", "")
        if isinstance(call, ast.Call) and call.args and loader.startswith(("do_load_page", "load_mock_page")):
            return _string_constant(call.args[0])
    return None


def _body_case(test: ast.expr) -> Case | None:
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and getattr(test.comparators[0], "id", None) == "result":
        value = _string_constant(test.left)
        if value is not None and isinstance(test.ops[0], ast.In | ast.NotIn):
            return Case("contains" if isinstance(test.ops[0], ast.In) else "excludes", value)
    return None


def _meta_case(test: ast.expr) -> Case | None:
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq):
        left = test.left
        if (isinstance(left, ast.Attribute) and getattr(left.value, "id", None) == "metadata"
                and left.attr in {"title", "author"}):
            value = _string_constant(test.comparators[0])
            return Case(left.attr, value) if value is not None else None
    return None


def realworld_pages(tests_dir: Path) -> list[SuitePage]:
    """The pages of the suite whose cached file exists, with their cases, in the suite's order."""
    tree = ast.parse((tests_dir / "realworld_tests.py").read_text(encoding="utf-8"))
    files = _mock_pages(tree)
    pages: dict[str, SuitePage] = {}
    for function in (n for n in tree.body if isinstance(n, ast.FunctionDef)):
        if function.name not in {"test_extract", "test_pages"}:
            continue
        url: str | None = None
        for node in _statements(function.body):
            if isinstance(node, ast.Assign):
                url = _called_url(node.value) or url
                if isinstance(node.value, ast.Constant) and getattr(node.targets[0], "id", None) == "url":
                    url = _string_constant(node.value)
            elif isinstance(node, ast.Assert) and url in files:
                case = (_body_case if function.name == "test_extract" else _meta_case)(node.test)
                path = tests_dir / "cache" / files[url]
                if case is not None and path.exists():
                    pages.setdefault(url, SuitePage(url, path)).cases.append(case)
    return list(pages.values())


def read_page(path: Path) -> str:
    """A cached page as text, decoded as a browser would (its BOM, its ``<meta charset>``, else UTF-8)."""
    from w3lib.encoding import html_to_unicode

    return html_to_unicode(None, path.read_bytes())[1]


def trafilatura(html: str, url: str) -> dict[str, Any]:
    """Body text, title and authors of the installed trafilatura, as its real-world tests read them."""
    import trafilatura as upstream
    from trafilatura.metadata import extract_metadata

    body = upstream.extract(html, url, record_id="0000", fast=False, output_format="txt") or ""
    metadata = extract_metadata(html)
    return {"body": body, "title": metadata.title or "", "authors": (metadata.author or "").split("; ")}


def realworld_suite(pages: list[SuitePage], extract: Callable[[str, str], dict[str, Any]]) -> list[Check]:
    """One check per assertion: body strings present or absent, title and author strings equal."""
    checks = []
    for page in pages:
        got, error = _extract_or_empty(extract, read_page(page.path), page.url)
        for number, case in enumerate(page.cases):
            if case.kind in {"contains", "excludes"}:
                ok = (case.value in got["body"]) == (case.kind == "contains")
                value: Any = None
            else:
                value = got["title"] if case.kind == "title" else ", ".join(a for a in got["authors"] if a)
                ok = _collapse(case.value) == _collapse(value)
            checks.append(Check("realworld", f"{page.path.name}#{number}", case.kind, "pass" if ok else "fail",
                                case.value, value, reason=error))
    return checks


def find_source(src: Path, name: str) -> Path | None:
    """The unpacked sdist ``NAME-VERSION`` (the newest by name) or a folder ``NAME`` in SRC."""
    found = sorted(p for p in src.glob(f"{name}-*") if p.is_dir()) or [p for p in [src / name] if p.is_dir()]
    return found[-1] if found else None


def peer_version(name: str) -> str:
    try:
        return importlib.metadata.version("trafilatura" if name == "realworld" else name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def suite_root(src: Path, name: str) -> Path | None:
    """Where suite NAME's files are in SRC: the peer's unpacked source, or for realworld its tests folder."""
    if name != "realworld":
        return find_source(src, name)
    checkouts = sorted(src.glob("trafilatura*/tests/realworld_tests.py"))
    return checkouts[-1].parent if checkouts else None


def run_suite(name: str, root: Path) -> dict[str, list[Check]]:
    """The checks of suite NAME found in ROOT, for ours and for the peer."""
    if name == "realworld":
        pages = realworld_pages(root)
        return {"ours": realworld_suite(pages, ours), "peer": realworld_suite(pages, trafilatura)}
    if name == "newspaper4k":
        data = root / "tests" / "data"
        mine = [classify(c) for c in newspaper4k_suite(data, ours)]
        return {"ours": mine, "peer": newspaper4k_suite(data, newspaper4k)}
    suite = next(s for s in MODULE_SUITES if s.name == name)
    return {"ours": [classify(c) for c in run_module_suite(suite, root, "ours")],
            "peer": run_module_suite(suite, root, "peer")}


def summary_rows(name: str, checks: dict[str, list[Check]]) -> Iterator[str]:
    """One line per field: our pass, design, n/a, fail counts beside the peer's passes."""
    for kind in sorted({c.field for c in checks["ours"]}):
        mine = Counter(c.outcome.split(":")[0] for c in checks["ours"] if c.field == kind)
        peer = [c for c in checks["peer"] if c.field == kind]
        total = sum(mine.values())
        extra = ""
        if kind == "body":
            scores = [float(c.got) for c in checks["ours"] if c.field == kind]
            extra = f"  F1 mean ours {sum(scores) / len(scores):.3f} peer " + (
                f"{sum(float(c.got) for c in peer) / len(peer):.3f}" if peer else "–")
        yield (f"{name:12} {kind:8} {total:5}  {mine['pass']:4}  {mine['design']:6}  {mine['n/a']:4}  "
               f"{mine['fail'] + mine['error']:4}  {sum(c.outcome == 'pass' for c in peer):4}{extra}")


def miss_lines(checks: list[Check]) -> Iterator[str]:
    for c in checks:
        if c.outcome != "pass":
            note = f"  [{c.reason}]" if c.reason else ""
            yield f"  {c.outcome:7} {c.suite} {c.key} {c.field}: want {c.want!r:.120} got {c.got!r:.120}{note}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--src", type=Path, required=True, help="folder of the peers' unpacked sdists")
    parser.add_argument("--suites", default="newspaper4k,trafilatura,htmldate,realworld")
    parser.add_argument("--misses", action="store_true", help="list our failures and design cases")
    args = parser.parse_args(argv)
    print("suite        field    cases  pass  design   n/a  fail  peer pass")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the peers' own deprecation and missing-extra warnings
        for name in args.suites.split(","):
            root = suite_root(args.src, name)
            if root is None:
                print(f"{name:12} not found in {args.src}")
                continue
            checks = run_suite(name, root)
            print("\n".join(summary_rows(name, checks)) + f"   ({root.name}; peer installed: {peer_version(name)})")
            if args.misses:
                print("\n".join(miss_lines(checks["ours"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
