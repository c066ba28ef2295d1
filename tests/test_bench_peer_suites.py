"""scripts/bench_peer_suites.py on a small made-up suite in the peers' file shapes: counts per field."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import bench_peer_suites

STORY = "".join(f"<p>Paragraph {i}: the river rose again overnight and the district council opened two more "
                "shelters for families from the low-lying streets near the bridge.</p>" for i in range(4))
PAGE = ('<html><head><title>River levels rise in the north</title>'
        '<meta property="article:published_time" content="2025-03-14T09:00:00+05:00">'
        '<meta name="author" content="Aliya Nurpeisova"></head><body><article>'
        f"<h1>River levels rise in the north</h1>{STORY}</article></body></html>")

# trafilatura's shape: extract_metadata(...) and asserts on .title/.author/.date; the stand-in below is the "peer"
TRAFILATURA = '''
import types
def extract_metadata(doc, default_url=None, extensive=True, author_blacklist=None):
    return types.SimpleNamespace(title="River levels rise in the north", author="Aliya Nurpeisova", date=None)

def test_titles():
    assert extract_metadata(PAGE).title == "River levels rise in the north"
    assert extract_metadata(PAGE).title == "Something else"
    assert 1 + 1 == 2

def test_authors():
    metadata = extract_metadata(PAGE)
    assert metadata.author == "Aliya Nurpeisova"
    metadata = extract_metadata('<html><body><a class="username">Jenny Smith</a>f</body></html>')
    assert metadata.author == "Jenny Smith"
    metadata = extract_metadata(PAGE, author_blacklist={"aliya nurpeisova"})
    assert metadata.author is None
'''

# htmldate's shape: find_date(...) inside asserts
HTMLDATE = '''
def find_date(doc, extensive_search=True, original_date=False, outputformat="%Y-%m-%d", min_date=None):
    return "2025-03-14"

def test_exact_date():
    assert find_date(PAGE) == "2025-03-14"
    assert find_date('<html><head><meta name="lastmodified" content="2018-02-05"/></head></html>') == "2018-02-05"
    assert find_date(PAGE, outputformat="%d %B %Y") == "14 March 2025"
    assert find_date(PAGE, min_date="2030-01-01") is None
    assert find_date("<html><body><p>Nothing dated here at all.</p></body></html>") == "2001-01-01"
    assert find_date("<html><body><p>Dieses Datum ist leider ungültig: 30. Februar 2018.</p></body></html>") \
        == "2018-01-01"
    assert find_date('<html><body><div class="spip">Le 26 juin 2019</div></body></html>',
                     extensive_search=False) is None
'''


# trafilatura's real-world shape (a git checkout): MOCK_PAGES, test_extract's "in result" asserts (one only
# for formatted output) and test_pages' metadata equalities; a page whose cached file is missing is skipped
REALWORLD = '''
MOCK_PAGES = {"https://news.example.kz/river": "river.html", "https://news.example.kz/gone": "gone.html"}

def test_extract(xmloutput=False, formatting=False):
    result = load_mock_page("https://news.example.kz/river", xmloutput, formatting)
    assert "district council opened two more shelters" in result
    assert "Subscribe to our newsletter" not in result
    if formatting:
        assert "**bold**" in result
    result = load_mock_page("https://news.example.kz/gone", xmloutput, formatting)
    assert "anything" in result

def test_pages():
    url = "https://news.example.kz/river"
    metadata = load_mock_page_meta(url)
    assert metadata.title == "River levels rise in the north"
    assert metadata.author == "Daniyar Seitkali"
'''


def write_suite(src: Path) -> None:
    data = src / "newspaper4k-0.0" / "tests" / "data"
    for folder in ("html", "metadata", "txt"):
        (data / folder).mkdir(parents=True)
    (data / "html" / "river.html").write_text(PAGE, encoding="utf-8")
    meta = {"url": "https://news.example.kz/2025/03/river/", "title": "River levels rise in the north",
            "authors": ["Daniyar Seitkali"], "publish_date": "2025-03-14T09:00:00+05:00"}
    (data / "metadata" / "river.json").write_text(json.dumps(meta), encoding="utf-8")
    (data / "txt" / "river.txt").write_text(STORY.replace("<p>", "").replace("</p>", "\n"), encoding="utf-8")
    (data / "html" / "unlabelled.html").write_text(PAGE, encoding="utf-8")  # no expectation: skipped
    modules = (("trafilatura", TRAFILATURA, "metadata_tests.py"), ("htmldate", HTMLDATE, "unit_tests.py"))
    for name, module, path in modules:
        (src / f"{name}-0.0" / "tests").mkdir(parents=True)
        (src / f"{name}-0.0" / "tests" / path).write_text(f"PAGE = {PAGE!r}\n{module}", encoding="utf-8")
    checkout = src / "trafilatura" / "tests"
    (checkout / "cache").mkdir(parents=True)
    (checkout / "realworld_tests.py").write_text(REALWORLD, encoding="utf-8")
    newsletter = "<aside><p>Subscribe to our newsletter for the week's stories.</p></aside>"
    (checkout / "cache" / "river.html").write_bytes(PAGE.replace("</article>", f"</article>{newsletter}").encode())


def rows(output: str) -> dict[tuple[str, str], list[int]]:
    """{(suite, field): [cases, pass, design, n/a, fail, peer pass]} from the summary lines."""
    table = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) >= 8 and parts[2].isdigit():
            table[(parts[0], parts[1])] = [int(p) for p in parts[2:8]]
    return table


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> str:
    src = tmp_path_factory.mktemp("peers")
    write_suite(src)
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), pytest.MonkeyPatch.context() as patch:
        # newspaper4k (an optional extra) stands in as the peer, as the fake modules' own functions do
        patch.setattr(bench_peer_suites, "newspaper4k", newspaper4k_stand_in)
        assert bench_peer_suites.main(["--src", str(src), "--misses"]) == 0
    return buffer.getvalue()


def newspaper4k_stand_in(html: str, url: str) -> dict[str, object]:
    body = "\n".join(f"Paragraph {i}: the river rose again overnight and the district council opened two more "
                     "shelters for families from the low-lying streets near the bridge." for i in range(4))
    return {"body": body,
            "title": "River levels rise in the north", "authors": ["Aliya Nurpeisova"], "date": "2025-03-14"}


@pytest.mark.parametrize(("suite", "field", "counts"), [
    # cases, ours pass, design, n/a, fail, peer pass
    ("newspaper4k", "body", [1, 1, 0, 0, 0, 1]),
    ("newspaper4k", "title", [1, 1, 0, 0, 0, 1]),
    ("newspaper4k", "authors", [1, 0, 0, 0, 1, 0]),
    ("newspaper4k", "date", [1, 1, 0, 0, 0, 1]),
    ("trafilatura", "title", [2, 1, 0, 0, 1, 1]),
    # a commenter's user name is a design case; the caller's block list is not applicable
    ("trafilatura", "author", [3, 1, 1, 1, 0, 1]),
    # a modified-only date, a year from an impossible day and the peer's fast mode are design cases; an output
    # format and a date range are not applicable
    ("htmldate", "date", [7, 1, 3, 2, 1, 1]),
    # trafilatura's real-world suite: the formatted-output assert and the missing page are left out
    ("realworld", "contains", [1, 1, 0, 0, 0, 1]),
    ("realworld", "excludes", [1, 1, 0, 0, 0, 1]),
    ("realworld", "title", [1, 1, 0, 0, 0, 1]),
    ("realworld", "author", [1, 0, 0, 0, 1, 0]),
])
def test_counts_per_suite_and_field(output: str, suite: str, field: str, counts: list[int]) -> None:
    assert rows(output)[(suite, field)] == counts


def test_misses_name_the_case_and_the_reason(output: str) -> None:
    assert "fail    newspaper4k river authors: want ['Daniyar Seitkali'] got ['Aliya Nurpeisova']" in output
    assert "design  htmldate test_exact_date:8#1 date: want '2018-02-05' got None  [a modified/updated date" in output
    assert "fail    trafilatura test_titles:9#1 title: want 'Something else'" in output
    assert "fail    realworld river.html#3 author: want 'Daniyar Seitkali' got 'Aliya Nurpeisova'" in output


def test_a_missing_suite_is_named_not_fatal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_peer_suites.main(["--src", str(tmp_path), "--suites", "htmldate"]) == 0
    assert f"htmldate     not found in {tmp_path}" in capsys.readouterr().out


def _classified(field: str, want: object, got: object, html: str) -> str:
    check = bench_peer_suites.Check("s", "k", field, "fail", want, got, bench_peer_suites.Call(html))
    return bench_peer_suites.classify(check).outcome


def test_the_authors_the_metadata_declares_against_teasers_bylines_are_design_a_different_author_is_not() -> None:
    page = ('<html><head><meta property="article:author" content="Aliya Nurpeisova"></head><body>'
            '<p class="byline">Aliya Nurpeisova</p><aside><span class="byline">Daniyar Seitkali</span></aside>'
            '</body></html>')
    assert _classified("authors", ["Aliya Nurpeisova", "Daniyar Seitkali"], ["Aliya Nurpeisova"], page) == "design"
    assert _classified("authors", [], ["Aliya Nurpeisova"], page) == "design"
    assert _classified("authors", ["Daniyar Seitkali"], ["Aliya Nurpeisova"], page) == "fail"


def test_a_date_the_page_prints_where_the_peer_has_none_is_design_an_unprinted_one_is_not() -> None:
    page = '<html><body><p class="autor">Patricio Candia | Palma | 08/01/2014</p></body></html>'
    assert _classified("date", None, "2014-01-08", page) == "design"
    assert _classified("date", None, "2014-01-09", page) == "fail"


def test_a_one_word_h1_a_placeholder_and_declared_apostrophes_are_design() -> None:
    assert _classified("title", "First", "Test Title",
                       "<html><head><title>Test Title</title></head><body><h1>First</h1></body></html>") == "design"
    assert _classified("title", "Second", "Test Title",
                       "<html><head><title>Test Title</title></head><body><h1>First</h1></body></html>") == "fail"
    assert _classified("author", "AUTHOR NAME", None, "<html><body><a>AUTHOR NAME</a></body></html>") == "design"
    page = ('<html><head><meta property="og:title" content="Heartsteel&#039;s song wins"></head>'
            '<body><h1>Heartsteel’s song wins</h1></body></html>')
    assert _classified("title", "Heartsteel’s song wins", "Heartsteel's song wins", page) == "design"
