"""The reading commands (``scrapy articles``, ``export``, ``report``) for a user who may only read the store, and
every store command's answer to a store that fails: through the real commands, against the embedded store and a
MongoDB server (nx-27017)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from crawler.cleaning import clean
from crawler.limits import RecordLimits
from crawler.storage.config import to_document
from crawler.storage.reading import read_only_uri
from crawler.storage.store import ArticleStore, StoreTarget
from tests.crawling import ROOT, MongoTarget
from tests.read_only_mongo import ReadOnlyRole
from tests.relay import CuttingRelay
from tests.terminal import under_terminal
from tests.test_export import ARTICLES, _write

# Root ignores file modes unless it gives up CAP_DAC_OVERRIDE (CI runs the tests as root); another user is bound
# by them already.
AS_READER = (
    ["setpriv", "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search", "--"] if os.geteuid() == 0 else []
)


def scrapy(*args: str, env: dict[str, str], reader: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*(AS_READER if reader else []), sys.executable, "-m", "scrapy", *args],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), **env},
        text=True,
        capture_output=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


@contextlib.contextmanager
def unwritable(directory: Path) -> Iterator[None]:
    """``chmod -R a-w directory`` (as an operator hands a store to analysts), undone afterwards."""
    paths = [directory, *directory.rglob("*")]
    modes = {path: path.stat().st_mode for path in paths}
    for path in paths:
        path.chmod(modes[path] & ~0o222)
    try:
        yield
    finally:
        for path, mode in modes.items():
            path.chmod(mode)


def _snapshot(directory: Path) -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(directory.iterdir())}


@pytest.fixture
def embedded(tmp_path: Path) -> dict[str, str]:
    """:data:`tests.test_export.ARTICLES` in the embedded store of a fresh ``DATA_DIR``: the commands' environment."""
    env = {"DATA_DIR": str(tmp_path / "data")}
    _write(StoreTarget(uri="", database="news", data_dir=env["DATA_DIR"]), page_bytes=1000)
    return env


@pytest.mark.e2e  # real `scrapy` subprocesses (seconds each)
def test_a_user_who_may_only_read_the_store_runs_the_reading_commands(embedded: dict[str, str]) -> None:
    """Opening the store wrote a lock file and built indexes: a user who may not write DATA_DIR got "attempt to
    write a readonly database" (exit 1) from every reading command. They now write nothing."""
    data = Path(embedded["DATA_DIR"])
    before = _snapshot(data)
    with unwritable(data):
        probe = subprocess.run(
            [*AS_READER, sys.executable, "-c", f"open({str(data / 'probe')!r}, 'w')"], capture_output=True, timeout=60
        )
        assert probe.returncode != 0, "the reader may write DATA_DIR: this test would prove nothing"
        listed = scrapy("articles", env=embedded, reader=True)
        exported = scrapy("export", "--search", "вода", "--with-html", env=embedded, reader=True)
        parallel = scrapy("export", "--processes", "2", "--format", "csv", env=embedded, reader=True)
        report = scrapy("report", "--json", env=embedded, reader=True)
    assert listed.returncode == 0 and listed.stdout.startswith("5 articles in embedded store"), listed.stderr
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.count("\n") == 1 and "raw-page-marker" in exported.stdout  # whole words: A only
    assert parallel.returncode == 0 and parallel.stdout.count("https://") >= 5, parallel.stderr
    assert report.returncode == 0 and '"site": "asiaplus"' in report.stdout, report.stderr
    assert _snapshot(data) == before  # not a byte written, no lock file, no WAL left


NOW = datetime.now(UTC)
OWNER, ANALYST = 4241, 4242  # two users with no other rights: root ignores file modes
NOBODY = 65534


def _as_user(uid: int) -> list[str]:
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"]


@pytest.mark.e2e  # real `scrapy` subprocesses (seconds each)
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run commands as two other users")
def test_a_reader_in_a_shared_data_dir_leaves_the_owner_able_to_write() -> None:
    """In a DATA_DIR the analyst may write holding a store file only its owner may write, ``scrapy articles`` left
    ``news.db-wal`` and ``news.db-shm`` owned by the analyst (mode 0644): the owner's next crawl failed with "attempt
    to write a readonly database"."""
    shared = Path(tempfile.mkdtemp(prefix="shared-data-"))  # not under pytest's tmp_path: only root may enter it
    try:
        _owner_writes_after_the_analyst_reads(shared / "data")
    finally:
        shutil.rmtree(shared)


