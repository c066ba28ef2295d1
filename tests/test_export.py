"""``scrapy export`` and the filters of ``scrapy articles``, through the real commands, against the embedded
store and a MongoDB server: articles written the way the crawl writes them (cleaned, then
``ArticleStore.write_articles`` with their pages), read back in every format."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.cleaning import clean
from crawler.items import ArticleItem
from crawler.limits import RecordLimits
from crawler.storage.config import to_document
from crawler.storage.store import ArticleStore, StoreTarget
from tests.crawling import ROOT, MongoTarget, fresh_database
from tests.process_group import left_in_group
from tests.relay import CuttingRelay
from tests.terminal import under_terminal

pytestmark = pytest.mark.e2e  # the real scrapy command, and a MongoDB server for half of the cases

ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00")
DATE_FIELDS = ("published", "modified", "fetched_at", "first_seen", "last_checked", "gone_at", "moved_at")
PAGE_MARKER = "raw-page-marker-7f3a"
WATER = ("В Душанбе с 1 апреля повышаются тарифы на питьевую воду. Городское предприятие «Душанбеводоканал» "
         "сообщило, что тариф для населения вырастет на 12 процентов. В компании объясняют решение ростом "
         "цен на электроэнергию и реагенты для очистки воды. Жители левобережных районов жалуются на перебои "
         "с подачей воды по вечерам, особенно в многоэтажных домах старой постройки.")


def _item(n: int, *, site: str, language: str, published: datetime | None, title: str, body: str,
          **extra: object) -> ArticleItem:
    url = f"https://{site}.example/news/{n}"
    return ArticleItem(url=url, urls=[url], site=site, fetched_at=datetime(2024, 3, 20, 6, 0, tzinfo=UTC),
                       language=language, title=title, paragraphs=[p for p in body.split("\n") if p],
                       published=published, **extra)  # type: ignore[arg-type]


# Newest published first; "E" has no date (last). "D" is a near copy of "A" on another site, published
# later: A stays its story's original.
ARTICLES = {
    "B": _item(2, site="asiaplus", language="tg", published=datetime(2024, 3, 12, 9, 30, tzinfo=UTC),
               title="Сохтмони роҳи Душанбе–Бохтар",
               body="Вазорати нақлиёт хабар дод, ки сохтмони қитъаи нави роҳ то охири сол ба анҷом мерасад.\n"
                    "Дарозии қитъа 32 километр буда, арзиши он 410 миллион сомонӣ арзёбӣ шудааст.\n"
                    "Мутахассисон мегӯянд, ки роҳи нав вақти сафарро қариб ним соат кам мекунад."),
    "C": _item(3, site="kaktus", language="ky", published=datetime(2024, 3, 11, 14, 0, tzinfo=UTC),
               title="Бишкекте жаңы мектеп ачылды",
               body="Бишкектин Свердлов районунда 1200 орундуу жаңы мектеп ачылды.\n"
                    "Мектепте заманбап лабораториялар жана спорт залы бар, деп билдирди мэрия.\n"
                    "Шаардагы мектептердеги жыштык азаят, ата-энелер жаңылыкты кубаныч менен тосуп алышты."),
    "D": _item(4, site="avesta", language="ru", published=datetime(2024, 3, 10, 12, 0, tzinfo=UTC),
               title="Тарифы на воду в Душанбе вырастут", body=WATER + "\nИсточник: Asia-Plus.",
               authors=["Редакция"], tags=["ЖКХ"]),
    "A": _item(1, site="asiaplus", language="ru", published=datetime(2024, 3, 10, 8, 0, tzinfo=UTC),
               title="В Душанбе подорожает вода", body=WATER,
               authors=["Нигина Бахриева", "Аваз Юлдашев"], tags=["вода", "тарифы"],
               images=[{"url": "https://asiaplus.example/img/water.jpg", "caption": "Кран", "credit": "Asia-Plus"},
                       {"url": "https://asiaplus.example/img/tap.jpg", "caption": None, "credit": None}]),
    "E": _item(5, site="asiaplus", language="kk", published=None, title="Алматыда қар жауды",
               body="Алматыда түнде қалың қар жауып, қаладағы көлік қозғалысы қиындады.\n"
                    "Коммуналдық қызметтер 300-ден астам техниканы көшеге шығарды.\n"
                    "Синоптиктер аяз сенбіге дейін сақталатынын хабарлады."),
}
NEWEST_FIRST = ["B", "C", "D", "A", "E"]


@dataclass(frozen=True)
class Stored:
    """A store holding :data:`ARTICLES` and the environment that points a command at it."""

    env: dict[str, str]
    urls: dict[str, str]  # ARTICLES key -> url

    def key(self, url: str) -> str:
        return next(k for k, u in self.urls.items() if u == url)

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "scrapy", *args], cwd=ROOT, env=self.env, text=True,
                              capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)

    def export(self, *args: str) -> list[dict[str, object]]:
        result = self.run("export", *args)
        assert result.returncode == 0, result.stderr[-3000:]
        return [json.loads(line) for line in result.stdout.splitlines()]

    def keys(self, *args: str) -> list[str]:
        return [self.key(str(r["url"])) for r in self.export(*args)]


def _write(target: StoreTarget, page_bytes: int) -> dict[str, str]:
    store = ArticleStore.connect(target)
    try:
        urls = {}
        for key in ["A", "B", "C", "E", "D"]:  # the copy after its original, as a crawl would find them
            item, _ = clean(ARTICLES[key], RecordLimits())
            doc, _ = to_document(item)
            page = f"<html><body><p>{PAGE_MARKER} {key}</p>{'<p>x</p>' * (page_bytes // 8)}</body></html>"
            counts = store.write_articles([doc], {doc["_id"]: page})
            assert counts.inserted == 1, counts
            urls[key] = doc["url"]
        return urls
    finally:
        store.close()


@pytest.fixture(scope="module", params=["embedded", "mongo"])
def stored(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stored]:
    """:data:`ARTICLES` in the embedded store of a fresh ``DATA_DIR``, or in a fresh MongoDB database (the
    commands only read it: one store for the module)."""
    # "#", "?" and "%" in the store's path: the workers open the file by a URI, which must quote them.
    env = {"PATH": "", "DATA_DIR": str(tmp_path_factory.mktemp("export") / "data #1 ?x %41")}
    with ExitStack() as stack:
        if request.param == "mongo":
            mongo = stack.enter_context(fresh_database(request.getfixturevalue("mongo_uri")))
            env |= {"MONGO_URI": mongo.uri, "MONGO_DATABASE": mongo.database}
        target = StoreTarget(uri=env.get("MONGO_URI", ""), database=env.get("MONGO_DATABASE", "news"),
                             data_dir=env["DATA_DIR"])
        # Pages of 100 KB: the whole --with-html export is larger than a pipe's buffer.
        yield Stored(env, _write(target, page_bytes=100_000))


def test_jsonl_is_every_article_newest_first_with_iso_dates_and_no_page_or_signature(stored: Stored) -> None:
    result = stored.run("export")
    assert result.returncode == 0, result.stderr[-3000:]
    assert PAGE_MARKER not in result.stdout
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [stored.key(str(r["url"])) for r in records] == NEWEST_FIRST
    for record in records:
        assert not {"minhash", "lsh_bands", "html", "raw_html"} & set(record)
        for field in DATE_FIELDS:
            value = record.get(field)
            assert value is None or ISO_UTC.fullmatch(str(value)), (field, value)
    by_key = {stored.key(str(r["url"])): r for r in records}
    assert by_key["A"]["published"] == "2024-03-10T08:00:00+00:00"
    assert by_key["A"]["authors"] == ["Нигина Бахриева", "Аваз Юлдашев"]
    assert by_key["A"]["story_original"] is True and by_key["D"]["story_original"] is False
    assert by_key["D"]["story_cluster"] == by_key["A"]["story_cluster"]
    assert ISO_UTC.fullmatch(str(by_key["A"]["first_seen"]))


def test_filters_by_site_language_dates_originals_and_words(stored: Stored) -> None:
    assert stored.keys("--site", "asiaplus,kaktus") == ["B", "C", "A", "E"]
    assert stored.keys("--language", "ru") == ["D", "A"]
    assert stored.keys("--since", "2024-03-10T10:00:00Z", "--until", "2024-03-11") == ["C", "D"]  # the whole day
    assert stored.keys("--since", "2024-03-10T13:30:00+05:00", "--until", "2024-03-10T12:00:00+00:00") == ["D"]
    assert stored.keys("--story-originals-only") == ["B", "C", "A", "E"]
    assert stored.keys("--search", "Душанбе") == ["B", "D", "A"]  # in the title or the body, any case
    assert stored.keys("--search", "тарифы", "--site", "avesta") == ["D"]


def test_with_html_adds_the_stored_page_and_the_signature(stored: Stored) -> None:
    records = {stored.key(str(r["url"])): r for r in stored.export("--with-html", "--site", "asiaplus")}
    assert f"{PAGE_MARKER} A" in str(records["A"]["html"])
    assert isinstance(records["A"]["minhash"], list) and len(records["A"]["minhash"]) > 10
    assert records["A"]["lsh_bands"]


def test_csv_flattens_lists_and_never_prints_python_values(stored: Stored, tmp_path: Path) -> None:
    out = tmp_path / "articles.csv"
    result = stored.run("export", "--format", "csv", "-o", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "5 articles exported" in result.stderr
    assert not list(tmp_path.glob("*.part"))
    text = out.read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [stored.key(row["url"]) for row in rows] == NEWEST_FIRST
    a = next(row for row in rows if row["url"] == stored.urls["A"])
    assert a["authors"] == "Нигина Бахриева; Аваз Юлдашев" and a["tags"] == "вода; тарифы"
    assert a["images"] == "https://asiaplus.example/img/water.jpg; https://asiaplus.example/img/tap.jpg"
    assert a["published"] == "2024-03-10T08:00:00+00:00" and a["story_original"] == "true"
    assert a["revision_count"] == "0" and a["body"].startswith("В Душанбе с 1 апреля")
    assert not {"minhash", "lsh_bands", "html", "paragraphs"} & set(a)
    assert next(row for row in rows if row["url"] == stored.urls["E"])["published"] == ""
    for python_value in ("['", "{'", "datetime.", "None", "False", "True"):
        assert python_value not in text


def test_parquet_has_typed_columns(stored: Stored, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = tmp_path / "articles.parquet"
    result = stored.run("export", "--format", "parquet", "-o", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    table = pq.read_table(out)
    schema = table.schema
    assert schema.field("published").type == pa.timestamp("us", tz="UTC")
    assert schema.field("first_seen").type == pa.timestamp("us", tz="UTC")
    assert schema.field("authors").type == pa.list_(pa.string())
    assert schema.field("images").type.value_type == pa.struct([("url", pa.string()), ("caption", pa.string()),
                                                                 ("credit", pa.string())])
    assert schema.field("story_original").type == pa.bool_()
    assert "minhash" not in schema.names and "html" not in schema.names
    rows = table.to_pylist()
    assert [stored.key(row["url"]) for row in rows] == NEWEST_FIRST
    a = next(row for row in rows if row["url"] == stored.urls["A"])
    assert a["published"] == datetime(2024, 3, 10, 8, 0, tzinfo=UTC)
    assert a["authors"] == ["Нигина Бахриева", "Аваз Юлдашев"]
    assert a["images"][0] == {"url": "https://asiaplus.example/img/water.jpg", "caption": "Кран",
                              "credit": "Asia-Plus"}
    assert rows[-1]["published"] is None


def test_the_output_files_extension_names_its_format(stored: Stored, tmp_path: Path) -> None:
    """``-o x.csv`` and ``-o x.parquet`` without ``--format`` wrote JSON lines into them, with exit status 0."""
    import pyarrow.parquet as pq

    if "MONGO_URI" in stored.env:
        pytest.skip("the format is chosen before the store is opened: once is enough")
    result = stored.run("export", "-o", str(tmp_path / "articles.csv"))
    assert result.returncode == 0, result.stderr[-3000:]
    rows = list(csv.DictReader(io.StringIO((tmp_path / "articles.csv").read_text(encoding="utf-8"), newline="")))
    assert [stored.key(row["url"]) for row in rows] == NEWEST_FIRST
    result = stored.run("export", "-o", str(tmp_path / "articles.PARQUET"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert pq.read_table(tmp_path / "articles.PARQUET").num_rows == len(NEWEST_FIRST)
    result = stored.run("export", "-o", str(tmp_path / "articles.json"))  # JSON lines, as before
    assert json.loads((tmp_path / "articles.json").read_text(encoding="utf-8").splitlines()[0])["url"]
    result = stored.run("export", "--format", "jsonl", "-o", str(tmp_path / "other.csv"))
    assert result.returncode == 2 and "--format jsonl contradicts -o" in result.stderr, result.stderr[-2000:]
    assert not (tmp_path / "other.csv").exists()


def test_export_into_a_closed_pipe_exits_quietly(stored: Stored) -> None:
    head = shutil.which("head")
    command = f"'{sys.executable}' -m scrapy export --with-html | '{head}' -c 100 >/dev/null; exit ${{PIPESTATUS[0]}}"
    result = subprocess.run(["/bin/bash", "-c", command], cwd=ROOT, env=stored.env, text=True,
                            capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
    assert result.returncode == 0 and result.stderr == "", result.stderr[-3000:]


def test_progress_bar_only_when_stderr_is_a_terminal(stored: Stored, tmp_path: Path) -> None:
    if "MONGO_URI" in stored.env:
        pytest.skip("the bar does not depend on the store: once is enough")
    result = under_terminal(["export", "-o", str(tmp_path / "a.jsonl")], stored.env, terminal_stream="stderr")
    shown = result.shown
    assert result.returncode == 0, shown[-2000:]
    assert "5/5 articles" in shown.decode() and "[" + "#" * 30 + "]" in shown.decode()
    piped = stored.run("export", "-o", str(tmp_path / "b.jsonl"))
    assert piped.stderr == f"5 articles exported to {tmp_path / 'b.jsonl'}\n"


def test_bad_options_are_usage_errors(stored: Stored) -> None:
    if "MONGO_URI" in stored.env:
        pytest.skip("options are checked before the store is opened: once is enough")
    for args, message in ((["export", "--since", "last-week"], "--since must be a date"),
                          (["export", "--format", "xml"], "invalid choice: 'xml'"),
                          (["export", "--bogus"], "unknown option --bogus"),
                          (["articles", "--bogus"], "unknown option --bogus"),
                          (["articles", "--search"], "expected one argument"),
                          # SQLite reads LIMIT -1 as no limit, MongoDB as 1; LIMIT 0 as none, MongoDB as all.
                          (["articles", "--limit", "-1"], "--limit: must be a whole number, 1 or more, got '-1'"),
                          (["articles", "--limit", "0"], "--limit: must be a whole number, 1 or more, got '0'"),
                          (["reextract", "--limit", "-5"], "--limit: must be a whole number, 0 or more, got '-5'"),
                          # past SQLite's (and BSON's) 64-bit integers: an OverflowError's traceback before
                          (["articles", "--limit", "99999999999999999999"], f"--limit: must be at most {2**63 - 1}"),
                          (["articles", "--limit", "9" * 5000], f"--limit: must be at most {2**63 - 1}"),
                          (["reextract", "--limit", "9223372036854775808"], f"--limit: must be at most {2**63 - 1}"),
                          (["reextract", "--batch-size", "1" + "0" * 19], f"--batch-size: must be at most {2**63 - 1}"),
                          (["reextract", "--batch-size", "0"], "--batch-size: must be a whole number, 1 or more"),
                          # an unset shell variable ("--site $SITE") read as no filter: every site's articles
                          (["export", "--site", ""], "--site '' names no site"),
                          (["export", "--site", " , "], "--site ' , ' names no site"),
                          (["articles", "--language", ""], "--language '' names no language"),
                          (["reextract", "--site", ""], "--site '' names no site")):
        result = stored.run(*args)
        assert result.returncode == 2 and message in result.stderr, (args, result.stderr[-2000:])
        assert "Traceback" not in result.stderr


def test_a_site_name_with_a_typo_is_a_usage_error_and_writes_no_file(stored: Stored, tmp_path: Path) -> None:
    # Before, both exited 0 having found no article: a script exported nothing, every day, in silence.
    output = tmp_path / "typo.jsonl"
    for args in (["export", "--site", "asiaplus,asiaplsu", "-o", str(output)], ["articles", "--site", "asiaplsu"]):
        result = stored.run(*args)
        assert result.returncode == 2, (args, result.stderr[-2000:])
        assert "--site asiaplsu: no bundled site and nothing stored has that name (did you mean asiaplus?)" \
            in result.stderr and "Traceback" not in result.stderr
    assert not output.exists() and not list(tmp_path.iterdir())
    assert stored.keys("--site", "avesta") == ["D"]  # a bundled site stays accepted


def test_a_site_crawled_from_a_config_file_is_known_by_what_is_stored(tmp_path: Path) -> None:
    env = {"PATH": "", "DATA_DIR": str(tmp_path / "data")}
    store = ArticleStore.connect(StoreTarget(uri="", database="news", data_dir=env["DATA_DIR"]))
    try:
        item, _ = clean(_item(9, site="my-outlet", language="ru", published=datetime(2024, 3, 1, tzinfo=UTC),
                              title="Тарифы на воду", body=WATER), RecordLimits())
        assert store.write_articles([to_document(item)[0]], {}).inserted == 1
    finally:
        store.close()
    mine = Stored(env, {})
    assert mine.run("export", "--site", "my-outlet").stdout.count("\n") == 1
    result = mine.run("export", "--site", "my-outlt")
    assert result.returncode == 2 and "did you mean" not in result.stderr, result.stderr[-2000:]


def test_parquet_without_pyarrow_names_the_extra(stored: Stored) -> None:
    if "MONGO_URI" in stored.env:
        pytest.skip("checked before the store is opened: once is enough")
    # The real command in an interpreter where pyarrow cannot be imported (as without the parquet extra).
    code = "import sys; sys.modules['pyarrow'] = None; from scrapy.cmdline import execute; execute()"
    result = subprocess.run([sys.executable, "-c", code, "export", "--format", "parquet"], cwd=ROOT,
                            env=stored.env, text=True, capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "pip install '.[parquet]'" in result.stderr and "Traceback" not in result.stderr


def test_articles_filters_and_json_dates(stored: Stored) -> None:
    listed = stored.run("articles", "--json", "--language", "ru")
    assert listed.returncode == 0, listed.stderr[-3000:]
    records = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [stored.key(r["url"]) for r in records] == ["D", "A"]
    assert all(ISO_UTC.fullmatch(r["fetched_at"]) and ISO_UTC.fullmatch(r["published"]) for r in records)
    assert not {"minhash", "lsh_bands"} & set(records[0])
    summary = stored.run("articles", "--since", "2024-03-11", "--search", "мектеп")
    assert summary.returncode == 0, summary.stderr[-3000:]
    assert summary.stdout.startswith("1 articles in ")
    assert stored.urls["C"] in summary.stdout and stored.urls["B"] not in summary.stdout


def test_indexes_for_analysts_exist(stored: Stored) -> None:
    if "MONGO_URI" not in stored.env:
        import sqlite3

        connection = sqlite3.connect(Path(stored.env["DATA_DIR"]) / "news.db")
        names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        connection.close()
        assert {"articles_title_fts", "articles_body_fts"} <= names  # the text index's FTS5 tables
        assert any("language" in n and "published" in n for n in names) and any("first_seen" in n for n in names)
        return
    import pymongo

    client: pymongo.MongoClient = pymongo.MongoClient(stored.env["MONGO_URI"])  # type: ignore[type-arg]
    try:
        keys = [[k for k, _ in spec["key"]] for spec in
                client[stored.env["MONGO_DATABASE"]]["articles"].index_information().values()]
    finally:
        client.close()
    assert ["language", "published"] in keys and ["first_seen"] in keys



# -- --processes: the same bytes whatever N, over several batches and row groups ------------------------------

MANY = 1_100  # articles: six batches of BATCH (200), two Parquet row groups


def _write_many(target: StoreTarget) -> None:
    """:data:`MANY` articles as the crawl stores them, every few without a date, with pages (inserted at once:
    the crawl's conditional writes, one by one, would take a minute on the test server)."""
    store = ArticleStore.connect(target)
    try:
        for first in range(0, MANY, 100):
            docs, pages = [], []
            for n in range(first, first + 100):
                published = None if n % 7 == 0 else datetime(2024, 3, 1, tzinfo=UTC) + (n % 50) * (
                    datetime(2024, 3, 2, tzinfo=UTC) - datetime(2024, 3, 1, 23, tzinfo=UTC))
                item = _item(100 + n, site=("asiaplus", "kaktus", "avesta")[n % 3], language="ru",
                             published=published, title=f"Новость номер {n}",
                             body=f"Статья {n}: {WATER}\nИсточник {n * 7919}.", authors=[f"Автор {n % 9}"],
                             tags=["вода", f"тег {n % 4}"])
                doc, _ = to_document(clean(item, RecordLimits())[0])
                docs.append({**doc, "first_seen": doc["fetched_at"], "last_checked": doc["fetched_at"],
                             "story_cluster": doc["_id"], "story_original": n % 5 != 0})
                html = f"<html><body><p>{PAGE_MARKER} {n}</p></body></html>"
                pages.append({"_id": doc["_id"], "url": doc["url"], "html_gz": gzip.compress(html.encode())})
            store.db["articles"].insert_many(docs)
            store.db["pages"].insert_many(pages)
    finally:
        store.close()


@pytest.fixture(scope="module", params=["embedded", "mongo"])
def many(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The environment of a store holding :data:`MANY` articles."""
    env = {"PATH": "", "DATA_DIR": str(tmp_path_factory.mktemp("export-many") / "data")}
    with ExitStack() as stack:
        if request.param == "mongo":
            mongo = stack.enter_context(fresh_database(request.getfixturevalue("mongo_uri")))
            env |= {"MONGO_URI": mongo.uri, "MONGO_DATABASE": mongo.database}
        _write_many(StoreTarget(uri=env.get("MONGO_URI", ""), database=env.get("MONGO_DATABASE", "news"),
                                data_dir=env["DATA_DIR"]))
        yield env


@pytest.mark.parametrize("args", [["--format=jsonl"], ["--format=csv"], ["--format=parquet"],
                                  ["--format=jsonl", "--with-html", "--site=asiaplus,kaktus"]])
def test_one_and_two_processes_write_the_same_bytes(many: dict[str, str], args: list[str], tmp_path: Path) -> None:
    outputs = {}
    for processes in (1, 2):
        out = tmp_path / f"p{processes}"
        result = subprocess.run([sys.executable, "-m", "scrapy", "export", *args, f"--processes={processes}",
                                 "-o", str(out)], cwd=ROOT, env=many, text=True, capture_output=True, timeout=300,
                                stdin=subprocess.DEVNULL)
        assert result.returncode == 0, result.stderr[-3000:]
        outputs[processes] = out.read_bytes()
    assert outputs[1] == outputs[2]
    if args == ["--format=jsonl"]:  # and it is the whole store, newest first, undated last
        records = [json.loads(line) for line in outputs[2].decode().splitlines()]
        dated = [r["published"] for r in records if r["published"]]
        assert len(records) == MANY and dated == sorted(dated, reverse=True)
        assert len(dated) == MANY - len(range(0, MANY, 7)) and all(r["published"] for r in records[:len(dated)])


@pytest.mark.parametrize("many", ["embedded"], indirect=True)
def test_a_worker_killed_mid_export_is_replaced_and_nothing_is_lost(many: dict[str, str], tmp_path: Path) -> None:
    whole = tmp_path / "one-process.jsonl"
    subprocess.run([sys.executable, "-m", "scrapy", "export", "--processes=1", "-o", str(whole)], cwd=ROOT, env=many,
                   check=True, capture_output=True, timeout=300, stdin=subprocess.DEVNULL)
    # Unread, stdout's pipe fills with the first batch (over 64 KB), so the command waits there, its workers
    # started and a few batches ahead, while one of them is killed as the out-of-memory killer would.
    with subprocess.Popen([sys.executable, "-m", "scrapy", "export", "--processes=2"], cwd=ROOT, env=many,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL) as command:
        try:
            children = Path(f"/proc/{command.pid}/task/{command.pid}/children")
            deadline = time.monotonic() + 60
            while len(children.read_text().split()) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            workers = children.read_text().split()
            assert len(workers) == 2, "the export started no workers"
            time.sleep(1)  # the workers answer the batches handed out ahead
            os.kill(int(workers[0]), signal.SIGKILL)
            out, err = command.communicate(timeout=300)
        finally:
            if command.poll() is None:
                command.kill()
    assert command.returncode == 0, err.decode()[-3000:]
    assert out == whole.read_bytes() and len(out.splitlines()) == MANY


@pytest.mark.parametrize("many", ["embedded", "mongo"], indirect=True)  # forked workers, spawned ones
@pytest.mark.parametrize("to_file", [False, True])
def test_sigterm_to_the_process_group_stops_the_export_after_a_whole_record(many: dict[str, str], tmp_path: Path,
                                                                             to_file: bool) -> None:
    # systemd stopping a unit (or ``kill -- -PGID``) sends SIGTERM to the command and its workers at once: the
    # workers finish their batch, the command stops (exit 143) with stdout ending in a whole record, and -o FILE
    # leaves neither FILE nor FILE.part. Before, the command died of the signal with a record cut in half on
    # stdout, FILE.part left behind.
    target = tmp_path / "out.jsonl"
    part = tmp_path / "out.jsonl.part"
    output = ["-o", str(target)] if to_file else []
    with subprocess.Popen([sys.executable, "-m", "scrapy", "export", "--processes=2", *output], cwd=ROOT, env=many,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                          start_new_session=True) as command:  # its own process group, as a unit's is
        try:
            children = Path(f"/proc/{command.pid}/task/{command.pid}/children")
            deadline = time.monotonic() + 60
            while len(children.read_text().split()) < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
            if to_file:  # mid-export: the first batches written
                while not (part.exists() and part.stat().st_size) and time.monotonic() < deadline:
                    time.sleep(0.005)
            else:  # unread, stdout's pipe fills with the first batch: the command waits there, mid-write
                # Output waiting in the pipe (looked at, not read), not a fixed sleep: on a loaded machine spawned
                # workers take longer than a second to encode their first batch, and a stop before it prints nothing.
                select.select([command.stdout], [], [], max(0.0, deadline - time.monotonic()))
                time.sleep(0.2)
            os.killpg(command.pid, signal.SIGTERM)
            out, err = command.communicate(timeout=60)
        finally:
            if command.poll() is None:
                os.killpg(command.pid, signal.SIGKILL)
    assert command.returncode == 143, err.decode()[-3000:]
    assert err.decode() == "The export was stopped (SIGTERM)\n"
    assert not target.exists() and not part.exists()
    if not to_file:
        assert out.endswith(b"\n") and 0 < len(out.splitlines()) < MANY, len(out)
        assert all(json.loads(line)["url"] for line in out.splitlines())
    assert not left_in_group(command.pid)  # no worker left behind



@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_control_characters_are_escaped_on_a_terminal_and_kept_in_a_file(tmp_path: Path, fmt: str) -> None:
    # A C1 CSI the store keeps, and a C0 escape an older record may hold (JSON escapes C0 itself; CSV does not).
    env = {"PATH": "", "DATA_DIR": str(tmp_path / "data")}
    title = "Clear\x9b2J screen\x1b]52;c;Zm9v\x07 and\rback"
    store = ArticleStore.connect(StoreTarget(uri="", database="news", data_dir=env["DATA_DIR"]))
    try:
        item, _ = clean(ARTICLES["A"], RecordLimits())
        doc, _ = to_document(item)
        doc["title"] = title  # as an older record stored it, before cleaning dropped C0 controls
        assert store.write_articles([doc], {doc["_id"]: "<html></html>"}).inserted == 1
    finally:
        store.close()
    result = under_terminal(["export", "--format", fmt], env)
    assert result.returncode == 0, result.shown[-2000:]
    text = result.shown.decode()
    assert "Clear\\x9b2J screen" in text  # JSON writes C0 controls as "\u0007" itself
    assert fmt == "jsonl" or "\\x1b]52;c;Zm9v\\x07 and\\x0dback" in text
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)", text), text
    assert "Душанбе" in text  # the rest as written
    result = subprocess.run([sys.executable, "-m", "scrapy", "export", "--format", fmt, "-o", str(tmp_path / "out")],
                            cwd=ROOT, env=env, capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr[-2000:]
    written = (tmp_path / "out").read_bytes().decode()
    if fmt == "jsonl":
        assert json.loads(written)["title"] == title
    else:
        assert next(csv.DictReader(io.StringIO(written)))["title"] == title


def test_a_store_failing_while_the_site_names_are_checked_stops_the_export_with_one_line(
        mongo: MongoTarget, tmp_path: Path) -> None:
    # The check of an unknown --site name asks the store; a failure there was a traceback, not the export's
    # own "The export stopped" line (exit 1), and it must leave no FILE behind either.
    from pymongo.uri_parser import parse_uri

    mongo.client[mongo.database]["articles"].insert_one({"_id": "x", "site": "asiaplus"})  # a store, not an empty db
    host, port = parse_uri(mongo.uri)["nodelist"][0]
    proxy = CuttingRelay((host, port), b"not-yet-stored-outlet")
    try:
        env = {"PATH": "", "MONGO_URI": f"mongodb://127.0.0.1:{proxy.port}/?directConnection=true",
               "MONGO_DATABASE": mongo.database, "STORAGE_TIMEOUT_SECONDS": "1"}
        output = tmp_path / "out.jsonl"
        result = subprocess.run([sys.executable, "-m", "scrapy", "export", "--site", "not-yet-stored-outlet", "-o",
                                 str(output)], cwd=ROOT, env=env, text=True, capture_output=True, timeout=120,
                                stdin=subprocess.DEVNULL)
    finally:
        proxy.close()
    assert proxy.cut.is_set()  # the store was opened and failed at the check, not before
    assert result.returncode == 1, result.stderr[-2000:]
    assert result.stderr.startswith("The export stopped: ") and "Traceback" not in result.stderr, result.stderr
    assert not list(tmp_path.iterdir())


def test_an_output_that_is_no_regular_file_is_written_to_not_replaced(stored: Stored, tmp_path: Path) -> None:
    """``-o`` a named pipe (as ``/dev/stdout`` or ``/dev/null`` are no regular files either) is written to; a symlink
    writes its target. FILE.part renamed over it replaced the pipe (or, run as root, the device node ``/dev/null``)
    with a regular file, and the symlink with a file of its own."""
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    with subprocess.Popen(["cat", str(pipe)], stdout=subprocess.PIPE) as reader:  # its pipe closed on the way out
        try:
            result = stored.run("export", "-o", str(pipe), timeout=60)
            output, _ = reader.communicate(timeout=30)  # the old code's reader waited for a writer forever
        finally:
            reader.kill()
    assert result.returncode == 0, result.stderr[-3000:]
    assert [stored.key(json.loads(line)["url"]) for line in output.decode().splitlines()] == NEWEST_FIRST
    assert pipe.is_fifo() and not list(tmp_path.glob("*.part"))
    target, link = tmp_path / "kept" / "articles.jsonl", tmp_path / "latest.jsonl"
    target.parent.mkdir()
    target.write_text("old\n")
    link.symlink_to(target)
    assert stored.run("export", "-o", str(link)).returncode == 0
    assert link.is_symlink() and len(target.read_text().splitlines()) == len(NEWEST_FIRST)


@pytest.mark.parametrize("output", ["empty", "directory"])
def test_an_output_naming_no_file_is_a_usage_error(stored: Stored, tmp_path: Path, output: str) -> None:
    """``-o ''`` was a traceback; ``-o DIR`` wrote ``DIR.part`` beside it before failing (exit 1)."""
    directory = tmp_path / "out"
    directory.mkdir()
    result = stored.run("export", "-o", "" if output == "empty" else str(directory))
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.stderr.splitlines()[-1].partition(": error: ")[2].startswith("-o "), result.stderr[-3000:]
    assert not list(tmp_path.glob("*.part"))



class _FillingDisk:
    """A binary stream as a buffered stdout on a disk filling up: a write takes ``room`` bytes at most and returns
    that short count; once full, a write raises ENOSPC."""

    def __init__(self, room: int) -> None:
        self.room, self.got = room, b""

    def write(self, data: bytes) -> int:
        if not self.room:
            raise OSError(28, "No space left on device")
        taken = bytes(data[:self.room])
        self.got += taken
        self.room -= len(taken)
        return len(taken)

    def flush(self) -> None:
        pass


@pytest.mark.parametrize("room", [10, 10_000])
def test_a_short_write_to_stdout_is_written_again_or_fails(monkeypatch: pytest.MonkeyPatch, room: int) -> None:
    """A buffered stdout returns a short count, not an error, when the disk fills during a write: an export
    redirected onto a full disk ended with part of its output, no message and exit 0."""
    from crawler.commands.export import _output

    disk = _FillingDisk(room)
    monkeypatch.setattr(sys, "stdout", type("Stdout", (), {"buffer": disk})())
    data = bytes(range(256)) * 20
    with pytest.raises(OSError, match="No space") if room < len(data) else ExitStack(), _output("-") as out:
        assert out.write(data) == len(data)
    assert disk.got == data[:room]
