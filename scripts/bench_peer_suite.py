"""Run trafilatura's real-world test expectations against our generic extraction (and trafilatura's).

``python scripts/bench_peer_suite.py TESTS_DIR [--extractors ours,trafilatura] [--misses]``

``TESTS_DIR`` is the ``tests`` folder of a checkout of trafilatura (or a folder of the same shape): its
``realworld_tests.py`` is read as data, never imported: the ``MOCK_PAGES`` table (URL -> file in ``cache/``),
the ``"text" in result`` / ``not in result`` assertions of ``test_extract`` (those under an ``if`` only when
the condition holds for plain-text output without formatting) and the ``metadata.title`` /
``metadata.author`` equalities of ``test_pages``. A page whose file is missing is skipped, so a folder
holding a subset of the pages works. No page or expectation is stored in this repository.

A case is one assertion. ``with`` cases pass when the body contains the string, ``without`` cases when it
does not; a page passes when all its cases do. Titles and authors are compared after whitespace is
collapsed (authors: ours joined with ", ", trafilatura's "; " turned into ", "). Prints counts per
extractor and, with ``--misses``, every failed case.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The conditions of trafilatura's parametrised test, set for plain text output.
CONDITION_NAMES = {"xmloutput": False, "formatting": False}


@dataclass
class Case:
    kind: str  # "with", "without", "title" or "author"
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
    raise SystemExit("no MOCK_PAGES table in realworld_tests.py")


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
            return Case("with" if isinstance(test.ops[0], ast.In) else "without", value)
    return None


def _meta_case(test: ast.expr) -> Case | None:
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq):
        left = test.left
        if (isinstance(left, ast.Attribute) and getattr(left.value, "id", None) == "metadata"
                and left.attr in {"title", "author"}):
            value = _string_constant(test.comparators[0])
            return Case(left.attr, value) if value is not None else None
    return None


def load_suite(tests_dir: Path) -> list[SuitePage]:
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


# An extractor gives (body, title, authors as one string) for (html, url).
Extractor = Callable[[str, str], tuple[str, str, str]]


def ours(html: str, url: str) -> tuple[str, str, str]:
    from crawler.bench.extraction import cleaned
    from crawler.extract.article import extract_article
    from crawler.sites import GENERIC

    extraction = extract_article(html, url, GENERIC)
    return "\n".join(cleaned(extraction)), extraction.title or "", ", ".join(extraction.authors)


def trafilatura(html: str, url: str) -> tuple[str, str, str]:
    import trafilatura as upstream
    from trafilatura.metadata import extract_metadata

    body = upstream.extract(html, url, record_id="0000", fast=False, output_format="txt") or ""
    metadata = extract_metadata(html)
    return body, metadata.title or "", (metadata.author or "").replace("; ", ", ")


EXTRACTORS: dict[str, Extractor] = {"ours": ours, "trafilatura": trafilatura}


def passes(case: Case, body: str, title: str, authors: str) -> bool:
    collapse = lambda text: re.sub(r"\s+", " ", text).strip()  # noqa: E731
    if case.kind == "with":
        return case.value in body
    if case.kind == "without":
        return case.value not in body
    return collapse(case.value) == collapse(title if case.kind == "title" else authors)


def run(pages: list[SuitePage], name: str, extractor: Extractor, misses: bool) -> None:
    cases = passed = pages_passed = 0
    by_kind: dict[str, list[int]] = {}
    for page in pages:
        body, title, authors = extractor(read_page(page.path), page.url)
        all_passed = True
        for case in page.cases:
            ok = passes(case, body, title, authors)
            counts = by_kind.setdefault(case.kind, [0, 0])
            counts[0] += ok
            counts[1] += 1
            cases += 1
            passed += ok
            all_passed &= ok
            if misses and not ok:
                got = {"title": title, "author": authors}.get(case.kind, "")
                print(f"  MISS {name} {page.path.name} {case.kind}: {case.value!r}" + (f" got {got!r}" if got else ""))
        pages_passed += all_passed
    kinds = "  ".join(f"{kind} {ok}/{total}" for kind, (ok, total) in sorted(by_kind.items()))
    print(f"{name:12} cases {passed}/{cases}  pages {pages_passed}/{len(pages)}  {kinds}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tests_dir", type=Path, help="trafilatura's tests folder (realworld_tests.py and cache/)")
    parser.add_argument("--extractors", default="ours,trafilatura")
    parser.add_argument("--misses", action="store_true", help="list every failed case")
    args = parser.parse_args(argv)
    pages = load_suite(args.tests_dir)
    print(f"{len(pages)} pages, {sum(len(p.cases) for p in pages)} cases")
    for name in args.extractors.split(","):
        run(pages, name, EXTRACTORS[name], args.misses)


if __name__ == "__main__":
    main()