def _owner_writes_after_the_analyst_reads(data: Path) -> None:
    embedded = {"DATA_DIR": str(data)}
    _owned_store(data, OWNER)
    data.chmod(0o777)  # as a group-writable DATA_DIR (2775) shared by the crawler and the analysts
    listed = subprocess.run([*_as_user(ANALYST), sys.executable, "-m", "scrapy", "articles"], check=False,
                            **_command_run(embedded))
    assert listed.returncode == 0 and listed.stdout.startswith("5 articles in embedded store"), listed.stderr
    assert not [path.name for path in data.iterdir() if path.stat().st_uid == ANALYST]
    _assert_the_owner_writes(data, OWNER)


def _owned_store(data: Path, owner: int) -> None:
    """:data:`tests.test_export.ARTICLES` in the embedded store of ``data``, owned by ``owner`` (store file 0644)."""
    _write(StoreTarget(uri="", database="news", data_dir=str(data)), page_bytes=1000)
    for path in [data.parent, data, *data.iterdir()]:
        os.chown(path, owner, owner)
    data.parent.chmod(0o755)
    (data / "news.db").chmod(0o644)


def _command_run(env: dict[str, str]) -> dict[str, Any]:
    """``subprocess.run``'s arguments for a command in the project over the store of ``env``."""
    return {"cwd": ROOT, "env": {"PATH": os.environ.get("PATH", ""), "HOME": env["DATA_DIR"], **env}, "text": True,
            "capture_output": True, "timeout": 120, "stdin": subprocess.DEVNULL}


def _assert_the_owner_writes(data: Path, owner: int) -> None:
    """The store's owner opens it to write, as its crawl does, and writes a run record."""
    code = ("from crawler.storage.store import ArticleStore, StoreTarget\n"
            f"store = ArticleStore.connect(StoreTarget(uri='', database='news', data_dir={str(data)!r}))\n"
            "store.db['crawl_runs'].insert_one({'_id': 'after-the-reader', 'site': 'asiaplus'})\n"
            "store.close()\n")
    written = subprocess.run([*_as_user(owner), sys.executable, "-c", code], check=False,
                             **_command_run({"DATA_DIR": str(data)}))
    assert written.returncode == 0, written.stderr


# Root that may not give a file away (CAP_CHOWN dropped, as in a hardened systemd unit or a container): SQLite run
# as root hands the -wal and -shm it makes to the store file's owner, where root may.
ROOT_WITHOUT_CHOWN = ["setpriv", "--bounding-set=-chown", "--inh-caps=-all", "--"]


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root that may chown")
def test_root_that_may_chown_reads_another_users_store_through_its_wal(tmp_path: Path) -> None:
    """Immutable is a last resort (a crawl's checkpoint during the read is not seen, and the rows read may mix old and
    new pages without an error): root that may chown, whose SQLite gives the files it makes to the store's owner,
    reads through the WAL. It read immutable once it stopped making those files."""
    store = tmp_path / "news.db"
    with contextlib.closing(sqlite3.connect(store)) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE t (x)")
    os.chown(store, NOBODY, NOBODY)
    assert not (tmp_path / "news.db-wal").exists()
    assert read_only_uri(store).endswith("?mode=ro")


@pytest.mark.e2e  # real `scrapy` subprocesses (seconds each)
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to read a store another user owns as root")
@pytest.mark.parametrize("reader", [[], ROOT_WITHOUT_CHOWN], ids=["root", "root-without-chown"])
def test_root_reading_another_users_store_leaves_no_file_there(reader: list[str], tmp_path: Path) -> None:
    """``sudo scrapy report`` (or root's cron job) over the crawl user's store made ``news.db-wal`` and
    ``news.db-shm`` there; root that may not chown left them root's (0644), and the owner's next crawl failed with
    "attempt to write a readonly database". Root that may not chown now reads it as immutable (nothing made); root
    that may reads it through the WAL (locks honoured, a crawl's checkpoint seen), its files the owner's."""
    shared = Path(tempfile.mkdtemp(prefix="owned-data-"))  # not under pytest's tmp_path: only root may enter it
    try:
        data = shared / "data"
        _owned_store(data, NOBODY)
        before = {path.name: path.stat().st_uid for path in data.iterdir()}
        run = _command_run({"DATA_DIR": str(data)})
        for command in (["report", "--json"], ["articles"], ["export", "--processes", "2", "--format", "csv"],
                        ["report", "--html", str(tmp_path / "report.html")]):
            result = subprocess.run([*reader, sys.executable, "-m", "scrapy", *command], check=False, **run)
            assert (result.returncode == 0 and result.stdout.count("https://") + result.stdout.count("asiaplus") >= 1) \
                or command[1] == "--html", (command, result.stderr)
            after = {path.name: path.stat().st_uid for path in data.iterdir()}
            assert after.items() >= before.items() and set(after.values()) == {NOBODY}, (command, after)
            assert after == before or not reader, (command, after)  # immutable: nothing made
        _assert_the_owner_writes(data, NOBODY)
    finally:
        shutil.rmtree(shared)


@pytest.mark.e2e  # real `scrapy` subprocesses (seconds each)
def test_a_store_without_key_tables_is_read_and_only_a_word_search_needs_the_word_index(
    embedded: dict[str, str],
) -> None:
    """Every reading command refused a store lacking the key tables or the word index, which none of them reads
    (the word index only a word search)."""
    data = Path(embedded["DATA_DIR"])
    with contextlib.closing(sqlite3.connect(data / "news.db")) as connection, connection:
        connection.execute("DELETE FROM store_migrations")  # as a store made before the key tables
        connection.execute("DROP TABLE articles_body_fts")  # and before the word index
    with unwritable(data):
        listed = scrapy("articles", env=embedded, reader=True)
        exported = scrapy("export", "--format", "csv", env=embedded, reader=True)
        refused = scrapy("articles", "--search", "вода", env=embedded, reader=True)
    assert listed.returncode == 0 and listed.stdout.startswith("5 articles in embedded store"), listed.stderr
    assert exported.returncode == 0 and exported.stdout.count("https://") >= 5, exported.stderr
    assert refused.returncode == 1 and "Traceback" not in refused.stderr, refused.stderr
    assert refused.stderr.count("\n") == 1 and "lacks the word index" in refused.stderr, refused.stderr
    assert "scrapy reextract --dry-run --limit 1" in refused.stderr


@pytest.mark.e2e  # real `scrapy` subprocesses (seconds each)
def test_the_report_of_an_older_store_without_pages_shows_its_failing_runs(tmp_path: Path) -> None:
    """A store of the previous release makes ``pages`` only at its first article write: with all its crawls failed,
    ``scrapy report`` said it "lacks the pages collection" (exit 1) instead of showing the failing runs."""
    data = tmp_path / "data"
    store = ArticleStore.connect(StoreTarget(uri="", database="news", data_dir=str(data)))
    try:
        store.record_run(
            {
                "_id": "failed-run",
                "spider": "asiaplus",
                "site": "asiaplus",
                "started_at": NOW,
                "finished_at": NOW,
                "finish_reason": "finished",
                "outcome": "failed",
                "stats": {},
                "health": {"status": "failing", "problems": ["no article"], "metrics": {}},
            }
        )
    finally:
        store.close()
    with contextlib.closing(sqlite3.connect(data / "news.db")) as connection, connection:
        connection.execute("DROP TABLE pages")
        connection.execute("DROP TABLE sources")
    with unwritable(data):
        report = scrapy("report", "--json", env={"DATA_DIR": str(data)}, reader=True)
    assert "lacks" not in report.stderr and "Traceback" not in report.stderr, report.stderr
    rows = {row["site"]: row for row in map(json.loads, report.stdout.splitlines())}
    assert rows["asiaplus"]["last_health"] == "failing" and rows["asiaplus"]["articles_24h"] == 0, rows["asiaplus"]


@pytest.mark.e2e  # real `scrapy` subprocesses (seconds each)
def test_a_missing_store_is_named_and_not_made(tmp_path: Path) -> None:
    """A mistyped DATA_DIR read as an empty store ("0 articles", exit 0) and made one there."""
    env = {"DATA_DIR": str(tmp_path / "typo")}
    for command in ("articles", "export", "report"):
        result = scrapy(command, env=env)
        assert result.returncode == 1, (command, result.stderr)
        assert (
            result.stderr == f"There is no embedded store {tmp_path / 'typo' / 'news.db'}: nothing was stored "
            "there yet (is DATA_DIR right?)\n"
        )
    assert not (tmp_path / "typo").exists()


def _mongo_env(uri: str, database: str) -> dict[str, str]:
    return {"MONGO_URI": uri, "MONGO_DATABASE": database, "STORAGE_TIMEOUT_SECONDS": "2"}


def _stored_without_indexes(mongo: MongoTarget) -> None:
    """The articles as a crawl stores them, put in with pymongo only: no index but ``_id``'s."""
    docs = [to_document(clean(ARTICLES[key], RecordLimits())[0])[0] for key in ("A", "B", "C")]
    mongo.client[mongo.database]["articles"].insert_many(docs)


@pytest.mark.e2e  # nx-27017 and real `scrapy` subprocesses
def test_the_reading_commands_make_nothing_on_a_mongodb_server(mongo: MongoTarget) -> None:
    """They built every index of the store (and made ``crawl_runs`` and ``sources``) on opening it."""
    _stored_without_indexes(mongo)
    env = _mongo_env(mongo.uri, mongo.database)
    for args in (["articles"], ["export"], ["report"]):
        result = scrapy(*args, env=env)
        assert result.returncode == 0, (args, result.stderr)
    db = mongo.client[mongo.database]
    assert db.list_collection_names() == ["articles"]
    assert list(db["articles"].index_information()) == ["_id_"]


@pytest.mark.e2e  # nx-27017 and real `scrapy` subprocesses
def test_a_mongodb_user_whose_role_only_reads_runs_the_reading_commands(mongo: MongoTarget) -> None:
    """MongoDB answers such a user's ``createIndexes`` with Unauthorized: opening the store failed ("cannot be
    written", exit 1) for every command. The reading commands now send no write; ``reextract`` says why it stops."""
    from pymongo.uri_parser import parse_uri

    _stored_without_indexes(mongo)
    role = ReadOnlyRole(parse_uri(mongo.uri)["nodelist"][0])
    try:
        env = _mongo_env(f"mongodb://127.0.0.1:{role.port}/?directConnection=true", mongo.database)
        listed = scrapy("articles", env=env)
        exported = scrapy("export", "--format", "csv", env=env)
        writer = scrapy("reextract", env=env)
    finally:
        role.close()
    assert listed.returncode == 0 and listed.stdout.startswith("3 articles in mongodb://"), listed.stderr
    assert exported.returncode == 0 and exported.stdout.count("https://") >= 3, exported.stderr
    assert writer.returncode == 1 and writer.stderr.count("\n") == 1 and "Unauthorized" in writer.stderr, writer.stderr
    assert role.refused == ["createIndexes"]  # the reextract's; the readers sent none


@pytest.mark.e2e  # nx-27017 and real `scrapy` subprocesses
def test_a_mongodb_user_who_may_not_list_collections_runs_the_reading_commands(mongo: MongoTarget) -> None:
    """The check for a mistyped database lists the collections: a role that may read them but not list them
    must still read (the relay refused nothing of the kind before, so that path never ran)."""
    from pymongo.uri_parser import parse_uri

    _stored_without_indexes(mongo)
    role = ReadOnlyRole(parse_uri(mongo.uri)["nodelist"][0], may_list=False)
    try:
        env = _mongo_env(f"mongodb://127.0.0.1:{role.port}/?directConnection=true", mongo.database)
        listed = scrapy("articles", env=env)
        report = scrapy("report", "--json", env=env)
    finally:
        role.close()
    assert listed.returncode == 0 and listed.stdout.startswith("3 articles in mongodb://"), listed.stderr
    assert report.returncode == 0 and '"site": "asiaplus"' in report.stdout, report.stderr
    assert "listCollections" in role.refused


def _corrupt_articles(data_dir: Path) -> None:
    """Garbage over the first page of the ``articles`` table: "database disk image is malformed" at its first read,
    while the schema (page 1) still opens."""
    path = data_dir / "news.db"
    with contextlib.closing(sqlite3.connect(path)) as connection:
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
        root = connection.execute("SELECT rootpage FROM sqlite_master WHERE name = 'articles'").fetchone()[0]
    with path.open("r+b") as handle:
        handle.seek((root - 1) * page_size)
        handle.write(b"\xa5" * page_size)


@pytest.mark.e2e  # real `scrapy` subprocesses (seconds each)
@pytest.mark.parametrize("command", [["articles"], ["reextract"], ["report"], ["export"]])
def test_a_corrupt_store_file_is_one_line_not_a_traceback(embedded: dict[str, str], command: list[str]) -> None:
    _corrupt_articles(Path(embedded["DATA_DIR"]))
    result = scrapy(*command, env=embedded)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert "malformed" in result.stderr and result.stderr.startswith("The "), result.stderr


@pytest.mark.e2e  # nx-27017 and real `scrapy` subprocesses
@pytest.mark.parametrize("command", [["articles"], ["reextract"]])
def test_a_mongodb_server_lost_mid_command_is_one_line_not_a_traceback(mongo: MongoTarget, command: list[str]) -> None:
    from pymongo.uri_parser import parse_uri

    store = ArticleStore.connect(StoreTarget(uri=mongo.uri, database=mongo.database, data_dir=""))
    store.close()
    _stored_without_indexes(mongo)
    proxy = CuttingRelay(parse_uri(mongo.uri)["nodelist"][0], b"\x03sort\x00")  # the first read of records
    try:
        result = scrapy(
            *command, env=_mongo_env(f"mongodb://127.0.0.1:{proxy.port}/?directConnection=true", mongo.database)
        )
    finally:
        proxy.close()
    assert proxy.cut.is_set()
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert [line for line in result.stderr.splitlines() if line.startswith("The ")] == result.stderr.splitlines()
    assert len(result.stderr.splitlines()) == 1 and "stopped: " in result.stderr, result.stderr


@pytest.mark.e2e  # real `scrapy` subprocesses (seconds each)
def test_parquet_to_a_terminal_is_refused(embedded: dict[str, str], tmp_path: Path) -> None:
    """It wrote the Parquet file's bytes to the terminal."""
    pytest.importorskip("pyarrow")
    refused = under_terminal(["export", "--format", "parquet"], {"PATH": "", **embedded})
    stderr = refused.other.decode()
    assert refused.returncode == 2 and refused.shown == b"", (stderr, refused.shown[:100])
    assert "-o FILE" in stderr and "Traceback" not in stderr, stderr
    piped = subprocess.run(
        [sys.executable, "-m", "scrapy", "export", "--format", "parquet"],
        cwd=ROOT,
        env={"PATH": "", **embedded},
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert piped.returncode == 0 and piped.stdout.startswith(b"PAR1"), piped.stderr  # a pipe still gets it


@pytest.mark.e2e  # nx-27017 and real `scrapy` subprocesses
def test_mongodb_holds_nothing_under_a_mistyped_database_name(mongo: MongoTarget) -> None:
    """It read as an empty store: "0 articles", exit 0."""
    try:
        result = scrapy("articles", env=_mongo_env(mongo.uri, mongo.database + "_typo"))
    finally:
        mongo.client.drop_database(mongo.database + "_typo")  # nx-27017 makes a database's file when it is listed
    assert result.returncode == 1, result.stderr
    assert (
        result.stderr == f"There is nothing in the MongoDB database '{mongo.database}_typo' at {mongo.uri} "
        "(is MONGO_DATABASE right?)\n"
    )


def test_a_store_failure_is_one_line_with_the_password_masked(capsys: pytest.CaptureFixture[str]) -> None:
    from pymongo.errors import ServerSelectionTimeoutError

    from crawler.commands.articles import Command

    command = Command()
    command.stopped("listing", ServerSelectionTimeoutError("mongodb://crawler:s3cr3t@db:27017/ gone, Timeout: 2s, x"))
    assert command.exitcode == 1
    assert (
        capsys.readouterr().err
        == "The listing stopped: ServerSelectionTimeoutError: mongodb://crawler:***@db:27017/ gone\n"
    )
